import { describe, expect, it } from "vitest";
import type { StateEntry } from "../../src/engine/types.js";
import { UserError } from "../../src/errors.js";
import {
  approximateItemCount,
  KEY_SCHEMA_HINT,
  tableHandler as table,
  tableKind,
} from "../../src/resources/table.js";
import { awsError } from "../fake-aws/index.js";
import { kindWorld } from "./kind-ctx.js";

/**
 * The DynamoDB table on its own: what CreateTable is sent, which drift is named (and the key
 * schema refused, never converted), the one UpdateTable that repairs settings, and a delete that
 * lifts deletion protection first.
 */

const NAME = "shop-production-items";
const ARN = `arn:aws:dynamodb:us-east-1:123456789012:table/${NAME}`;
type Props = Parameters<typeof tableKind.diff>[0];
const props = (over: Partial<Props> = {}): Props => ({
  name: NAME,
  arn: ARN,
  key: { partitionKey: { name: "id", type: "string" } },
  maxReadUnits: -1,
  maxWriteUnits: -1,
  tags: { project: "shop" },
  ...over,
});
const entry = (id: string) => ({ kind: "dynamodb-table", id }) as unknown as StateEntry;
type Current = Parameters<typeof tableKind.diff>[1]["current"];
const synced: Current = {
  status: "ACTIVE",
  keySchema: "id:S:HASH",
  billingMode: "PAY_PER_REQUEST",
  deletionProtection: true,
  pitr: true,
  maxReadUnits: -1,
  maxWriteUnits: -1,
  tags: { project: "shop" },
  itemCount: 0,
};
const obs = (over: Partial<Current> = {}) => ({
  id: NAME,
  outputs: { name: NAME, arn: ARN, keySchema: "id:S:HASH" },
  current: { ...synced, ...over },
});

describe("DynamoDB table", () => {
  it("is recorded as dynamodb-table and shown by its name", () => {
    expect(tableKind.kind).toBe("dynamodb-table");
    expect(table.label).toBe("DynamoDB table");
    expect(table.displayId(props())).toBe(NAME);
  });

  it("create: on demand, protected, tagged, with its keys; PITR enabled once it is active", async () => {
    const w = kindWorld();
    const key = {
      partitionKey: { name: "pk", type: "string" as const },
      sortKey: { name: "sk", type: "number" as const },
    };
    const o = await table.create(w.ctx, props({ key }));
    expect(w.inputs("CreateTable")).toEqual([
      {
        TableName: NAME,
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "N" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        BillingMode: "PAY_PER_REQUEST",
        DeletionProtectionEnabled: true,
        Tags: [{ Key: "project", Value: "shop" }],
      },
    ]);
    // Retried while the new table's backups are not yet available: the last call is the one.
    expect(w.inputs("UpdateContinuousBackups").at(-1)).toEqual({
      TableName: NAME,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(w.inputs("UpdateTable")).toEqual([]);
    expect(o.outputs).toEqual({ name: NAME, arn: ARN, keySchema: "pk:S:HASH,sk:N:RANGE" });
    expect(w.fake.dynamodb.tables.get(NAME)?.pitr).toBe(true);
  });

  it("create with maxima: only the members set are sent", async () => {
    const w = kindWorld();
    await table.create(w.ctx, props({ maxReadUnits: 100 }));
    expect(w.inputs("CreateTable")[0]?.OnDemandThroughput).toEqual({ MaxReadRequestUnits: 100 });
    const v = kindWorld();
    await table.create(v.ctx, props({ maxWriteUnits: 5 }));
    expect(v.inputs("CreateTable")[0]?.OnDemandThroughput).toEqual({ MaxWriteRequestUnits: 5 });
    const both = kindWorld();
    await table.create(both.ctx, props({ maxReadUnits: 1, maxWriteUnits: 2 }));
    expect(both.inputs("CreateTable")[0]?.OnDemandThroughput).toEqual({
      MaxReadRequestUnits: 1,
      MaxWriteRequestUnits: 2,
    });
    const none = kindWorld();
    await table.create(none.ctx, props({ maxReadUnits: 0 }));
    expect(none.inputs("CreateTable")[0]).not.toHaveProperty("OnDemandThroughput");
  });

  it("a table made by a run that stopped is adopted; another create error fails", async () => {
    const w = kindWorld();
    await table.create(w.ctx, props());
    w.fake.resetCalls();
    const again = await table.create(w.ctx, props());
    expect(again.id).toBe(NAME);
    expect(w.inputs("CreateTable")).toHaveLength(1);
    const v = kindWorld();
    v.fake.inject({
      operation: "CreateTable",
      times: 1,
      error: () => awsError("DynamoDB", "ValidationException", "bad name"),
    });
    await expect(table.create(v.ctx, props())).rejects.toMatchObject({
      name: "ValidationException",
    });
  });

  it("read: everything compared, as DynamoDB reports it", async () => {
    const w = kindWorld();
    expect(await table.observe(w.ctx, props(), undefined)).toBeUndefined();
    await table.create(w.ctx, props({ maxWriteUnits: 7 }));
    const o = await table.observe(w.ctx, props(), undefined);
    expect(o).toEqual({
      id: NAME,
      outputs: { name: NAME, arn: ARN, keySchema: "id:S:HASH" },
      current: { ...synced, maxWriteUnits: 7 },
    });
    expect(table.tagsOf?.(o!)).toEqual({ project: "shop" });
    expect(w.inputs("ListTagsOfResource").at(-1)).toEqual({ ResourceArn: ARN });
    expect(await approximateItemCount(w.ctx, NAME)).toBe(0);
    expect(await approximateItemCount(w.ctx, "nothing-here")).toBeUndefined();
  });

  it("read: no billing summary is provisioned; maxima below 1 are none; backups unknown are off", async () => {
    const w = kindWorld();
    await table.create(w.ctx, props());
    const original = w.fake.dynamodb.operations.DescribeTable!;
    w.fake.dynamodb.operations.DescribeTable = async (i, c) => {
      const out = (await original(i, c)) as { Table: Record<string, unknown> };
      const { BillingModeSummary: _b, ...rest } = out.Table;
      return { Table: { ...rest, OnDemandThroughput: { MaxReadRequestUnits: 0 } } };
    };
    w.fake.dynamodb.operations.DescribeContinuousBackups = () => ({});
    w.fake.dynamodb.operations.ListTagsOfResource = () => ({});
    const o = await table.observe(w.ctx, props(), undefined);
    expect(o?.current).toMatchObject({
      billingMode: "PROVISIONED",
      maxReadUnits: -1,
      maxWriteUnits: -1,
      pitr: false,
      tags: {},
    });
  });

  it("diff names each drift; maxima are compared only on demand", () => {
    expect(table.diff(props(), obs()).fields).toEqual([]);
    expect(table.diff(props(), obs({ keySchema: "pk:S:HASH" })).fields).toEqual(["keySchema"]);
    expect(
      table.diff(props(), obs({ billingMode: "PROVISIONED", maxReadUnits: 5 })).fields,
    ).toEqual(["billingMode"]);
    expect(table.diff(props({ maxReadUnits: 10 }), obs()).fields).toEqual(["maxReadUnits"]);
    expect(table.diff(props({ maxWriteUnits: 10 }), obs()).fields).toEqual(["maxWriteUnits"]);
    expect(table.diff(props({ maxReadUnits: 0 }), obs()).fields).toEqual([]);
    expect(
      table.diff(props(), obs({ deletionProtection: false, pitr: false, tags: {} })).fields,
    ).toEqual(["deletionProtection", "pitr", "tags"]);
  });

  it("another key schema is refused, in the plan and in a fix, and nothing is changed", async () => {
    const o = obs({ keySchema: "pk:S:HASH" });
    const refused = table.refuse!(props(), o, { fields: ["keySchema", "tags"] });
    expect(refused).toBeInstanceOf(UserError);
    expect(refused?.message).toBe(
      `The DynamoDB table ${NAME} exists with another key schema (pk:S:HASH; the config asks for id:S:HASH); nothing was changed.`,
    );
    expect((refused as UserError).hint).toBe(KEY_SCHEMA_HINT);
    expect(table.refuse!(props(), obs(), { fields: ["tags"] })).toBeUndefined();
    const w = kindWorld();
    await expect(
      table.update(w.ctx, props(), o, { fields: ["keySchema", "tags"] }),
    ).rejects.toBeInstanceOf(UserError);
    expect(w.fake.callLog({ mutating: true })).toEqual([]);
  });

  it("settings drift: one UpdateTable with just what differs", async () => {
    const w = kindWorld();
    await table.create(w.ctx, props());
    const send = async (p: Props, fields: string[]) => {
      w.fake.resetCalls();
      await table.update(w.ctx, p, obs(), { fields });
      return w.inputs("UpdateTable");
    };
    expect(await send(props(), ["deletionProtection"])).toEqual([
      { TableName: NAME, DeletionProtectionEnabled: true },
    ]);
    expect(await send(props({ maxReadUnits: 9 }), ["maxReadUnits"])).toEqual([
      {
        TableName: NAME,
        OnDemandThroughput: { MaxReadRequestUnits: 9, MaxWriteRequestUnits: -1 },
      },
    ]);
    expect(await send(props({ maxWriteUnits: 4 }), ["maxWriteUnits"])).toEqual([
      {
        TableName: NAME,
        OnDemandThroughput: { MaxReadRequestUnits: -1, MaxWriteRequestUnits: 4 },
      },
    ]);
    expect(await send(props(), ["billingMode"])).toEqual([
      {
        TableName: NAME,
        BillingMode: "PAY_PER_REQUEST",
        OnDemandThroughput: { MaxReadRequestUnits: -1, MaxWriteRequestUnits: -1 },
      },
    ]);
    expect(await send(props({ tags: { team: "a" } }), ["tags"])).toEqual([]);
    expect(w.inputs("TagResource")).toEqual([
      { ResourceArn: ARN, Tags: [{ Key: "team", Value: "a" }] },
    ]);
  });

  it("a table still being changed is waited out, with what it waits for said", async () => {
    const w = kindWorld();
    await table.create(w.ctx, props());
    w.fake.inject({
      operation: "UpdateTable",
      times: 1,
      error: () => awsError("DynamoDB", "ResourceInUseException", "Table is being updated"),
    });
    w.fake.inject({
      operation: "UpdateContinuousBackups",
      times: 1,
      error: () =>
        awsError("DynamoDB", "ContinuousBackupsUnavailableException", "Backups are being enabled"),
    });
    w.progress.length = 0;
    await table.update(w.ctx, props(), obs(), { fields: ["deletionProtection", "pitr"] });
    expect(w.progress).toContain("waiting for the table to finish its current change");
    expect(w.progress).toContain("waiting for the table's backups to become available");
    expect(w.inputs("UpdateTable")).toHaveLength(2);
    w.fake.inject({
      operation: "UpdateTable",
      times: 1,
      error: () => awsError("DynamoDB", "ValidationException", "nope"),
    });
    await expect(
      table.update(w.ctx, props(), obs(), { fields: ["deletionProtection"] }),
    ).rejects.toMatchObject({ name: "ValidationException" });
  });

  it("delete: protection lifted, then deleted and waited for; gone or going is done", async () => {
    const w = kindWorld();
    await table.create(w.ctx, props());
    w.fake.resetCalls();
    await table.destroy(w.ctx, entry(NAME));
    expect(w.fake.operations({ mutating: true })).toEqual([
      "DynamoDB.UpdateTable",
      "DynamoDB.DeleteTable",
    ]);
    expect(w.inputs("UpdateTable")).toEqual([
      { TableName: NAME, DeletionProtectionEnabled: false },
    ]);
    expect(w.inputs("DeleteTable")).toEqual([{ TableName: NAME }]);
    expect(w.fake.dynamodb.tables.has(NAME)).toBe(false);
    w.fake.resetCalls();
    await table.destroy(w.ctx, entry(NAME));
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("delete: an unprotected table is deleted at once; one already deleting is waited for", async () => {
    const w = kindWorld();
    await table.create(w.ctx, props());
    w.fake.dynamodb.tables.get(NAME)!.deletionProtection = false;
    w.fake.resetCalls();
    await table.destroy(w.ctx, entry(NAME));
    expect(w.fake.operations({ mutating: true })).toEqual(["DynamoDB.DeleteTable"]);
    await table.create(w.ctx, props());
    const t = w.fake.dynamodb.tables.get(NAME)!;
    t.status = "DELETING";
    t.settlesAt = Date.now() + 30;
    w.fake.resetCalls();
    await table.destroy(w.ctx, entry(NAME));
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(w.fake.dynamodb.tables.has(NAME)).toBe(false);
  });

  it("delete of a protected table still being created: waits until it is active", async () => {
    const w = kindWorld();
    await w.ctx.clients.dynamodb.send(
      new (await import("@aws-sdk/client-dynamodb")).CreateTableCommand({
        TableName: NAME,
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
        DeletionProtectionEnabled: true,
      }),
    );
    await table.destroy(w.ctx, entry(NAME));
    expect(w.fake.dynamodb.tables.has(NAME)).toBe(false);
    expect(w.progress).toContain("waiting for the table to become ACTIVE");
  });
});
