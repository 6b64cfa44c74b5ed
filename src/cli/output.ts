import { createInterface } from "node:readline/promises";
import type { ConfigInput } from "../config.js";
import type { Environment } from "../ops/session.js";
import { PlainReporter } from "../report/plain.js";
import { silentReporter, type Reporter } from "../report/reporter.js";
import { canDrawSpinner, TtyReporter } from "../report/tty.js";
import type { GlobalOptions, Io } from "./main.js";
import { styleFor } from "./main.js";

export function configInput(opts: GlobalOptions & { alarmEmail?: string | false }): ConfigInput {
  return {
    stage: opts.stage,
    region: opts.region,
    profile: opts.profile,
    state: opts.state,
    config: opts.config,
    // --no-alarm-email sets it to false.
    settings: { alarmEmail: opts.alarmEmail === false ? undefined : opts.alarmEmail },
    noAlarmEmail: opts.alarmEmail === false,
  };
}

/**
 * Spinners in a terminal; plain lines in CI, pipes, terminals without a size and with --json
 * (always on stderr).
 */
export async function makeReporter(io: Io, opts: GlobalOptions): Promise<Reporter> {
  if (opts.quiet) return silentReporter;
  const style = styleFor(io, "stderr");
  const ci = io.env.CI !== undefined && io.env.CI !== "" && io.env.CI !== "false";
  if (canDrawSpinner(io.stderr) && !ci && !opts.json && !opts.verbose) {
    return TtyReporter.create(io.stderr as NodeJS.WriteStream, style);
  }
  return new PlainReporter(io.stderr, style, opts.verbose);
}

export function environment(io: Io, reporter: Reporter, signal?: AbortSignal): Environment {
  return {
    signal,
    env: io.env,
    cwd: io.cwd,
    reporter,
    clients: io.clients,
    timing: io.timing,
    concurrency: io.concurrency,
    handlerEntry: io.handlerEntry,
    trace: io.trace,
  };
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Asks a yes/no question on the terminal; only called when stdin is a TTY. */
export async function ask(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({
    input: io.stdin as NodeJS.ReadableStream,
    output: io.stderr as unknown as NodeJS.WritableStream,
  });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * Ctrl-C once: calls in flight finish and are recorded, waits end, nothing new starts. Twice: stop now
 * (the state file is still whole: it is written atomically after every step).
 */
export async function interruptible<T>(
  io: Io,
  reporter: Reporter,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const forward = () => controller.abort();
  io.signal?.addEventListener("abort", forward, { once: true });
  let presses = 0;
  const onSigint = () => {
    presses++;
    if (presses === 1) {
      reporter.warn(
        "Interrupted: finishing the calls in flight, then stopping (Ctrl-C again to stop now).",
      );
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  if (!io.signal) process.on("SIGINT", onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    io.signal?.removeEventListener("abort", forward);
    if (!io.signal) process.off("SIGINT", onSigint);
  }
}
