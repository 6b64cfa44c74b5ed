/**
 * Ceilings on abuse: the table's on-demand maxima, the function's optional reserved
 * concurrency and the API's 5XX-rate and request-count alarms, driven through the config file.
 * The calls expected are written by hand from the AWS API references (DynamoDB CreateTable /
 * UpdateTable OnDemandThroughput; Lambda PutFunctionConcurrency / DeleteFunctionConcurrency;
 * CloudWatch PutMetricAlarm), not recorded from the code.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { world, type World } from "./helpers.js";

const STACK = "serverless-automation-production";
const TABLE = `${STACK}-items`;
const FN = `${STACK}-api`;

async function configure(w: World, file: Record<string, unknown>): Promise<void> {
  await fs.writeFile(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(file));
}

/** The mutating calls of the last run, with their input (minus what the SDK adds). */
function mutations(w: World): { op: string; input: Record<string, unknown> }[] {
  return w.fake.callLog({ mutating: true, ok: true }).map((c) => ({
    op: `${c.service}.${c.operation}`,
    input: c.input,
  }));
}

function alarm(w: World, suffix: string): Record<string, unknown> | undefined {
  return w.fake.cloudwatch.alarms.get(`${STACK}-${suffix}`)?.definition;
}

describe("the table's on-demand maximum throughput", () => {
  it("is on by default: CreateTable sets 1000 reads and 500 writes per second", async () => {
    const w = world();
    const r = await w.run(["up"]);
    expect(r.code, r.stderr).toBe(0);
    const create = mutations(w).find((c) => c.op === "DynamoDB.CreateTable");
    expect(create?.input).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      OnDemandThroughput: { MaxReadRequestUnits: 1000, MaxWriteRequestUnits: 500 },
    });
    expect(w.fake.dynamodb.tables.get(TABLE)?.onDemandThroughput).toEqual({
      MaxReadRequestUnits: 1000,
      MaxWriteRequestUnits: 500,
    });
  });

  it("-1 sets no maximum of its own: CreateTable leaves that member out, and a re-run changes nothing", async () => {
    const w = world();
    await configure(w, {
      tableMaxReadUnits: -1,
      stages: { production: { tableMaxWriteUnits: 50 } },
    });
    expect((await w.run(["up"])).code).toBe(0);
    const create = mutations(w).find((c) => c.op === "DynamoDB.CreateTable");
    expect(create?.input.OnDemandThroughput).toEqual({ MaxWriteRequestUnits: 50 });
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect((await w.run(["status"])).code).toBe(0);
  });

  it("a changed setting is one UpdateTable with both maxima; removing them sends -1", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);

    await configure(w, { tableMaxReadUnits: 2000 });
    const plan = await w.run(["status", "--json"]);
    expect(plan.code).toBe(2);
    expect((plan.json.resources as { key: string; fields?: string[] }[]).find((x) => x.key === "table"))
      .toMatchObject({ state: "drifted", fields: ["maxReadUnits"] }); // prettier-ignore
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w)).toEqual([
      {
        op: "DynamoDB.UpdateTable",
        input: {
          TableName: TABLE,
          OnDemandThroughput: { MaxReadRequestUnits: 2000, MaxWriteRequestUnits: 500 },
        },
      },
    ]);

    await configure(w, { tableMaxReadUnits: -1, tableMaxWriteUnits: -1 });
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w)).toEqual([
      {
        op: "DynamoDB.UpdateTable",
        input: {
          TableName: TABLE,
          OnDemandThroughput: { MaxReadRequestUnits: -1, MaxWriteRequestUnits: -1 },
        },
      },
    ]);
    expect(w.fake.dynamodb.tables.get(TABLE)?.onDemandThroughput).toEqual({});
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });
});

describe("the function's reserved concurrency", () => {
  it("none by default: no concurrency call at all", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.operations().filter((o) => /Concurrency/.test(o))).toEqual([]);
    expect(w.fake.lambda.functions.get(FN)?.reservedConcurrency).toBeUndefined();
  });

  it("set: reserved after the create; changed: reserved again; unset: removed; each run after makes no call", async () => {
    const w = world();
    await configure(w, { reservedConcurrency: 20 });
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w).filter((c) => /Concurrency/.test(c.op))).toEqual([
      {
        op: "Lambda.PutFunctionConcurrency",
        input: { FunctionName: FN, ReservedConcurrentExecutions: 20 },
      },
    ]);
    expect(w.fake.lambda.functions.get(FN)?.reservedConcurrency).toBe(20);
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);

    // 0 is a reservation too: the function is stopped, not unreserved.
    await configure(w, { reservedConcurrency: 0 });
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w)).toEqual([
      {
        op: "Lambda.PutFunctionConcurrency",
        input: { FunctionName: FN, ReservedConcurrentExecutions: 0 },
      },
    ]);
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);

    await configure(w, {});
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w)).toEqual([
      { op: "Lambda.DeleteFunctionConcurrency", input: { FunctionName: FN } },
    ]);
    expect(w.fake.lambda.functions.get(FN)?.reservedConcurrency).toBeUndefined();
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("refused for the account's unreserved minimum: a clear error naming the setting, exit 1, no stack trace", async () => {
    const w = world();
    // A new account: 10 concurrent executions in all, all of which must stay unreserved.
    w.fake.lambda.concurrency = { limit: 10, minimumUnreserved: 10 };
    await configure(w, { reservedConcurrency: 5 });
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `error: Cannot reserve 5 concurrent executions for the Lambda function ${FN}: the account would keep less unreserved concurrency than AWS requires (at least 10).`,
    );
    expect(r.stderr).toMatch(/Lower reservedConcurrency in the config file, or remove it/);
    expect(r.stderr).toMatch(/higher Lambda concurrent-executions quota/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/bug/);
    // AWS was asked once; the refusal is not retried. (CreateFunction may have been refused
    // while the new role propagated, and retried: that is not this refusal.)
    expect(
      w.fake
        .callLog({ ok: false, mutating: true, service: "Lambda" })
        .filter((c) => c.operation !== "CreateFunction")
        .map((c) => `${c.service}.${c.operation} ${c.error}`),
    ).toEqual(["Lambda.PutFunctionConcurrency InvalidParameterValueException"]);

    // The same in --json. Once the setting is fixed, up finishes the stack with the function
    // it made (not created again, nothing to reserve), and the run after that makes no call.
    const json = await w.run(["up", "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.stringify(json.json)).toMatch(/Lower reservedConcurrency/);
    await configure(w, {});
    w.fake.resetCalls();
    const fixed = await w.run(["up"]);
    expect(fixed.code, fixed.stderr).toBe(0);
    const lambdaCalls = w.fake.operations({ mutating: true, service: "Lambda" });
    expect(lambdaCalls.filter((o) => /CreateFunction|Concurrency/.test(o))).toEqual([]);
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect((await w.run(["status"])).code).toBe(0);
  });
});

describe("the API's alarms", () => {
  it("5XX rate and request count on the API's name and stage, tagged, notifying nobody without an address", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    const dims = [
      { Name: "ApiName", Value: STACK },
      { Name: "Stage", Value: "prod" },
    ];
    expect(alarm(w, "api-5xx")).toMatchObject({
      Namespace: "AWS/ApiGateway",
      MetricName: "5XXError",
      Dimensions: dims,
      Statistic: "Average",
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0.05,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: [],
      OKActions: [],
    });
    expect(alarm(w, "api-requests")).toMatchObject({
      Namespace: "AWS/ApiGateway",
      MetricName: "Count",
      Dimensions: dims,
      Statistic: "SampleCount",
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 30000,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "notBreaching",
    });
    // The REST API the dimension names is this stack's.
    expect([...w.fake.apigateway.apis.values()].map((a) => a.name)).toEqual([STACK]);
    for (const suffix of ["api-5xx", "api-requests"]) {
      expect(Object.fromEntries(w.fake.cloudwatch.alarms.get(`${STACK}-${suffix}`)?.tags ?? []))
        .toEqual({
          project: "serverless-automation",
          environment: "production",
          "serverless-automation:stack": STACK,
        }); // prettier-ignore
    }
  });

  it("thresholds follow the settings; the request threshold follows the stage throttle unless set", async () => {
    const w = world();
    await configure(w, { api5xxRateThresholdPercent: 2.5, throttleRateLimit: 10 });
    expect((await w.run(["up"])).code).toBe(0);
    expect(alarm(w, "api-5xx")?.Threshold).toBe(0.025);
    expect(alarm(w, "api-requests")?.Threshold).toBe(3000);

    await configure(w, {
      api5xxRateThresholdPercent: 2.5,
      throttleRateLimit: 10,
      apiRequestsThreshold: 500,
    });
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w).map((c) => [c.op, c.input.AlarmName, c.input.Threshold])).toEqual([
      ["CloudWatch.PutMetricAlarm", `${STACK}-api-requests`, 500],
    ]);
  });

  it("with an alarm address, both notify the topic like the others", async () => {
    const w = world();
    expect((await w.run(["up", "--alarm-email", "ops@example.com"])).code).toBe(0);
    const topic = `arn:aws:sns:us-east-1:123456789012:${STACK}-alarms`;
    for (const suffix of ["api-5xx", "api-requests", "error-rate", "throttles"]) {
      expect(alarm(w, suffix), suffix).toMatchObject({
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
  });
});
