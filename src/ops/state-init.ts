import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { callerAccount } from "../aws/account.js";
import { isRefused, owned, whyRefused } from "../aws/bucket-owner.js";
import type { Clients } from "../aws/clients.js";
import { errorMessage, isAccessDenied, isNamed, isNotFound } from "../aws/errors.js";
import { PROJECT, validateRegion } from "../config.js";
import { sameJson } from "../engine/equal.js";
import { UserError } from "../errors.js";
import { RUN } from "../hint.js";
import { tlsOnlyPolicy } from "../resources/bucket.js";
import { fromKeyValueList, toKeyValueList } from "../resources/tags.js";
import { s3For, stsFor } from "../state/backend.js";
import { isBucketName, isRemoteState, parseS3Location } from "../state/location.js";
import { partitionOf } from "./session.js";

/** One setting of the state bucket and whether this run had to change it. */
export interface BucketSetting {
  readonly name: string;
  /** What it is now. */
  readonly value: string;
  readonly changed: boolean;
}

export interface StateInitResult {
  readonly bucket: string;
  readonly region: string;
  readonly created: boolean;
  readonly settings: readonly BucketSetting[];
  /** How many settings (and the bucket) this run changed; 0 on a second run. */
  readonly changes: number;
  /** What to pass as --state (or write as "state" in the config file). */
  readonly state: string;
}

const BLOCK_ALL = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
} as const;

/** Tags of a state bucket; tags the user added are kept. */
export const STATE_BUCKET_TAGS: Record<string, string> = {
  project: PROJECT,
  purpose: "state",
};

/** S3 accepts any of these as default encryption; only their absence is changed (to SSE-S3). */
const ENCRYPTED = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

/**
 * Creates the bucket for remote state, or brings an existing one to: versioning on (every
 * earlier state recoverable), default encryption, all four Block Public Access settings, ACLs
 * disabled (BucketOwnerEnforced), a policy denying requests without TLS, and tags. Each
 * setting is read first and written only when it differs: a second run makes no change.
 */
export async function stateInit(
  given: string,
  e: {
    readonly env: Record<string, string | undefined>;
    readonly clients?: Clients | undefined;
    readonly region?: string | undefined;
    readonly profile?: string | undefined;
  },
): Promise<StateInitResult> {
  const example = `\`${RUN} state init s3://my-team-${PROJECT}-state\``;
  if (!isRemoteState(given)) {
    throw new UserError(`"${given}" is not an S3 bucket.`, {
      hint: `Name the bucket as s3://<bucket>, e.g. ${example}.`,
    });
  }
  // state init takes a bucket: the key each stage's state goes under comes later, with --state.
  const named = /^s3:\/\/([^/]*)/i.exec(given.trim())?.[1] ?? "";
  if (!isBucketName(named)) {
    throw new UserError(`"${given}" does not name an S3 bucket: "${named}" is not a bucket name.`, {
      hint: `A bucket name is 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit; e.g. ${example}.`,
    });
  }
  const loc = parseS3Location(given, { name: PROJECT, stage: "production", region: "us-east-1" });
  const bucket = loc.bucket;
  const region = validateRegion(
    e.region ?? (e.env.AWS_REGION || e.env.AWS_DEFAULT_REGION || undefined),
  );
  const where = {
    region,
    profile: e.profile ?? (e.env.AWS_PROFILE || undefined),
    endpoint: e.env.AWS_ENDPOINT_URL || undefined,
  };
  const s3 = s3For({ ...where, s3: e.clients?.s3 });
  // Every request to the bucket carries ExpectedBucketOwner: this account's.
  const account = await callerAccount(stsFor({ ...where, sts: e.clients?.sts }), where);
  const own = owned(account);
  const fail = (action: string, err: unknown): unknown => {
    if (isAccessDenied(err)) {
      return new UserError(
        `Cannot ${action} of the bucket ${bucket}: access denied (${errorMessage(err)}).`,
        {
          cause: err,
          hint: "Run it with credentials that may administer S3 buckets (s3:CreateBucket, s3:Put*Configuration, s3:PutBucketPolicy…), once per account.",
        },
      );
    }
    return err;
  };

  let created = false;
  let bucketRegion = region;
  try {
    const h = await s3.send(new HeadBucketCommand({ Bucket: bucket, ...own }));
    bucketRegion = h.BucketRegion ?? region;
  } catch (err) {
    if (isRefused(err)) {
      if ((await whyRefused(s3, bucket, account, { listOwn: true })) === "elsewhere") {
        throw new UserError(
          `The bucket ${bucket} belongs to another AWS account (ExpectedBucketOwner ${account} refused): nothing was written to it.`,
          {
            cause: err,
            hint: "Bucket names are global: choose another name, e.g. with your account id in it.",
          },
        );
      }
      throw new UserError(`The bucket ${bucket} exists, but these credentials cannot use it.`, {
        cause: err,
        hint: "Bucket names are global: if another account owns it, choose another name.",
      });
    }
    if (!isNotFound(err)) throw fail("read", err);
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ObjectOwnership: "BucketOwnerEnforced",
          ...(region === "us-east-1"
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
      );
      created = true;
    } catch (err2) {
      if (isNamed(err2, "BucketAlreadyExists")) {
        throw new UserError(`The bucket name ${bucket} is taken by another AWS account.`, {
          hint: "Bucket names are global: choose another, e.g. with your account id in it.",
        });
      }
      if (!isNamed(err2, "BucketAlreadyOwnedByYou")) throw fail("create", err2);
    }
  }

  const settings: BucketSetting[] = [];
  const ensure = async <T>(
    name: string,
    read: () => Promise<T>,
    ok: (current: T) => boolean,
    describe: string,
    write: (current: T) => Promise<unknown>,
  ): Promise<void> => {
    let current: T;
    try {
      current = await read();
    } catch (err) {
      throw fail(`read the ${name}`, err);
    }
    if (ok(current)) {
      settings.push({ name, value: describe, changed: false });
      return;
    }
    try {
      await write(current);
    } catch (err) {
      throw fail(`set the ${name}`, err);
    }
    settings.push({ name, value: describe, changed: true });
  };
  const optional = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      if (isNotFound(err) && !isNamed(err, "NoSuchBucket")) return undefined;
      throw err;
    }
  };
  const Bucket = bucket;

  await ensure(
    "versioning",
    async () => (await s3.send(new GetBucketVersioningCommand({ Bucket, ...own }))).Status,
    (s) => s === "Enabled",
    "enabled: every earlier state is kept",
    () =>
      s3.send(
        new PutBucketVersioningCommand({
          Bucket,
          ...own,
          VersioningConfiguration: { Status: "Enabled" },
        }),
      ),
  );
  await ensure(
    "encryption",
    async () =>
      (await optional(s3.send(new GetBucketEncryptionCommand({ Bucket, ...own }))))
        ?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
        ?.SSEAlgorithm,
    (a) => a !== undefined && ENCRYPTED.has(a),
    "server-side encryption (SSE-S3 unless the bucket already uses KMS)",
    () =>
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ...own,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
          },
        }),
      ),
  );
  await ensure(
    "public access block",
    async () =>
      (await optional(s3.send(new GetPublicAccessBlockCommand({ Bucket, ...own }))))
        ?.PublicAccessBlockConfiguration,
    (c) =>
      Object.entries(BLOCK_ALL).every(
        ([k, v]) => (c as Record<string, unknown> | undefined)?.[k] === v,
      ),
    "all four settings on",
    () =>
      s3.send(
        new PutPublicAccessBlockCommand({
          Bucket,
          ...own,
          PublicAccessBlockConfiguration: BLOCK_ALL,
        }),
      ),
  );
  await ensure(
    "object ownership",
    async () =>
      (await optional(s3.send(new GetBucketOwnershipControlsCommand({ Bucket, ...own }))))
        ?.OwnershipControls?.Rules?.[0]?.ObjectOwnership,
    (o) => o === "BucketOwnerEnforced",
    "BucketOwnerEnforced: ACLs disabled",
    () =>
      s3.send(
        new PutBucketOwnershipControlsCommand({
          Bucket,
          ...own,
          OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        }),
      ),
  );
  const tls = JSON.parse(tlsOnlyPolicy({ name: bucket, partition: partitionOf(bucketRegion) })) as {
    Statement: { Sid: string }[];
  };
  const ours = tls.Statement[0] as { Sid: string };
  await ensure(
    "bucket policy",
    async () => (await optional(s3.send(new GetBucketPolicyCommand({ Bucket, ...own }))))?.Policy,
    (p) => statementsOf(p).some((s) => sameJson(JSON.stringify(s), JSON.stringify(ours))),
    "denies every request without TLS",
    async (p) => {
      // The user's own statements stay; ours is added or replaced by its Sid.
      const others = statementsOf(p).filter((s) => (s as { Sid?: string }).Sid !== ours.Sid);
      const doc = { Version: "2012-10-17", Statement: [...others, ours] };
      await s3.send(new PutBucketPolicyCommand({ Bucket, ...own, Policy: JSON.stringify(doc) }));
    },
  );
  await ensure(
    "tags",
    async () =>
      fromKeyValueList(
        (await optional(s3.send(new GetBucketTaggingCommand({ Bucket, ...own }))))?.TagSet,
      ),
    (t) => Object.entries(STATE_BUCKET_TAGS).every(([k, v]) => t[k] === v),
    Object.entries(STATE_BUCKET_TAGS)
      .map(([k, v]) => `${k}=${v}`)
      .join(", "),
    (t) =>
      s3.send(
        new PutBucketTaggingCommand({
          Bucket,
          ...own,
          Tagging: { TagSet: toKeyValueList({ ...t, ...STATE_BUCKET_TAGS }) },
        }),
      ),
  );
  return {
    bucket,
    region: bucketRegion,
    created,
    settings,
    changes: (created ? 1 : 0) + settings.filter((s) => s.changed).length,
    state: `s3://${bucket}`,
  };
}

function statementsOf(policy: string | undefined): unknown[] {
  if (!policy) return [];
  try {
    const doc = JSON.parse(policy) as { Statement?: unknown };
    return Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  } catch {
    return [];
  }
}
