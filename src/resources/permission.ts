import {
  AddPermissionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
} from "@aws-sdk/client-lambda";
import { errorMessage, isNamed, orMissing } from "../aws/errors.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import { retryWhile } from "../engine/retry.js";
import type { Ctx, StateEntry } from "../engine/types.js";

/** One statement: API Gateway may invoke the function for one method on one path. */
export interface InvokeStatement {
  readonly sid: string;
  /** arn:…:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH */
  readonly sourceArn: string;
}

export interface PermissionProps {
  readonly functionName: string;
  readonly account: string;
  readonly statements: readonly InvokeStatement[];
}

export interface PermissionOutputs extends Record<string, string> {
  functionName: string;
  statementIds: string;
}

/** Statement ids this resource owns; others on the function are left alone. */
export const SID_PREFIX = "apigateway-";

/** The service every statement lets invoke the function. */
const PRINCIPAL = "apigateway.amazonaws.com";

interface Statement {
  Sid?: string;
  Principal?: { Service?: string } | string;
  Condition?: { ArnLike?: Record<string, string>; StringEquals?: Record<string, string> };
}

type PermissionCurrent = Map<
  string,
  {
    sourceArn: string | undefined;
    sourceAccount: string | undefined;
    principal: string | undefined;
  }
>;

async function read(ctx: Ctx, functionName: string): Promise<PermissionCurrent | undefined> {
  // No function, or a function without a resource policy: both "no statements".
  const got = await orMissing(
    ctx.clients.lambda.send(new GetPolicyCommand({ FunctionName: functionName })),
  );
  if (!got) return undefined;
  const out: PermissionCurrent = new Map();
  for (const s of (JSON.parse(got.Policy ?? "{}") as { Statement?: Statement[] }).Statement ?? []) {
    if (!s.Sid?.startsWith(SID_PREFIX)) continue;
    out.set(s.Sid, {
      sourceArn: s.Condition?.ArnLike?.["AWS:SourceArn"],
      sourceAccount: s.Condition?.StringEquals?.["AWS:SourceAccount"],
      principal: typeof s.Principal === "string" ? s.Principal : s.Principal?.Service,
    });
  }
  return out;
}

function outputsOf(p: PermissionProps): PermissionOutputs {
  return { functionName: p.functionName, statementIds: p.statements.map((s) => s.sid).join(",") };
}

function wrong(
  p: PermissionProps,
  current: PermissionCurrent,
): { add: InvokeStatement[]; remove: string[] } {
  const add = p.statements.filter((s) => {
    const c = current.get(s.sid);
    return (
      !c ||
      c.sourceArn !== s.sourceArn ||
      c.sourceAccount !== p.account ||
      c.principal !== PRINCIPAL
    );
  });
  const wanted = new Set(p.statements.map((s) => s.sid));
  const remove = [...current.keys()].filter(
    (sid) => !wanted.has(sid) || add.some((a) => a.sid === sid),
  );
  return { add, remove };
}

/** Each statement id, observed and desired: what a plan shows of each one that differs. */
function statementValues(p: PermissionProps, current: PermissionCurrent) {
  const ids = [...new Set([...p.statements.map((s) => s.sid), ...current.keys()])].sort();
  return Object.fromEntries(
    ids.map((sid) => {
      const want = p.statements.find((s) => s.sid === sid);
      const desired = want && {
        sourceArn: want.sourceArn,
        sourceAccount: p.account,
        principal: PRINCIPAL,
      };
      return [sid, { observed: current.get(sid), desired }];
    }),
  );
}

/** The ids of the statements that differ: missing, changed, or not wanted. */
function differing(p: PermissionProps, current: PermissionCurrent): string[] {
  const { add, remove } = wrong(p, current);
  return [...new Set([...add.map((s) => s.sid), ...remove])].sort();
}

async function addStatements(
  ctx: Ctx,
  p: PermissionProps,
  statements: readonly InvokeStatement[],
): Promise<void> {
  for (const s of statements) {
    await retryWhile(
      ctx,
      () =>
        ctx.clients.lambda.send(
          new AddPermissionCommand({
            FunctionName: p.functionName,
            StatementId: s.sid,
            Action: "lambda:InvokeFunction",
            Principal: PRINCIPAL,
            SourceArn: s.sourceArn,
            SourceAccount: p.account,
          }),
        ),
      // The policy is updated under a revision id; concurrent changes conflict briefly.
      (err) =>
        isNamed(err, "ResourceConflictException") && /in progress|Pending/i.test(errorMessage(err))
          ? "waiting for the function's previous update to finish…"
          : undefined,
    ).catch(async (err: unknown) => {
      // Added by a run that stopped before recording it, with the same content: fine.
      if (!isNamed(err, "ResourceConflictException")) throw err;
      const now = await read(ctx, p.functionName);
      if (now?.get(s.sid)?.sourceArn !== s.sourceArn) throw err;
    });
  }
}

/**
 * A statement id: this resource's drift is per statement, and status and up name the ids that
 * differ (missing, changed or not wanted). One fixer fixes them together.
 */
type PermissionField = string;

/** Lambda.1: the function's resource policy names one API, stage, method and path, and the account. */
export const permissionKind: Kind<
  PermissionProps,
  PermissionOutputs,
  PermissionCurrent,
  PermissionField
> = {
  kind: "lambda-permissions",
  label: "API Gateway invoke permissions",
  clients: ["lambda"],
  displayId: (p) => `${p.functionName} (${p.statements.length} statements)`,

  async read(ctx, p) {
    const current = await read(ctx, p.functionName);
    return current && current.size
      ? { id: p.functionName, outputs: outputsOf(p), current }
      : undefined;
  },

  diff: (p, o) => differing(p, o.current),
  // Per statement id, like the fields diff names.
  values: (p, o) => statementValues(p, o.current),

  // The wrong ones removed, then the missing ones added: whichever ids were named.
  async fix(ctx, p, o) {
    const { add, remove } = wrong(p, o.current);
    for (const sid of remove) {
      await orMissing(
        ctx.clients.lambda.send(
          new RemovePermissionCommand({ FunctionName: p.functionName, StatementId: sid }),
        ),
      );
    }
    await addStatements(ctx, p, add);
  },

  /** Every statement added: the function has none of this resource's yet. */
  async create(ctx, p) {
    await addStatements(ctx, p, p.statements);
    const current: PermissionCurrent = new Map(
      p.statements.map((s) => [
        s.sid,
        { sourceArn: s.sourceArn, sourceAccount: p.account, principal: PRINCIPAL },
      ]),
    );
    return { id: p.functionName, outputs: outputsOf(p), current };
  },

  /** Each recorded statement; one already gone must not keep the others. */
  async delete(ctx, entry: StateEntry) {
    const sids = (entry.outputs.statementIds ?? "").split(",").filter(Boolean);
    for (const sid of sids) {
      await orMissing(
        ctx.clients.lambda.send(
          new RemovePermissionCommand({ FunctionName: entry.id, StatementId: sid }),
        ),
      );
    }
  },
};

export const permissionHandler = lifecycle(permissionKind);
