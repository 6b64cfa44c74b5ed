import { UserError } from "../errors.js";
import type { Reporter } from "../report/reporter.js";
import type { Io } from "./io.js";

/**
 * The signals that stop a run, each with the exit code it ends with: 128 + its number, as a
 * shell reports a process the signal killed. SIGINT is Ctrl-C, SIGTERM a cancelled CI job or
 * `kill`, SIGHUP a closed terminal.
 */
export const STOP_SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

const SAID: Record<StopSignal, string> = {
  SIGINT:
    "Interrupted (SIGINT): finishing the calls in flight, then stopping (Ctrl-C again to stop now).",
  SIGTERM:
    "Terminated (SIGTERM): finishing the calls in flight, then stopping (a second signal stops now).",
  SIGHUP:
    "Hangup (SIGHUP): the terminal is gone; finishing the calls in flight, then stopping (a second signal stops now).",
};

/**
 * The one place the stop signals are handled. The first calls onStop with its name; a second,
 * of any of them, exits at once with its code (the state file is still whole: it is written
 * atomically after every step; a lock held is left, and the next run names it). In tests
 * io.signal stands for the signals: aborted with a signal's name as its reason, that signal,
 * otherwise SIGINT. Returns what removes the handlers.
 */
export function onStopSignal(io: Pick<Io, "signal">, onStop: (by: StopSignal) => void): () => void {
  const test = io.signal;
  if (test) {
    const forward = () => onStop(isStopSignal(test.reason) ? test.reason : "SIGINT");
    if (test.aborted) forward();
    else test.addEventListener("abort", forward, { once: true });
    return () => test.removeEventListener("abort", forward);
  }
  let stopped = false;
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((by) => {
    const handler = () => {
      if (stopped) process.exit(STOP_SIGNALS[by]);
      stopped = true;
      onStop(by);
    };
    process.on(by, handler);
    return () => process.off(by, handler);
  });
  return () => handlers.forEach((off) => off());
}

function isStopSignal(v: unknown): v is StopSignal {
  return typeof v === "string" && Object.hasOwn(STOP_SIGNALS, v);
}

/** How a run that may be stopped ended: its value, and the signal that stopped it if one did. */
export interface Outcome<T> {
  readonly value: T;
  readonly stoppedBy: StopSignal | undefined;
}

/**
 * Runs fn so that a stop signal ends it cleanly: the calls in flight finish and are recorded,
 * waits (for a lock, for a backoff, at a question) end, nothing new starts, and fn's own
 * clean-up (the state written, the lock released) runs. The run then exits with the signal's
 * code, also when it fails: a stop the user asked for is what the exit code reports.
 */
export async function interruptible<T>(
  io: Io,
  reporter: Reporter,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<Outcome<T>> {
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const off = onStopSignal(io, (by) => {
    stoppedBy = by;
    reporter.warn(SAID[by]);
    controller.abort(by);
  });
  try {
    return { value: await fn(controller.signal), stoppedBy };
  } catch (err) {
    if (stoppedBy && err instanceof UserError) {
      throw new UserError(err.message, {
        hint: err.hint,
        cause: err.cause ?? err,
        exitCode: STOP_SIGNALS[stoppedBy],
      });
    }
    throw err;
  } finally {
    off();
  }
}
