import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
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

/** A run whose stderr, the moment it shows `cue`, gets `signal` (io.signal stands for it). */
function signalledAt(cue: string, signal: "SIGTERM" | "SIGHUP") {
  const stop = new AbortController();
  let stderr = "";
  return {
    signal: stop.signal,
    stderr: {
      write: (s: string) => {
        stderr += s;
        if (!stop.signal.aborted && stderr.includes(cue)) stop.abort(signal);
      },
    },
    text: () => stderr,
  };
}

describe("a signal before the work starts", () => {
  it("SIGTERM while waiting for another run's lock (--lock-timeout): exit 143 at once, nothing changed", async () => {
    const w = quickWorld();
    // Another run, alive (this very process), holds the lock.
    mkdirSync(path.dirname(w.statePath()), { recursive: true });
    const theirs = JSON.stringify({
      pid: process.pid,
      hostname: os.hostname(),
      command: "up",
      startedAt: new Date().toISOString(),
    });
    writeFileSync(`${w.statePath()}.lock`, theirs);
    const term = signalledAt("Waiting for the lock", "SIGTERM");
    const started = Date.now();
    const r = await w.run(["up", "--lock-timeout", "5m"], {
      handlerEntry: entry,
      signal: term.signal,
      stderr: term.stderr,
    });
    expect(r.code, term.text()).toBe(143);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(term.text()).toContain("Terminated (SIGTERM)");
    expect(term.text()).toContain("Interrupted while waiting for the lock");
    expect(term.text()).not.toMatch(/^\s+at /m);
    expect(readFileSync(`${w.statePath()}.lock`, "utf8")).toBe(theirs);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it.each(["SIGTERM", "SIGHUP"] as const)(
    "%s at down's question: the lock is released, nothing is deleted, exit 143/129",
    async (signal) => {
      const w = quickWorld();
      expect((await w.run(["up", "--quiet"], { handlerEntry: entry })).code).toBe(0);
      const functions = w.fake.lambda.functions.size;
      // A terminal whose user does not answer.
      const stdin = Object.assign(new PassThrough(), { isTTY: true });
      const stopped = signalledAt("Delete them? [y/N]", signal);
      w.fake.resetCalls();
      const r = await Promise.race([
        w.run(["down"], { stdin, signal: stopped.signal, stderr: stopped.stderr }),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("still waiting at the question")), 10_000),
        ),
      ]);
      expect(r.code, stopped.text()).toBe(signal === "SIGTERM" ? 143 : 129);
      expect(stopped.text()).toContain("Stopped at the question; nothing was changed.");
      expect(stopped.text()).not.toMatch(/^\s+at /m);
      expect(existsSync(`${w.statePath()}.lock`), "the lock is left behind").toBe(false);
      expect(w.fake.operations({ mutating: true })).toEqual([]);
      expect(w.fake.lambda.functions.size).toBe(functions);
      // The next down is not refused by a lock.
      const again = await w.run(["down", "--yes"]);
      expect(again.code, again.stderr).toBe(0);
      expect(w.fake.lambda.functions.size).toBe(0);
    },
  );
});
