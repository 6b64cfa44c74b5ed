import { describe, expect, it } from "vitest";
import type { Timing } from "../../src/engine/types.js";
import { FAST } from "../helpers.js";
import { quickWorld, tinyHandler } from "./support.js";

/**
 * Ctrl-C once stops at the next safe point. A step that is only waiting (for IAM to propagate,
 * for a retry's backoff) stops waiting at once: nobody should sit out a 10-second sleep to quit.
 */

const entry = tinyHandler();

/** Runs up, pressing Ctrl-C the moment stderr shows `cue`; returns how it ended and how fast. */
async function interruptedUp(cue: string, timing: Timing, propagationMs?: number) {
  const w = quickWorld();
  if (propagationMs !== undefined) w.fake.iam.timings.propagationMs = propagationMs;
  const ctrlC = new AbortController();
  let stderr = "";
  let pressedAt = 0;
  const r = await w.run(["up"], {
    handlerEntry: entry,
    timing,
    signal: ctrlC.signal,
    stderr: {
      write: (s: string) => {
        stderr += s;
        if (!pressedAt && stderr.includes(cue)) {
          pressedAt = Date.now();
          ctrlC.abort();
        }
      },
    },
  });
  return { w, r, stderr, pressedAt, afterPress: Date.now() - pressedAt };
}

describe("Ctrl-C during a wait", () => {
  it("the 10-second IAM propagation wait ends at once, exit 130; the next up converges", async () => {
    const { w, r, stderr, pressedAt, afterPress } = await interruptedUp(
      "waiting for the IAM role to propagate",
      { ...FAST, iamPropagationMs: 10_000 },
    );
    expect(pressedAt, stderr).toBeGreaterThan(0);
    expect(r.code, stderr).toBe(130);
    expect(afterPress).toBeLessThan(3_000);
    expect(r.stdout).toContain("Interrupted");
    expect(stderr).toMatch(/failed API Gateway logging role .*: interrupted while waiting/);

    const again = await w.run(["up"], { handlerEntry: entry });
    expect(again.code, again.stderr).toBe(0);
    const loggingRoles = [...w.fake.iam.roles.keys()].filter((n) =>
      n.startsWith("serverless-automation-apigateway-cloudwatch-"),
    );
    expect(loggingRoles).toHaveLength(1);
  });

  it("a retry's backoff (the function waiting for its role) ends at once, exit 130", async () => {
    const { w, r, stderr, pressedAt, afterPress } = await interruptedUp(
      "Lambda function serverless-automation-production-api: waiting for the IAM role",
      // Five seconds between CreateFunction attempts while the new role propagates.
      { minDelayMs: 5_000, maxDelayMs: 5_000, maxWaitMs: 20_000, iamPropagationMs: 0 },
      60_000,
    );
    expect(pressedAt, stderr).toBeGreaterThan(0);
    expect(r.code, stderr).toBe(130);
    expect(afterPress).toBeLessThan(3_000);
    expect(w.fake.lambda.functions.size).toBe(0);
  });
});
