import type { LogLevel } from "./config.js";

export type LogSink = (line: string) => void;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: LogLevel, fields: Record<string, unknown>): void;
}

/**
 * One JSON object per line: CloudWatch Logs Insights discovers the fields only when the whole
 * message is JSON, so nothing (timestamp, level prefix) may precede it.
 */
export function createLogger(minLevel: LogLevel, sink: LogSink): Logger {
  return {
    log(level, fields) {
      if (RANK[level] < RANK[minLevel]) return;
      sink(JSON.stringify({ level, time: new Date().toISOString(), ...fields }));
    },
  };
}

/** Bypasses console.log, whose Lambda text format prefixes every line and breaks the JSON. */
export const stdoutSink: LogSink = (line) => {
  process.stdout.write(line + "\n");
};

/** Keeps the message and stack for the log only; never sent to the client. */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, stack: err.stack };
  }
  return { message: String(err) };
}
