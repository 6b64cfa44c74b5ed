import { promises as fs } from "node:fs";
import { PassThrough } from "node:stream";
import { DeleteAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  RemovePermissionCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { UpdateStageCommand } from "@aws-sdk/client-api-gateway";
import { PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { awsError } from "./fake-aws/index.js";
import type { FakeAccount } from "./fake-aws/index.js";
import { world } from "./helpers.js";

const BUCKET = "serverless-automation-production-123456789012-us-east-1";
const FN = "serverless-automation-production-api";

/** Everything the stack can have made, service by service. */
function leftovers(fake: FakeAccount, stage = "production"): Record<string, string[]> {
  const mine = (s: string) => s.includes(`serverless-automation-${stage}`);
  return {
    buckets: [...fake.s3.buckets.keys()].filter(mine),
    tables: [...fake.dynamodb.tables.keys()].filter(mine),
    functions: [...fake.lambda.functions.keys()].filter(mine),
    roles: [...fake.iam.roles.keys()].filter(mine),
    logGroups: [...fake.logs.groups.keys()].filter(mine),
    alarms: [...fake.cloudwatch.alarms.keys()].filter(mine),
    restApis: [...fake.apigateway.apis.values()].map((a) => a.name).filter(mine),
    // The execution-log group is named by API id, not by stage: any left counts.
    executionLogGroups: [...fake.logs.groups.keys()].filter((g) =>
      g.startsWith("API-Gateway-Execution-Logs_"),
    ),
  };
}

const EMPTY = {
  buckets: [],
  tables: [],
  functions: [],
  roles: [],
  logGroups: [],
  alarms: [],
  restApis: [],
  executionLogGroups: [],
};

describe("down", () => {
  it("removes everything up made, service by service, and the state file", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    expect(leftovers(w.fake).functions).toEqual([FN]);
    const r = await w.run(["down", "--yes"]);
    expect(r.stderr).not.toContain("error:");
    expect(r.code).toBe(0);
    expect(leftovers(w.fake)).toEqual(EMPTY);
    expect(await w.readState()).toBeUndefined();
    expect(r.stdout).toMatch(/removed/);
  });

  it("empties a versioned bucket of every version and delete marker first", async () => {
    const w = world();
    await w.run(["up"]);
    const b = w.fake.s3.buckets.get(BUCKET);
    // Old code versions and a delete marker, as months of deploys leave behind.
    for (let n = 0; n < 5; n++) {
      b?.objects.set(`artifacts/old-${n}.zip`, [
        {
          key: `artifacts/old-${n}.zip`,
          versionId: `v${n}`,
          body: Buffer.from("x"),
          deleteMarker: false,
          sse: "AES256",
          contentType: undefined,
          lastModified: new Date(),
        },
        {
          key: `artifacts/old-${n}.zip`,
          versionId: `m${n}`,
          body: undefined,
          deleteMarker: true,
          sse: undefined,
          contentType: undefined,
          lastModified: new Date(),
        },
      ]);
    }
    expect((await w.run(["down", "--yes"])).code).toBe(0);
    expect(w.fake.s3.buckets.has(BUCKET)).toBe(false);
  });

  it("turns off the table's deletion protection, then deletes it", async () => {
    const w = world();
    await w.run(["up"]);
    await w.run(["down", "--yes"]);
    const ops = w.fake.operations({ service: "DynamoDB", mutating: true, ok: true });
    expect(ops).toEqual(expect.arrayContaining(["DynamoDB.UpdateTable", "DynamoDB.DeleteTable"]));
    expect(ops.indexOf("DynamoDB.UpdateTable")).toBeLessThan(ops.indexOf("DynamoDB.DeleteTable"));
  });

  it("still removes everything when the state file is lost", async () => {
    const w = world();
    await w.run(["up"]);
    await fs.rm(w.statePath());
    const r = await w.run(["down", "--yes"]);
    expect(r.code).toBe(0);
    expect(leftovers(w.fake)).toEqual(EMPTY);
  });

  it("removes what an up that failed midway made", async () => {
    const w = world();
    w.fake.inject({
      service: "Lambda",
      operation: "CreateFunction",
      times: Infinity,
      error: () => awsError("Lambda", "ServiceException", "internal error", 500),
    });
    const up = await w.run(["up"]);
    expect(up.code).toBe(1);
    expect(leftovers(w.fake).tables).toHaveLength(1);
    w.fake.clearFaults();
    const r = await w.run(["down", "--yes"]);
    expect(r.code).toBe(0);
    expect(leftovers(w.fake)).toEqual(EMPTY);
  });

  it("a second down is a no-op that exits 0", async () => {
    const w = world();
    await w.run(["up"]);
    await w.run(["down", "--yes"]);
    w.fake.resetCalls();
    const r = await w.run(["down", "--yes"]);
    expect(r.code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(r.stdout).toMatch(/Nothing to delete/);
  });

  it("leaves other stages alone", async () => {
    const w = world();
    await w.run(["up", "--stage", "dev"]);
    await w.run(["up"]);
    expect((await w.run(["down", "--yes"])).code).toBe(0);
    expect({ ...leftovers(w.fake), executionLogGroups: [] }).toEqual(EMPTY);
    expect(leftovers(w.fake).executionLogGroups).toHaveLength(1);
    expect(leftovers(w.fake, "dev").restApis).toEqual(["serverless-automation-dev"]);
    expect(leftovers(w.fake, "dev").functions).toEqual(["serverless-automation-dev-api"]);
    expect(leftovers(w.fake, "dev").tables).toHaveLength(1);
  });

  it("refuses without a terminal and without --yes, and changes nothing", async () => {
    const w = world();
    await w.run(["up"]);
    w.fake.resetCalls();
    const r = await w.run(["down"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refusing without confirmation");
    expect(r.stderr).toContain("--yes");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(leftovers(w.fake).tables).toHaveLength(1);
  });

  it("asks in a terminal, listing the table's item count; 'n' cancels", async () => {
    const w = world();
    await w.run(["up"]);
    const table = w.fake.dynamodb.tables.get("serverless-automation-production-items");
    if (table) table.itemCount = 42;
    const answer = (text: string) => {
      const stdin = new PassThrough();
      stdin.end(text);
      return Object.assign(stdin, { isTTY: true });
    };
    w.fake.resetCalls();
    const no = await w.run(["down"], { stdin: answer("n\n") });
    expect(no.stderr).toContain("about 42 items");
    expect(no.stderr).toContain("Delete them? [y/N]");
    expect(no.code).toBe(1);
    expect(no.stdout).toContain("Cancelled");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    const yes = await w.run(["down"], { stdin: answer("y\n") });
    expect(yes.code).toBe(0);
    expect(leftovers(w.fake)).toEqual(EMPTY);
  });
});

describe("status", () => {
  it("reports in sync with exit 0 and makes zero mutating calls", async () => {
    const w = world();
    await w.run(["up"]);
    w.fake.resetCalls();
    const r = await w.run(["status"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Everything is in sync/);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("reports each kind of drift with exit 2 and names the field", async () => {
    const w = world();
    await w.run(["up"]);
    const c = w.fake.clients();
    await c.cloudwatch.send(
      new DeleteAlarmsCommand({ AlarmNames: ["serverless-automation-production-throttles"] }),
    );
    await c.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: FN, MemorySize: 512 }),
    );
    await c.s3.send(
      new PutBucketVersioningCommand({
        Bucket: BUCKET,
        VersioningConfiguration: { Status: "Suspended" },
      }),
    );
    await c.lambda.send(
      new RemovePermissionCommand({
        FunctionName: `${FN}:live`,
        StatementId: "apigateway-get-root",
      }),
    );
    const state = (await w.readState()) as { resources: { restApi: { id: string } } };
    await c.apigateway.send(
      new UpdateStageCommand({
        restApiId: state.resources.restApi.id,
        stageName: "prod",
        patchOperations: [{ op: "replace", path: "/*/*/logging/loglevel", value: "ERROR" }],
      }),
    );
    w.fake.resetCalls();
    const r = await w.run(["status", "--json"]);
    expect(r.code).toBe(2);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    const rows = r.json.resources as { key: string; state: string; fields: string[] }[];
    const row = (k: string) => rows.find((x) => x.key === k);
    expect(row("throttlesAlarm")).toMatchObject({ state: "missing" });
    expect(row("function")).toMatchObject({ state: "drifted", fields: ["memorySize"] });
    expect(row("bucket")).toMatchObject({ state: "drifted", fields: ["versioning"] });
    expect(row("table")).toMatchObject({ state: "in sync" });
    expect(row("permissions")).toMatchObject({ state: "drifted", fields: ["apigateway-get-root"] });
    expect(row("stage")?.state).toBe("drifted");
    expect(row("stage")?.fields.join(" ")).toMatch(/logging/i);
    const human = await w.run(["status"]);
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(/drifted: memorySize/);
    expect(human.stdout).toMatch(/drifted: versioning/);
    expect(human.stdout).toMatch(/missing/);
  });

  it("says 'not created' for a stack that was never deployed", async () => {
    const w = world();
    const r = await w.run(["status", "--json"]);
    expect(r.code).toBe(2);
    const rows = r.json.resources as { state: string }[];
    expect(new Set(rows.map((x) => x.state))).toEqual(new Set(["not created"]));
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });
});

describe("up --dry-run", () => {
  it("prints the plan and changes nothing", async () => {
    const w = world();
    await w.run(["up"]);
    await w.fake
      .clients()
      .lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, Timeout: 3 }));
    w.fake.resetCalls();
    const r = await w.run(["up", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /update\s+Lambda function\s+timeout\s+serverless-automation-production-api/,
    );
    expect(r.stdout).toMatch(/noop\s+DynamoDB table/);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(w.fake.lambda.functions.get(FN)?.config.Timeout).toBe(3);
  });

  it("on an empty account plans a create for every resource", async () => {
    const w = world();
    const r = await w.run(["up", "--dry-run", "--json"]);
    expect(r.code).toBe(0);
    const rows = r.json.resources as { action: string }[];
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.every((x) => x.action === "create")).toBe(true);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(await w.readState()).toBeUndefined();
  });
});

describe("interrupting", () => {
  it("up stops starting steps, records what finished, exits 130; the next up converges", async () => {
    const w = world();
    const stop = new AbortController();
    // Interrupt right after the function's role exists, while other steps are in flight.
    w.fake.inject({
      service: "IAM",
      operation: "CreateRole",
      times: 1,
      when: (i) => String(i.RoleName).endsWith("-function-us-east-1"),
      after: () => stop.abort(),
    });
    const r = await w.run(["up"], { signal: stop.signal });
    expect(r.code).toBe(130);
    expect(r.stdout).toContain("Interrupted");
    expect(w.fake.lambda.functions.size).toBe(0);
    const state = (await w.readState()) as { resources: Record<string, unknown> };
    expect(Object.keys(state.resources)).toContain("role");
    w.fake.resetCalls();
    const again = await w.run(["up"]);
    expect(again.code).toBe(0);
    // The function's role is not made again. (The region's logging role, a node of its own,
    // may not have been started when the run stopped.)
    const created = w.fake
      .callLog({ service: "IAM", mutating: true })
      .filter((c) => c.operation === "CreateRole" && !c.error)
      .map((c) => String(c.input.RoleName));
    expect(created.filter((n) => n.endsWith("-function-us-east-1"))).toEqual([]);
    expect(
      [...w.fake.iam.roles.keys()].filter((r) => r.endsWith("-function-us-east-1")),
    ).toHaveLength(1);
    expect([...w.fake.iam.roles.keys()].filter((r) => r.includes("-apigateway-"))).toHaveLength(1);
  });
});
