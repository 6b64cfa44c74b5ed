import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { PutBucketVersioningCommand, GetBucketVersioningCommand } from "@aws-sdk/client-s3";
import { DeleteAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeTableCommand, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import {
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { expectStack, inventory, isEmpty } from "./aws.js";
import { CREDENTIALS, handlerVariant, runBin, runMain } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * The whole lifecycle against an independent implementation of the AWS APIs (moto), over the
 * real wire protocols, through the built CLI: every property read back through the SDK.
 */

Object.assign(process.env, CREDENTIALS);

const em = useEmulator();

async function cli(argv: string[]) {
  em.proxy.arm(undefined);
  return runBin(argv, em.cwd, em.env);
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("the lifecycle against moto", () => {
  it("dry-run on an empty account plans every create and makes no mutating call", async () => {
    const r = await cli(["up", "--dry-run", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { resources: { action: string }[] };
    expect(plan.resources.length).toBeGreaterThanOrEqual(16);
    expect(plan.resources.every((x) => x.action === "create")).toBe(true);
    expect(em.mutating()).toEqual([]);
    expect(isEmpty(await inventory(em.aws))).toBe(true);
  });

  it("a cold up creates the whole stack, every property as designed", async () => {
    const r = await cli(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Endpoint: http/);
    await expectStack(em.aws, "production");
  });

  it("a second up makes zero mutating calls, and status exits 0", async () => {
    const again = await cli(["up"]);
    expect(again.code, again.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
    const status = await cli(["status"]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).not.toMatch(/drifted|missing/);
    expect(em.mutating()).toEqual([]);
  });

  it("status names drift made by hand and exits 2; up repairs exactly that", async () => {
    const n = E.names("production");
    await em.aws.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: n.functionName, MemorySize: 512 }),
    );
    await em.aws.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [n.throttlesAlarm] }));
    const policy = JSON.parse(
      (await em.aws.lambda.send(new GetPolicyCommand({ FunctionName: `${n.functionName}:live` })))
        .Policy ?? "{}",
    ) as { Statement: { Sid: string }[] };
    const removed = policy.Statement[0]?.Sid as string;
    await em.aws.lambda.send(
      new RemovePermissionCommand({ FunctionName: `${n.functionName}:live`, StatementId: removed }),
    );
    await em.aws.s3.send(
      new PutBucketVersioningCommand({
        Bucket: n.bucket,
        VersioningConfiguration: { Status: "Suspended" },
      }),
    );
    // The table's read maximum lifted by hand.
    await em.aws.dynamodb.send(
      new UpdateTableCommand({
        TableName: n.table,
        OnDemandThroughput: { MaxReadRequestUnits: 40000 },
      }),
    );

    const status = await cli(["status", "--json"]);
    expect(status.code, status.stderr).toBe(2);
    const rows = (
      JSON.parse(status.stdout) as {
        resources: { label: string; id: string; state: string; fields: string[] }[];
      }
    ).resources;
    const row = (id: string) => rows.find((x) => x.id === id);
    expect(row(n.functionName)?.fields).toEqual(["memorySize"]);
    expect(row(n.throttlesAlarm)?.state).toBe("missing");
    expect(row(n.bucket)?.fields).toEqual(["versioning"]);
    expect(row(n.table)?.fields).toEqual(["maxReadUnits"]);
    expect(rows.find((x) => x.label === "API Gateway invoke permissions")?.state).toMatch(
      /drifted/,
    );
    expect(
      rows.filter((x) => x.state !== "in sync").map((x) => x.id),
      "nothing else is reported",
    ).toHaveLength(5);
    expect(em.mutating()).toEqual([]);

    const up = await cli(["up"]);
    expect(up.code, up.stderr).toBe(0);
    expect(em.mutating().sort()).toEqual(
      [
        `lambda PUT /2015-03-31/functions/${n.functionName}/configuration`,
        "monitoring PutMetricAlarm",
        // On the live alias (the SDK encodes the qualified name's colon).
        `lambda POST /2015-03-31/functions/${n.functionName}%3Alive/policy`,
        `s3 PUT /${n.bucket}/?versioning`,
        "dynamodb UpdateTable",
      ].sort(),
    );
    await expectStack(em.aws, "production");
    const cfg = await em.aws.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: n.functionName }),
    );
    expect(cfg.MemorySize).toBe(256);
    const ver = await em.aws.s3.send(new GetBucketVersioningCommand({ Bucket: n.bucket }));
    expect(ver.Status).toBe("Enabled");
    const table = await em.aws.dynamodb.send(new DescribeTableCommand({ TableName: n.table }));
    expect(table.Table?.OnDemandThroughput).toEqual(E.TABLE_ON_DEMAND_THROUGHPUT);

    const after = await cli(["up"]);
    expect(after.code).toBe(0);
    expect(em.mutating()).toEqual([]);
  });

  it("a code-only change: the upload, the code update, its version, and the alias moved to it", async () => {
    const n = E.names("production");
    em.proxy.arm(undefined);
    const changed = await runMain(["up"], em.cwd, em.env, {
      handlerEntry: handlerVariant(em.cwd, "v2"),
    });
    expect(changed.code, changed.stderr).toBe(0);
    expect(em.mutating()).toEqual([
      expect.stringMatching(new RegExp(`^s3 PUT /${n.bucket}/artifacts/[0-9a-f]{64}\\.zip`)),
      `lambda PUT /2015-03-31/functions/${n.functionName}/code`,
      // Published as version 2, the alarm on its errors pointed at it, and served by the alias.
      `lambda POST /2015-03-31/functions/${n.functionName}/versions`,
      "monitoring PutMetricAlarm",
      `lambda PUT /2015-03-31/functions/${n.functionName}/aliases/live`,
    ]);
    // And back to the built-in handler: its bundle is still in the bucket, so only the code
    // update.
    const back = await cli(["up"]);
    expect(back.code, back.stderr).toBe(0);
    // Version 1 is that code already: nothing is published, the alias goes back to it.
    expect(em.mutating()).toEqual([
      `lambda PUT /2015-03-31/functions/${n.functionName}/code`,
      "monitoring PutMetricAlarm",
      `lambda PUT /2015-03-31/functions/${n.functionName}/aliases/live`,
    ]);
  });

  it("with the state file deleted, up adopts everything with zero mutating calls", async () => {
    const file = path.join(em.cwd, ".serverless-automation", "production.us-east-1.json");
    expect(existsSync(file)).toBe(true);
    rmSync(file);
    const r = await cli(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
    expect(existsSync(file)).toBe(true);
    const status = await cli(["status"]);
    expect(status.code, status.stdout).toBe(0);
  });

  it("down leaves the account empty; down again exits 0", async () => {
    const r = await cli(["down", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await inventory(em.aws)).toEqual(
      Object.fromEntries(Object.keys(await inventory(em.aws)).map((k) => [k, []])),
    );
    const again = await cli(["down", "--yes"]);
    expect(again.code, again.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
  });

  it("--alarm-email wires both alarms to an encrypted topic with one subscription", async () => {
    const r = await cli(["up", "--alarm-email", "ops@example.com"]);
    expect(r.code, r.stderr).toBe(0);
    await expectStack(em.aws, "production", { email: "ops@example.com" });
    const again = await cli(["up", "--alarm-email", "ops@example.com"]);
    expect(again.code).toBe(0);
    expect(em.mutating()).toEqual([]);
    const down = await cli(["down", "--yes"]);
    expect(down.code, down.stderr).toBe(0);
    expect(isEmpty(await inventory(em.aws))).toBe(true);
  });

  it("--stage makes an independent copy; down of one leaves the other whole", async () => {
    const a = await cli(["up", "--stage", "dev"]);
    expect(a.code, a.stderr).toBe(0);
    await expectStack(em.aws, "dev");
    const b = await cli(["up", "--stage", "qa"]);
    expect(b.code, b.stderr).toBe(0);
    const inv = await inventory(em.aws);
    expect(inv.functions).toEqual([E.names("dev").functionName, E.names("qa").functionName]);
    const down = await cli(["down", "--yes", "--stage", "qa"]);
    expect(down.code, down.stderr).toBe(0);
    await expectStack(em.aws, "dev");
    const last = await cli(["down", "--yes", "--stage", "dev"]);
    expect(last.code, last.stderr).toBe(0);
    expect(isEmpty(await inventory(em.aws))).toBe(true);
  });
});
