import { writeFileSync } from "node:fs";
import path from "node:path";
import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { GetAliasCommand, ListVersionsByFunctionCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { CREDENTIALS, handlerVariant, runBin, runMain } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/** Safe deploys against moto: versions, a canary through the live alias, alarms, rollback. */
// runMain runs in this process: the SDK's credential chain reads process.env.
Object.assign(process.env, CREDENTIALS);
const em = useEmulator();
const n = E.names("production");
const ALIAS_PATH = `lambda PUT /2015-03-31/functions/${n.functionName}/aliases/live`;

const up = (tag: string) =>
  runMain(["up"], em.cwd, em.env, { handlerEntry: handlerVariant(em.cwd, tag) });
const live = async () =>
  em.aws.lambda.send(new GetAliasCommand({ FunctionName: n.functionName, Name: "live" }));

describe.skipIf(MOTO_SKIP_REASON !== undefined)("safe deploys against moto", () => {
  it("publishes each change as a version and shifts the alias by the canary", async () => {
    const first = await up("v1");
    expect(first.code, first.stderr).toBe(0);
    expect((await live()).FunctionVersion).toBe("1");

    writeFileSync(
      path.join(em.cwd, "serverless-automation.config.json"),
      JSON.stringify({ deploy: { canary: { percent: 10, minutes: 1 } } }),
    );
    em.proxy.arm(undefined);
    const second = await up("v2");
    expect(second.code, second.stderr).toBe(0);
    const alias = await live();
    expect(alias.FunctionVersion).toBe("2");
    expect(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
    // The canary's share, then all: two updates of the alias.
    expect(em.mutating().filter((c) => c === ALIAS_PATH)).toHaveLength(2);
    expect(em.mutating()).toContain(`lambda POST /2015-03-31/functions/${n.functionName}/versions`);

    em.proxy.arm(undefined);
    const again = await up("v2");
    expect(again.code, again.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
  });

  it("never starts a shift while an alarm is in ALARM, and the next up keeps the version live", async () => {
    await em.aws.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: n.errorRateAlarm,
        StateValue: "ALARM",
        StateReason: "errors above 5 %",
      }),
    );
    em.proxy.arm(undefined);
    const r = await up("v3");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the alarm ${n.errorRateAlarm} went off`);
    expect((await live()).FunctionVersion).toBe("2");
    expect(em.mutating()).not.toContain(ALIAS_PATH);

    em.proxy.arm(undefined);
    const kept = await up("v3");
    expect(kept.code, kept.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
    expect(kept.stderr).toContain("Version 3 was taken back");
  });

  it("rollback sends the traffic back in one call; status shows the live version", async () => {
    em.proxy.arm(undefined);
    const r = await runBin(["rollback", "--to", "1"], em.cwd, em.env);
    expect(r.code, r.stderr).toBe(0);
    expect(em.mutating()).toEqual([ALIAS_PATH]);
    expect((await live()).FunctionVersion).toBe("1");
    const s = await runBin(["status", "--json"], em.cwd, em.env);
    const deploy = (JSON.parse(s.stdout) as { deploy: { live: string; previous: string } }).deploy;
    expect(deploy).toMatchObject({ live: "1", previous: "2" });
    const versions = await em.aws.lambda.send(
      new ListVersionsByFunctionCommand({ FunctionName: n.functionName }),
    );
    expect(versions.Versions?.map((v) => v.Version)).toEqual(["$LATEST", "1", "2", "3"]);
  });
});
