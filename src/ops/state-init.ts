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
  type S3Client,
} from "@aws-sdk/client-s3";
import { callerAccount } from "../aws/account.js";
import { isRefused, owned, whyRefused } from "../aws/bucket-owner.js";
import { loadClients, type Clients } from "../aws/clients.js";
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

/** Where state init works: the bucket, its clients, and the account that must own it. */
interface Target {
  readonly bucket: string;
  readonly region: string;
  readonly s3: S3Client;
  /** ExpectedBucketOwner: every request to the bucket names this account. */
  readonly own: { readonly ExpectedBucketOwner: string };
  readonly account: string;
  /** The error a user reads when a call on the bucket fails with access denied. */
  fail(action: string, err: unknown): unknown;
}

/**
 * One setting of the state bucket: how to read it, when it is right, what it is once right, and
 * the call that makes it so (given what was read).
 */
interface BucketSettingSpec<T> {
  readonly name: string;
  read(t: Target): Promise<T>;
  ok(current: T): boolean;
  readonly describe: string;
  write(t: Target, current: T): Promise<unknown>;
}

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
  const bucket = bucketOf(given);
  const t = await connect(bucket, e);
  const { created, bucketRegion } = await ensureBucket(t);
  const settings: BucketSetting[] = [];
  // One after the other, in the order the report lists them.
  for (const spec of settingSpecs(bucket, bucketRegion)) settings.push(await ensure(t, spec));
  return {
    bucket,
    region: bucketRegion,
    created,
    settings,
    changes: (created ? 1 : 0) + settings.filter((s) => s.changed).length,
    state: `s3://${bucket}`,
  };
}

/** The bucket `state init s3://<bucket>` names, refused unless it is one. */
function bucketOf(given: string): string {
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
  return parseS3Location(given, { name: PROJECT, stage: "production", region: "us-east-1" }).bucket;
}

/** The S3 client and the caller's account, from the flags and the SDK's usual chain. */
async function connect(bucket: string, e: Parameters<typeof stateInit>[1]): Promise<Target> {
  const region = validateRegion(
    e.region ?? (e.env.AWS_REGION || e.env.AWS_DEFAULT_REGION || undefined),
  );
  const where = {
    region,
    profile: e.profile ?? (e.env.AWS_PROFILE || undefined),
    endpoint: e.env.AWS_ENDPOINT_URL || undefined,
  };
  if (!e.clients) await loadClients(["s3", "sts"]);
  const s3 = s3For({ ...where, s3: e.clients?.s3 });
  const account = await callerAccount(stsFor({ ...where, sts: e.clients?.sts }), where);
  const fail = (action: string, err: unknown): unknown => {
    if (!isAccessDenied(err)) return err;
    return new UserError(
      `Cannot ${action} of the bucket ${bucket}: access denied (${errorMessage(err)}).`,
      {
        cause: err,
        hint: "Run it with credentials that may administer S3 buckets (s3:CreateBucket, s3:Put*Configuration, s3:PutBucketPolicy…), once per account.",
      },
    );
  };
  return { bucket, region, s3, own: owned(account), account, fail };
}

/** Finds the bucket (and its region) or creates it; refuses one another account owns. */
async function ensureBucket(t: Target): Promise<{ created: boolean; bucketRegion: string }> {
  const { s3, bucket, region, own, account } = t;
  try {
    const h = await s3.send(new HeadBucketCommand({ Bucket: bucket, ...own }));
    return { created: false, bucketRegion: h.BucketRegion ?? region };
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
    if (!isNotFound(err)) throw t.fail("read", err);
  }
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
    return { created: true, bucketRegion: region };
  } catch (err) {
    if (isNamed(err, "BucketAlreadyExists")) {
      throw new UserError(`The bucket name ${bucket} is taken by another AWS account.`, {
        hint: "Bucket names are global: choose another, e.g. with your account id in it.",
      });
    }
    if (!isNamed(err, "BucketAlreadyOwnedByYou")) throw t.fail("create", err);
    return { created: false, bucketRegion: region };
  }
}

/** Reads one setting and writes it only when it is not right. */
async function ensure<T>(t: Target, spec: BucketSettingSpec<T>): Promise<BucketSetting> {
  let current: T;
  try {
    current = await spec.read(t);
  } catch (err) {
    throw t.fail(`read the ${spec.name}`, err);
  }
  if (spec.ok(current)) return { name: spec.name, value: spec.describe, changed: false };
  try {
    await spec.write(t, current);
  } catch (err) {
    throw t.fail(`set the ${spec.name}`, err);
  }
  return { name: spec.name, value: spec.describe, changed: true };
}

/** A configuration the bucket does not have yet reads as undefined. */
async function optional<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err) && !isNamed(err, "NoSuchBucket")) return undefined;
    throw err;
  }
}

const setting = <T>(spec: BucketSettingSpec<T>): BucketSettingSpec<unknown> =>
  spec as BucketSettingSpec<unknown>;

/** The state bucket's settings, in the order they are checked. */
function settingSpecs(bucket: string, bucketRegion: string): BucketSettingSpec<unknown>[] {
  const tls = JSON.parse(tlsOnlyPolicy({ name: bucket, partition: partitionOf(bucketRegion) })) as {
    Statement: { Sid: string }[];
  };
  const ours = tls.Statement[0] as { Sid: string };
  const at = (t: Target) => ({ Bucket: t.bucket, ...t.own });
  return [
    setting({
      name: "versioning",
      read: async (t) => (await t.s3.send(new GetBucketVersioningCommand(at(t)))).Status,
      ok: (s) => s === "Enabled",
      describe: "enabled: every earlier state is kept",
      write: (t) =>
        t.s3.send(
          new PutBucketVersioningCommand({
            ...at(t),
            VersioningConfiguration: { Status: "Enabled" },
          }),
        ),
    }),
    setting({
      name: "encryption",
      read: async (t) =>
        (await optional(t.s3.send(new GetBucketEncryptionCommand(at(t)))))
          ?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
          ?.SSEAlgorithm,
      ok: (a) => a !== undefined && ENCRYPTED.has(a),
      describe: "server-side encryption (SSE-S3 unless the bucket already uses KMS)",
      write: (t) =>
        t.s3.send(
          new PutBucketEncryptionCommand({
            ...at(t),
            ServerSideEncryptionConfiguration: {
              Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
            },
          }),
        ),
    }),
    setting({
      name: "public access block",
      read: async (t) =>
        (await optional(t.s3.send(new GetPublicAccessBlockCommand(at(t)))))
          ?.PublicAccessBlockConfiguration,
      ok: (c) =>
        Object.entries(BLOCK_ALL).every(
          ([k, v]) => (c as Record<string, unknown> | undefined)?.[k] === v,
        ),
      describe: "all four settings on",
      write: (t) =>
        t.s3.send(
          new PutPublicAccessBlockCommand({ ...at(t), PublicAccessBlockConfiguration: BLOCK_ALL }),
        ),
    }),
    setting({
      name: "object ownership",
      read: async (t) =>
        (await optional(t.s3.send(new GetBucketOwnershipControlsCommand(at(t)))))?.OwnershipControls
          ?.Rules?.[0]?.ObjectOwnership,
      ok: (o) => o === "BucketOwnerEnforced",
      describe: "BucketOwnerEnforced: ACLs disabled",
      write: (t) =>
        t.s3.send(
          new PutBucketOwnershipControlsCommand({
            ...at(t),
            OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
          }),
        ),
    }),
    setting({
      name: "bucket policy",
      read: async (t) => (await optional(t.s3.send(new GetBucketPolicyCommand(at(t)))))?.Policy,
      ok: (p) => statementsOf(p).some((s) => sameJson(JSON.stringify(s), JSON.stringify(ours))),
      describe: "denies every request without TLS",
      write: async (t, p) => {
        // The user's own statements stay; ours is added or replaced by its Sid.
        const others = statementsOf(p).filter((s) => (s as { Sid?: string }).Sid !== ours.Sid);
        const doc = { Version: "2012-10-17", Statement: [...others, ours] };
        await t.s3.send(new PutBucketPolicyCommand({ ...at(t), Policy: JSON.stringify(doc) }));
      },
    }),
    setting({
      name: "tags",
      read: async (t) =>
        fromKeyValueList((await optional(t.s3.send(new GetBucketTaggingCommand(at(t)))))?.TagSet),
      ok: (tags) => Object.entries(STATE_BUCKET_TAGS).every(([k, v]) => tags[k] === v),
      describe: Object.entries(STATE_BUCKET_TAGS)
        .map(([k, v]) => `${k}=${v}`)
        .join(", "),
      write: (t, tags) =>
        t.s3.send(
          new PutBucketTaggingCommand({
            ...at(t),
            Tagging: { TagSet: toKeyValueList({ ...tags, ...STATE_BUCKET_TAGS }) },
          }),
        ),
    }),
  ];
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
