import { fstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
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

/**
 * Whether nobody reads the pipe on `fd` any more, asked without writing to it: a command that is
 * waiting (logs --follow with no new event) would otherwise only learn it at its next write,
 * which may never come, and Node has no poll() for the pipe's error state. On Linux, /proc
 * tells: a process holding the pipe open for reading. Whatever it cannot tell counts as a
 * reader (another OS, a terminal, file or socket; a process of its own pipeline it may not look
 * into, such as `| sudo tee`); a write tells the rest. Not seen: a reader of another user
 * outside this pipeline (a named pipe read from another account).
 */
export function pipeReaderGone(fd = 1): boolean {
  try {
    if (process.platform !== "linux" || !fstatSync(fd).isFIFO()) return false;
    const pipe = readlinkSync(`/proc/self/fd/${fd}`);
    const group = processGroupOf("self");
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        if (group !== undefined && processGroupOf(pid) === group) return false;
        continue;
      }
      for (const n of fds) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${n}`) !== pipe) continue;
          const info = readFileSync(`/proc/${pid}/fdinfo/${n}`, "utf8");
          const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
          // O_ACCMODE 1 is write-only: another writer, such as the shell of `{ …; } | head`.
          if (flags === undefined || (parseInt(flags, 8) & 3) !== 1) return false;
        } catch {
          // Closed while looking.
        }
      }
    }
    return true;
  } catch {
    return false;
  }
}

/** The process group in /proc/<pid>/stat; undefined when it cannot be read. */
function processGroupOf(pid: string): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2];
  } catch {
    return undefined;
  }
}

/**
 * While a command waits, checks every `everyMs` whether stdout's reader has gone (see
 * pipeReaderGone) and calls `onGone` once if so. Only for the process's own stdout; returns the
 * function that stops checking.
 */
export function watchStdoutReader(io: Io, onGone: () => void, everyMs = 200): () => void {
  if (io.stdout !== process.stdout) return () => undefined;
  const timer = setInterval(() => {
    if (!pipeReaderGone(1)) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
