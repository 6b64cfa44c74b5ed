import { afterAll, describe, expect, it } from "vitest";
import { expectStack, inventory, isEmpty } from "./aws.js";
import { cliEnv, runMain, workdir } from "./cli.js";
import { startRig, stopRig } from "./faults.js";
import { MOTO_SKIP_REASON } from "./moto.js";

/**
 * A flaky network: 20 % of mutating calls fail on the wire, half refused with a 503 before
 * they reach AWS, half applied with the response lost. The SDK's retries and the tool's
 * adoption of what already exists must make a cold `up` (and `down`) converge in that one run.
 */

const rig = await startRig();
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

describe.skipIf(MOTO_SKIP_REASON !== undefined)("20 % of mutating calls fail on the wire", () => {
  afterAll(async () => {
    await stopRig(rig);
  });

  it.each(SEEDS)("seed %i: up converges in one run, down empties the account in one run", async (seed) => {
    const r = rig!;
    await r.moto.reset();
    const cwd = workdir();
    const env = cliEnv(r.proxy.endpoint);
    r.proxy.arm({ rate: 0.2, seed });
    const up = await runMain(["up"], cwd, env);
    const hit = r.proxy.calls.filter((c) => ["503", "dropped"].includes(c.outcome));
    expect(up.code, `up with ${hit.length} faults:\n${up.stderr}`).toBe(0);
    expect(hit.length, "some calls failed").toBeGreaterThan(0);

    r.proxy.arm(undefined);
    const again = await runMain(["up"], cwd, env);
    expect(again.code, again.stderr).toBe(0);
    expect(r.proxy.mutating().map((c) => `${c.service} ${c.operation}`)).toEqual([]);
    await expectStack(r.aws, "production");

    r.proxy.arm({ rate: 0.2, seed: seed + 100 });
    const down = await runMain(["down", "--yes"], cwd, env);
    expect(down.code, down.stderr).toBe(0);
    expect(await inventory(r.aws)).toSatisfy(isEmpty);
  }); // prettier-ignore
});
