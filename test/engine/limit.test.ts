import { describe, expect, it } from "vitest";
import { Limiter } from "../../src/engine/limit.js";

describe("Limiter", () => {
  it("refuses a size below 1", () => {
    expect(() => new Limiter(0)).toThrow("concurrency must be at least 1");
    expect(() => new Limiter(Number.NaN)).toThrow("concurrency must be at least 1");
    expect(new Limiter(1).size).toBe(1);
  });

  it("runs at most size tasks at once, the rest in order", async () => {
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (n: number) => async () => {
      started.push(n);
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      return n;
    };
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => limiter.run(task(n))));
    expect(results).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("a failing task frees its place", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("x")))).rejects.toThrow("x");
    await expect(limiter.run(() => Promise.resolve(7))).resolves.toBe(7);
  });

  it("reads: four times as wide, the same one each time; serial stays serial", async () => {
    const limiter = new Limiter(3);
    expect(limiter.reads.size).toBe(12);
    expect(limiter.reads).toBe(limiter.reads);
    const serial = new Limiter(1);
    expect(serial.reads).toBe(serial);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limiter.reads.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 2));
          active--;
        }),
      ),
    );
    expect(peak).toBe(12);
  });
});
