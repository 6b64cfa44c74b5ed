import { describe, expect, it } from "vitest";
import { DEFAULT_TIMING, scaleTiming } from "../../src/engine/types.js";

describe("engine extras", () => {
  it("scaleTiming shortens the pauses, not the deadline", () => {
    expect(
      scaleTiming(
        { minDelayMs: 100, maxDelayMs: 1000, maxWaitMs: 60_000, iamPropagationMs: 10_000 },
        0.5,
      ),
    ).toEqual({
      minDelayMs: 50,
      maxDelayMs: 500,
      maxWaitMs: 60_000,
      iamPropagationMs: 5_000,
    });
    expect(DEFAULT_TIMING).toEqual({
      minDelayMs: 250,
      maxDelayMs: 1000,
      maxWaitMs: 600_000,
      iamPropagationMs: 10_000,
    });
  });
});
