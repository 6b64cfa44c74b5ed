import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import type { STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { callerAccount, once } from "../aws/account.js";
import { loadClients, makeClient, MAX_ATTEMPTS } from "../aws/clients.js";
import { UserError } from "../errors.js";
import { RUN } from "../hint.js";
import type { Reporter } from "../report/reporter.js";
import { DEFAULT_NAME } from "../project.js";
import {
  defaultStatePath,
  isRemoteState,
  legacyStatePath,
  parseS3Location,
  stateDir,
} from "./location.js";
import { LOCK_POLL_MS, RemoteState, type LockWait } from "./remote.js";
import {
  acquireLock,
  LockBusy,
  readState,
  removeState,
  StateStore,
  type Lock,
  type StackIdentity,
  type StackState,
} from "./store.js";
import { whoIsRunning } from "./who.js";

/**
 * Where a stack's state lives, behind one interface: the local file (the default) or an S3
 * object. Both lock the stack for a run and write the state after every step.
 */
export interface StateBackend {
  /** The file's path, or s3://bucket/key. */
  readonly location: string;
  /** Set for the state in S3. */
  readonly remote: RemoteState | undefined;
  /** The state, or undefined when there is none. Never modifies anything. */
  read(): Promise<StackState | undefined>;
  /** Takes the stack's lock for this run (waiting up to wait.timeoutMs for a held one). */
  lock(command: string, wait: LockWait): Promise<Lock>;
  /** A store that persists here, starting from state. */
  open(state: StackState): StateStore;
  /** Removes the state (after a complete down). */
  remove(): Promise<void>;
}

export interface BackendOptions {
  readonly stage: string;
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  readonly command: string;
  /** The S3 client to use (tests); otherwise one is built from region/profile/endpoint. */
  readonly s3?: S3Client | undefined;
  readonly region: string;
  readonly profile?: string | undefined;
  readonly endpoint?: string | undefined;
  /** The account that must own the state bucket (stateBucketOwner); default: the caller's. */
  readonly stateBucketOwner?: string | undefined;
  /**
   * The caller's account, asked once (the session shares its STS lookup); otherwise the
   * backend asks STS itself, through `sts` (tests) or a client built like the S3 one. Only a
   * state in S3 without stateBucketOwner asks.
   */
  readonly account?: (() => Promise<string>) | undefined;
  readonly sts?: STSClient | undefined;
}

/** The backend for a resolved state location (Config.statePath). */
export async function stateBackend(location: string, o: BackendOptions): Promise<StateBackend> {
  if (!isRemoteState(location)) return localBackend(location);
  await loadClients([...(o.s3 ? [] : ["s3" as const]), ...(o.sts ? [] : ["sts" as const])]);
  const loc = parseS3Location(location, { name: "-", stage: o.stage, region: o.region });
  const rescue = path.join(
    stateDir(o.cwd),
    `${o.stage}.unsaved-${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  );
  const owner = o.stateBucketOwner;
  const remote = new RemoteState(
    s3For(o),
    loc,
    whoIsRunning(o.env),
    o.command,
    rescue,
    owner !== undefined
      ? { get: () => Promise.resolve(owner), mine: false }
      : { get: o.account ?? once(() => callerAccount(stsFor(o), o)), mine: true },
  );
  return {
    location: loc.url,
    remote,
    read: () => remote.read(),
    lock: (command, wait) => remote.lock(command, wait),
    open: (state) => new StateStore(loc.url, state, remote),
    remove: () => remote.remove(),
  };
}

/**
 * A client for the state bucket: it may be in another region than the stack, so S3's
 * redirects to the bucket's region are followed. Its package must be loaded (loadClients).
 */
export function s3For(o: Pick<BackendOptions, "s3" | "region" | "profile" | "endpoint">): S3Client {
  return (
    o.s3 ??
    makeClient("s3", {
      region: o.region,
      credentials: fromNodeProviderChain(o.profile ? { profile: o.profile } : {}),
      followRegionRedirects: true,
      maxAttempts: MAX_ATTEMPTS.default,
      ...(o.endpoint ? { endpoint: o.endpoint, forcePathStyle: true } : {}),
    })
  );
}

/** A client to ask STS for the caller's account, built like the state bucket's (loaded first). */
export function stsFor(
  o: Pick<BackendOptions, "sts" | "region" | "profile" | "endpoint">,
): STSClient {
  return (
    o.sts ??
    makeClient("sts", {
      region: o.region,
      credentials: fromNodeProviderChain(o.profile ? { profile: o.profile } : {}),
      maxAttempts: MAX_ATTEMPTS.default,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    })
  );
}

function localBackend(file: string): StateBackend {
  return {
    location: file,
    remote: undefined,
    read: () => readState(file),
    lock: (command, wait) => localLock(file, command, wait),
    open: (state) => new StateStore(file, state),
    remove: () => removeState(file),
  };
}

/** The local lock, waited for like the remote one when --lock-timeout says so. */
async function localLock(file: string, command: string, wait: LockWait): Promise<Lock> {
  const deadline = Date.now() + wait.timeoutMs;
  let announced = false;
  for (;;) {
    try {
      return await acquireLock(file, command);
    } catch (err) {
      const left = deadline - Date.now();
      if (!(err instanceof LockBusy) || left <= 0) throw err;
      if (!announced) {
        wait.reporter.warn(`Waiting for the lock on ${file}: ${err.message}`);
        announced = true;
      }
      try {
        await sleep(Math.min(LOCK_POLL_MS, left), undefined, { signal: wait.signal });
      } catch {
        throw new UserError(
          `Interrupted while waiting for the lock on ${file}; nothing was changed.`,
          {
            exitCode: 130,
          },
        );
      }
    }
  }
}

/** Same project, stage, account and region. */
export function sameStack(state: StackState, id: StackIdentity): boolean {
  return (
    (state.name ?? DEFAULT_NAME) === (id.name ?? DEFAULT_NAME) &&
    state.stage === id.stage &&
    state.account === id.account &&
    state.region === id.region
  );
}

/** A state found where this stack's state was before, to be moved to where it is now. */
export interface StateToMove {
  /** Where it was found: a file's path or s3://bucket/key. */
  readonly file: string;
  readonly state: StackState;
}

/**
 * Where this stack's state may have been before, in the order they are looked at: the default
 * location before it named the project and region (legacy), and, for the state in S3, the
 * local default file of a stack moving there.
 */
export function formerLocations(
  backend: StateBackend,
  legacy: string | undefined,
  o: { readonly stage: string; readonly region: string; readonly cwd: string },
): string[] {
  const local = backend.remote
    ? [defaultStatePath(o.stage, o.region, o.cwd), legacyStatePath(o.stage, o.cwd)]
    : [];
  return [...new Set([legacy, ...local])].filter(
    (l): l is string => l !== undefined && l !== backend.location,
  );
}

/**
 * The state to move here when there is none yet: the first of the former locations that holds
 * this stack's (same project, stage and region; the account is checked once STS has answered).
 * Read-only.
 */
export async function stateToMove(
  former: readonly string[],
  o: BackendOptions & { readonly name: string },
): Promise<StateToMove | undefined> {
  for (const file of former) {
    const state = await (await stateBackend(file, o)).read();
    if (
      state &&
      (state.name ?? DEFAULT_NAME) === o.name &&
      state.stage === o.stage &&
      state.region === o.region
    ) {
      return { file, state };
    }
  }
  return undefined;
}

/** Warns when the state bucket keeps no earlier versions of the state. */
export async function warnUnversioned(backend: StateBackend, reporter: Reporter): Promise<void> {
  const remote = backend.remote;
  if (!remote) return;
  const status = await remote.versioning();
  if (status !== "Enabled") {
    reporter.warn(
      `Versioning is ${status === "Suspended" ? "suspended" : "off"} on the state bucket ${remote.loc.bucket}: an overwritten or deleted state cannot be recovered. \`${RUN} state init s3://${remote.loc.bucket}\` turns it on.`,
    );
  }
}
