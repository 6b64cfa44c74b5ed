import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  type KeyMetadata,
} from "@aws-sdk/client-kms";
import { isNamed, orMissing } from "../aws/errors.js";
import { hasTags, jsonValue, sameJson } from "../engine/equal.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import type { Ctx, StateEntry } from "../engine/types.js";
import type { TagMap } from "./tags.js";

/** The shortest waiting period KMS allows before a scheduled key is deleted. */
export const KEY_DELETION_WINDOW_DAYS = 7;

/** A key policy: like an IAM document, with AWS principals and conditions. */
export interface KeyPolicy {
  Version: "2012-10-17";
  Statement: {
    Sid: string;
    Effect: "Allow";
    Principal: { AWS: string } | { Service: string };
    Action: string | string[];
    Resource: "*";
    Condition?: Record<string, Record<string, string | string[]>>;
  }[];
}

/**
 * The key of the alarm topic. CloudWatch cannot publish to a topic encrypted with the
 * AWS-managed alias/aws/sns (that key's policy cannot be changed to trust it), so the topic gets
 * a customer-managed key whose policy lets CloudWatch make and read data keys, only for alarms of
 * this account that are the stack's own (each by its exact ARN): the same confused-deputy scope as the
 * topic's own policy (alarmTopicPolicy). SNS itself needs no statement: it uses the publisher's
 * permission (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "compatibility with AWS
 * services").
 */
export function alarmKeyPolicy(i: {
  partition: string;
  region: string;
  account: string;
  /** The stack's alarms, each by its exact ARN: no pattern another stack's names could match. */
  alarmArns: readonly string[];
}): KeyPolicy {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // Without it the key could become unmanageable; KMS refuses such a policy anyway.
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: `arn:${i.partition}:iam::${i.account}:root` },
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
          StringEquals: { "aws:SourceAccount": i.account },
          ArnEquals: { "aws:SourceArn": [...i.alarmArns] },
        },
      },
    ],
  };
}

export interface KmsKeyProps {
  /** alias/NAME: how the key is found again when the state file is lost. */
  readonly alias: string;
  readonly description: string;
  readonly policy: KeyPolicy;
  readonly tags: TagMap;
}

export interface KmsKeyOutputs extends Record<string, string> {
  keyId: string;
  arn: string;
  alias: string;
  /** What the topic names the key by. */
  aliasArn: string;
}

interface KmsKeyCurrent {
  state: string;
  /** undefined when the key's state does not allow reading it (pending deletion). */
  policy: string | undefined;
  rotation: boolean | undefined;
  tags: Record<string, string>;
}

async function describeKey(ctx: Ctx, keyId: string): Promise<KeyMetadata | undefined> {
  return (await orMissing(ctx.clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }))))
    ?.KeyMetadata;
}

async function read(
  ctx: Ctx,
  alias: string,
): Promise<{ meta: KeyMetadata; current: KmsKeyCurrent } | undefined> {
  const meta = await describeKey(ctx, alias);
  if (!meta?.KeyId) return undefined;
  const kms = ctx.clients.kms;
  const KeyId = meta.KeyId;
  const state = meta.KeyState ?? "Unknown";
  // KMS answers KMSInvalidStateException for a key pending deletion: nothing more to read.
  if (state === "PendingDeletion" || state === "PendingReplicaDeletion") {
    return { meta, current: { state, policy: undefined, rotation: undefined, tags: {} } };
  }
  const [policy, rotation, tags] = await Promise.all([
    kms.send(new GetKeyPolicyCommand({ KeyId, PolicyName: "default" })),
    kms.send(new GetKeyRotationStatusCommand({ KeyId })),
    kms.send(new ListResourceTagsCommand({ KeyId })),
  ]);
  const tagMap: Record<string, string> = {};
  for (const t of tags.Tags ?? []) if (t.TagKey !== undefined) tagMap[t.TagKey] = t.TagValue ?? "";
  return {
    meta,
    current: {
      state,
      policy: policy.Policy,
      rotation: rotation.KeyRotationEnabled === true,
      tags: tagMap,
    },
  };
}

function observed(p: KmsKeyProps, meta: KeyMetadata, current: KmsKeyCurrent) {
  const keyId = meta.KeyId ?? "";
  const arn = meta.Arn ?? "";
  // arn:…:key/ID → arn:…:alias/NAME
  const aliasArn = arn.replace(/key\/[^/]+$/, p.alias);
  return { id: keyId, outputs: { keyId, arn, alias: p.alias, aliasArn }, current };
}

const kmsTags = (tags: TagMap) =>
  Object.entries(tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([TagKey, TagValue]) => ({ TagKey, TagValue }));

type KmsKeyField = "pendingDeletion" | "enabled" | "policy" | "rotation" | "tags";

export const kmsKeyKind: Kind<KmsKeyProps, KmsKeyOutputs, KmsKeyCurrent, KmsKeyField> = {
  kind: "kms-key",
  label: "KMS key",
  clients: ["kms"],
  // A key pending deletion has no tags read (see read): who owns it cannot be told.
  tagsOf: (c) => (c.policy === undefined ? undefined : c.tags),
  displayId: (p) => p.alias,

  async read(ctx, p) {
    const r = await read(ctx, p.alias);
    return r && observed(p, r.meta, r.current);
  },

  // A key pending deletion counts as gone.
  async exists(ctx, entry) {
    const meta = await describeKey(ctx, entry.id);
    return (
      !!meta && meta.KeyState !== "PendingDeletion" && meta.KeyState !== "PendingReplicaDeletion"
    );
  },

  diff(p, o) {
    const c = o.current;
    const fields: KmsKeyField[] = [];
    // Scheduled for deletion behind our back (or by a down that was interrupted): bring it back.
    if (c.state === "PendingDeletion") return ["pendingDeletion"];
    if (c.state !== "Enabled") fields.push("enabled");
    if (!sameJson(c.policy, JSON.stringify(p.policy))) fields.push("policy");
    if (c.rotation !== true) fields.push("rotation");
    if (!hasTags(c.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values(p, o) {
    const c = o.current;
    return {
      pendingDeletion: { observed: c.state === "PendingDeletion", desired: false },
      enabled: { observed: c.state, desired: "Enabled" },
      policy: { observed: jsonValue(c.policy), desired: p.policy },
      rotation: { observed: c.rotation, desired: true },
      tags: { observed: c.tags, desired: p.tags },
    };
  },

  fix: {
    async pendingDeletion(ctx, p, o) {
      ctx.progress("cancelling the key's scheduled deletion");
      await ctx.clients.kms.send(new CancelKeyDeletionCommand({ KeyId: o.id }));
      // A key whose deletion is cancelled comes back disabled; its other settings are kept.
      // What still differs is only known now: it is fixed here, by the fixes of those fields.
      const r = await read(ctx, p.alias);
      if (!r) throw new Error("the key disappeared while its deletion was being cancelled");
      const now = { ...observed(p, r.meta, r.current), id: o.id };
      for (const f of kmsKeyKind.diff(p, now)) {
        if (f !== "pendingDeletion") await kmsKeyKind.fix[f](ctx, p, now, new Set([f]));
      }
    },
    async enabled(ctx, _p, o) {
      await ctx.clients.kms.send(new EnableKeyCommand({ KeyId: o.id }));
    },
    async policy(ctx, p, o) {
      await ctx.clients.kms.send(
        new PutKeyPolicyCommand({
          KeyId: o.id,
          PolicyName: "default",
          Policy: JSON.stringify(p.policy),
        }),
      );
    },
    async rotation(ctx, _p, o) {
      await ctx.clients.kms.send(new EnableKeyRotationCommand({ KeyId: o.id }));
    },
    async tags(ctx, p, o) {
      await ctx.clients.kms.send(new TagResourceCommand({ KeyId: o.id, Tags: kmsTags(p.tags) }));
    },
  },

  async create(ctx, p) {
    const kms = ctx.clients.kms;
    const made = await kms.send(
      new CreateKeyCommand({
        Description: p.description,
        KeySpec: "SYMMETRIC_DEFAULT",
        KeyUsage: "ENCRYPT_DECRYPT",
        Policy: JSON.stringify(p.policy),
        Tags: kmsTags(p.tags),
      }),
    );
    const KeyId = made.KeyMetadata?.KeyId;
    if (!KeyId) throw new Error("KMS returned no key id");
    try {
      // The alias first: it is how every later run finds the key, so the window in which a
      // crash could leave an unfindable key is one round trip.
      await kms.send(new CreateAliasCommand({ AliasName: p.alias, TargetKeyId: KeyId }));
      // Security Hub KMS.4: yearly automatic rotation.
      await kms.send(new EnableKeyRotationCommand({ KeyId }));
    } catch (err) {
      // Without its alias nothing would ever find this key again: don't leave it behind.
      await kms
        .send(
          new ScheduleKeyDeletionCommand({
            KeyId,
            PendingWindowInDays: KEY_DELETION_WINDOW_DAYS,
          }),
        )
        .catch(() => undefined);
      throw err;
    }
    // The engine reads it back by its alias.
  },

  /**
   * KMS never deletes a key at once: it is scheduled for deletion after the shortest window
   * (7 days), during which it can be recovered with CancelKeyDeletion. The alias goes now.
   */
  async delete(ctx, entry: StateEntry) {
    const kms = ctx.clients.kms;
    const meta = await describeKey(ctx, entry.id);
    let note: { kept: string } | undefined;
    if (meta && meta.KeyState !== "PendingDeletion" && meta.KeyState !== "PendingReplicaDeletion") {
      let deletion: Date | undefined;
      try {
        // A key already gone still leaves its alias to delete.
        deletion = (
          await orMissing(
            kms.send(
              new ScheduleKeyDeletionCommand({
                KeyId: entry.id,
                PendingWindowInDays: KEY_DELETION_WINDOW_DAYS,
              }),
            ),
          )
        )?.DeletionDate;
      } catch (err) {
        // Already pending (a concurrent run, or a retry): counts as gone.
        if (!isNamed(err, "KMSInvalidStateException")) throw err;
      }
      if (deletion) note = { kept: pendingNote(deletion) };
    }
    // After scheduling, so a failure here leaves the alias pointing at a key that `up` can
    // recover and `down` can finish; and only while it names this key (a key made again
    // since, after the alias was deleted by hand, holds it now).
    const alias = entry.outputs.alias;
    const target = alias ? await describeKey(ctx, alias) : undefined;
    if (alias && target && target.KeyId === meta?.KeyId) {
      // Already gone: still done, and the note on the key's deletion is still returned.
      await orMissing(kms.send(new DeleteAliasCommand({ AliasName: alias })));
    }
    return note;
  },
};

export const kmsKeyHandler = lifecycle(kmsKeyKind);

export function pendingNote(deletion: Date): string {
  return `scheduled for deletion on ${deletion.toISOString().slice(0, 10)} (KMS keeps a key at least ${KEY_DELETION_WINDOW_DAYS} days; until then CancelKeyDeletion recovers it)`;
}
