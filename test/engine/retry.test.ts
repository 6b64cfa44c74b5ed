import { describe, expect, it, vi } from "vitest";
import { Interrupted } from "../../src/engine/apply.js";
import { backoff, pause, retryWhile, waitFor } from "../../src/engine/retry.js";
import { TIMING } from "./toy.js";

describe("waiting and retrying", () => {
  const quiet = (progress: string[] = [], signal?: AbortSignal) => ({
    timing: TIMING,
    progress: (m: string) => progress.push(m),
    signal,
  });

  it("backoff: full jitter between the smallest delay and a ceiling that doubles", () => {
    const t = { minDelayMs: 10, maxDelayMs: 100, maxWaitMs: 1, iamPropagationMs: 0 };
    vi.spyOn(Math, "random").mockReturnValue(1);
    expect([0, 1, 2, 3, 4, 5].map((a) => backoff(t, a))).toEqual([10, 20, 40, 80, 100, 100]);
    vi.spyOn(Math, "random").mockReturnValue(0);
    expect(backoff(t, 3)).toBe(10);
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    expect(backoff(t, 2)).toBe(25);
    // A smallest delay above the largest: the smallest.
    expect(backoff({ ...t, minDelayMs: 200 }, 0)).toBe(200);
    vi.restoreAllMocks();
  });

  it("retryWhile: retries what is named transient, saying why, then succeeds", async () => {
    const progress: string[] = [];
    let n = 0;
    const value = await retryWhile(
      quiet(progress),
      () => (++n < 3 ? Promise.reject(new Error("busy")) : Promise.resolve("ok")),
      (err) => ((err as Error).message === "busy" ? "waiting: busy" : undefined),
    );
    expect(value).toBe("ok");
    expect(n).toBe(3);
    expect(progress).toEqual(["waiting: busy", "waiting: busy"]);
  });

  it("retryWhile: anything else fails at once; a transient one fails after maxWaitMs", async () => {
    let n = 0;
    const other = new Error("other");
    await expect(
      retryWhile(
        quiet(),
        () => (n++, Promise.reject(other)),
        () => undefined,
      ),
    ).rejects.toBe(other);
    expect(n).toBe(1);
    const busy = new Error("busy");
    const started = Date.now();
    await expect(
      retryWhile(
        quiet(),
        () => Promise.reject(busy),
        () => "busy",
      ),
    ).rejects.toBe(busy);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMING.maxWaitMs - 5);
  });

  it("waitFor: polls until done, says what it waits for once", async () => {
    const progress: string[] = [];
    let n = 0;
    const v = await waitFor(
      quiet(progress),
      "waiting for the toy",
      () => Promise.resolve(++n),
      (x) => (x >= 4 ? "done" : "pending"),
    );
    expect(v).toBe(4);
    expect(progress).toEqual(["waiting for the toy"]);
    const first = await waitFor(
      quiet(progress),
      "x",
      () => Promise.resolve(1),
      () => "done",
    );
    expect(first).toBe(1);
  });

  it("waitFor: a failure state and a timeout are errors that say what", async () => {
    await expect(
      waitFor(
        quiet(),
        "waiting for the toy",
        () => Promise.resolve(0),
        () => ({ failed: "it broke" }),
      ),
    ).rejects.toThrow("waiting for the toy failed: it broke");
    const slow = { ...quiet(), timing: { ...TIMING, maxWaitMs: 1600 } };
    const started = Date.now();
    await expect(
      waitFor(
        slow,
        "waiting for the toy",
        () => Promise.resolve(0),
        () => "pending",
      ),
    ).rejects.toThrow("timed out after 2 s waiting for the toy");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1600);
  });

  it("pause: waits, or stops at once with Interrupted when the run is interrupted", async () => {
    const started = Date.now();
    await pause({}, 20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const before = new AbortController();
    before.abort();
    await expect(pause({ signal: before.signal }, 10_000)).rejects.toThrow(Interrupted);
    await expect(pause({ signal: before.signal }, 10_000)).rejects.toThrow(
      "interrupted while waiting",
    );
    const during = new AbortController();
    const t0 = Date.now();
    setTimeout(() => during.abort(), 10);
    await expect(pause({ signal: during.signal }, 10_000)).rejects.toThrow(
      "interrupted while waiting",
    );
    expect(Date.now() - t0).toBeLessThan(5_000);
    // With a signal that is not aborted, it waits.
    await pause({ signal: new AbortController().signal }, 1);
  });

  it("an interrupted wait inside retryWhile stops it", async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(
      retryWhile(
        quiet([], abort.signal),
        () => Promise.reject(new Error("busy")),
        () => "busy",
      ),
    ).rejects.toBeInstanceOf(Interrupted);
  });
});

describe("retry timing", () => {
  it("the delay doubles with each attempt (retryWhile and waitFor)", async () => {
    vi.spyOn(Math, "random").mockReturnValue(1);
    const timing = { minDelayMs: 1, maxDelayMs: 1000, maxWaitMs: 5000, iamPropagationMs: 0 };
    const c = { timing, progress: () => undefined };
    let n = 0;
    let started = Date.now();
    await retryWhile(
      c,
      () => (++n < 8 ? Promise.reject(new Error("busy")) : Promise.resolve()),
      () => "busy",
    );
    // 1 + 2 + 4 + … + 64 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    n = 0;
    started = Date.now();
    await waitFor(
      c,
      "x",
      () => Promise.resolve(++n),
      (v) => (v >= 8 ? "done" : "pending"),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    vi.restoreAllMocks();
  });

  it("maxWaitMs 0: the first transient failure, or the first pending look, is the last", async () => {
    vi.spyOn(Date, "now").mockReturnValue(1_000_000);
    const c = { timing: { ...TIMING, maxWaitMs: 0 }, progress: () => undefined };
    let n = 0;
    await expect(
      retryWhile(
        c,
        () => (++n < 2 ? Promise.reject(new Error("busy")) : Promise.resolve("ok")),
        () => "busy",
      ),
    ).rejects.toThrow("busy");
    expect(n).toBe(1);
    let m = 0;
    await expect(
      waitFor(
        c,
        "the toy",
        () => Promise.resolve(++m),
        (v) => (v >= 2 ? "done" : "pending"),
      ),
    ).rejects.toThrow("timed out after 0 s the toy");
    vi.restoreAllMocks();
  });
});
