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
import { isNamed, isNotFound } from "../aws/errors.js";
import { hasTags, sameJson } from "../engine/equal.js";
import type { Change, Ctx, ResourceHandler, StateEntry } from "../engine/types.js";
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
    Condition?: Record<string, Record<string, string>>;
  }[];
}

/**
 * The key of the alarm topic. CloudWatch cannot publish to a topic encrypted with the
 * AWS-managed alias/aws/sns (that key's policy cannot be changed to trust it), so the topic gets
 * a customer-managed key whose policy lets CloudWatch make and read data keys, only for alarms of
 * this account whose names start with the stack's prefix: the same confused-deputy scope as the
 * topic's own policy (alarmTopicPolicy). SNS itself needs no statement: it uses the publisher's
 * permission (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "compatibility with AWS
 * services").
 */
export function alarmKeyPolicy(i: {
  partition: string;
  region: string;
  account: string;
  alarmNamePrefix: string;
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
          ArnLike: {
            "aws:SourceArn": `arn:${i.partition}:cloudwatch:${i.region}:${i.account}:alarm:${i.alarmNamePrefix}*`,
          },
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
  try {
    return (await ctx.clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
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

export const kmsKeyHandler: ResourceHandler<KmsKeyProps, KmsKeyOutputs, KmsKeyCurrent> = {
  kind: "kms-key",
  label: "KMS key",
  displayId: (p) => p.alias,

  async observe(ctx, p) {
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

  diff(p, o): Change {
    const c = o.current;
    const fields: string[] = [];
    // Scheduled for deletion behind our back (or by a down that was interrupted): bring it back.
    if (c.state === "PendingDeletion") return { fields: ["pendingDeletion"] };
    if (c.state !== "Enabled") fields.push("enabled");
    if (!sameJson(c.policy, JSON.stringify(p.policy))) fields.push("policy");
    if (c.rotation !== true) fields.push("rotation");
    if (!hasTags(c.tags, p.tags)) fields.push("tags");
    return { fields };
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
    const r = await read(ctx, p.alias);
    if (!r) throw new Error("the key is not readable by its alias right after it was created");
    return observed(p, r.meta, r.current);
  },

  async update(ctx, p, o, change) {
    const kms = ctx.clients.kms;
    const KeyId = o.id;
    let fields = change.fields;
    if (fields.includes("pendingDeletion")) {
      ctx.progress("cancelling the key's scheduled deletion");
      await kms.send(new CancelKeyDeletionCommand({ KeyId }));
      // A key whose deletion is cancelled comes back disabled; its other settings are kept.
      const r = await read(ctx, p.alias);
      if (!r) throw new Error("the key disappeared while its deletion was being cancelled");
      fields = this.diff(p, observed(p, r.meta, r.current)).fields;
    }
    if (fields.includes("enabled")) await kms.send(new EnableKeyCommand({ KeyId }));
    if (fields.includes("policy")) {
      await kms.send(
        new PutKeyPolicyCommand({
          KeyId,
          PolicyName: "default",
          Policy: JSON.stringify(p.policy),
        }),
      );
    }
    if (fields.includes("rotation")) await kms.send(new EnableKeyRotationCommand({ KeyId }));
    if (fields.includes("tags")) {
      await kms.send(new TagResourceCommand({ KeyId, Tags: kmsTags(p.tags) }));
    }
    const r = await read(ctx, p.alias);
    if (!r) throw new Error("the key disappeared while it was being updated");
    return observed(p, r.meta, r.current);
  },

  /**
   * KMS never deletes a key at once: it is scheduled for deletion after the shortest window
   * (7 days), during which it can be recovered with CancelKeyDeletion. The alias goes now.
   */
  async destroy(ctx, entry: StateEntry) {
    const kms = ctx.clients.kms;
    const meta = await describeKey(ctx, entry.id);
    let note: { kept: string } | undefined;
    if (meta && meta.KeyState !== "PendingDeletion" && meta.KeyState !== "PendingReplicaDeletion") {
      let deletion: Date | undefined;
      try {
        deletion = (
          await kms.send(
            new ScheduleKeyDeletionCommand({
              KeyId: entry.id,
              PendingWindowInDays: KEY_DELETION_WINDOW_DAYS,
            }),
          )
        ).DeletionDate;
      } catch (err) {
        // Already pending (a concurrent run, or a retry): counts as gone.
        if (!isNamed(err, "KMSInvalidStateException") && !isNotFound(err)) throw err;
      }
      if (deletion) note = { kept: pendingNote(deletion) };
    }
    // After scheduling, so a failure here leaves the alias pointing at a key that `up` can
    // recover and `down` can finish; and only while it names this key (a key made again
    // since, after the alias was deleted by hand, holds it now).
    const alias = entry.outputs.alias;
    const target = alias ? await describeKey(ctx, alias) : undefined;
    if (alias && target && target.KeyId === meta?.KeyId) {
      try {
        await kms.send(new DeleteAliasCommand({ AliasName: alias }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return note;
  },
};

export function pendingNote(deletion: Date): string {
  return `scheduled for deletion on ${deletion.toISOString().slice(0, 10)} (KMS keeps a key at least ${KEY_DELETION_WINDOW_DAYS} days; until then CancelKeyDeletion recovers it)`;
}
