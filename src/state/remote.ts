import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  errorMessage,
  isAccessDenied,
  isNamed,
  isNetworkError,
  isNotFound,
  httpStatus,
} from "../aws/errors.js";
import { isRefused, owned, whyRefused } from "../aws/bucket-owner.js";
import { UserError } from "../errors.js";
import { RUN } from "../hint.js";
import { PROJECT } from "../project.js";
import type { Reporter } from "../report/reporter.js";
import type { S3Location } from "./location.js";
import {
  parseState,
  writeStateAtomic,
  type Lock,
  type StackState,
  type StatePersistence,
} from "./store.js";
import { age } from "./who.js";

/** What a lock object holds: enough for whoever finds it to know whose it is and since when. */
export interface RemoteLockInfo {
  /** Random per run: what `unlock` must be given. */
  readonly id: string;
  /** user@host, or the CI job. */
  readonly who: string;
  readonly command: string;
  readonly startedAt: string;
  /** The state it locks. */
  readonly state: string;
}

export interface RemoteLock extends Lock {
  readonly id: string;
}

export interface LockWait {
  /** How long to wait for a held lock; 0 refuses at once. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly reporter: Reporter;
}

/** How often a run waiting for the lock looks again. */
export const LOCK_POLL_MS = 1000;
/** 409 ConditionalRequestConflict: "retry the upload" (bounded). */
const CONFLICT_ATTEMPTS = 5;

/**
 * The state written after someone else wrote it: this run stops writing (a later write would
 * overwrite theirs) and says who and when. What this run recorded since is saved locally.
 */
export class StateChanged extends UserError {}

/** The state object as it is now: its ETag and who wrote it (from the object's metadata). */
interface Head {
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
  readonly writtenBy: string | undefined;
  readonly command: string | undefined;
  readonly writeId: string | undefined;
}

/**
 * The state as an S3 object: every write is conditional on the ETag this run last read or
 * wrote (If-Match), or on there being none (If-None-Match: *), so a write never lands over a
 * state this run has not seen. The lock is an object next to it, created only if absent.
 */
export class RemoteState implements StatePersistence {
  /** The ETag this run last read or wrote; undefined while there is no state object. */
  private etag: string | undefined;

  constructor(
    private readonly s3: S3Client,
    readonly loc: S3Location,
    private readonly who: string,
    private readonly command: string,
    /** Where what this run recorded goes when the remote state changed under it. */
    private readonly rescueFile: string,
    /**
     * The account that must own the bucket, sent as ExpectedBucketOwner on every request;
     * `mine` when it is the caller's own (no stateBucketOwner).
     */
    private readonly owner: { readonly get: () => Promise<string>; readonly mine: boolean },
  ) {}

  /** Bucket, ExpectedBucketOwner and key of a request for the object `key`. */
  private async object(
    key: string,
  ): Promise<{ Bucket: string; Key: string; ExpectedBucketOwner: string }> {
    return { Bucket: this.loc.bucket, Key: key, ...owned(await this.owner.get()) };
  }

  /**
   * A failed request as the user reads it. A refusal (403) is told apart: the bucket belongs to
   * another account (its owner condition refused it), or these credentials lack a permission.
   */
  private async fail(action: string, err: unknown): Promise<unknown> {
    // The owner's own lookup failed (STS): its error says what to do.
    if (err instanceof UserError) return err;
    if (!isRefused(err)) return remoteError(action, this.loc, err);
    const owner = await this.owner.get();
    const why = await whyRefused(this.s3, this.loc.bucket, owner, {
      listOwn: this.owner.mine,
    }).catch(() => "unknown" as const);
    if (why === "permission") return remoteError(action, this.loc, err);
    const fix = this.owner.mine
      ? `Check the bucket name in --state (or "state" in the config file). If the state bucket is in another account on purpose, give that account's id with --state-bucket-owner (or "stateBucketOwner" next to "state").`
      : `Check the bucket name in --state (or "state") and the account id in --state-bucket-owner (or "stateBucketOwner"), ${owner}.`;
    if (why === "elsewhere") {
      return new UserError(
        `The state bucket ${this.loc.bucket} belongs to another AWS account (ExpectedBucketOwner ${owner} refused): nothing was written to it.`,
        { cause: err, hint: fix },
      );
    }
    return new UserError(
      `Cannot ${action} ${this.loc.url}: S3 refused it with ExpectedBucketOwner ${owner} (${errorMessage(err)}). Either the bucket ${this.loc.bucket} belongs to another AWS account, or these credentials may not use it; nothing was written to it.`,
      {
        cause: err,
        hint: `${fix} If the bucket is that account's, the credentials need s3:GetObject, s3:PutObject and s3:DeleteObject on arn:aws:s3:::${this.loc.bucket}/${this.loc.key}*, and s3:ListBucket and s3:GetBucketVersioning on the bucket.`,
      },
    );
  }

  get url(): string {
    return this.loc.url;
  }

  get lockUrl(): string {
    return `${this.loc.url}.lock`;
  }

  private get lockKey(): string {
    return `${this.loc.key}.lock`;
  }

  /** Reads the state and remembers its ETag; undefined when there is no state object. */
  async read(): Promise<StackState | undefined> {
    let text: string;
    let etag: string | undefined;
    try {
      const r = await this.s3.send(new GetObjectCommand(await this.object(this.loc.key)));
      text = await bodyText(r.Body);
      etag = r.ETag;
    } catch (err) {
      if (isNamed(err, "NoSuchKey")) {
        this.etag = undefined;
        return undefined;
      }
      throw await this.fail("read the state", err);
    }
    const state = parseState(this.loc.url, text);
    this.etag = etag;
    return state;
  }

  async write(state: StackState): Promise<void> {
    const body = `${JSON.stringify(state, null, 2)}\n`;
    const writeId = randomBytes(8).toString("hex");
    const condition = this.etag !== undefined ? { IfMatch: this.etag } : { IfNoneMatch: "*" };
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.s3.send(
          new PutObjectCommand({
            ...(await this.object(this.loc.key)),
            Body: body,
            ContentType: "application/json",
            ...condition,
            Metadata: {
              "written-by": encodeURIComponent(this.who),
              command: this.command,
              "write-id": writeId,
            },
          }),
        );
        this.etag = r.ETag;
        return;
      } catch (err) {
        // If-Match on an object deleted since: 404 NoSuchKey.
        if (isPreconditionFailed(err) || isNamed(err, "NoSuchKey")) {
          const now = await this.head();
          // This very write, applied but answered late: the SDK's retry found it in place.
          if (now?.writeId === writeId) {
            this.etag = now.etag;
            return;
          }
          throw await this.changed(now, state);
        }
        if (isNamed(err, "ConditionalRequestConflict") && attempt < CONFLICT_ATTEMPTS) {
          await sleep(50 * attempt * (1 + Math.random()));
          continue;
        }
        throw await this.fail("write the state", err);
      }
    }
  }

  /** Keeps what this run recorded after its writes stopped, so nothing it made is forgotten. */
  async afterFailure(state: StackState): Promise<void> {
    await writeStateAtomic(this.rescueFile, state).catch(() => undefined);
  }

  /** Deletes the state object (down), only if it is still the one this run last wrote. */
  async remove(): Promise<void> {
    if (this.etag === undefined) return;
    try {
      await this.s3.send(
        new DeleteObjectCommand({ ...(await this.object(this.loc.key)), IfMatch: this.etag }),
      );
      this.etag = undefined;
    } catch (err) {
      if (isNamed(err, "NoSuchKey")) return;
      if (isPreconditionFailed(err)) throw await this.changed(await this.head(), undefined);
      throw await this.fail("delete the state", err);
    }
  }

  private async head(): Promise<Head | undefined> {
    try {
      const h = await this.s3.send(new HeadObjectCommand(await this.object(this.loc.key)));
      const m = h.Metadata ?? {};
      return {
        etag: h.ETag,
        lastModified: h.LastModified,
        writtenBy: m["written-by"] !== undefined ? safeDecode(m["written-by"]) : undefined,
        command: m.command,
        writeId: m["write-id"],
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw await this.fail("read the state", err);
    }
  }

  private async changed(
    now: Head | undefined,
    mine: StackState | undefined,
  ): Promise<StateChanged> {
    let saved = "";
    if (mine) {
      try {
        await writeStateAtomic(this.rescueFile, mine);
        saved = ` What this run recorded is saved in ${this.rescueFile}.`;
      } catch {
        // The message below still stops the run; the resources carry the stack's tags.
      }
    }
    const by = now?.writtenBy ? ` (${now.writtenBy}${now.command ? `, ${now.command}` : ""})` : "";
    const what = now
      ? `another run wrote it at ${now.lastModified?.toISOString() ?? "an unknown time"}${by}`
      : "another run deleted it";
    return new StateChanged(
      `The state changed under this run: ${what}. This run stopped writing ${this.loc.url}; nothing was overwritten.`,
      {
        hint: `${saved.trim()} Run the command again: it starts from the newer state and finds what this run made by name and tag. Earlier versions of the state stay in the bucket while its versioning is on.`.trim(),
      },
    );
  }

  /** The lock object and its ETag; undefined when there is none. */
  async readLock(): Promise<
    { info: RemoteLockInfo | undefined; etag: string | undefined } | undefined
  > {
    try {
      const r = await this.s3.send(new GetObjectCommand(await this.object(this.lockKey)));
      return { info: parseLock(await bodyText(r.Body)), etag: r.ETag };
    } catch (err) {
      if (isNamed(err, "NoSuchKey")) return undefined;
      throw await this.fail("read the lock", err);
    }
  }

  /**
   * Creates the lock object only if there is none (If-None-Match: *): of any number of runs,
   * exactly one gets it. A held lock is refused at once, or waited for up to timeoutMs.
   */
  async lock(command: string, wait: LockWait): Promise<RemoteLock> {
    const mine: RemoteLockInfo = {
      id: randomBytes(6).toString("hex"),
      who: this.who,
      command,
      startedAt: new Date().toISOString(),
      state: this.loc.url,
    };
    const body = `${JSON.stringify(mine, null, 2)}\n`;
    const deadline = Date.now() + wait.timeoutMs;
    let announced = false;
    let conflicts = 0;
    for (;;) {
      try {
        const r = await this.s3.send(
          new PutObjectCommand({
            ...(await this.object(this.lockKey)),
            Body: body,
            ContentType: "application/json",
            IfNoneMatch: "*",
          }),
        );
        return this.held(mine, r.ETag, wait.reporter);
      } catch (err) {
        if (isNamed(err, "ConditionalRequestConflict") && ++conflicts < CONFLICT_ATTEMPTS) {
          await sleep(50 * conflicts * (1 + Math.random()));
          continue;
        }
        if (!isPreconditionFailed(err)) throw await this.fail("take the lock", err);
      }
      const holder = await this.readLock();
      // Released in between: try again.
      if (!holder) continue;
      // This run's own lock, created but answered late: the SDK's retry found it in place.
      if (holder.info?.id === mine.id) return this.held(mine, holder.etag, wait.reporter);
      const left = deadline - Date.now();
      if (left <= 0) throw this.busy(holder.info, wait.timeoutMs);
      if (!announced) {
        wait.reporter.warn(
          `Waiting for the lock on ${this.loc.url}: held by ${describe(holder.info)}.`,
        );
        announced = true;
      }
      try {
        await sleep(Math.min(LOCK_POLL_MS, left), undefined, { signal: wait.signal });
      } catch {
        throw new UserError(
          `Interrupted while waiting for the lock on ${this.loc.url}; nothing was changed.`,
          {
            exitCode: 130,
          },
        );
      }
    }
  }

  private held(mine: RemoteLockInfo, etag: string | undefined, reporter: Reporter): RemoteLock {
    let released = false;
    return {
      id: mine.id,
      staleWarning: undefined,
      release: async () => {
        if (released) return;
        released = true;
        try {
          // Only while it is still this run's lock: once unlocked, another run's may be there.
          await this.s3.send(
            new DeleteObjectCommand({
              ...(await this.object(this.lockKey)),
              ...(etag ? { IfMatch: etag } : {}),
            }),
          );
        } catch (err) {
          if (isPreconditionFailed(err) || isNamed(err, "NoSuchKey")) return;
          reporter.warn(
            `Could not remove this run's lock ${this.lockUrl}: ${errorMessage(err)}. Remove it with \`${RUN} unlock ${mine.id} --state ${this.loc.url}\`.`,
          );
        }
      },
    };
  }

  private busy(holder: RemoteLockInfo | undefined, waitedMs: number): UserError {
    const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : "";
    if (!holder) {
      return new UserError(
        `The state ${this.loc.url} is locked by a lock object this tool cannot read${waited}.`,
        { hint: `If no run is going, delete ${this.lockUrl} (aws s3 rm ${this.lockUrl}).` },
      );
    }
    return new UserError(
      `Another ${PROJECT} run holds the lock on ${this.loc.url}: ${describe(holder)}${waited}.`,
      {
        hint: `Wait for it to finish, or pass --lock-timeout 5m to wait for it. If that run is gone (killed, or its machine lost), remove its lock with \`${RUN} unlock ${holder.id} --state ${this.loc.url}\`.`,
      },
    );
  }

  /** Removes a lock left by a run that died; only the lock with this id. */
  async unlock(id: string): Promise<RemoteLockInfo> {
    const holder = await this.readLock();
    if (!holder) {
      throw new UserError(`There is no lock on ${this.loc.url}; nothing was removed.`, {
        hint: "The run may have finished and released it.",
      });
    }
    if (holder.info?.id !== id) {
      const whose = holder.info
        ? `${holder.info.id}, held by ${describe(holder.info)}`
        : "not one this tool can read";
      throw new UserError(
        `The lock on ${this.loc.url} is ${whose}, not ${id}. Nothing was removed.`,
        {
          hint: "Pass the lock id the refusal named, after checking that its run is really gone.",
        },
      );
    }
    try {
      await this.s3.send(
        new DeleteObjectCommand({
          ...(await this.object(this.lockKey)),
          ...(holder.etag ? { IfMatch: holder.etag } : {}),
        }),
      );
    } catch (err) {
      if (isNamed(err, "NoSuchKey")) return holder.info;
      if (isPreconditionFailed(err)) {
        throw new UserError(
          `The lock on ${this.loc.url} changed while it was being removed; nothing was removed.`,
          {
            hint: `Look again: \`${RUN} unlock ${id} --state ${this.loc.url}\` names the lock now there.`,
          },
        );
      }
      throw await this.fail("remove the lock", err);
    }
    return holder.info;
  }

  /** The bucket's versioning status: "Enabled", "Suspended", or undefined (never enabled). */
  async versioning(): Promise<string | undefined> {
    try {
      const owner = await this.owner.get();
      return (
        await this.s3.send(
          new GetBucketVersioningCommand({ Bucket: this.loc.bucket, ...owned(owner) }),
        )
      ).Status;
    } catch (err) {
      throw await this.fail("read the versioning of", err);
    }
  }
}

/** "alice@laptop (up, started 2026-05-01T10:00:00.000Z, 3 min ago; lock 1a2b3c4d5e6f)". */
export function describe(info: RemoteLockInfo | undefined): string {
  if (!info) return "an unknown run";
  return `${info.who} (${info.command}, started ${info.startedAt}, ${age(info.startedAt)} ago; lock ${info.id})`;
}

function parseLock(text: string): RemoteLockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<RemoteLockInfo>;
    if (typeof v.id === "string" && typeof v.who === "string" && typeof v.startedAt === "string") {
      return { command: "?", state: "?", ...v } as RemoteLockInfo;
    }
  } catch {
    // Not ours.
  }
  return undefined;
}

export function isPreconditionFailed(err: unknown): boolean {
  return isNamed(err, "PreconditionFailed") || httpStatus(err) === 412;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function bodyText(body: unknown): Promise<string> {
  const b = body as { transformToString?: () => Promise<string> } | undefined;
  if (typeof b?.transformToString === "function") return b.transformToString();
  if (body instanceof Uint8Array) return Buffer.from(body).toString("utf8");
  if (typeof body === "string") return body;
  throw new Error("S3 answered without a body");
}

/** S3 failures a user fixes (no bucket, no permission, no network), in their words. */
export function remoteError(action: string, loc: S3Location, err: unknown): unknown {
  if (isNamed(err, "NoSuchBucket")) {
    return new UserError(`Cannot ${action} ${loc.url}: the bucket ${loc.bucket} does not exist.`, {
      cause: err,
      hint: `Create it, set up for state (versioning, encryption, no public access), with \`${RUN} state init s3://${loc.bucket}\`.`,
    });
  }
  if (isAccessDenied(err)) {
    return new UserError(`Cannot ${action} ${loc.url}: access denied (${errorMessage(err)}).`, {
      cause: err,
      hint: `The credentials need s3:GetObject, s3:PutObject and s3:DeleteObject on arn:aws:s3:::${loc.bucket}/${loc.key}*, and s3:ListBucket and s3:GetBucketVersioning on the bucket.`,
    });
  }
  if (isNetworkError(err)) {
    return new UserError(`Cannot ${action} ${loc.url}: ${errorMessage(err).split("\n")[0]}`, {
      cause: err,
      hint: "Check the network connection (and AWS_ENDPOINT_URL if set), then run the command again.",
    });
  }
  return err;
}
