import { beforeEach, describe, expect, it, vi } from "vitest";
import type { StateEntry } from "../../src/engine/types.js";
import type * as KmsModule from "../../src/resources/kms-key.js";
import { awsError } from "../fake-aws/index.js";
import { kindWorld, type KindWorld } from "./kind-ctx.js";

/**
 * The alarm topic's KMS key on its own: its policy, the alias made before anything else, a key
 * scheduled for deletion brought back, and a delete that schedules (KMS never deletes at once).
 */

/** Loaded afresh for each test: the kind's table is evaluated once per load. */
let m: typeof KmsModule;
beforeEach(async () => {
  vi.resetModules();
  m = await import("../../src/resources/kms-key.js");
});

const ALIAS = "alias/shop-production-alarms";
const ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-production-5xx";
const policy = (alarmArns = [ALARM]) =>
  m.alarmKeyPolicy({ partition: "aws", region: "us-east-1", account: "123456789012", alarmArns });
const props = (over: Partial<KmsModule.KmsKeyProps> = {}): KmsModule.KmsKeyProps => ({
  alias: ALIAS,
  description: "Encrypts the alarm topic",
  policy: policy(),
  tags: { project: "shop", app: "x" },
  ...over,
});

async function made(): Promise<{ w: KindWorld; id: string; entry: StateEntry }> {
  const w = kindWorld();
  const o = await m.kmsKeyHandler.create(w.ctx, props());
  w.fake.resetCalls();
  const entry = { kind: "kms-key", id: o.id, outputs: o.outputs } as unknown as StateEntry;
  return { w, id: o.id, entry };
}

describe("KMS key", () => {
  it("its policy: the account administers it; CloudWatch uses it for the listed alarms only", () => {
    expect(policy()).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AccountAdministers",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:root" },
          Action: "kms:*",
          Resource: "*",
        },
        {
          Sid: "CloudWatchAlarmsPublish",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: "*",
          Condition: {
            StringEquals: { "aws:SourceAccount": "123456789012" },
            ArnEquals: { "aws:SourceArn": [ALARM] },
          },
        },
      ],
    });
    expect(m.kmsKeyKind.kind).toBe("kms-key");
    expect(m.kmsKeyHandler.label).toBe("KMS key");
    expect(m.kmsKeyHandler.displayId(props())).toBe(ALIAS);
    expect(m.pendingNote(new Date("2026-03-09T10:00:00Z"))).toBe(
      "scheduled for deletion on 2026-03-09 (KMS keeps a key at least 7 days; until then CancelKeyDeletion recovers it)",
    );
  });

  it("create: the key with its policy and sorted tags, its alias, then rotation", async () => {
    const w = kindWorld();
    const o = await m.kmsKeyHandler.create(w.ctx, props());
    expect(w.fake.operations({ mutating: true })).toEqual([
      "KMS.CreateKey",
      "KMS.CreateAlias",
      "KMS.EnableKeyRotation",
    ]);
    expect(w.inputs("CreateKey")).toEqual([
      {
        Description: "Encrypts the alarm topic",
        KeySpec: "SYMMETRIC_DEFAULT",
        KeyUsage: "ENCRYPT_DECRYPT",
        Policy: JSON.stringify(policy()),
        Tags: [
          { TagKey: "app", TagValue: "x" },
          { TagKey: "project", TagValue: "shop" },
        ],
      },
    ]);
    expect(w.inputs("CreateAlias")).toEqual([{ AliasName: ALIAS, TargetKeyId: o.id }]);
    expect(w.inputs("EnableKeyRotation")).toEqual([{ KeyId: o.id }]);
    expect(o.outputs).toEqual({
      keyId: o.id,
      arn: `arn:aws:kms:us-east-1:123456789012:key/${o.id}`,
      alias: ALIAS,
      aliasArn: `arn:aws:kms:us-east-1:123456789012:${ALIAS}`,
    });
    expect(o.current).toEqual({
      state: "Enabled",
      policy: JSON.stringify(policy()),
      rotation: true,
      tags: { project: "shop", app: "x" },
    });
    expect(m.kmsKeyHandler.diff(props(), o).fields).toEqual([]);
    expect(m.kmsKeyHandler.tagsOf?.(o)).toEqual({ project: "shop", app: "x" });
  });

  it("an alias that cannot be made: the new key is scheduled for deletion, the error kept", async () => {
    const w = kindWorld();
    w.fake.inject({
      operation: "CreateAlias",
      times: 1,
      error: () => awsError("KMS", "AlreadyExistsException", "alias exists"),
    });
    await expect(m.kmsKeyHandler.create(w.ctx, props())).rejects.toMatchObject({
      name: "AlreadyExistsException",
    });
    const [key] = [...w.fake.kms.keys.values()];
    expect(key?.state).toBe("PendingDeletion");
    expect(w.inputs("ScheduleKeyDeletion")).toEqual([
      { KeyId: key?.keyId, PendingWindowInDays: 7 },
    ]);
    expect(w.inputs("EnableKeyRotation")).toEqual([]);
  });

  it("read: by its alias; none without one", async () => {
    const w = kindWorld();
    expect(await m.kmsKeyHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
    await m.kmsKeyHandler.create(w.ctx, props());
    w.fake.resetCalls();
    const o = await m.kmsKeyHandler.observe(w.ctx, props(), undefined);
    expect(w.inputs("DescribeKey")).toEqual([{ KeyId: ALIAS }]);
    expect(w.inputs("GetKeyPolicy")).toEqual([{ KeyId: o?.id, PolicyName: "default" }]);
  });

  it("diff: each drift named; a key pending deletion is only that", async () => {
    const { w } = await made();
    const o = (await m.kmsKeyHandler.observe(w.ctx, props(), undefined))!;
    const c = o.current;
    const with_ = (over: Partial<typeof c>) => ({ ...o, current: { ...c, ...over } });
    expect(m.kmsKeyHandler.diff(props(), with_({ state: "Disabled" })).fields).toEqual(["enabled"]);
    expect(m.kmsKeyHandler.diff(props({ policy: policy([]) }), o).fields).toEqual(["policy"]);
    expect(m.kmsKeyHandler.diff(props(), with_({ rotation: false })).fields).toEqual(["rotation"]);
    expect(m.kmsKeyHandler.diff(props(), with_({ rotation: undefined })).fields).toEqual([
      "rotation",
    ]);
    expect(m.kmsKeyHandler.diff(props({ tags: { team: "a" } }), o).fields).toEqual(["tags"]);
    expect(
      m.kmsKeyHandler.diff(props(), with_({ state: "PendingDeletion", rotation: false })).fields,
    ).toEqual(["pendingDeletion"]);
  });

  it("every drift repaired by its own call", async () => {
    const { w, id } = await made();
    const o = (await m.kmsKeyHandler.observe(w.ctx, props(), undefined))!;
    const want = props({ policy: policy([]), tags: { team: "a" } });
    await m.kmsKeyHandler.update(w.ctx, want, o, {
      fields: ["enabled", "policy", "rotation", "tags"],
    });
    expect(w.inputs("EnableKey")).toEqual([{ KeyId: id }]);
    expect(w.inputs("PutKeyPolicy")).toEqual([
      { KeyId: id, PolicyName: "default", Policy: JSON.stringify(policy([])) },
    ]);
    expect(w.inputs("EnableKeyRotation")).toEqual([{ KeyId: id }]);
    expect(w.inputs("TagResource")).toEqual([
      { KeyId: id, Tags: [{ TagKey: "team", TagValue: "a" }] },
    ]);
  });

  it("a key scheduled for deletion: read without its settings, then brought back and repaired", async () => {
    const { w, id, entry } = await made();
    await m.kmsKeyHandler.destroy(w.ctx, { ...entry, outputs: {} } as StateEntry);
    expect(await m.kmsKeyHandler.exists!(w.ctx, entry)).toBe(false);
    w.fake.resetCalls();
    const o = (await m.kmsKeyHandler.observe(w.ctx, props(), undefined))!;
    expect(o.current).toEqual({
      state: "PendingDeletion",
      policy: undefined,
      rotation: undefined,
      tags: {},
    });
    expect(m.kmsKeyHandler.tagsOf?.(o)).toBeUndefined();
    expect(w.inputs("GetKeyPolicy")).toEqual([]);
    const fields = m.kmsKeyHandler.diff(props({ tags: { team: "a" } }), o).fields;
    w.progress.length = 0;
    await m.kmsKeyHandler.update(w.ctx, props({ tags: { team: "a" } }), o, { fields });
    expect(w.progress).toEqual(["cancelling the key's scheduled deletion"]);
    expect(w.fake.operations({ mutating: true })).toEqual([
      "KMS.CancelKeyDeletion",
      "KMS.EnableKey",
      "KMS.TagResource",
    ]);
    expect(w.inputs("CancelKeyDeletion")).toEqual([{ KeyId: id }]);
    expect(w.fake.kms.keys.get(id)?.state).toBe("Enabled");
    expect(await m.kmsKeyHandler.exists!(w.ctx, entry)).toBe(true);
  });

  it("a key that disappears while its deletion is cancelled is an error", async () => {
    const { w, entry } = await made();
    await m.kmsKeyHandler.destroy(w.ctx, { ...entry, outputs: {} } as StateEntry);
    const o = (await m.kmsKeyHandler.observe(w.ctx, props(), undefined))!;
    w.fake.inject({
      operation: "CancelKeyDeletion",
      times: 1,
      after: () => w.fake.kms.aliases.clear(),
    });
    await expect(
      m.kmsKeyHandler.update(w.ctx, props(), o, { fields: ["pendingDeletion"] }),
    ).rejects.toThrow("the key disappeared while its deletion was being cancelled");
  });

  it("delete: scheduled after 7 days with a note saying when, then the alias goes", async () => {
    const { w, id, entry } = await made();
    const kept = await m.kmsKeyHandler.destroy(w.ctx, entry);
    expect(w.fake.operations({ mutating: true })).toEqual([
      "KMS.ScheduleKeyDeletion",
      "KMS.DeleteAlias",
    ]);
    expect(w.inputs("ScheduleKeyDeletion")).toEqual([{ KeyId: id, PendingWindowInDays: 7 }]);
    expect(w.inputs("DeleteAlias")).toEqual([{ AliasName: ALIAS }]);
    const day = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    expect(kept).toEqual({ kept: m.pendingNote(new Date(`${day}T00:00:00Z`)) });
    w.fake.resetCalls();
    expect(await m.kmsKeyHandler.destroy(w.ctx, entry)).toBeUndefined();
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("delete: an alias that names another key now is left alone", async () => {
    const { w, entry } = await made();
    const other = await w.ctx.clients.kms.send(
      new (await import("@aws-sdk/client-kms")).CreateKeyCommand({}),
    );
    w.fake.kms.aliases.set(ALIAS, other.KeyMetadata!.KeyId!);
    await m.kmsKeyHandler.destroy(w.ctx, entry);
    expect(w.inputs("DeleteAlias")).toEqual([]);
  });

  it("delete: already pending elsewhere counts as gone; other errors fail", async () => {
    const { w, entry } = await made();
    w.fake.inject({
      operation: "ScheduleKeyDeletion",
      times: 1,
      error: () => awsError("KMS", "KMSInvalidStateException", "pending deletion"),
    });
    await expect(m.kmsKeyHandler.destroy(w.ctx, entry)).resolves.toBeUndefined();
    expect(w.inputs("DeleteAlias")).toEqual([{ AliasName: ALIAS }]);
    const v = await made();
    v.w.fake.inject({
      operation: "ScheduleKeyDeletion",
      times: 1,
      error: () => awsError("KMS", "DependencyTimeoutException", "slow"),
    });
    await expect(m.kmsKeyHandler.destroy(v.w.ctx, v.entry)).rejects.toMatchObject({
      name: "DependencyTimeoutException",
    });
  });
});
