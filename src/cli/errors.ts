import { ResourceError, UserError } from "../engine/errors.js";
import { COLOR, PLAIN, useColor } from "../report/format.js";
import type { Io } from "./main.js";

/**
 * The one place errors become output: user errors get their message and what to do, bugs get
 * a short line (and the stack with --verbose or DEBUG).
 */
export function handleError(
  err: unknown,
  io: Io,
  opts: { json: boolean; verbose: boolean },
): number {
  const known = err instanceof UserError || err instanceof ResourceError;
  const message = err instanceof Error ? err.message : String(err);
  const hint = known
    ? (err.hint ??
      (err instanceof ResourceError
        ? "Fix the cause AWS gives above, then run the command again (--verbose shows more)."
        : undefined))
    : "This looks like a bug in serverless-automation. Run again with --verbose for details and report it.";
  const code = err instanceof UserError ? err.exitCode : 1;
  if (opts.json) {
    io.stdout.write(
      `${JSON.stringify({ ok: false, error: { message, ...(hint ? { hint } : {}) } }, null, 2)}\n`,
    );
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
