import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { expectDesignedStack } from "../expected.js";
import type { World } from "../helpers.js";
import {
  inventory,
  nonEmpty,
  snapshot,
  tinyHandler,
  writeDeadLock,
  quickWorld,
  SETTLE_MS,
} from "./support.js";

/**
 * Crash safety: the process may die right after any AWS call succeeds, before anything else
 * is written. For every such point, a following run must converge to exactly one of
 * everything (nothing orphaned, nothing duplicated), and `down` must still remove it all.
 */

const entry = tinyHandler();
// One slot: runs make their calls in the same order, so crash point N means the same call.
const ORDERED = { handlerEntry: entry, concurrency: 1 };
// The crashed run: once every call fails, the SDK's waiters would keep polling until their
// deadline (they retry on any error); a dead process does not wait, so neither does this run.
const CRASH_IO = {
  ...ORDERED,
  timing: { minDelayMs: 2, maxDelayMs: 10, maxWaitMs: 100, iamPropagationMs: 0 },
};

/**
 * Lambda and DynamoDB settle lazily in the fake; `status` reads everything, and must agree.
 * The converged stack is checked against the hand-written design too: equal to the reference
 * snapshot proves only that runs are deterministic, not that they are right.
 */
async function settled(w: World): Promise<Record<string, unknown>> {
  await sleep(SETTLE_MS);
  const s = await w.run(["status"], { handlerEntry: entry });
  expect(s.code, `status after recovery:\n${s.stdout}${s.stderr}`).toBe(0);
  await expectDesignedStack(w.fake);
  return snapshot(w.fake);
}

// The reference: a cold `up` in a fresh account, and what it leaves there.
const ref = quickWorld();
const cold = await ref.run(["up"], ORDERED);
if (cold.code !== 0) throw new Error(`the reference up failed:\n${cold.stderr}`);
const UP_CALLS = ref.fake
  .callLog({ mutating: true, ok: true })
  .map((c) => `${c.service}.${c.operation}`);
await sleep(SETTLE_MS);
await ref.run(["status"], { handlerEntry: entry });
const REFERENCE = snapshot(ref.fake);
const REFERENCE_COUNTS = inventory(ref.fake);
ref.fake.resetCalls();
const gone = await ref.run(["down", "--yes"], ORDERED);
if (gone.code !== 0) throw new Error(`the reference down failed:\n${gone.stderr}`);
const DOWN_CALLS = ref.fake
  .callLog({ mutating: true, ok: true })
  .map((c) => `${c.service}.${c.operation}`);

interface Crash {
  /** The state file as it was at the instant of the crash (undefined: there was none). */
  state: Buffer | undefined;
  /** The call that succeeded last. */
  call: string;
}

/**
 * Arms a crash right after the n-th successful mutating call: the state file is captured at
 * that instant, and every later call fails, so nothing more happens in AWS.
 */
function armCrash(w: World, n: number): { crash: Crash | undefined } {
  const box: { crash: Crash | undefined } = { crash: undefined };
  let seen = 0;
  w.fake.inject({
    times: Infinity,
    after: (rec) => {
      if (!rec.mutating || box.crash) return;
      if (++seen < n) return;
      const file = w.statePath();
      box.crash = {
        state: existsSync(file) ? readFileSync(file) : undefined,
        call: `${rec.service}.${rec.operation}`,
      };
      w.fake.inject({
        times: Infinity,
        error: () =>
          Object.assign(new Error("simulated crash: the process is gone"), {
            name: "SimulatedCrash",
          }),
      });
    },
  });
  return box;
}

/**
 * What a dead process leaves: the state file as of the crash (nothing written after it), its
 * lock naming a pid that no longer runs, and a half-written temp file of an interrupted write.
 */
function leaveCrashRemains(w: World, crash: Crash): void {
  const file = w.statePath();
  mkdirSync(path.dirname(file), { recursive: true });
  if (crash.state) writeFileSync(file, crash.state);
  else rmSync(file, { force: true });
  writeFileSync(`${file}.4242.deadbeef.tmp`, '{\n  "schemaVersion": 1,\n  "proj');
  writeDeadLock(file);
}

describe("crash safety of up", () => {
  it("the cold up makes a known number of mutating calls", () => {
    // Reported as M; if this changes, the crash points below change with it.
    expect(UP_CALLS.length).toBeGreaterThan(10);
    expect(REFERENCE_COUNTS).toMatchObject({
      "S3.buckets": 1,
      "DynamoDB.tables": 1,
      "Lambda.functions": 1,
      // The function's role and the region's API Gateway logging role.
      "IAM.roles": 2,
      // The function's, the access-log and the execution-log groups.
      "CloudWatchLogs.groups": 3,
      // Error rate and throttles of the function; 5XX rate and requests of the API; the errors
      // of the version the live alias is shifting to.
      "CloudWatch.alarms": 5,
      "S3.objectVersions": 1,
      "APIGateway.apis": 1,
    });
  });

  it.each(UP_CALLS.map((call, i) => [i + 1, call] as const))(
    "crash right after mutating call %i (%s): up again converges, down removes everything",
    async (n, call) => {
      const w = quickWorld();
      const armed = armCrash(w, n);
      await w.run(["up"], CRASH_IO);
      const crash = armed.crash;
      expect(crash, "the crash point was never reached").toBeDefined();
      if (!crash) return;
      expect(crash.call).toBe(call);
      w.fake.clearFaults();
      leaveCrashRemains(w, crash);

      const again = await w.run(["up"], { handlerEntry: entry });
      expect(again.code, again.stderr).toBe(0);
      // The dead run's lock is recognised as stale, said so, and replaced.
      expect(again.stderr).toMatch(/stale lock left by process \d+/);
      expect(inventory(w.fake)).toEqual(REFERENCE_COUNTS);
      expect(await settled(w)).toEqual(REFERENCE);
      expect(existsSync(`${w.statePath()}.lock`)).toBe(false);

      const down = await w.run(["down", "--yes"], { handlerEntry: entry });
      expect(down.code, down.stderr).toBe(0);
      expect(nonEmpty(w.fake)).toEqual({});
      expect(existsSync(w.statePath())).toBe(false);
    },
  );
});

describe("crash safety of down", () => {
  it.each(DOWN_CALLS.map((call, i) => [i + 1, call] as const))(
    "crash right after mutating call %i of down (%s): down again removes everything",
    async (n, call) => {
      const w = quickWorld();
      expect((await w.run(["up"], { handlerEntry: entry })).code).toBe(0);
      const armed = armCrash(w, n);
      await w.run(["down", "--yes"], CRASH_IO);
      const crash = armed.crash;
      expect(crash, "the crash point was never reached").toBeDefined();
      if (!crash) return;
      expect(crash.call).toBe(call);
      w.fake.clearFaults();
      leaveCrashRemains(w, crash);

      const again = await w.run(["down", "--yes"], { handlerEntry: entry });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/stale lock left by process \d+/);
      expect(nonEmpty(w.fake)).toEqual({});
      expect(existsSync(w.statePath())).toBe(false);
    },
  );
});
