import { PutMetricAlarmCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import {
  CreateAliasCommand,
  GetAliasCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeEach, describe, expect, it } from "vitest";
import type { Clients } from "../src/aws/clients.js";
import { RolledBack, shiftTraffic, type Shift } from "../src/deploy/bake.js";
import { bakeMs, describeStrategy, trafficSteps } from "../src/deploy/traffic.js";
import { Interrupted } from "../src/engine/interrupted.js";
import { FakeAccount } from "./fake-aws/index.js";
import { lambdaFixture } from "./support/lambda-versions.js";

describe("traffic steps", () => {
  it("canary: one share for its minutes; linear: equal steps below 100 %", () => {
    expect(trafficSteps("all-at-once")).toEqual([]);
    expect(trafficSteps({ canary: { percent: 10, minutes: 5 } })).toEqual([
      { percent: 10, holdMs: 300_000 },
    ]);
    expect(trafficSteps({ linear: { percent: 25, everyMinutes: 2 } }, 0.01)).toEqual([
      { percent: 25, holdMs: 1200 },
      { percent: 50, holdMs: 1200 },
      { percent: 75, holdMs: 1200 },
    ]);
    expect(
      trafficSteps({ linear: { percent: 30, everyMinutes: 1 } }).map((s) => s.percent),
    ).toEqual([30, 60, 90]);
    expect(bakeMs({ linear: { percent: 10, everyMinutes: 1 } })).toBe(9 * 60_000);
    expect(describeStrategy({ canary: { percent: 10, minutes: 5 } })).toBe(
      "canary: 10 % for 5 min, then all",
    );
  });
});

describe("shifting an alias's traffic", () => {
  let fake: FakeAccount;
  let c: Clients;
  const progress: string[] = [];

  const shift = (over: Partial<Shift> = {}): Shift => ({
    lambda: c.lambda,
    cloudwatch: c.cloudwatch,
    functionName: "fn",
    alias: "live",
    from: "1",
    to: "2",
    steps: [
      { percent: 10, holdMs: 60 },
      { percent: 50, holdMs: 60 },
    ],
    alarms: ["errors", "throttles"],
    pollMs: 10,
    progress: (m) => progress.push(m),
    ...over,
  });
  const alias = () => c.lambda.send(new GetAliasCommand({ FunctionName: "fn", Name: "live" }));
  const aliasUpdates = () =>
    fake
      .callLog({ mutating: true, service: "Lambda" })
      .filter((x) => x.operation === "UpdateAlias");
  const fire = (name: string) =>
    c.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: name, StateValue: "ALARM", StateReason: "3 errors" }),
    );

  beforeEach(async () => {
    progress.length = 0;
    fake = new FakeAccount();
    fake.iam.timings.propagationMs = 0;
    c = fake.clients();
    const settle = () => new Promise<void>((r) => setTimeout(r, 40));
    await lambdaFixture({ clients: c, settle });
    await c.lambda.send(new PublishVersionCommand({ FunctionName: "fn" }));
    await c.s3.send(new PutObjectCommand({ Bucket: "code", Key: "b.zip", Body: "second" }));
    await c.lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: "fn", S3Bucket: "code", S3Key: "b.zip" }),
    );
    await settle();
    await c.lambda.send(new PublishVersionCommand({ FunctionName: "fn" }));
    await c.lambda.send(
      new CreateAliasCommand({ FunctionName: "fn", Name: "live", FunctionVersion: "1" }),
    );
    for (const name of ["errors", "throttles"]) {
      await c.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          MetricName: "Errors",
          Namespace: "AWS/Lambda",
          Statistic: "Sum",
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: "GreaterThanOrEqualToThreshold",
        }),
      );
    }
  });

  it("moves the traffic step by step, then all of it, while the alarms stay quiet", async () => {
    await shiftTraffic(shift());
    const a = await alias();
    expect(a.FunctionVersion).toBe("2");
    expect(a.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
    expect(aliasUpdates().map((x) => x.input.RoutingConfig)).toEqual([
      { AdditionalVersionWeights: { "2": 0.1 } },
      { AdditionalVersionWeights: { "2": 0.5 } },
      { AdditionalVersionWeights: {} },
    ]);
    expect(
      progress.some((m) => /^10 % of requests on version 2, 90 % on 1; \d+ s left/.test(m)),
    ).toBe(true);
  });

  it("sends all traffic back and names the alarm when one goes off during a step", async () => {
    const fired = new Promise((r) => setTimeout(r, 30)).then(() => fire("throttles"));
    const err = await shiftTraffic(shift()).catch((e: unknown) => e);
    await fired;
    expect(err).toBeInstanceOf(RolledBack);
    expect((err as RolledBack).alarm).toBe("throttles");
    expect((err as Error).message).toContain("all traffic is back on version 1");
    const a = await alias();
    expect([a.FunctionVersion, a.RoutingConfig?.AdditionalVersionWeights ?? {}]).toEqual(["1", {}]);
    expect(aliasUpdates()).toHaveLength(2);
  });

  it("never starts a shift while an alarm is already in ALARM", async () => {
    await fire("errors");
    await expect(shiftTraffic(shift())).rejects.toBeInstanceOf(RolledBack);
    expect(aliasUpdates()).toEqual([]);
  });

  it("leaves the split as it is when interrupted, for the next run to settle", async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 30);
    await expect(shiftTraffic(shift({ signal: stop.signal }))).rejects.toBeInstanceOf(Interrupted);
    const a = await alias();
    expect([a.FunctionVersion, a.RoutingConfig?.AdditionalVersionWeights]).toEqual([
      "1",
      { "2": 0.1 },
    ]);
  });

  it("stops when someone else changed the alias since it was read", async () => {
    const read = await alias();
    const stale = { revisionId: `${read.RevisionId ?? ""}-stale` };
    await expect(shiftTraffic(shift(stale))).rejects.toMatchObject({
      name: "PreconditionFailedException",
    });
  });
});
