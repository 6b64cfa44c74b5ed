import { createHash, randomBytes } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { UserError } from "../errors.js";
import type { StateEntry } from "../engine/types.js";
import { DEFAULT_NAME, isEmailAddress, PROJECT } from "../project.js";
import { blockedBy, fileSystemReason, isFileSystemError } from "./fs-errors.js";

export const SCHEMA_VERSION = 1;

/** The state file: what this tool made, so that `down` can remove it. Never holds secrets. */
export interface StackState {
  schemaVersion: number;
  project: string;
  /** The project's name (config "name"); absent in states written before projects had names. */
  name?: string | undefined;
  stage: string;
  account: string;
  region: string;
  updatedAt: string;
  /**
   * Counts the writes of this state: one more on every write. A plan file names the serial it
   * was made from, and is applied only to that state. Absent in states written before it: 0.
   */
  serial?: number | undefined;
  /** sha256 (hex) of the deployed handler zip. */
  codeSha256?: string | undefined;
  /** The API's invoke URL. */
  endpoint?: string | undefined;
  /** Settings that stay with the stack until they are removed explicitly. */
  settings?: RecordedSettings | undefined;
  /**
   * A version of the function taken back, by an alarm during its shift or by `rollback`: while
   * the stack still wants that version, `up` keeps `to` live instead.
   */
  rolledBack?: RolledBack | undefined;
  /** Logical key → what exists. */
  resources: Record<string, StateEntry>;
}

/** A version taken back: the one that was going live, the one live instead, why and when. */
export interface RolledBack {
  readonly version: string;
  readonly to: string;
  readonly reason: string;
  /** ISO 8601. */
  readonly at: string;
}

/** The alarm address as the state file records it, with where it came from. */
export interface RecordedAlarmEmail {
  readonly address: string;
  readonly from: "flag" | "file";
}

export interface RecordedSettings {
  /** Where alarm notifications go; set by --alarm-email or the config file. */
  alarmEmail?: RecordedAlarmEmail | undefined;
}

export interface StackIdentity {
  /** The project's name; undefined is the default one. */
  name?: string | undefined;
  stage: string;
  account: string;
  region: string;
}

/** The state's serial (see StackState.serial); 0 for none, or one written before serials. */
export function serialOf(state: Pick<StackState, "serial"> | undefined): number {
  return state?.serial ?? 0;
}

/** The project a state belongs to: states written before projects had names are the default's. */
export function projectOf(state: Pick<StackState, "name">): string {
  return state.name ?? DEFAULT_NAME;
}

export function emptyState(id: StackIdentity): StackState {
  return {
    schemaVersion: SCHEMA_VERSION,
    project: PROJECT,
    ...(id.name !== undefined && id.name !== DEFAULT_NAME ? { name: id.name } : {}),
    stage: id.stage,
    account: id.account,
    region: id.region,
    updatedAt: new Date().toISOString(),
    resources: {},
  };
}

/** Reads and checks a state file; undefined when there is none. Never modifies it. */
export async function readState(file: string): Promise<StackState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw await stateFileError("read the state file", file, err);
  }
  return parseState(file, text);
}

/** Checks a state document's text; `file` names where it came from in messages. */
export function parseState(file: string, text: string): StackState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt(file, "it is not valid JSON");
  }
  return checkShape(file, parsed);
}

function checkShape(file: string, v: unknown): StackState {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw corrupt(file, "not an object");
  const s = v as Partial<StackState>;
  if (s.project !== PROJECT) throw corrupt(file, `it was not written by ${PROJECT}`);
  if (typeof s.schemaVersion !== "number") throw corrupt(file, "schemaVersion is missing");
  if (s.schemaVersion > SCHEMA_VERSION) {
    throw new UserError(
      `The state file ${file} has schema version ${s.schemaVersion}, newer than this version of ${PROJECT} understands (${SCHEMA_VERSION}).`,
      { hint: `Upgrade ${PROJECT} and run the command again.` },
    );
  }
  for (const field of ["stage", "account", "region"] as const) {
    if (typeof s[field] !== "string") throw corrupt(file, `${field} is missing`);
  }
  if (s.name !== undefined && typeof s.name !== "string") throw corrupt(file, "name is malformed");
  if (s.serial !== undefined && !(Number.isSafeInteger(s.serial) && s.serial >= 0)) {
    throw corrupt(file, "serial is malformed");
  }
  if (typeof s.resources !== "object" || s.resources === null) {
    throw corrupt(file, "resources is missing");
  }
  if (s.settings !== undefined) {
    if (typeof s.settings !== "object" || s.settings === null) {
      throw corrupt(file, "settings is malformed");
    }
    const a = (s.settings as Partial<RecordedSettings>).alarmEmail;
    if (
      a !== undefined &&
      (typeof a !== "object" ||
        a === null ||
        !isEmailAddress(a.address) ||
        (a.from !== "flag" && a.from !== "file"))
    ) {
      throw corrupt(file, "settings.alarmEmail is malformed");
    }
  }
  const r = s.rolledBack;
  if (
    r !== undefined &&
    (typeof r !== "object" ||
      r === null ||
      !(["version", "to", "reason", "at"] as const).every((k) => typeof r[k] === "string"))
  ) {
    throw corrupt(file, "rolledBack is malformed");
  }
  for (const [key, e] of Object.entries(s.resources)) {
    if (
      typeof e !== "object" ||
      e === null ||
      typeof e.kind !== "string" ||
      typeof e.id !== "string" ||
      typeof e.outputs !== "object"
    ) {
      throw corrupt(file, `resource ${key} is malformed`);
    }
  }
  return s as StackState;
}

/**
 * A file-system failure on the state file or its lock, naming the path and what is in the way,
 * with what to do: never reported as a bug.
 */
async function stateFileError(action: string, file: string, err: unknown): Promise<UserError> {
  const dir = path.dirname(file);
  const blocker =
    isFileSystemError(err) && ["ENOENT", "ENOTDIR", "EEXIST"].includes(err.code)
      ? await blockedBy(dir)
      : undefined;
  const reason = blocker ?? fileSystemReason(err);
  return new UserError(`Cannot ${action} ${file}: ${reason}.`, {
    cause: err,
    hint: `The state file and its lock live in ${dir}: make that a directory you can write to, or pass --state with a file in one.`,
  });
}

function corrupt(file: string, why: string): UserError {
  return new UserError(`The state file ${file} is unreadable: ${why}. It was left untouched.`, {
    hint: "Restore it from a backup, or move it aside: the tool finds the stack's resources again by name and tag.",
  });
}

/** Refuses a state file that belongs to another stack; it is never overwritten. */
export function checkIdentity(file: string, state: StackState, id: StackIdentity): void {
  const name = id.name ?? DEFAULT_NAME;
  if (projectOf(state) !== name) {
    throw new UserError(
      `The state file ${file} belongs to project ${projectOf(state)}, but this run's project is ${name}. It was left untouched.`,
      {
        hint: `Renaming a project makes a new stack beside the old one. To keep working on the deployed stack, set "name": "${projectOf(state)}" in ${PROJECT}.config.json; for a new stack, pass --state with another file.`,
      },
    );
  }
  for (const field of ["account", "region", "stage"] as const) {
    if (state[field] !== id[field]) {
      throw new UserError(
        `The state file ${file} belongs to ${field} ${state[field]}, but this run targets ${field} ${id[field]}. It was left untouched.`,
        {
          hint:
            field === "account"
              ? "Check AWS_PROFILE / your credentials, or pass --state with another file."
              : `Pass --${field === "region" ? "region" : "stage"} ${state[field]}, or --state with another file.`,
        },
      );
    }
  }
}

/** What a state directory the tool creates holds from the start: git ignores everything in it. */
export const STATE_DIR_GITIGNORE = "*\n";

/**
 * Makes the directory of a state file when there is none. State files name the account, its
 * resources and the alarm address, so a directory the tool creates is private (0700) and kept
 * out of git by a `.gitignore` of `*`, written right after the directory is made (only a crash
 * between those two calls would leave it without one). Of two concurrent runs, the one whose
 * mkdir made it writes the file. A directory that already exists (a custom --state in one of the
 * user's, or one the user made) is left exactly as it is; parents a custom path needs are made
 * as any mkdir -p would.
 */
export async function ensureStateDir(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  if (await isDirectory(dir)) return;
  await fs.mkdir(path.dirname(dir), { recursive: true });
  try {
    await fs.mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST" && (await isDirectory(dir))) return;
    throw err;
  }
  // mkdir's mode is filtered by the umask; the directory must end up 0700 whatever it is.
  await fs.chmod(dir, 0o700);
  try {
    await fs.writeFile(path.join(dir, ".gitignore"), STATE_DIR_GITIGNORE, { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

async function isDirectory(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isDirectory() === true;
}

/**
 * A local state file, or the tool's own state directory (the one holding its `.gitignore`),
 * that other users of the machine may read is made private at once (0600, 0700): every write
 * would make the file so anyway. A directory of the user's own is never changed. Returns what
 * to tell the user; nothing when all is private or there is no file yet.
 */
export async function tightenExposedState(file: string): Promise<string[]> {
  const out: string[] = [];
  const octal = (m: number) => `0${(m & 0o777).toString(8)}`;
  const st = await fs.stat(file).catch(() => undefined);
  if (!st?.isFile()) return out;
  if (st.mode & 0o077) {
    await fs.chmod(file, 0o600);
    out.push(
      `The state file ${file} was readable by other users (mode ${octal(st.mode)}); it is now 0600 (it names the account, its resources and the alarm address).`,
    );
  }
  const dir = path.dirname(path.resolve(file));
  const d = await fs.stat(dir).catch(() => undefined);
  const ours = await fs
    .readFile(path.join(dir, ".gitignore"), "utf8")
    .then((t) => t === STATE_DIR_GITIGNORE)
    .catch(() => false);
  if (d && d.mode & 0o077 && ours) {
    await fs.chmod(dir, 0o700);
    out.push(
      `The state directory ${dir} was open to other users (mode ${octal(d.mode)}); it is now 0700.`,
    );
  }
  return out;
}

/** Writes through a temp file and rename, so a crash leaves the old file or the new one, whole. */
export async function writeStateAtomic(file: string, state: StackState): Promise<void> {
  await ensureStateDir(file);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await fs.open(tmp, "w", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Where a store persists the state other than a local file (the state in S3). */
export interface StatePersistence {
  write(state: StackState): Promise<void>;
  /** Once a write has failed, called with the state in place of each later write. */
  afterFailure?(state: StackState): Promise<void>;
}

/**
 * Holds the state in memory and persists it after every change, one write at a time and in
 * order, so the file always reflects a prefix of what happened.
 */
export class StateStore {
  private chain: Promise<void> = Promise.resolve();
  private failed: unknown;

  constructor(
    /** The state file, or the remote state's URL. */
    readonly file: string,
    readonly state: StackState,
    private readonly persistence?: StatePersistence,
  ) {}

  get resources(): Readonly<Record<string, StateEntry>> {
    return this.state.resources;
  }

  /**
   * Records what exists under key. With `aside`, what was recorded under key stays recorded,
   * under that key, in the same write: a resource replaced by another is never dropped.
   */
  record(key: string, entry: StateEntry, aside?: string): Promise<void> {
    const previous = this.state.resources[key];
    if (aside !== undefined && previous) this.state.resources[aside] = previous;
    this.state.resources[key] = entry;
    return this.flush();
  }

  /** Moves what is recorded under one key to another, in one write. */
  move(from: string, to: string): Promise<void> {
    const entry = this.state.resources[from];
    if (entry) this.state.resources[to] = entry;
    delete this.state.resources[from];
    return this.flush();
  }

  forget(key: string): Promise<void> {
    delete this.state.resources[key];
    return this.flush();
  }

  set(
    fields: Partial<Pick<StackState, "codeSha256" | "endpoint" | "settings" | "rolledBack">>,
  ): Promise<void> {
    Object.assign(this.state, fields);
    return this.flush();
  }

  flush(): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.failed) {
        await this.persistence?.afterFailure?.(this.state);
        throw this.failed;
      }
      this.state.updatedAt = new Date().toISOString();
      this.state.serial = serialOf(this.state) + 1;
      try {
        if (this.persistence) await this.persistence.write(this.state);
        else await writeStateAtomic(this.file, this.state);
      } catch (err) {
        this.failed = this.persistence
          ? err
          : await stateFileError("write the state file", this.file, err);
        throw this.failed;
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}

export async function removeState(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}

interface LockInfo {
  pid: number;
  hostname: string;
  command: string;
  startedAt: string;
  /** Random, per acquisition: two locks taken by one process are never the same lock. */
  token?: string;
}

export interface Lock {
  release(): Promise<void>;
  /** Set when a lock left by a dead process was found and replaced. */
  readonly staleWarning: string | undefined;
}

/** How often a run looks again at a lock that another run is taking over, and how long between. */
const LOCK_ATTEMPTS = 25;
const LOCK_RETRY_MS = 20;

/**
 * An exclusive lock next to the state file (O_EXCL create). A lock whose process is gone (same
 * host) is stale: it is reported and replaced, by exactly one of the runs that found it (see
 * takeOver).
 */
export async function acquireLock(stateFile: string, command: string): Promise<Lock> {
  const lockFile = `${stateFile}.lock`;
  try {
    await ensureStateDir(lockFile);
  } catch (err) {
    throw await stateFileError("create the lock file", lockFile, err);
  }
  const mine = JSON.stringify({
    pid: process.pid,
    hostname: os.hostname(),
    command,
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString("hex"),
  } satisfies LockInfo);
  try {
    for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
      if (await createExclusive(lockFile, mine)) return held(lockFile, mine, undefined);
      const raw = await readText(lockFile);
      // Released between the two calls: try again.
      if (raw === undefined) continue;
      const holder = parseLock(raw);
      if (!holder || holder.hostname !== os.hostname() || processAlive(holder.pid)) {
        throw busy(lockFile, holder);
      }
      const outcome = await takeOver(lockFile, raw, mine);
      if (outcome === "taken") {
        return held(
          lockFile,
          mine,
          `Replaced a stale lock left by process ${holder.pid} (${holder.command}, started ${holder.startedAt}), which is no longer running.`,
        );
      }
      // "contended": another run is replacing this very lock; it is done within milliseconds,
      // and the next look finds its lock. "changed": the lock is not the one read any more.
      if (outcome === "contended") await sleep(LOCK_RETRY_MS * (1 + Math.random()));
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw await stateFileError("create the lock file", lockFile, err);
  }
  throw new UserError(`Could not take the lock ${lockFile}.`, {
    hint: `Run the command again. If no other run is going, delete ${lockFile} and any ${path.basename(lockFile)}.takeover-* beside it.`,
  });
}

/**
 * Replaces a stale lock so that, of any number of runs that read the same stale lock, exactly
 * one wins; it returns "taken" to that one only.
 *
 * Deleting the stale lock and creating a new one (as `rm` then O_EXCL create) is not enough: a
 * run that read the stale lock, then paused, would delete the lock another run has just taken in
 * its place, and both would go on. Here the lock file is never absent: it is replaced whole by
 * rename, so a plain O_EXCL create by any run keeps failing throughout. Which run may replace it
 * is decided by a marker named after the stale lock's content, created with O_EXCL: only one
 * run can create it while it exists. Holding it, the run reads the lock again and replaces it
 * only if it is still, byte for byte, the stale lock it read (every lock holds a random token,
 * so a new lock never reads the same). The marker is removed only after the replacement, so a
 * run that creates it later reads the new lock, not the stale one, and backs off. A run killed
 * while holding the marker leaves that stale lock to be removed by hand (the error says how).
 */
async function takeOver(
  lockFile: string,
  staleRaw: string,
  mine: string,
): Promise<"taken" | "contended" | "changed"> {
  const generation = createHash("sha256").update(staleRaw).digest("hex").slice(0, 16);
  const marker = `${lockFile}.takeover-${generation}`;
  const who = JSON.stringify({ pid: process.pid, hostname: os.hostname() });
  if (!(await createExclusive(marker, who))) return "contended";
  try {
    if ((await readText(lockFile)) !== staleRaw) return "changed";
    const tmp = `${lockFile}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await fs.writeFile(tmp, mine, { flag: "wx", mode: 0o600 });
    try {
      await fs.rename(tmp, lockFile);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return "taken";
  } finally {
    await fs.rm(marker, { force: true });
  }
}

function held(lockFile: string, mine: string, staleWarning: string | undefined): Lock {
  return {
    staleWarning,
    // Only while it is still this run's lock (it never is another's unless it was deleted by
    // hand and taken since).
    release: async () => {
      if ((await readText(lockFile)) === mine) await fs.rm(lockFile, { force: true });
    },
  };
}

/** The lock is held by another run (a --lock-timeout waits for it to go). */
export class LockBusy extends UserError {}

function busy(lockFile: string, holder: LockInfo | undefined): UserError {
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname} (${holder.command}, started ${holder.startedAt})`
    : "another process";
  return new LockBusy(`Another ${PROJECT} run is working on this stack: ${who}.`, {
    hint: `Wait for it to finish. If it is not running any more, delete ${lockFile}.`,
  });
}

/** Creates file with content unless it exists (O_EXCL); false when it does. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  try {
    await fs.writeFile(file, content, { flag: "wx", mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** The file's text; undefined when it does not exist. */
async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function parseLock(raw: string): LockInfo | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LockInfo>;
    if (typeof v.pid === "number" && typeof v.hostname === "string") return v as LockInfo;
  } catch {
    // A lock being written right now, or garbage: treat as held by an unknown process.
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  return !zombie(pid);
}

/**
 * A run killed outright (SIGKILL from `timeout -s KILL`, a CI job's cancel) whose parent went
 * with it stays a zombie until something reaps it, and in a container without an init that may
 * be never: signal 0 still finds it, yet it holds nothing and will never run again. Linux says
 * so in /proc/<pid>/stat (state Z, after the parenthesised command name); elsewhere there is no
 * telling, and the process counts as running.
 */
function zombie(pid: number): boolean {
  if (process.platform !== "linux") return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}
