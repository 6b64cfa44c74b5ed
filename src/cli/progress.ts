import { PlainReporter } from "../report/plain.js";
import { silentReporter, type Reporter } from "../report/reporter.js";
import { canDrawSpinner, TtyReporter } from "../report/tty.js";
import { styleFor, type Io } from "./io.js";
import type { StackOptions } from "./stack-options.js";

/**
 * Spinners in a terminal; plain lines in CI, pipes, terminals without a size and with --json
 * (always on stderr).
 */
export async function makeReporter(
  io: Io,
  opts: Pick<StackOptions, "json" | "verbose" | "quiet">,
): Promise<Reporter> {
  if (opts.quiet) return silentReporter;
  const style = styleFor(io, "stderr");
  const ci = io.env.CI !== undefined && io.env.CI !== "" && io.env.CI !== "false";
  if (canDrawSpinner(io.stderr) && !ci && !opts.json && !opts.verbose) {
    return TtyReporter.create(io.stderr as NodeJS.WriteStream, style);
  }
  return new PlainReporter(io.stderr, style, opts.verbose);
}
