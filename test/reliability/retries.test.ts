import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { expectDesignedStack } from "../expected.js";
import { awsError } from "../fake-aws/index.js";
import type { World } from "../helpers.js";
import {
  ACCOUNT,
  inventory,
  nonEmpty,
  snapshot,
  STACK,
  tinyHandler,
  quickWorld,
  SETTLE_MS,
} from "./support.js";

/**
 * Faults AWS really returns, through the SDK's own retry strategy (the fake sits below it) and
 * the tool's retryWhile: `up` and `down` must converge with nothing lost and nothing duplicated.
 * The SDK's standard strategy waits up to 100 ms × 2^n per retry (500 ms × 2^n for throttling),
 * unchanged here: throttling bursts are kept to one or two calls so that stays about a second
 * per test.
 */

const entry = tinyHandler();
const IO = { handlerEntry: entry };
const ROLE = `${STACK}-function-us-east-1`;
const FN = `${STACK}-api`;

async function settledSnapshot(w: World): Promise<Record<string, unknown>> {
  await sleep(SETTLE_MS);
  const s = await w.run(["status"], IO);
  expect(s.code, `status:\n${s.stdout}${s.stderr}`).toBe(0);
  return snapshot(w.fake);
}

// What a fault-free cold up leaves in an account, and the calls up and down make.
const ref = quickWorld();
if ((await ref.run(["up"], IO)).code !== 0) throw new Error("the reference up failed");
const UP_OPS = [
  ...new Set(
    ref.fake.callLog({ mutating: true, ok: true }).map((c) => `${c.service}.${c.operation}`),
  ),
];
const REFERENCE = await settledSnapshot(ref);
const REFERENCE_COUNTS = inventory(ref.fake);
ref.fake.resetCalls();
if ((await ref.run(["down", "--yes"], IO)).code !== 0) throw new Error("the reference down failed");
const DOWN_OPS = [
  ...new Set(
    ref.fake.callLog({ mutating: true, ok: true }).map((c) => `${c.service}.${c.operation}`),
  ),
];
const HAS_API_GATEWAY = Object.values(ref.fake).some(
  (v) => (v as { name?: unknown } | null)?.name === "APIGateway",
);

/** The calls to one operation, in order, as "ok" or the error name. */
function attempts(w: World, service: string, operation: string): string[] {
  return w.fake
    .callLog({ service })
    .filter((c) => c.operation === operation)
    .map((c) => c.error ?? "ok");
}

/** The same stack as a fault-free run made, and the one the design describes (hand-written). */
async function expectConverged(w: World): Promise<void> {
  expect(inventory(w.fake)).toEqual(REFERENCE_COUNTS);
  expect(await settledSnapshot(w)).toEqual(REFERENCE);
  await expectDesignedStack(w.fake);
}

async function expectRemoved(w: World): Promise<void> {
  const r = await w.run(["down", "--yes"], IO);
  expect(r.code, r.stderr).toBe(0);
  expect(nonEmpty(w.fake)).toEqual({});
}

const timeoutError = (): Error =>
  Object.assign(new Error("Connection timed out after 3000 ms"), {
    name: "TimeoutError",
    code: "ETIMEDOUT",
  });

interface Burst {
  readonly title: string;
  readonly service: string;
  readonly operation: string;
  readonly times: number;
  readonly error: () => Error;
  readonly delayMs?: number;
}

// Throttling and 5xx as each service spells them; each is retried by the SDK's strategy.
const UP_BURSTS: Burst[] = [
  { title: "S3 SlowDown 503", service: "S3", operation: "CreateBucket", times: 1,
    error: () => awsError("S3", "SlowDown", "Please reduce your request rate.", 503) },
  { title: "DynamoDB ThrottlingException 400", service: "DynamoDB", operation: "CreateTable",
    times: 1, error: () => awsError("DynamoDB", "ThrottlingException", "Rate of requests exceeds the allowed throughput.") },
  { title: "DynamoDB ProvisionedThroughputExceededException", service: "DynamoDB",
    operation: "DescribeTable", times: 1,
    error: () => awsError("DynamoDB", "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded.") },
  { title: "IAM Throttling 400", service: "IAM", operation: "CreateRole", times: 2,
    error: () => awsError("IAM", "Throttling", "Rate exceeded") },
  { title: "IAM Throttling on PutRolePolicy", service: "IAM", operation: "PutRolePolicy",
    times: 1, error: () => awsError("IAM", "Throttling", "Rate exceeded") },
  { title: "Lambda TooManyRequestsException 429", service: "Lambda", operation: "CreateFunction",
    times: 1, error: () => awsError("Lambda", "TooManyRequestsException", "Rate exceeded", 429) },
  { title: "CloudWatch Logs ServiceUnavailableException 503", service: "CloudWatchLogs",
    operation: "CreateLogGroup", times: 2,
    error: () => awsError("CloudWatchLogs", "ServiceUnavailableException", "The service cannot complete the request.", 503) },
  { title: "CloudWatch InternalFailure 500", service: "CloudWatch", operation: "PutMetricAlarm",
    times: 2, error: () => awsError("CloudWatch", "InternalFailure", "The request processing has failed because of an unknown error.", 500) },
  { title: "STS ServiceUnavailable 503 on the first call", service: "STS",
    operation: "GetCallerIdentity", times: 1,
    error: () => awsError("STS", "ServiceUnavailable", "Service unavailable", 503) },
  { title: "a request that times out (S3 PutObject, delayed then TimeoutError)", service: "S3",
    operation: "PutObject", times: 1, delayMs: 150, error: timeoutError },
  // S3 sends RequestTimeout when an upload's body stalls; a HEAD has no body to stall.
  { title: "S3 RequestTimeout 400 on PutObject", service: "S3", operation: "PutObject",
    times: 1, error: () => awsError("S3", "RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period.") },
  // A HEAD answer has no body: the SDK goes by the status code alone.
  { title: "S3 503 on HeadBucket (no body)", service: "S3", operation: "HeadBucket",
    times: 1, error: () => awsError("S3", "SlowDown", "Please reduce your request rate.", 503) },
]; // prettier-ignore

describe("up retries transient faults and converges", () => {
  it.each(UP_BURSTS.map((b) => [b.title, b] as const))("%s", async (_title, b) => {
    const w = quickWorld();
    const fault = w.fake.inject({
      service: b.service,
      operation: b.operation,
      times: b.times,
      error: b.error,
      ...(b.delayMs ? { delayMs: b.delayMs } : {}),
    });
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(fault.times, "every injected fault was hit").toBe(0);
    const tries = attempts(w, b.service, b.operation);
    expect(tries.slice(0, b.times).every((t) => t !== "ok")).toBe(true);
    expect(tries).toContain("ok");
    await expectConverged(w);
    await expectRemoved(w);
  });

  it.skipIf(!HAS_API_GATEWAY)("API Gateway TooManyRequestsException 429", async () => {
    const w = quickWorld();
    const fault = w.fake.inject({
      service: "APIGateway",
      operation: "CreateRestApi",
      times: 3,
      error: () => awsError("APIGateway", "TooManyRequestsException", "Too Many Requests", 429),
    });
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(fault.times).toBe(0);
    await expectConverged(w);
    await expectRemoved(w);
  });
});

/**
 * The worst timeout: AWS did the work but the response never arrived, so the retried call
 * meets what the first one made ("already exists"/"not found"). Every create and delete the
 * tool makes is covered, one test each.
 */
describe("a response lost after AWS applied the call", () => {
  const lose = (w: World, op: string) => {
    const [service, operation] = op.split(".") as [string, string];
    return w.fake.inject({
      service,
      operation,
      times: 1,
      after: () => {
        throw timeoutError();
      },
    });
  };

  it.each(UP_OPS)("up: %s", async (op) => {
    const w = quickWorld();
    const fault = lose(w, op);
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(fault.times).toBe(0);
    if (op === "S3.PutObject") {
      // The SDK's retry stores the same bytes again as a new version of the same key: the
      // first becomes noncurrent and the lifecycle rule expires it. Same object, no orphan.
      const objects = [...(w.fake.s3.buckets.values().next().value?.objects.values() ?? [])];
      expect(objects).toHaveLength(1);
      const versions = objects[0] ?? [];
      expect(versions).toHaveLength(2);
      expect(versions[0]?.body?.equals(versions[1]?.body ?? Buffer.alloc(0))).toBe(true);
      versions.pop();
    }
    await expectConverged(w);
    await expectRemoved(w);
  });

  it.each(DOWN_OPS)("down: %s", async (op) => {
    const w = quickWorld();
    expect((await w.run(["up"], IO)).code).toBe(0);
    const fault = lose(w, op);
    const r = await w.run(["down", "--yes"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(fault.times).toBe(0);
    expect(nonEmpty(w.fake)).toEqual({});
  });
});

describe("eventual consistency windows are waited out, visibly", () => {
  it("IAM propagation: CreateFunction is retried until the role is usable", async () => {
    const w = quickWorld();
    w.fake.iam.timings.propagationMs = 1500; // wide enough that a loaded machine still meets it
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    const tries = attempts(w, "Lambda", "CreateFunction");
    expect(tries.length).toBeGreaterThan(1);
    expect(tries.slice(0, -1).every((t) => t === "InvalidParameterValueException")).toBe(true);
    expect(r.stderr).toContain("waiting for the IAM role to propagate");
    await expectConverged(w);
    await expectRemoved(w);
  });

  it("DynamoDB PITR: enabling backups is retried until the table allows it", async () => {
    const w = quickWorld();
    w.fake.dynamodb.timings.backupsDelayMs = 1500; // a window a loaded machine still meets
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    const tries = attempts(w, "DynamoDB", "UpdateContinuousBackups");
    expect(tries[0]).toBe("ContinuousBackupsUnavailableException");
    expect(tries.at(-1)).toBe("ok");
    expect(r.stderr).toContain("waiting for the table's backups to become available");
    await expectConverged(w);
    await expectRemoved(w);
  });

  it("Lambda Pending and InProgress: waits, and retries ResourceConflictException", async () => {
    const w = quickWorld();
    w.fake.lambda.timings.pendingMs = 100;
    expect((await w.run(["up"], IO)).code).toBe(0);
    // Someone else's update is still running when up wants to change the function.
    w.fake.lambda.timings.updatingMs = 100;
    await w.fake
      .clients()
      .lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, MemorySize: 512 }));
    const conflict = w.fake.inject({
      service: "Lambda",
      operation: "UpdateFunctionConfiguration",
      times: 2,
      error: () =>
        awsError(
          "Lambda",
          "ResourceConflictException",
          `The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:${ACCOUNT}:function:${FN}`,
          409,
        ),
    });
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(conflict.times).toBe(0);
    expect(r.stderr).toContain("waiting for the function's previous update to finish");
    expect(w.fake.lambda.functions.get(FN)?.config.MemorySize).toBe(256);
    await expectConverged(w);
    w.fake.inject({
      service: "Lambda",
      operation: "DeleteFunction",
      times: 2,
      error: () =>
        awsError(
          "Lambda",
          "ResourceConflictException",
          `An update is in progress for resource: arn:aws:lambda:us-east-1:${ACCOUNT}:function:${FN}`,
          409,
        ),
    });
    await expectRemoved(w);
  });

  it("DynamoDB: DeleteTable while the table is still UPDATING is retried", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], IO)).code).toBe(0);
    const busy = w.fake.inject({
      service: "DynamoDB",
      operation: "DeleteTable",
      times: 2,
      error: () =>
        awsError(
          "DynamoDB",
          "ResourceInUseException",
          `Attempt to change a resource which is still in use: Table is being updated: ${STACK}-items`,
        ),
    });
    await expectRemoved(w);
    expect(busy.times).toBe(0);
  });
});

describe("a permanent AccessDenied stops cleanly", () => {
  const denied = () =>
    awsError(
      "IAM",
      "AccessDenied",
      `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${ACCOUNT}:role/${ROLE} because no identity-based policy allows the iam:CreateRole action`,
      403,
    );

  it("exits 1 naming the resource and the action, records exactly what was made, and the next up converges", async () => {
    const w = quickWorld();
    w.fake.inject({
      service: "IAM",
      operation: "CreateRole",
      times: Infinity,
      when: (i) => i.RoleName === ROLE,
      error: denied,
    });
    const r = await w.run(["up"], IO);
    expect(r.code).toBe(1);
    // Not retried: AccessDenied is not transient.
    const mine = w.fake
      .callLog({ service: "IAM" })
      .filter((c) => c.operation === "CreateRole" && c.input.RoleName === ROLE);
    expect(mine.map((c) => c.error)).toEqual(["AccessDenied"]);
    expect(r.stderr).toContain(`creating IAM role (${ROLE})`);
    expect(r.stderr).toContain("iam:CreateRole");
    expect(r.stderr).toContain(
      `AWS refused iam:CreateRole on arn:aws:iam::${ACCOUNT}:role/${ROLE}: grant it to the credentials you deploy with.`,
    );
    expect(r.stderr).toContain("`npx serverless-automation policy --for deploy` prints");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    // Nothing depending on the role was attempted.
    expect(attempts(w, "Lambda", "CreateFunction")).toEqual([]);

    const state = JSON.parse(readFileSync(w.statePath(), "utf8")) as {
      resources: Record<string, { kind: string; id: string }>;
    };
    expect(Object.keys(state.resources).sort()).toEqual(
      [
        "accessLogGroup",
        "api5xxAlarm",
        "apiGatewayAccount",
        // The region's logging role (another name than the one denied) is made and recorded.
        "apiGatewayLoggingRole",
        "apiRequestsAlarm",
        "artifact",
        "bucket",
        "errorRateAlarm",
        "functionLogGroup",
        "table",
        "throttlesAlarm",
      ].sort(),
    );
    // Everything recorded exists, and everything that exists is recorded.
    expect(w.fake.iam.roles.has(ROLE)).toBe(false);
    expect(w.fake.lambda.functions.size).toBe(0);
    expect(w.fake.s3.buckets.has(state.resources.bucket?.id ?? "")).toBe(true);
    expect(w.fake.dynamodb.tables.has(state.resources.table?.id ?? "")).toBe(true);
    expect([...w.fake.logs.groups.keys()].sort()).toEqual(
      [state.resources.functionLogGroup?.id, state.resources.accessLogGroup?.id].sort(),
    );
    expect([...w.fake.cloudwatch.alarms.keys()].sort()).toEqual(
      [
        state.resources.errorRateAlarm?.id,
        state.resources.throttlesAlarm?.id,
        state.resources.api5xxAlarm?.id,
        state.resources.apiRequestsAlarm?.id,
      ].sort(),
    );

    w.fake.clearFaults();
    const again = await w.run(["up"], IO);
    expect(again.code, again.stderr).toBe(0);
    await expectConverged(w);
    await expectRemoved(w);
  });

  it("down: a denied DeleteRole keeps the role in the state file; down again finishes", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], IO)).code).toBe(0);
    w.fake.inject({
      service: "IAM",
      operation: "DeleteRole",
      times: Infinity,
      when: (i) => i.RoleName === ROLE,
      error: () =>
        awsError(
          "IAM",
          "AccessDenied",
          `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: iam:DeleteRole on resource: role ${ROLE}`,
          403,
        ),
    });
    const r = await w.run(["down", "--yes"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`deleting IAM role (${ROLE})`);
    expect(r.stderr).toContain(`AWS refused iam:DeleteRole on role ${ROLE}: grant it`);
    const state = JSON.parse(readFileSync(w.statePath(), "utf8")) as {
      resources: Record<string, { id: string }>;
    };
    expect(Object.values(state.resources).map((e) => e.id)).toEqual([ROLE]);
    expect(nonEmpty(w.fake)).toEqual({ "IAM.roles": 1 });
    w.fake.clearFaults();
    await expectRemoved(w);
  });
});
