import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { CallContext, FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("S3");

const preconditionFailed = () =>
  err("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);

const unquote = (etag: string) => etag.replace(/"/g, "");

/** A GetObject body as the SDK hands it over: a stream with the SDK's transform helpers. */
function sdkBody(body: Buffer): Readable & {
  transformToString(encoding?: BufferEncoding): Promise<string>;
  transformToByteArray(): Promise<Uint8Array>;
} {
  return Object.assign(Readable.from([body]), {
    transformToString: async (encoding: BufferEncoding = "utf8") => body.toString(encoding),
    transformToByteArray: async () => new Uint8Array(body),
  });
}

interface Version {
  key: string;
  versionId: string;
  body: Buffer | undefined;
  deleteMarker: boolean;
  sse: string | undefined;
  contentType: string | undefined;
  lastModified: Date;
  /** The MD5 of the body in quotes, as S3 gives it for a single-part upload. */
  etag?: string;
  metadata?: Record<string, string> | undefined;
}

export interface Bucket {
  name: string;
  /** The account that owns it. */
  owner: string;
  region: string;
  encryption: string | undefined;
  publicAccessBlock: Record<string, boolean> | undefined;
  ownership: string | undefined;
  policy: string | undefined;
  versioning: "Enabled" | "Suspended" | undefined;
  lifecycle: unknown[] | undefined;
  tags: { Key: string; Value: string }[] | undefined;
  /** Newest first per key. */
  objects: Map<string, Version[]>;
}

type In = Record<string, unknown>;

/** A new bucket as S3 makes it. */
function newBucket(name: string, owner: string, region: string): Bucket {
  return {
    name,
    owner,
    region,
    encryption: "AES256",
    publicAccessBlock: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
    ownership: "BucketOwnerEnforced",
    policy: undefined,
    versioning: undefined,
    lifecycle: undefined,
    tags: undefined,
    objects: new Map(),
  };
}

/** S3's answer to a request it refuses: 403 AccessDenied (a HEAD answer has no body). */
const accessDenied = () => err("AccessDenied", "Access Denied", 403);

/**
 * S3, with the defaults AWS gives every new bucket since 2023 (BPA on, ACLs off, SSE-S3), as
 * this account sees it. Buckets of other accounts: those in `foreignBuckets` grant it nothing
 * (every request 403); those in `buckets` with another owner (see `otherAccountBucket`) grant
 * it everything, as a bucket policy naming this account would. A request with
 * ExpectedBucketOwner naming another account than the bucket's owner is refused (403
 * AccessDenied) before anything is read or written.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
 */
export class FakeS3 implements FakeService {
  readonly name = "S3";
  readonly buckets = new Map<string, Bucket>();
  /** Names owned by other accounts that grant this one nothing: CreateBucket → BucketAlreadyExists, anything else → 403. */
  readonly foreignBuckets = new Set<string>();
  readonly operations: FakeService["operations"];

  constructor(readonly account = "123456789012") {
    const operations: FakeService["operations"] = {
      CreateBucket: (i, c) => this.createBucket(i, c),
      HeadBucket: (i) => {
        const name = i.Bucket as string;
        if (!this.buckets.has(name)) throw err("NotFound", "Not Found", 404);
        return { BucketRegion: this.buckets.get(name)?.region };
      },
      DeleteBucket: (i) => {
        const b = this.bucket(i);
        if ([...b.objects.values()].some((v) => v.length)) {
          throw err(
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty. You must delete all versions in the bucket.",
            409,
          );
        }
        this.buckets.delete(b.name);
        return {};
      },
      GetBucketEncryption: (i) => {
        const b = this.bucket(i);
        if (!b.encryption)
          throw err(
            "ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found",
            404,
          );
        return {
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: { SSEAlgorithm: b.encryption },
                BucketKeyEnabled: false,
              },
            ],
          },
        };
      },
      PutBucketEncryption: (i) => {
        const cfg = i.ServerSideEncryptionConfiguration as {
          Rules: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: string } }[];
        };
        this.bucket(i).encryption = cfg.Rules[0]?.ApplyServerSideEncryptionByDefault.SSEAlgorithm;
        return {};
      },
      DeleteBucketEncryption: (i) => {
        // S3 falls back to SSE-S3: encryption cannot be turned off since 2023.
        this.bucket(i).encryption = "AES256";
        return {};
      },
      GetPublicAccessBlock: (i) => {
        const b = this.bucket(i);
        if (!b.publicAccessBlock)
          throw err(
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
            404,
          );
        return { PublicAccessBlockConfiguration: { ...b.publicAccessBlock } };
      },
      PutPublicAccessBlock: (i) => {
        this.bucket(i).publicAccessBlock = {
          ...(i.PublicAccessBlockConfiguration as Record<string, boolean>),
        };
        return {};
      },
      DeletePublicAccessBlock: (i) => {
        this.bucket(i).publicAccessBlock = undefined;
        return {};
      },
      GetBucketOwnershipControls: (i) => {
        const b = this.bucket(i);
        if (!b.ownership)
          throw err(
            "OwnershipControlsNotFoundError",
            "The bucket ownership controls were not found",
            404,
          );
        return { OwnershipControls: { Rules: [{ ObjectOwnership: b.ownership }] } };
      },
      PutBucketOwnershipControls: (i) => {
        const oc = i.OwnershipControls as { Rules: { ObjectOwnership: string }[] };
        this.bucket(i).ownership = oc.Rules[0]?.ObjectOwnership;
        return {};
      },
      GetBucketPolicy: (i) => {
        const b = this.bucket(i);
        if (!b.policy) throw err("NoSuchBucketPolicy", "The bucket policy does not exist", 404);
        return { Policy: b.policy };
      },
      PutBucketPolicy: (i) => {
        const b = this.bucket(i);
        try {
          JSON.parse(i.Policy as string);
        } catch {
          throw err(
            "MalformedPolicy",
            "Policies must be valid JSON and the first byte must be '{'",
          );
        }
        b.policy = i.Policy as string;
        return {};
      },
      DeleteBucketPolicy: (i) => {
        this.bucket(i).policy = undefined;
        return {};
      },
      GetBucketVersioning: (i) => {
        const b = this.bucket(i);
        return b.versioning ? { Status: b.versioning } : {};
      },
      PutBucketVersioning: (i) => {
        const v = i.VersioningConfiguration as { Status: "Enabled" | "Suspended" };
        this.bucket(i).versioning = v.Status;
        return {};
      },
      GetBucketLifecycleConfiguration: (i) => {
        const b = this.bucket(i);
        if (!b.lifecycle)
          throw err(
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist",
            404,
          );
        return { Rules: structuredClone(b.lifecycle) };
      },
      PutBucketLifecycleConfiguration: (i) => {
        this.bucket(i).lifecycle = structuredClone(
          (i.LifecycleConfiguration as { Rules: unknown[] }).Rules,
        );
        return {};
      },
      DeleteBucketLifecycle: (i) => {
        this.bucket(i).lifecycle = undefined;
        return {};
      },
      GetBucketTagging: (i) => {
        const b = this.bucket(i);
        if (!b.tags) throw err("NoSuchTagSet", "The TagSet does not exist", 404);
        return { TagSet: structuredClone(b.tags) };
      },
      PutBucketTagging: (i) => {
        this.bucket(i).tags = structuredClone(
          (i.Tagging as { TagSet: { Key: string; Value: string }[] }).TagSet,
        );
        return {};
      },
      DeleteBucketTagging: (i) => {
        this.bucket(i).tags = undefined;
        return {};
      },
      PutObject: (i) => this.putObject(i),
      HeadObject: (i) => {
        const v = this.current(this.bucket(i), i.Key as string);
        if (!v) throw err("NotFound", "Not Found", 404);
        return {
          ContentLength: v.body?.length,
          ServerSideEncryption: v.sse,
          VersionId: v.versionId,
          ContentType: v.contentType,
          LastModified: v.lastModified,
          ETag: v.etag,
          Metadata: { ...v.metadata },
        };
      },
      GetObject: (i) => {
        const v = this.current(this.bucket(i), i.Key as string);
        if (!v) throw err("NoSuchKey", "The specified key does not exist.", 404);
        return {
          Body: sdkBody(v.body ?? Buffer.alloc(0)),
          ServerSideEncryption: v.sse,
          VersionId: v.versionId,
          ETag: v.etag,
          LastModified: v.lastModified,
          ContentType: v.contentType,
          Metadata: { ...v.metadata },
        };
      },
      DeleteObject: (i) => {
        const b = this.bucket(i);
        // Conditional delete: "Deletes the object if the ETag ... matches" (412 otherwise).
        if (i.IfMatch !== undefined) {
          const v = this.current(b, i.Key as string);
          if (!v) throw err("NoSuchKey", "The specified key does not exist.", 404);
          if (i.IfMatch !== "*" && unquote(i.IfMatch as string) !== unquote(v.etag ?? "")) {
            throw preconditionFailed();
          }
        }
        return this.deleteObject(b, i.Key as string, i.VersionId as string | undefined);
      },
      DeleteObjects: (i) => {
        const b = this.bucket(i);
        const objects = (i.Delete as { Objects: { Key: string; VersionId?: string }[] }).Objects;
        if (objects.length > 1000)
          throw err(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
          );
        const Deleted = objects.map((o) => ({
          Key: o.Key,
          VersionId: o.VersionId,
          ...this.deleteObject(b, o.Key, o.VersionId),
        }));
        return { Deleted, Errors: [] };
      },
      ListObjectVersions: (i) => this.listVersions(i),
      // The caller's own buckets only (Prefix filters by name start).
      ListBuckets: (i) => ({
        Buckets: [...this.buckets.values()]
          .filter((b) => b.owner === this.account)
          .filter((b) => i.Prefix === undefined || b.name.startsWith(i.Prefix as string))
          .map((b) => ({ Name: b.name, BucketRegion: b.region }))
          .sort((a, b) => a.Name.localeCompare(b.Name)),
      }),
      ListObjectsV2: (i) => {
        const b = this.bucket(i);
        const Contents = [...b.objects.keys()]
          .sort()
          .filter((k) => this.current(b, k))
          .map((Key) => ({ Key, Size: this.current(b, Key)?.body?.length }));
        return { Contents, KeyCount: Contents.length, IsTruncated: false };
      },
    };
    // Who owns the bucket is decided before the operation runs.
    this.operations = Object.fromEntries(
      Object.entries(operations).map(([op, impl]) => [
        op,
        (i: In, c: CallContext) => {
          if (op !== "CreateBucket") this.checkOwner(i);
          return impl(i, c);
        },
      ]),
    );
  }

  private checkOwner(i: In): void {
    const name = i.Bucket as string | undefined;
    if (name === undefined) return;
    if (this.foreignBuckets.has(name)) throw accessDenied();
    const b = this.buckets.get(name);
    const expected = i.ExpectedBucketOwner as string | undefined;
    if (b && expected !== undefined && expected !== b.owner) throw accessDenied();
  }

  /**
   * A bucket another account made, with a policy granting this account access (as a squatter
   * of a predictable name would): reachable without ExpectedBucketOwner, refused with it.
   */
  otherAccountBucket(name: string, owner: string, init: Partial<Bucket> = {}): Bucket {
    const b: Bucket = {
      ...newBucket(name, owner, init.region ?? "us-east-1"),
      ...init,
    };
    this.buckets.set(name, b);
    return b;
  }

  private bucket(i: In): Bucket {
    const b = this.buckets.get(i.Bucket as string);
    if (!b) throw err("NoSuchBucket", "The specified bucket does not exist", 404);
    return b;
  }

  private createBucket(i: In, c: CallContext): object {
    const name = i.Bucket as string;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name))
      throw err("InvalidBucketName", "The specified bucket is not valid.");
    const configuration = i.CreateBucketConfiguration as
      { LocationConstraint?: string; Tags?: { Key: string; Value: string }[] } | undefined;
    const constraint = configuration?.LocationConstraint;
    if (c.region === "us-east-1" && constraint !== undefined) {
      throw err("InvalidLocationConstraint", "The specified location-constraint is not valid");
    }
    if (c.region !== "us-east-1" && constraint !== c.region) {
      throw err(
        "IllegalLocationConstraintException",
        "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
      );
    }
    const theirs = this.buckets.get(name);
    if (this.foreignBuckets.has(name) || (theirs && theirs.owner !== this.account)) {
      throw err(
        "BucketAlreadyExists",
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
        409,
      );
    }
    if (this.buckets.has(name)) {
      // us-east-1 answers 200 for a bucket you already own; other regions say so.
      if (c.region === "us-east-1") return { Location: `/${name}` };
      throw err(
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
      );
    }
    this.buckets.set(name, {
      ...newBucket(name, this.account, c.region),
      ownership: (i.ObjectOwnership as string | undefined) ?? "BucketOwnerEnforced",
      // CreateBucketConfiguration.Tags: the bucket is tagged as it is made.
      tags: configuration?.Tags ? structuredClone(configuration.Tags) : undefined,
    });
    return { Location: `/${name}` };
  }

  private current(b: Bucket, key: string): Version | undefined {
    const v = b.objects.get(key)?.[0];
    return v && !v.deleteMarker ? v : undefined;
  }

  private putObject(i: In): object {
    const b = this.bucket(i);
    const body = Buffer.from((i.Body as Uint8Array | string | undefined) ?? "");
    const expected = i.ChecksumSHA256 as string | undefined;
    if (expected && createHash("sha256").update(body).digest("base64") !== expected) {
      throw err("BadDigest", "The SHA256 you specified did not match the calculated checksum.");
    }
    // Conditional writes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
    // If-None-Match: * fails with 412 when the key has a current object; If-Match with 412 when
    // its ETag differs, and with 404 NoSuchKey when there is no current object (a delete marker
    // counts as none). Calls are handled one at a time here, so the 409
    // ConditionalRequestConflict of two conditional writes racing inside S3 only comes from
    // an injected fault.
    const existing = this.current(b, i.Key as string);
    if (i.IfNoneMatch !== undefined) {
      if (i.IfNoneMatch !== "*") {
        throw err(
          "NotImplemented",
          "A header you provided implies functionality that is not implemented",
          501,
        );
      }
      if (existing) throw preconditionFailed();
    }
    if (i.IfMatch !== undefined) {
      if (!existing) throw err("NoSuchKey", "The specified key does not exist.", 404);
      if (unquote(i.IfMatch as string) !== unquote(existing.etag ?? "")) throw preconditionFailed();
    }
    const versionId = b.versioning === "Enabled" ? randomBytes(16).toString("hex") : "null";
    const version: Version = {
      key: i.Key as string,
      versionId,
      body,
      deleteMarker: false,
      sse: (i.ServerSideEncryption as string | undefined) ?? b.encryption,
      contentType: i.ContentType as string | undefined,
      lastModified: new Date(),
      etag: `"${createHash("md5").update(body).digest("hex")}"`,
      metadata: i.Metadata ? { ...(i.Metadata as Record<string, string>) } : undefined,
    };
    const list = (b.objects.get(version.key) ?? []).filter(
      (v) => b.versioning === "Enabled" || v.versionId !== "null",
    );
    b.objects.set(version.key, [version, ...list]);
    return {
      ETag: version.etag,
      VersionId: b.versioning ? versionId : undefined,
      ServerSideEncryption: version.sse,
    };
  }

  private deleteObject(b: Bucket, key: string, versionId: string | undefined): object {
    const list = b.objects.get(key) ?? [];
    if (versionId !== undefined) {
      const next = list.filter((v) => v.versionId !== versionId);
      if (next.length) b.objects.set(key, next);
      else b.objects.delete(key);
      return { VersionId: versionId };
    }
    if (b.versioning) {
      const marker: Version = {
        key,
        versionId: randomBytes(16).toString("hex"),
        body: undefined,
        deleteMarker: true,
        sse: undefined,
        contentType: undefined,
        lastModified: new Date(),
      };
      b.objects.set(key, [marker, ...list]);
      return { DeleteMarker: true, VersionId: marker.versionId };
    }
    b.objects.delete(key);
    return {};
  }

  private listVersions(i: In): object {
    const b = this.bucket(i);
    const max = Math.min((i.MaxKeys as number | undefined) ?? 1000, 1000);
    const all = [...b.objects.keys()].sort().flatMap((k) => b.objects.get(k) ?? []);
    let start = 0;
    if (i.KeyMarker !== undefined) {
      const idx = all.findIndex(
        (v) =>
          v.key === i.KeyMarker &&
          (i.VersionIdMarker === undefined || v.versionId === i.VersionIdMarker),
      );
      start = idx >= 0 ? idx + 1 : all.findIndex((v) => v.key > (i.KeyMarker as string));
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + max);
    const truncated = start + max < all.length;
    const last = page[page.length - 1];
    const entry = (v: Version) => ({
      Key: v.key,
      VersionId: v.versionId,
      IsLatest: b.objects.get(v.key)?.[0] === v,
      LastModified: v.lastModified,
    });
    return {
      Versions: page
        .filter((v) => !v.deleteMarker)
        .map((v) => ({ ...entry(v), Size: v.body?.length ?? 0 })),
      DeleteMarkers: page.filter((v) => v.deleteMarker).map(entry),
      IsTruncated: truncated,
      ...(truncated && last
        ? { NextKeyMarker: last.key, NextVersionIdMarker: last.versionId }
        : {}),
    };
  }

  /** Total object versions and delete markers in a bucket (0 if it is gone). */
  versionCount(bucket: string): number {
    const b = this.buckets.get(bucket);
    return b ? [...b.objects.values()].reduce((n, l) => n + l.length, 0) : 0;
  }
}
