import { createInterface } from "node:readline";
import type { Clients } from "../aws/clients.js";
import { UserError } from "../errors.js";
import type { Timing, TraceEvent } from "../engine/types.js";
import { COLOR, PLAIN, useColor, type Style } from "../report/format.js";
import type { Sink } from "../report/plain.js";

/**
 * What every command reads and writes: the streams, environment and working directory main()
 * is given (so tests drive it end to end), exit codes, colour, and the stream handling shared
 * by all commands.
 */
export interface Io {
  readonly stdout: Sink & { isTTY?: boolean; columns?: number };
  readonly stderr: Sink & { isTTY?: boolean; columns?: number };
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** Test hooks. */
  readonly clients?: Clients;
  readonly timing?: Timing;
  readonly concurrency?: number;
  readonly handlerEntry?: string;
  /**
   * Stands for the stop signals in tests (see onStopSignal): aborted with "SIGTERM" or "SIGHUP"
   * as its reason, that signal; otherwise Ctrl-C.
   */
  readonly signal?: AbortSignal;
  /** Aborted when stdout's reader has gone (`| head`): a command that only prints stops. */
  readonly stdoutClosed?: AbortSignal;
  /** Receives per-resource timings (benchmarks). */
  readonly trace?: (event: TraceEvent) => void;
}

export const EXIT = { ok: 0, error: 1, drift: 2, interrupted: 130 } as const;

export function styleFor(io: Io, stream: "stdout" | "stderr"): Style {
  return useColor(io[stream].isTTY === true, io.env) ? COLOR : PLAIN;
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Asks a yes/no question on the terminal; only called when stdin is a TTY. No answer (Ctrl-D, a
 * terminal gone) is no. A stop signal ends the wait with an error, so that the caller's clean-up
 * runs and releases the lock it holds.
 */
export async function ask(io: Io, question: string, signal?: AbortSignal): Promise<boolean> {
  const stopped = () =>
    new UserError("Stopped at the question; nothing was changed.", {
      exitCode: EXIT.interrupted,
    });
  if (signal?.aborted) throw stopped();
  const input = io.stdin as NodeJS.ReadableStream;
  const rl = createInterface({ input, output: io.stderr as unknown as NodeJS.WritableStream });
  // A hung-up terminal may fail reads (EIO): an 'error' event nobody handles kills the process.
  const onError = () => rl.close();
  input.on("error", onError);
  let onAbort = () => {};
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      onAbort = () => reject(stopped());
      signal?.addEventListener("abort", onAbort, { once: true });
      // Called at once with the line, before a close that follows it.
      rl.question(question, resolve);
      // Input that ends without a line would leave the question pending for ever, and the run
      // would end there with its lock held.
      rl.once("close", () => resolve(""));
    });
    return /^y(es)?$/i.test(answer.trim());
  } catch (err) {
    // The question's line was left open.
    io.stderr.write("\n");
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    input.off("error", onError);
    rl.close();
  }
}

/**
 * A reader that goes away (`| head`, a closed pipe or socket) makes writes fail with EPIPE, and
 * an 'error' event nobody handles kills the process: mid-step, with the stack's lock held and
 * the step's result unrecorded. Output is a side show of the work: from the stream's first
 * error on, writes to it are dropped and the work goes on.
 */
export function dropWritesOnceClosed(stream: NodeJS.WriteStream, onClosed?: () => void): void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClosed?.();
  };
  stream.on("error", close);
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((...args: unknown[]): boolean => {
    if (!closed) {
      try {
        return write(...args);
      } catch {
        // A file on a full disk fails synchronously.
        close();
      }
    }
    const done = args.find((a) => typeof a === "function") as (() => void) | undefined;
    if (done) process.nextTick(done);
    return true;
  }) as typeof stream.write;
}
