import { promises as fs } from "node:fs";
import path from "node:path";
import { DeleteAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { world } from "./helpers.js";

const ACCOUNT = "123456789012";
const FN = "serverless-automation-production-api";
const ROLE = "serverless-automation-production-function-us-east-1";
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/serverless-automation-production-items`;
const TAGS = {
  project: "serverless-automation",
  environment: "production",
  "serverless-automation:stack": "serverless-automation-production",
};

describe("up: the compute half", () => {
  it("gives the function a least-privilege role: one exact inline policy, no managed policies", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    const role = w.fake.iam.roles.get(ROLE);
    expect(role).toBeDefined();
    expect(JSON.parse(role?.assumeRolePolicyDocument ?? "")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ],
    });
    expect([...(role?.attached ?? [])]).toEqual([]);
    expect([...(role?.inlinePolicies.keys() ?? [])]).toEqual([
      "serverless-automation-production-function-policy",
    ]);
    const doc = JSON.parse([...(role?.inlinePolicies.values() ?? [])][0] ?? "");
    expect(doc).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/${FN}:*`,
        },
        {
          Sid: "WriteTraces",
          Effect: "Allow",
          Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
          Resource: "*",
        },
        {
          Sid: "ItemsTable",
          Effect: "Allow",
          Action: [
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Scan",
            "dynamodb:UpdateItem",
          ],
          Resource: TABLE_ARN,
        },
      ],
    });
    const actions = doc.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions.some((a: string) => a === "*" || a.endsWith(":*"))).toBe(false);
    expect(Object.fromEntries(role?.tags ?? [])).toEqual(TAGS);
  });

  it("deploys the function from the S3 object with tracing, JSON logs, environment and tags", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    const f = w.fake.lambda.functions.get(FN);
    expect(f?.state).toBe("Active");
    expect(f?.config).toMatchObject({
      Runtime: "nodejs24.x",
      Handler: "index.handler",
      MemorySize: 256,
      Timeout: 30,
      Role: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`,
      TracingConfig: { Mode: "Active" },
      LoggingConfig: { LogFormat: "JSON", LogGroup: `/aws/lambda/${FN}` },
      Environment: {
        Variables: {
          TABLE_NAME: "serverless-automation-production-items",
          ENVIRONMENT: "production",
          LOG_LEVEL: "info",
          CORS_ORIGIN: "*",
        },
      },
    });
    const create = w.fake.callLog().find((c) => c.operation === "CreateFunction" && !c.error);
    const state = await w.readState();
    const key = (state?.resources as Record<string, { outputs: Record<string, string> }>).artifact
      ?.outputs.key;
    expect(create?.input.Code).toEqual({
      S3Bucket: `serverless-automation-production-${ACCOUNT}-us-east-1`,
      S3Key: key,
    });
    expect(Object.fromEntries(f?.tags ?? [])).toEqual(TAGS);
  });

  it("pre-creates the log groups with retention and tags", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    for (const name of [
      `/aws/lambda/${FN}`,
      "/aws/apigateway/serverless-automation-production-access",
    ]) {
      const g = w.fake.logs.groups.get(name);
      expect(g?.retentionInDays, name).toBe(14);
      expect(Object.fromEntries(g?.tags ?? []), name).toEqual(TAGS);
    }
  });

  it("creates the error-rate and throttles alarms on this function", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    const rate = w.fake.cloudwatch.alarms.get("serverless-automation-production-error-rate");
    expect(rate?.definition).toMatchObject({
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 5,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: "notBreaching",
    });
    const metrics = rate?.definition.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] }; Period: number };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe("100 * errors / invocations");
    for (const m of metrics.filter((x) => x.MetricStat)) {
      expect(m.MetricStat?.Period).toBe(300);
      expect(m.MetricStat?.Metric.Dimensions).toEqual([{ Name: "FunctionName", Value: FN }]);
    }
    expect(
      metrics
        .map((m) => m.MetricStat?.Metric.MetricName)
        .filter(Boolean)
        .sort(),
    ).toEqual(["Errors", "Invocations"]);
    const thr = w.fake.cloudwatch.alarms.get("serverless-automation-production-throttles");
    expect(thr?.definition).toMatchObject({
      MetricName: "Throttles",
      Namespace: "AWS/Lambda",
      Statistic: "Sum",
      Period: 300,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Dimensions: [{ Name: "FunctionName", Value: FN }],
    });
    expect(Object.fromEntries(rate?.tags ?? [])).toEqual(TAGS);
    expect(Object.fromEntries(thr?.tags ?? [])).toEqual(TAGS);
  });

  it("waits out IAM propagation: CreateFunction is retried on AWS's message only", async () => {
    const w = world();
    w.fake.iam.timings.propagationMs = 1500; // wide enough that a loaded machine still meets it
    w.fake.dynamodb.timings.creatingMs = 0;
    const r = await w.run(["up"]);
    expect(r.code).toBe(0);
    const attempts = w.fake.callLog().filter((c) => c.operation === "CreateFunction");
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.slice(0, -1).every((c) => c.error === "InvalidParameterValueException")).toBe(
      true,
    );
    expect(attempts.at(-1)?.error).toBeUndefined();
    expect(r.stderr).toContain("waiting for the IAM role to propagate");
  });

  it("reverts a memory size changed behind its back", async () => {
    const w = world();
    await w.run(["up"]);
    await w.fake
      .clients()
      .lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, MemorySize: 1024 }));
    w.fake.resetCalls();
    const r = await w.run(["up"]);
    expect(r.code).toBe(0);
    expect(w.fake.lambda.functions.get(FN)?.config.MemorySize).toBe(256);
    const updates = w.fake.callLog({ mutating: true, ok: true });
    expect(updates.map((c) => c.operation)).toEqual(["UpdateFunctionConfiguration"]);
    expect(updates[0]?.input).toEqual({ FunctionName: FN, MemorySize: 256 });
  });

  it("recreates a deleted alarm and nothing else", async () => {
    const w = world();
    await w.run(["up"]);
    await w.fake
      .clients()
      .cloudwatch.send(
        new DeleteAlarmsCommand({ AlarmNames: ["serverless-automation-production-throttles"] }),
      );
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual(["CloudWatch.PutMetricAlarm"]);
    expect(w.fake.cloudwatch.alarms.has("serverless-automation-production-throttles")).toBe(true);
  });

  it("a code-only change uploads once, updates only the function's code, publishes it and moves the alias", async () => {
    const w = world();
    const entry = path.join(w.cwd, "handler.ts");
    await fs.writeFile(
      entry,
      'export const handler = async () => ({ statusCode: 200, body: "a" });\n',
    );
    await w.run(["up"], { handlerEntry: entry });
    const before = w.fake.lambda.functions.get(FN)?.codeSha256;
    await fs.writeFile(
      entry,
      'export const handler = async () => ({ statusCode: 200, body: "b" });\n',
    );
    w.fake.resetCalls();
    expect((await w.run(["up"], { handlerEntry: entry })).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([
      "S3.PutObject",
      "Lambda.UpdateFunctionCode",
      "Lambda.PublishVersion",
      "CloudWatch.PutMetricAlarm",
      "Lambda.UpdateAlias",
    ]);
    const f = w.fake.lambda.functions.get(FN);
    expect(f?.codeSha256).not.toBe(before);
    // The new code is version 2, and the alias the API calls serves it.
    expect(f?.versions.get("2")?.codeSha256).toBe(f?.codeSha256);
    expect(f?.aliases.get("live")?.functionVersion).toBe("2");
  });

  it("deploys two stages side by side without touching each other", async () => {
    const w = world();
    expect((await w.run(["up", "--stage", "dev"])).code).toBe(0);
    const devFn = structuredClone(
      w.fake.lambda.functions.get("serverless-automation-dev-api")?.config,
    );
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    for (const c of w.fake.callLog({ mutating: true })) {
      expect(JSON.stringify(c.input), `${c.operation} touched the dev stage`).not.toMatch(
        /serverless-automation-dev/,
      );
    }
    expect(w.fake.lambda.functions.get("serverless-automation-dev-api")?.config).toEqual(devFn);
    expect(w.fake.lambda.functions.has(FN)).toBe(true);
    expect(w.fake.dynamodb.tables.has("serverless-automation-dev-items")).toBe(true);
    expect(w.fake.dynamodb.tables.has("serverless-automation-production-items")).toBe(true);
    expect(await w.readState("dev")).toMatchObject({ stage: "dev" });
    w.fake.resetCalls();
    expect((await w.run(["up", "--stage", "dev"])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });
});
