import type { Reporter } from "../report/reporter.js";
import type { Io } from "./io.js";

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
