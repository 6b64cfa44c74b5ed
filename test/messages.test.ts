import { DeleteRestApiCommand } from "@aws-sdk/client-api-gateway";
import { PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { errorRateAlarm, throttlesAlarm } from "../src/resources/alarm.js";
import { world } from "./helpers.js";

/** What the CLI tells the user says what is true, and what to do about it. */

describe("status", () => {
  it("prints no endpoint for an API deleted behind the tool's back", async () => {
    const w = world();
    const up = await w.run(["up"]);
    expect(up.code).toBe(0);
    const endpoint = /Endpoint: (\S+)/.exec(up.stdout)?.[1];
    expect(endpoint).toMatch(/^https:\/\//);
    expect((await w.run(["status"])).stdout).toContain(`Endpoint: ${endpoint}`);

    const state = (await w.readState()) as { resources: { restApi: { id: string } } };
    await w.fake
      .clients()
      .apigateway.send(new DeleteRestApiCommand({ restApiId: state.resources.restApi.id }));
    const r = await w.run(["status"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/API Gateway REST API\s+missing/);
    expect(r.stdout).not.toContain("Endpoint:");
    expect(r.stdout).not.toContain(endpoint);
    const j = await w.run(["status", "--json"]);
    expect(j.json.endpoint).toBeUndefined();
  });
});

describe("outputs", () => {
  it("with the state file lost says so, not 'not deployed'; the up it suggests brings it back", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    const before = await w.run(["outputs", "--json"]);
    rmSync(w.statePath());

    const r = await w.run(["outputs"]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain("not deployed");
    expect(r.stderr).toContain(`There is no state file ${w.statePath()}`);
    expect(r.stderr).toMatch(/its state file is lost/);
    expect(r.stderr).toMatch(
      /`npx serverless-automation up --stage production` finds the stack's resources by name and writes the state file again/,
    );

    // Following the advice: up adopts everything and creates nothing.
    w.fake.resetCalls();
    const again = await w.run(["up"]);
    expect(again.code, again.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true }).filter((o) => /\.Create/.test(o))).toEqual([]);
    const after = await w.run(["outputs", "--json"]);
    expect(after.code).toBe(0);
    expect(after.json).toEqual(before.json);
  });
});

describe("the config file", () => {
  it.each([["Production"], ["dev_1"], ["a-very-long-stage-name"], ["2fast"], ["dev--x"], [""]])(
    "rejects stages.%s, which no stage can ever match, naming the key, before any AWS call",
    async (key) => {
      const w = world();
      writeFileSync(
        path.join(w.cwd, "serverless-automation.config.json"),
        JSON.stringify({
          memoryMb: 256,
          stages: { dev: { memoryMb: 512 }, [key]: { memoryMb: 1024 } },
        }),
      );
      for (const argv of [["up"], ["status", "--stage", "dev"]]) {
        const r = await w.run(argv);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
          `Invalid serverless-automation.config.json: stages.${key} can never apply: "${key}" is not a valid stage name.`,
        );
        expect(r.stderr).toContain("lowercase letters, digits and single hyphens");
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }
      expect(w.fake.calls).toEqual([]);
      expect(existsSync(w.statePath())).toBe(false);
    },
  );
});

describe("up --quiet", () => {
  it("prints the result without the advice that the alarms notify nobody", async () => {
    const w = world();
    const quiet = await w.run(["up", "--quiet"]);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/up to date in us-east-1/);
    expect(quiet.stdout).toContain("Endpoint: https://");
    expect(quiet.stdout + quiet.stderr).not.toContain("notify nobody");
    expect(quiet.stderr).toBe("");
    const plain = await w.run(["up"]);
    expect(plain.stdout).toContain("The alarms notify nobody");
  });
});

describe("alarm drift", () => {
  it("names the fields that differ, and up puts them back", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    const fn = "serverless-automation-production-api";
    const cw = w.fake.clients().cloudwatch;
    // Changed behind the tool's back: the throttles alarm's threshold and period…
    await cw.send(
      new PutMetricAlarmCommand({
        ...throttlesAlarm(fn, 1, []),
        Threshold: 10,
        Period: 60,
        AlarmName: "serverless-automation-production-throttles",
      }),
    );
    // …and the error-rate alarm's expression.
    const errorRate = errorRateAlarm(fn, 5, []);
    await cw.send(
      new PutMetricAlarmCommand({
        ...errorRate,
        Metrics: errorRate.Metrics?.map((m) =>
          m.Expression ? { ...m, Expression: "errors / invocations" } : m,
        ),
        AlarmName: "serverless-automation-production-error-rate",
      }),
    );
    const r = await w.run(["status", "--json"]);
    expect(r.code).toBe(2);
    const rows = r.json.resources as { key: string; state: string; fields: string[] }[];
    const fieldsOf = (key: string) => [...(rows.find((x) => x.key === key)?.fields ?? [])].sort();
    expect(fieldsOf("throttlesAlarm")).toEqual(["period", "threshold"]);
    expect(fieldsOf("errorRateAlarm")).toEqual(["metrics"]);
    expect((await w.run(["status"])).stdout).toMatch(
      /drifted: (threshold, period|period, threshold)/,
    );

    const fixed = await w.run(["up"]);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toMatch(
      /updated CloudWatch alarm serverless-automation-production-throttles \((threshold, period|period, threshold)\)/,
    );
    expect((await w.run(["status"])).code).toBe(0);
  });
});
