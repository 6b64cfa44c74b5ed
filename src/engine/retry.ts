import { setTimeout as sleep } from "node:timers/promises";
import { Interrupted } from "./interrupted.js";
import type { Ctx, Timing } from "./types.js";

/**
 * Waits ms, unless the run is interrupted first (Ctrl-C): then the step stops with Interrupted
 * at once, rather than after a wait of up to minutes that nobody wants any more.
 */
export async function pause(ctx: Pick<Ctx, "signal">, ms: number): Promise<void> {
  const signal = ctx.signal;
  // Stryker disable next-line ConditionalExpression: sleep with an aborted signal rejects at once, and the catch throws the same Interrupted
  if (signal?.aborted) throw new Interrupted("interrupted while waiting");
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    // Stryker disable next-line ConditionalExpression,OptionalChaining: sleep rejects only when the signal aborts it
    if (signal?.aborted) throw new Interrupted("interrupted while waiting");
    throw err;
  }
}

/**
 * Retries fn while `retryable` names the error as a known transient condition (returns the
 * message to show), with jittered exponential backoff, until timing.maxWaitMs.
 * Everything else fails fast.
 */
export async function retryWhile<T>(
  ctx: Pick<Ctx, "timing" | "progress" | "signal">,
  fn: () => Promise<T>,
  retryable: (err: unknown) => string | undefined,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const why = retryable(err);
      if (why === undefined || Date.now() - started >= ctx.timing.maxWaitMs) throw err;
      ctx.progress(why);
      await pause(ctx, backoff(ctx.timing, attempt));
    }
  }
}

/** Full-jitter exponential backoff between minDelayMs and maxDelayMs. */
export function backoff(timing: Timing, attempt: number): number {
  const ceiling = Math.min(timing.maxDelayMs, timing.minDelayMs * 2 ** attempt);
  return timing.minDelayMs + Math.random() * Math.max(0, ceiling - timing.minDelayMs);
}

/**
 * Polls read() until done() says so; the small state machine of terraform's waiters
 * (pending → target, failure states, timeout).
 */
export async function waitFor<T>(
  ctx: Pick<Ctx, "timing" | "progress" | "signal">,
  what: string,
  read: () => Promise<T>,
  check: (value: T) => "done" | "pending" | { failed: string },
): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const value = await read();
    const verdict = check(value);
    if (verdict === "done") return value;
    if (verdict !== "pending") throw new Error(`${what} failed: ${verdict.failed}`);
    if (Date.now() - started >= ctx.timing.maxWaitMs) {
      throw new Error(`timed out after ${Math.round(ctx.timing.maxWaitMs / 1000)} s ${what}`);
    }
    if (attempt === 0) ctx.progress(what);
    await pause(ctx, backoff(ctx.timing, attempt));
  }
}
