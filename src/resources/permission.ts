import {
  AddPermissionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
} from "@aws-sdk/client-lambda";
import { errorMessage, isNamed, isNotFound } from "../aws/errors.js";
import { retryWhile } from "../engine/retry.js";
import type { Change, Ctx, ResourceHandler, StateEntry } from "../engine/types.js";

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
  let policy: string | undefined;
  try {
    policy = (await ctx.clients.lambda.send(new GetPolicyCommand({ FunctionName: functionName })))
      .Policy;
  } catch (err) {
    // No function, or a function without a resource policy: both "no statements".
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const out: PermissionCurrent = new Map();
  for (const s of (JSON.parse(policy ?? "{}") as { Statement?: Statement[] }).Statement ?? []) {
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
      c.principal !== "apigateway.amazonaws.com"
    );
  });
  const wanted = new Set(p.statements.map((s) => s.sid));
  const remove = [...current.keys()].filter(
    (sid) => !wanted.has(sid) || add.some((a) => a.sid === sid),
  );
  return { add, remove };
}

/** Lambda.1: the function's resource policy names one API, stage, method and path, and the account. */
export const permissionHandler: ResourceHandler<
  PermissionProps,
  PermissionOutputs,
  PermissionCurrent
> = {
  kind: "lambda-permissions",
  label: "API Gateway invoke permissions",
  displayId: (p) => `${p.functionName} (${p.statements.length} statements)`,

  async observe(ctx, p) {
    const current = await read(ctx, p.functionName);
    return current && current.size
      ? { id: p.functionName, outputs: outputsOf(p), current }
      : undefined;
  },

  diff(p, o): Change {
    const { add, remove } = wrong(p, o.current);
    const fields = [...new Set([...add.map((s) => s.sid), ...remove])].sort();
    return { fields };
  },

  async create(ctx, p) {
    return this.update(
      ctx,
      p,
      { id: p.functionName, outputs: outputsOf(p), current: new Map() },
      { fields: [] },
    );
  },

  async update(ctx, p, o) {
    const lambda = ctx.clients.lambda;
    const { add, remove } = wrong(p, o.current);
    for (const sid of remove) {
      try {
        await lambda.send(
          new RemovePermissionCommand({ FunctionName: p.functionName, StatementId: sid }),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    for (const s of add) {
      await retryWhile(
        ctx,
        () =>
          lambda.send(
            new AddPermissionCommand({
              FunctionName: p.functionName,
              StatementId: s.sid,
              Action: "lambda:InvokeFunction",
              Principal: "apigateway.amazonaws.com",
              SourceArn: s.sourceArn,
              SourceAccount: p.account,
            }),
          ),
        // The policy is updated under a revision id; concurrent changes conflict briefly.
        (err) =>
          isNamed(err, "ResourceConflictException") &&
          /in progress|Pending/i.test(errorMessage(err))
            ? "waiting for the function's previous update to finish…"
            : undefined,
      ).catch(async (err: unknown) => {
        // Added by a run that stopped before recording it, with the same content: fine.
        if (!isNamed(err, "ResourceConflictException")) throw err;
        const now = await read(ctx, p.functionName);
        if (now?.get(s.sid)?.sourceArn !== s.sourceArn) throw err;
      });
    }
    return {
      id: p.functionName,
      outputs: outputsOf(p),
      current: (await read(ctx, p.functionName)) ?? new Map(),
    };
  },

  async destroy(ctx, entry: StateEntry) {
    const sids = (entry.outputs.statementIds ?? "").split(",").filter(Boolean);
    for (const sid of sids) {
      try {
        await ctx.clients.lambda.send(
          new RemovePermissionCommand({ FunctionName: entry.id, StatementId: sid }),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  },
};
