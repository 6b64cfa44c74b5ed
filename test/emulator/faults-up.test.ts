import { afterAll, describe, it } from "vitest";
import { mutatingCallsOf, startRig, stopRig, upCase, type CaseReport } from "./faults.js";
import { MOTO_SKIP_REASON } from "./moto.js";

/** A refused call and a lost response at every mutating call of a cold `up`, in turn. */

const rig = await startRig();
const UP_CALLS = rig ? await mutatingCallsOf(rig, ["up"]) : [];
const reports: CaseReport[] = [];

describe.skipIf(MOTO_SKIP_REASON !== undefined)("wire faults during a cold up", () => {
  afterAll(async () => {
    await stopRig(rig);
    console.log(
      `wire faults during up: ${reports.length} cases (${reports.filter((r) => r.call !== undefined).length} reached their call) over ${UP_CALLS.length} mutating calls, each converged in one run`,
    );
  });
  for (const mode of ["unavailable", "lost-response"] as const) {
    it.each(UP_CALLS.map((call, i) => [i + 1, call] as const))(
      `${mode} at mutating call %i (%s)`,
      async (nth) => {
        reports.push(await upCase(rig!, mode, nth));
      },
    );
  }
});
