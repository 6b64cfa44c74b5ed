import { setTimeout as sleep } from "node:timers/promises";
import { paginateFilterLogEvents, type FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import { isNotFound } from "../aws/errors.js";
import type { ConfigInput } from "../config.js";
import { UserError } from "../errors.js";
import { commandLine } from "../hint.js";
import { openSession, type Environment } from "./session.js";

/** One log event as `logs` hands it on. */
export interface LogLine {
  readonly eventId: string;
  /** ms since the epoch. */
  readonly timestamp: number;
  readonly logStream: string;
  /** The message as the function wrote it (trailing newline removed). */
  readonly message: string;
}

export interface LogsOptions {
  /** 30s, 10m, 2h, 1d or an ISO timestamp. */
  readonly since: string;
  readonly filter?: string | undefined;
  readonly follow: boolean;
  /** Stops --follow. */
  readonly signal: AbortSignal;
  /** Between polls with --follow. */
  readonly pollMs: number;
  /** Called once per event, oldest first. */
  onEvent(e: LogLine): void;
}

export const FOLLOW_POLL_MS = 2000;
/**
 * Events reach CloudWatch Logs a little after their timestamp: each poll looks this far behind
 * the newest event seen, and event ids keep what was already printed from printing again.
 */
const LATE_ARRIVAL_MS = 60_000;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** --since → ms since the epoch. Throws a UserError before anything touches AWS. */
export function parseSince(value: string, now: number): number {
  const rel = /^(\d+)([smhd])$/.exec(value.trim());
  if (rel) return now - Number(rel[1]) * (UNITS[rel[2] as string] as number);
  if (/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const t = Date.parse(value.trim());
    if (!Number.isNaN(t)) return t;
  }
  throw new UserError(`Invalid --since "${value}".`, {
    hint: "Use a duration such as 30s, 10m, 2h or 1d, or an ISO timestamp such as 2026-01-31T12:00:00Z.",
  });
}

/**
 * Prints the function's log events since a point in time (FilterLogEvents, every page), and with
 * `follow` keeps polling until the signal aborts. Read-only.
 */
export async function logs(
  input: ConfigInput,
  e: Environment,
  opts: LogsOptions,
): Promise<{ logGroup: string; since: number; count: number }> {
  const since = parseSince(opts.since, Date.now());
  const s = await openSession(input, e, { artifact: false, command: "logs" });
  const logGroupName = s.names.functionLogGroup;
  const client = s.ctx.clients.logs;
  /** eventId → timestamp of what was printed and may still come back in a poll's window. */
  const seen = new Map<string, number>();
  let newest = since;
  let count = 0;

  const fetchFrom = async (startTime: number): Promise<FilteredLogEvent[]> => {
    const out: FilteredLogEvent[] = [];
    try {
      for await (const page of paginateFilterLogEvents(
        { client },
        { logGroupName, startTime, ...(opts.filter ? { filterPattern: opts.filter } : {}) },
        { abortSignal: opts.signal },
      ))
        out.push(...(page.events ?? []));
    } catch (err) {
      if (isNotFound(err)) {
        throw new UserError(
          `The stack ${s.stackName} is not deployed (no log group ${logGroupName} in ${s.config.region}).`,
          { hint: `Deploy it with \`${commandLine("up", { ...input, stage: s.config.stage })}\`.` },
        );
      }
      throw err;
    }
    // Pages interleave streams; print in time order.
    return out.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
  };

  const poll = async (): Promise<void> => {
    const startTime = Math.max(since, newest - LATE_ARRIVAL_MS);
    for (const ev of await fetchFrom(startTime)) {
      const id = ev.eventId ?? `${ev.logStreamName}/${ev.timestamp}/${ev.message}`;
      if (seen.has(id)) continue;
      const timestamp = ev.timestamp ?? 0;
      seen.set(id, timestamp);
      newest = Math.max(newest, timestamp);
      count++;
      opts.onEvent({
        eventId: id,
        timestamp,
        logStream: ev.logStreamName ?? "",
        message: (ev.message ?? "").replace(/\r?\n$/, ""),
      });
    }
    // Forget what can no longer come back, so a long --follow stays small.
    const horizon = newest - LATE_ARRIVAL_MS;
    for (const [id, ts] of seen) if (ts < horizon) seen.delete(id);
  };

  // Stopped (Ctrl-C, or stdout's reader gone) mid-read or mid-wait: not an error.
  const unlessStopped = (err: unknown) => {
    if (!opts.signal.aborted) throw err;
  };
  await poll().catch(unlessStopped);
  while (opts.follow && !opts.signal.aborted) {
    await sleep(opts.pollMs, undefined, { signal: opts.signal }).then(poll).catch(unlessStopped);
  }
  return { logGroup: logGroupName, since, count };
}

/**
 * One line for a message. The function logs one JSON object per line ({level, time, msg, …});
 * Lambda's own JSON lines are {time, type, record}. Both are shown compactly as
 * `LEVEL msg key=value …` (time dropped: the event's timestamp is printed already); anything
 * else is printed as written.
 */
export function formatMessage(message: string): string {
  const text = message.trim();
  if (!text.startsWith("{")) return message;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return message;
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return message;
  const rec = o as Record<string, unknown>;
  const parts: string[] = [];
  const level = rec.level ?? rec.logLevel;
  if (typeof level === "string") parts.push(level.toUpperCase());
  const head = rec.msg ?? rec.message ?? rec.type;
  if (typeof head === "string") parts.push(head);
  else if (head !== undefined) parts.push(JSON.stringify(head));
  const skip = new Set(["level", "logLevel", "time", "timestamp", "msg", "message", "type"]);
  for (const [k, v] of Object.entries(rec)) {
    if (skip.has(k) || v === undefined || v === null) continue;
    parts.push(
      `${k}=${typeof v === "string" && !/\s/.test(v) && v !== "" ? v : JSON.stringify(v)}`,
    );
  }
  return parts.join(" ");
}
