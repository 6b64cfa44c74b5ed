import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type LifecycleRule,
  type PublicAccessBlockConfiguration,
  type S3Client,
} from "@aws-sdk/client-s3";
import { isRefused, owned, whyRefused } from "../aws/bucket-owner.js";
import { isNamed, isNotFound } from "../aws/errors.js";
import { deepEqual, hasTags, jsonValue, sameJson } from "../engine/equal.js";
import { UserError } from "../errors.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import { waitFor } from "../engine/retry.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { fromKeyValueList, toKeyValueList, type TagMap } from "./tags.js";

export interface BucketProps {
  readonly name: string;
  readonly region: string;
  readonly partition: string;
  readonly tags: TagMap;
  /** Days before a replaced (noncurrent) object version is removed. */
  readonly noncurrentVersionDays: number;
}

export interface BucketOutputs extends Record<string, string> {
  name: string;
  arn: string;
}

interface BucketCurrent {
  encryption: string | undefined;
  publicAccessBlock: PublicAccessBlockConfiguration | undefined;
  ownership: string | undefined;
  policy: string | undefined;
  versioning: string | undefined;
  lifecycle: LifecycleRule[] | undefined;
  tags: Record<string, string>;
}

const BLOCK_ALL: PublicAccessBlockConfiguration = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

export function bucketArn(p: Pick<BucketProps, "name" | "partition">): string {
  return `arn:${p.partition}:s3:::${p.name}`;
}

/** S3.5: deny every request that does not use TLS. */
export function tlsOnlyPolicy(p: Pick<BucketProps, "name" | "partition">): string {
  const arn = bucketArn(p);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

/** S3.10/S3.13: old versions of replaced objects expire; abandoned uploads are cleaned up. */
export function lifecycleRules(p: Pick<BucketProps, "noncurrentVersionDays">): LifecycleRule[] {
  return [
    {
      ID: "expire-noncurrent-versions",
      Status: "Enabled",
      Filter: { Prefix: "" },
      NoncurrentVersionExpiration: { NoncurrentDays: p.noncurrentVersionDays },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    },
  ];
}

/** Reads a bucket sub-resource; its "not configured" error means undefined. */
async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err) && !isNamed(err, "NoSuchBucket")) return undefined;
    throw err;
  }
}

async function readCurrent(s3: S3Client, Bucket: string, owner: string): Promise<BucketCurrent> {
  const b = { Bucket, ...owned(owner) };
  const [enc, pab, own, pol, ver, life, tags] = await Promise.all([
    optional(() => s3.send(new GetBucketEncryptionCommand(b))),
    optional(() => s3.send(new GetPublicAccessBlockCommand(b))),
    optional(() => s3.send(new GetBucketOwnershipControlsCommand(b))),
    optional(() => s3.send(new GetBucketPolicyCommand(b))),
    s3.send(new GetBucketVersioningCommand(b)),
    optional(() => s3.send(new GetBucketLifecycleConfigurationCommand(b))),
    optional(() => s3.send(new GetBucketTaggingCommand(b))),
  ]);
  return {
    encryption:
      enc?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
        ?.SSEAlgorithm,
    publicAccessBlock: pab?.PublicAccessBlockConfiguration,
    ownership: own?.OwnershipControls?.Rules?.[0]?.ObjectOwnership,
    policy: pol?.Policy,
    versioning: ver.Status,
    lifecycle: life?.Rules,
    tags: fromKeyValueList(tags?.TagSet),
  };
}

function sameRules(a: LifecycleRule[] | undefined, b: LifecycleRule[]): boolean {
  const norm = (r: LifecycleRule) => ({
    ID: r.ID,
    Status: r.Status,
    Prefix: r.Filter?.Prefix ?? r.Prefix ?? "",
    Noncurrent: r.NoncurrentVersionExpiration?.NoncurrentDays,
    Abort: r.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
  });
  return !!a && deepEqual(a.map(norm), b.map(norm));
}

function outputsOf(p: BucketProps): BucketOutputs {
  return { name: p.name, arn: bucketArn(p) };
}

type BucketField =
  "encryption" | "publicAccessBlock" | "ownership" | "policy" | "versioning" | "lifecycle" | "tags";

export const bucketKind: Kind<BucketProps, BucketOutputs, BucketCurrent, BucketField> = {
  kind: "s3-bucket",
  label: "S3 bucket",
  clients: ["s3"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p) {
    // Existence and configuration in one round trip: the configuration reads fail with
    // NoSuchBucket when there is no bucket, and that answer is then discarded.
    // Every request carries ExpectedBucketOwner: a bucket of that name in another account
    // (the name is predictable) is refused, whatever it grants this one.
    const [head, current] = await Promise.allSettled([
      ctx.clients.s3.send(new HeadBucketCommand({ Bucket: p.name, ...owned(ctx.account) })),
      readCurrent(ctx.clients.s3, p.name, ctx.account),
    ]);
    if (head.status === "rejected") {
      if (isNotFound(head.reason)) return undefined;
      throw await refusal(ctx, p.name, head.reason);
    }
    if (current.status === "rejected") throw current.reason;
    return { id: p.name, outputs: outputsOf(p), current: current.value };
  },

  diff(p, o) {
    const c = o.current;
    const fields: BucketField[] = [];
    if (c.encryption !== "AES256") fields.push("encryption");
    if (!deepEqual(c.publicAccessBlock, BLOCK_ALL)) fields.push("publicAccessBlock");
    if (c.ownership !== "BucketOwnerEnforced") fields.push("ownership");
    if (!sameJson(c.policy, tlsOnlyPolicy(p))) fields.push("policy");
    if (c.versioning !== "Enabled") fields.push("versioning");
    if (!sameRules(c.lifecycle, lifecycleRules(p))) fields.push("lifecycle");
    if (!hasTags(c.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values(p, o) {
    const c = o.current;
    return {
      encryption: { observed: c.encryption, desired: "AES256" },
      publicAccessBlock: { observed: c.publicAccessBlock, desired: BLOCK_ALL },
      ownership: { observed: c.ownership, desired: "BucketOwnerEnforced" },
      policy: { observed: jsonValue(c.policy), desired: jsonValue(tlsOnlyPolicy(p)) },
      versioning: { observed: c.versioning, desired: "Enabled" },
      lifecycle: { observed: c.lifecycle, desired: lifecycleRules(p) },
      tags: { observed: c.tags, desired: p.tags },
    };
  },

  // In this order, one at a time (the engine runs fixers one after another): S3 answers
  // concurrent configuration changes to one bucket with OperationAborted.
  fix: {
    async ownership(ctx, p) {
      await ctx.clients.s3.send(
        new PutBucketOwnershipControlsCommand({
          Bucket: p.name,
          ...owned(ctx.account),
          OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        }),
      );
    },
    async publicAccessBlock(ctx, p) {
      await ctx.clients.s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: p.name,
          ...owned(ctx.account),
          PublicAccessBlockConfiguration: BLOCK_ALL,
        }),
      );
    },
    async encryption(ctx, p) {
      await ctx.clients.s3.send(
        new PutBucketEncryptionCommand({
          Bucket: p.name,
          ...owned(ctx.account),
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
          },
        }),
      );
    },
    async policy(ctx, p) {
      await ctx.clients.s3.send(
        new PutBucketPolicyCommand({
          Bucket: p.name,
          ...owned(ctx.account),
          Policy: tlsOnlyPolicy(p),
        }),
      );
    },
    async versioning(ctx, p) {
      await ctx.clients.s3.send(
        new PutBucketVersioningCommand({
          Bucket: p.name,
          ...owned(ctx.account),
          VersioningConfiguration: { Status: "Enabled" },
        }),
      );
    },
    async lifecycle(ctx, p) {
      await ctx.clients.s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: p.name,
          ...owned(ctx.account),
          LifecycleConfiguration: { Rules: lifecycleRules(p) },
        }),
      );
    },
    async tags(ctx, p) {
      const s3 = ctx.clients.s3;
      const b = { Bucket: p.name, ...owned(ctx.account) };
      const current = await optional(() => s3.send(new GetBucketTaggingCommand(b)));
      // PutBucketTagging replaces the whole set: keep tags others added.
      const merged = { ...fromKeyValueList(current?.TagSet), ...p.tags };
      await s3.send(
        new PutBucketTaggingCommand({ ...b, Tagging: { TagSet: toKeyValueList(merged) } }),
      );
    },
  },

  async create(ctx, p) {
    const s3 = ctx.clients.s3;
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: p.name,
          ObjectOwnership: "BucketOwnerEnforced",
          CreateBucketConfiguration: {
            // us-east-1 rejects a LocationConstraint naming itself.
            ...(p.region === "us-east-1"
              ? {}
              : { LocationConstraint: p.region as BucketLocationConstraint }),
            // Tagged as it is made: a bucket found by name without the stack's tags is never
            // taken for this stack's, so none may be left untagged by a crash.
            Tags: toKeyValueList(p.tags),
          },
        }),
      );
    } catch (err) {
      if (isNamed(err, "BucketAlreadyExists")) throw nameTaken(p.name, err);
      // Ours already (an earlier run that crashed before recording it): adopt it. Caught here
      // rather than declared as alreadyExists so that it is waited for like a new bucket: the
      // engine reads an adopted resource at once.
      if (!isNamed(err, "BucketAlreadyOwnedByYou")) throw err;
    }
    // The tool's own waiter: the SDK's retries on any error (a denied HeadBucket would hang).
    await waitFor(
      ctx,
      "waiting for the bucket to exist",
      () =>
        s3.send(new HeadBucketCommand({ Bucket: p.name, ...owned(ctx.account) })).then(
          () => true,
          (err: unknown) => {
            if (isNotFound(err)) return false;
            throw err;
          },
        ),
      (exists) => (exists ? "done" : "pending"),
    );
    // The wait has seen it exist: only its configuration is left to read. The fixes of what
    // differs follow.
    return {
      id: p.name,
      outputs: outputsOf(p),
      current: await readCurrent(s3, p.name, ctx.account),
    };
  },

  // NoSuchBucket (already deleted) is a not-found: the engine counts it as done.
  async delete(ctx, entry: StateEntry) {
    const s3 = ctx.clients.s3;
    const Bucket = entry.id;
    try {
      await emptyBucket(s3, Bucket, ctx);
      await s3.send(new DeleteBucketCommand({ Bucket, ...owned(ctx.account) }));
    } catch (err) {
      // A bucket of that name in another account now: not one object of it is touched.
      throw await refusal(ctx, Bucket, err);
    }
  },
};

export const bucketHandler = lifecycle(bucketKind);

/** Removes every object version and delete marker (a versioned bucket deletes only when empty). */
async function emptyBucket(s3: S3Client, Bucket: string, ctx: Ctx): Promise<void> {
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  let removed = 0;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket,
        ...owned(ctx.account),
        KeyMarker,
        VersionIdMarker,
        MaxKeys: 1000,
      }),
    );
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((v) => v.Key !== undefined)
      .map((v) => ({ Key: v.Key as string, VersionId: v.VersionId }));
    if (objects.length) {
      const res = await s3.send(
        new DeleteObjectsCommand({
          Bucket,
          ...owned(ctx.account),
          Delete: { Objects: objects, Quiet: true },
        }),
      );
      const failed = res.Errors ?? [];
      if (failed.length) {
        const f = failed[0];
        throw new Error(
          `could not delete ${failed.length} object version(s), e.g. ${f?.Key}: ${f?.Code} ${f?.Message}`,
        );
      }
      removed += objects.length;
      ctx.progress(`emptying: ${removed} object version(s) removed`);
    }
    if (!page.IsTruncated) return;
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
}

function nameTaken(name: string, cause: unknown): UserError {
  return new UserError(
    `The S3 bucket name ${name} is taken by another AWS account (bucket names are global).`,
    {
      cause,
      hint: "Deploy with another --stage, or ask the owner of that bucket to delete it.",
    },
  );
}

/**
 * A request to the code bucket that S3 refused (403), as the user reads it. The bucket's name
 * is predictable (stack, account id, region): another account may have made it first, and
 * granted this one access to receive the code. ExpectedBucketOwner has S3 refuse that
 * bucket; whyRefused tells it from a missing permission.
 */
export async function refusal(ctx: Ctx, name: string, err: unknown): Promise<unknown> {
  if (!isRefused(err)) return err;
  const why = await whyRefused(ctx.clients.s3, name, ctx.account, { listOwn: true }).catch(
    () => "unknown" as const,
  );
  const squatted =
    "Its name is predictable (stack, account id and region): another account made it first, and had it let your account in, it would have received your code bundle. Deploy with another --stage (another bucket name), or ask that account to delete the bucket.";
  if (why === "elsewhere") {
    return new UserError(
      `The S3 bucket ${name} belongs to another AWS account (ExpectedBucketOwner ${ctx.account} refused): nothing was written to it.`,
      { cause: err, hint: squatted },
    );
  }
  if (why === "unknown") {
    return new UserError(
      `S3 refused a request to the bucket ${name} with ExpectedBucketOwner ${ctx.account}: either the bucket belongs to another AWS account, or these credentials may not use it. Nothing was written to it.`,
      {
        cause: err,
        hint: `If the bucket is this account's, the credentials need s3:ListBucket and the bucket's s3:Get*/s3:Put* permissions on arn:aws:s3:::${name} (and s3:PutObject on its objects). ${squatted}`,
      },
    );
  }
  return err;
}

export type { Observed };
