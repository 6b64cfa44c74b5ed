import { afterAll, describe, it } from "vitest";
import { mutatingCallsOf, startRig, stopRig, upCase, type CaseReport } from "./faults.js";
import { MOTO_SKIP_REASON } from "./moto.js";

/**
 * The process killed (SIGKILL) right after the emulator applied each mutating call of a cold
 * `up`, in turn: the state file and the lock are left as they were at that instant.
 */

const rig = await startRig();
const UP_CALLS = rig ? await mutatingCallsOf(rig, ["up"], undefined, "binary") : [];
const reports: CaseReport[] = [];

describe.skipIf(MOTO_SKIP_REASON !== undefined)("killed during a cold up", () => {
  afterAll(async () => {
    await stopRig(rig);
    const hit = reports.filter((r) => r.call !== undefined);
    const distinct = new Set(hit.map((r) => r.call)).size;
    console.log(
      `crashes during up: ${reports.length} cases, ${hit.length} killed a run (${distinct} distinct calls); each converged in one more run`,
    );
  });
  it.each(UP_CALLS.map((_call, i) => [i + 1] as const))(
    "killed after mutating call %i",
    async (nth) => {
      reports.push(await upCase(rig!, "crash", nth));
    },
  );
});
