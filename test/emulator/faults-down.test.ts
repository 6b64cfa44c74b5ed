import { afterAll, describe, it } from "vitest";
import { runMain } from "./cli.js";
import { downCase, mutatingCallsOf, startRig, stopRig, type CaseReport } from "./faults.js";
import { MOTO_SKIP_REASON } from "./moto.js";

/** Every mutating call of `down`, in turn: refused, its response lost, or the process killed. */

const rig = await startRig();
const DOWN_CALLS = rig
  ? await mutatingCallsOf(rig, ["down", "--yes"], async (cwd, env) => {
      const up = await runMain(["up"], cwd, env);
      if (up.code !== 0) throw new Error(`the reference up failed:\n${up.stderr}`);
    })
  : [];
const reports: CaseReport[] = [];

describe.skipIf(MOTO_SKIP_REASON !== undefined)("wire faults during down", () => {
  afterAll(async () => {
    await stopRig(rig);
    console.log(
      `wire faults during down: ${reports.length} cases (${reports.filter((r) => r.call !== undefined).length} reached their call) over ${DOWN_CALLS.length} mutating calls, each completed in one more run`,
    );
  });
  for (const mode of ["unavailable", "lost-response", "crash"] as const) {
    it.each(DOWN_CALLS.map((call, i) => [i + 1, call] as const))(
      `${mode} at mutating call %i (%s)`,
      async (nth) => {
        reports.push(await downCase(rig!, mode, nth));
      },
    );
  }
});
