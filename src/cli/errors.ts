import { errorName, isAccessDenied, networkHint } from "../aws/errors.js";
import { accessDeniedHint, ResourceError, UserError } from "../errors.js";
import { COLOR, PLAIN, useColor } from "../report/format.js";
import { fileSystemReason, isFileSystemError } from "../state/fs-errors.js";
import type { Io } from "./io.js";

/**
 * The one place errors become output: user errors get their message and what to do, bugs get
 * a short line (and the stack with --verbose or DEBUG).
 */
export function handleError(
  err: unknown,
  io: Io,
  opts: { json: boolean; verbose: boolean; command?: string | undefined },
): number {
  const known = err instanceof UserError || err instanceof ResourceError;
  const theirs = known ? undefined : usersToFix(err, io.env);
  const message = theirs?.message ?? (err instanceof Error ? err.message : String(err));
  const hint = known
    ? (err.hint ??
      (err instanceof ResourceError
        ? "Fix the cause AWS gives above, then run the command again (--verbose shows more)."
        : undefined))
    : (theirs?.hint ??
      "This looks like a bug in serverless-automation. Run again with --verbose for details and report it.");
  const code = err instanceof UserError ? err.exitCode : 1;
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(jsonError(opts.command, message, hint), null, 2)}\n`);
  }
  const style = useColor(io.stderr.isTTY === true, io.env) ? COLOR : PLAIN;
  io.stderr.write(`${style.red("error:")} ${message}\n`);
  if (hint) io.stderr.write(`${style.dim(hint)}\n`);
  if (
    (opts.verbose || io.env.DEBUG) &&
    err instanceof Error &&
    err.stack &&
    !(err instanceof UserError)
  ) {
    io.stderr.write(`${err.stack}\n`);
  }
  return code;
}

/** The one JSON document of a failed command: which command, what failed, what to do. */
export function jsonError(command: string | undefined, message: string, hint: string | undefined) {
  return {
    ...(command !== undefined ? { command } : {}),
    ok: false,
    error: { message, ...(hint ? { hint } : {}) },
  };
}

/** The command as its --json output names it (`state init`), for an error's JSON. */
export function jsonCommandName(name: string, args: readonly string[]): string {
  return name === "state" && args[0] === "init" ? "state init" : name;
}

/**
 * Failures that reached here unclassified but are the user's to fix, not bugs: a network or
 * endpoint that does not answer, a path that cannot be read or written.
 */
function usersToFix(
  err: unknown,
  env: Record<string, string | undefined>,
): { message: string; hint: string } | undefined {
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  const unreachable = networkHint(err, endpoint);
  if (unreachable) {
    const why = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    return {
      message: `Cannot reach AWS${endpoint ? ` at ${endpoint}` : ""}: ${why}`,
      hint: unreachable,
    };
  }
  if (isAccessDenied(err)) {
    const why = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    return { message: `${errorName(err)}: ${why}`, hint: accessDeniedHint(err) };
  }
  if (isFileSystemError(err)) {
    return {
      message: `Cannot ${err.syscall} ${err.path}: ${fileSystemReason(err)}.`,
      hint: `Check ${err.path} and its permissions, then run the command again.`,
    };
  }
  return undefined;
}
