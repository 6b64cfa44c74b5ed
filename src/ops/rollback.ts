import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-lambda";
import { isNotFound } from "../aws/errors.js";
import type { ConfigInput } from "../config.js";
import { UserError } from "../errors.js";
import { commandLine } from "../hint.js";
import { describeLive, LIVE_ALIAS, parseDescription } from "../resources/alias.js";
import { NODES } from "../stack.js";
import { openSession, openState, type Environment } from "./session.js";

export interface RollbackResult {
  readonly dryRun: boolean;
  readonly stack: string;
  readonly region: string;
  readonly functionName: string;
  readonly alias: string;
  /** The version that had the traffic (most of it, during a shift). */
  readonly from: string;
  /** The version that has all of it now (or would, in a dry run). */
  readonly to: string;
  /** A shift that was in progress, as "version:percent"; "" for none. */
  readonly clearedSplit: string;
  /** False when `to` had all the traffic already. */
  readonly changed: boolean;
}

/**
 * `rollback [--to VERSION]`: all of the live alias's traffic to the version before (or the one
 * given) in one UpdateAlias, recorded so that `up` keeps it there until the code changes.
 */
export async function rollback(
  input: ConfigInput,
  e: Environment,
  opts: { to?: string | undefined; dryRun: boolean },
): Promise<RollbackResult> {
  if (opts.to !== undefined && !/^[1-9]\d*$/.test(opts.to)) {
    throw new UserError(`--to ${opts.to} is not a version number.`, {
      hint: "Give a published version of the function, e.g. --to 3 (status shows the live and the previous one).",
    });
  }
  const s = await openSession(input, e, { artifact: false, command: "rollback" });
  const functionName = s.names.functionName;
  const lambda = s.ctx.clients.lambda;
  if (!s.stored || !NODES.function.recorded(s.stored.resources)) {
    throw new UserError(`The stack ${s.stackName} has no function to roll back.`, {
      hint: `Deploy it first with \`${commandLine("up", input)}\`.`,
    });
  }
  const alias = await lambda
    .send(new GetAliasCommand({ FunctionName: functionName, Name: LIVE_ALIAS }))
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
      throw new UserError(`The function ${functionName} has no ${LIVE_ALIAS} alias yet.`, {
        hint: `Run \`${commandLine("up", input)}\` once: it publishes the code as a version and makes the alias.`,
      });
    });
  const from = alias.FunctionVersion ?? "";
  const [split, weight] =
    Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {})[0] ?? [];
  const previous = parseDescription(alias.Description).previous;
  const to = opts.to ?? previous;
  if (!to) {
    throw new UserError(`Version ${from} is the first version the ${LIVE_ALIAS} alias served.`, {
      hint: "There is no version before it to go back to; pass --to VERSION for another published version.",
    });
  }
  // Only a published version of this stack's own function: the number is read back from it.
  const target = await lambda
    .send(new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: to }))
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
      return undefined;
    });
  if (target?.Version !== to) {
    throw new UserError(`The function ${functionName} has no version ${to}.`, {
      hint: "Old versions beyond keepVersions are deleted; status shows the live and the previous version.",
    });
  }
  const clearedSplit = split === undefined ? "" : `${split}:${Math.round((weight ?? 0) * 100)}`;
  const changed = from !== to || split !== undefined;
  const result = {
    dryRun: opts.dryRun,
    stack: s.stackName,
    region: s.config.region,
    functionName,
    alias: LIVE_ALIAS,
    from,
    to,
    clearedSplit,
    changed,
  };
  if (opts.dryRun || !changed) return result;
  const { store, lock } = await openState(s, "rollback", e.reporter, e);
  try {
    await lambda.send(
      new UpdateAliasCommand({
        FunctionName: functionName,
        Name: LIVE_ALIAS,
        FunctionVersion: to,
        RoutingConfig: { AdditionalVersionWeights: {} },
        Description: describeLive(from, new Date()),
        RevisionId: alias.RevisionId,
      }),
    );
    // What the stack wants now is `from` (or the split's new version): up keeps `to` instead.
    await store.set({
      rolledBack: {
        version: split ?? from,
        to,
        reason: "by the rollback command",
        at: new Date().toISOString(),
      },
    });
  } finally {
    await lock.release();
  }
  return result;
}
