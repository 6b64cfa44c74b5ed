import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UserError } from "../../src/errors.js";
import { blockedBy, fileSystemReason, isFileSystemError } from "../../src/state/fs-errors.js";
import {
  acquireLock,
  checkIdentity,
  emptyState,
  ensureStateDir,
  readState,
  removeState,
  SCHEMA_VERSION,
  StateStore,
  writeStateAtomic,
  type StackState,
} from "../../src/state/store.js";
import { deadPid } from "../reliability/support.js";

/**
 * The state file and its lock, through the functions every command uses: what is written, what
 * is refused and the words the user reads. Exact texts: they are what the user acts on.
 */

afterEach(() => {
  vi.restoreAllMocks();
});

const ID = { stage: "production", account: "123456789012", region: "us-east-1" };

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), "sa-store-"));
}

/** The UserError fn throws (or its promise rejects with). */
async function userError(fn: () => unknown): Promise<UserError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error("expected a UserError");
}

function valid(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    project: "serverless-automation",
    stage: "production",
    account: "123456789012",
    region: "us-east-1",
    updatedAt: "2026-01-01T00:00:00.000Z",
    resources: {},
    ...over,
  };
}

const CORRUPT_HINT =
  "Restore it from a backup, or move it aside: the tool finds the stack's resources again by name and tag.";

describe("emptyState", () => {
  it("names the project, the stack's identity and the schema, with nothing in it", () => {
    const before = Date.now();
    const s = emptyState(ID);
    expect(s).toEqual({
      schemaVersion: 1,
      project: "serverless-automation",
      stage: "production",
      account: "123456789012",
      region: "us-east-1",
      updatedAt: expect.any(String) as string,
      resources: {},
    });
    expect(SCHEMA_VERSION).toBe(1);
    expect(Date.parse(s.updatedAt)).toBeGreaterThanOrEqual(before - 1000);
  });
});

describe("readState", () => {
  it("no file: undefined", async () => {
    expect(await readState(path.join(tmp(), "none.json"))).toBeUndefined();
  });

  it("a valid file is returned as it is", async () => {
    const file = path.join(tmp(), "s.json");
    const state = valid({
      settings: { alarmEmail: { address: "ops@example.com", from: "file" } },
      resources: { bucket: { kind: "bucket", id: "b", outputs: {} } },
    });
    writeFileSync(file, JSON.stringify(state));
    expect(await readState(file)).toEqual(state);
    writeFileSync(file, JSON.stringify(valid({ settings: {} })));
    expect(await readState(file)).toEqual(valid({ settings: {} }));
    const flag = { alarmEmail: { address: "a@b.co", from: "flag" } };
    writeFileSync(file, JSON.stringify(valid({ settings: flag })));
    expect(await readState(file)).toEqual(valid({ settings: flag }));
  });

  // prettier-ignore
  it.each<[string, string, string]>([
    ["not JSON", "{", "it is not valid JSON"],
    ["null", "null", "not an object"],
    ["an array", "[]", "not an object"],
    ["a number", "3", "not an object"],
    ["another project", JSON.stringify(valid({ project: "x" })), "it was not written by serverless-automation"],
    ["no schemaVersion", JSON.stringify(valid({ schemaVersion: undefined })), "schemaVersion is missing"],
    ["a string schemaVersion", JSON.stringify(valid({ schemaVersion: "1" })), "schemaVersion is missing"],
    ["no stage", JSON.stringify(valid({ stage: undefined })), "stage is missing"],
    ["no account", JSON.stringify(valid({ account: 1 })), "account is missing"],
    ["no region", JSON.stringify(valid({ region: null })), "region is missing"],
    ["no resources", JSON.stringify(valid({ resources: undefined })), "resources is missing"],
    ["null resources", JSON.stringify(valid({ resources: null })), "resources is missing"],
    ["null settings", JSON.stringify(valid({ settings: null })), "settings is malformed"],
    ["string settings", JSON.stringify(valid({ settings: "x" })), "settings is malformed"],
    ["alarmEmail null", JSON.stringify(valid({ settings: { alarmEmail: null } })), "settings.alarmEmail is malformed"],
    ["alarmEmail a string", JSON.stringify(valid({ settings: { alarmEmail: "a@b.co" } })), "settings.alarmEmail is malformed"],
    ["alarmEmail not an address", JSON.stringify(valid({ settings: { alarmEmail: { address: "nobody", from: "flag" } } })), "settings.alarmEmail is malformed"],
    ["alarmEmail from elsewhere", JSON.stringify(valid({ settings: { alarmEmail: { address: "a@b.co", from: "env" } } })), "settings.alarmEmail is malformed"],
    ["a null resource", JSON.stringify(valid({ resources: { r: null } })), "resource r is malformed"],
    ["a resource that is a string", JSON.stringify(valid({ resources: { r: "x" } })), "resource r is malformed"],
    ["a resource without kind", JSON.stringify(valid({ resources: { r: { id: "i", outputs: {} } } })), "resource r is malformed"],
    ["a resource without id", JSON.stringify(valid({ resources: { r: { kind: "k", outputs: {} } } })), "resource r is malformed"],
    ["a resource without outputs", JSON.stringify(valid({ resources: { r: { kind: "k", id: "i" } } })), "resource r is malformed"],
  ])("%s: unreadable, with the reason and what to do", async (_what, text, why) => {
    const file = path.join(tmp(), "s.json");
    writeFileSync(file, text);
    const err = await userError(() => readState(file));
    expect(err.message).toBe(
      `The state file ${file} is unreadable: ${why}. It was left untouched.`,
    );
    expect(err.hint).toBe(CORRUPT_HINT);
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("a newer schema: upgrade the tool", async () => {
    const file = path.join(tmp(), "s.json");
    writeFileSync(file, JSON.stringify(valid({ schemaVersion: 2 })));
    const err = await userError(() => readState(file));
    expect(err.message).toBe(
      `The state file ${file} has schema version 2, newer than this version of serverless-automation understands (1).`,
    );
    expect(err.hint).toBe("Upgrade serverless-automation and run the command again.");
  });

  it("a path through a file: names the file in the way and where the state lives", async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "blocker"), "");
    const file = path.join(dir, "blocker", "s.json");
    const err = await userError(() => readState(file));
    expect(err.message).toBe(
      `Cannot read the state file ${file}: ${path.join(dir, "blocker")} is a file, not a directory.`,
    );
    expect(err.hint).toBe(
      `The state file and its lock live in ${path.join(dir, "blocker")}: make that a directory you can write to, or pass --state with a file in one.`,
    );
    expect(err.cause).toMatchObject({ code: "ENOTDIR" });
  });

  it("a state path that is a directory: the reason in the user's words", async () => {
    const dir = tmp();
    const file = path.join(dir, "s.json");
    mkdirSync(file);
    const err = await userError(() => readState(file));
    expect(err.message).toMatch(new RegExp(`^Cannot read the state file ${file}: `));
    expect(err.message).not.toContain("is a file, not a directory");
  });
});

describe("checkIdentity", () => {
  const state = { ...emptyState(ID) };

  it("the same stack passes", () => {
    expect(() => checkIdentity("f.json", state, ID)).not.toThrow();
  });

  it("another account: check the credentials", async () => {
    const err = await userError(() =>
      checkIdentity("f.json", state, { ...ID, account: "210987654321" }),
    );
    expect(err.message).toBe(
      "The state file f.json belongs to account 123456789012, but this run targets account 210987654321. It was left untouched.",
    );
    expect(err.hint).toBe(
      "Check AWS_PROFILE / your credentials, or pass --state with another file.",
    );
  });

  it("another region: pass its region", async () => {
    const err = await userError(() =>
      checkIdentity("f.json", state, { ...ID, region: "eu-west-1" }),
    );
    expect(err.message).toBe(
      "The state file f.json belongs to region us-east-1, but this run targets region eu-west-1. It was left untouched.",
    );
    expect(err.hint).toBe("Pass --region us-east-1, or --state with another file.");
  });

  it("another stage: pass its stage", async () => {
    const err = await userError(() => checkIdentity("f.json", state, { ...ID, stage: "dev" }));
    expect(err.message).toBe(
      "The state file f.json belongs to stage production, but this run targets stage dev. It was left untouched.",
    );
    expect(err.hint).toBe("Pass --stage production, or --state with another file.");
  });
});

describe("writing the state", () => {
  it("ensureStateDir: a new directory is private and git-ignored; its parents are made", async () => {
    const root = tmp();
    const file = path.join(root, "a", "b", "state", "s.json");
    await ensureStateDir(file);
    const dir = path.dirname(file);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe("*\n");
    // A second call finds it and changes nothing.
    writeFileSync(path.join(dir, ".gitignore"), "mine\n");
    await ensureStateDir(file);
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe("mine\n");
  });

  it("ensureStateDir: mkdir losing a race to another run is fine", async () => {
    const root = tmp();
    const dir = path.join(root, "state");
    const mkdir = fs.mkdir.bind(fs);
    vi.spyOn(fs, "mkdir").mockImplementation(async (p, options) => {
      if (p === dir) {
        await mkdir(dir, { recursive: true });
        throw Object.assign(new Error("EEXIST: file already exists"), { code: "EEXIST" });
      }
      return mkdir(p, options);
    });
    await ensureStateDir(path.join(dir, "s.json"));
    // The other run made it: this one writes no .gitignore.
    expect(existsSync(path.join(dir, ".gitignore"))).toBe(false);
  });

  it("ensureStateDir: a file where the directory goes is an error", async () => {
    const root = tmp();
    writeFileSync(path.join(root, "state"), "");
    await expect(ensureStateDir(path.join(root, "state", "s.json"))).rejects.toMatchObject({
      code: "EEXIST",
    });
  });

  it("writeStateAtomic: pretty JSON with a final newline, mode 0600, no temp file left", async () => {
    const root = tmp();
    const file = path.join(root, "state", "s.json");
    const state = emptyState(ID);
    await writeStateAtomic(file, state);
    expect(readFileSync(file, "utf8")).toBe(`${JSON.stringify(state, null, 2)}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file)).sort()).toEqual([".gitignore", "s.json"]);
  });

  it("writeStateAtomic: a failed rename leaves the old file and removes the temp file", async () => {
    const root = tmp();
    const file = path.join(root, "s.json");
    writeFileSync(file, "old");
    const failure = Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO" });
    vi.spyOn(fs, "rename").mockRejectedValueOnce(failure);
    await expect(writeStateAtomic(file, emptyState(ID))).rejects.toBe(failure);
    expect(readFileSync(file, "utf8")).toBe("old");
    expect(readdirSync(root)).toEqual(["s.json"]);
  });

  it("removeState removes the file, and a missing one is fine", async () => {
    const file = path.join(tmp(), "s.json");
    writeFileSync(file, "{}");
    await removeState(file);
    expect(existsSync(file)).toBe(false);
    await removeState(file);
  });
});

describe("StateStore", () => {
  const entry = (id: string) => ({ kind: "bucket", id, outputs: {} }) as never;

  function store(): { file: string; s: StateStore; onDisk: () => StackState } {
    const file = path.join(tmp(), "state", "s.json");
    const s = new StateStore(file, emptyState(ID));
    return { file, s, onDisk: () => JSON.parse(readFileSync(file, "utf8")) as StackState };
  }

  it("every change is on disk when its promise resolves", async () => {
    const { s, onDisk } = store();
    await s.record("a", entry("1"));
    expect(onDisk().resources).toEqual({ a: entry("1") });
    expect(s.resources).toEqual({ a: entry("1") });
    // Replaced, the old one kept aside in the same write.
    await s.record("a", entry("2"), "a-old");
    expect(onDisk().resources).toEqual({ a: entry("2"), "a-old": entry("1") });
    // Aside with nothing recorded under the key: nothing set aside.
    await s.record("b", entry("3"), "b-old");
    expect(Object.keys(onDisk().resources).sort()).toEqual(["a", "a-old", "b"]);
    // Without aside, the previous entry is simply replaced.
    await s.record("b", entry("4"));
    expect(onDisk().resources.b).toEqual(entry("4"));
    expect(Object.keys(onDisk().resources).sort()).toEqual(["a", "a-old", "b"]);
    await s.move("a-old", "c");
    expect(onDisk().resources).toEqual({ a: entry("2"), b: entry("4"), c: entry("1") });
    // Moving what is not there creates nothing.
    await s.move("none", "d");
    expect(Object.keys(onDisk().resources).sort()).toEqual(["a", "b", "c"]);
    expect(Object.keys(s.resources).sort()).toEqual(["a", "b", "c"]);
    await s.forget("c");
    expect(Object.keys(onDisk().resources).sort()).toEqual(["a", "b"]);
    await s.set({ endpoint: "https://x.example", codeSha256: "abc" });
    expect(onDisk()).toMatchObject({ endpoint: "https://x.example", codeSha256: "abc" });
  });

  it("updatedAt is the time of the last write", async () => {
    const { s, onDisk } = store();
    s.state.updatedAt = "2000-01-01T00:00:00.000Z";
    const before = Date.now();
    await s.record("a", entry("1"));
    expect(Date.parse(onDisk().updatedAt)).toBeGreaterThanOrEqual(before);
  });

  it("writes happen in order: the file ends with the last change", async () => {
    const { s, onDisk } = store();
    const writes = [];
    for (let i = 0; i < 10; i++) writes.push(s.record(`k${i}`, entry(String(i))));
    await Promise.all(writes);
    expect(Object.keys(onDisk().resources)).toHaveLength(10);
  });

  it("a failed write fails every later one with the same error, which says what to do", async () => {
    const root = tmp();
    writeFileSync(path.join(root, "blocker"), "");
    const file = path.join(root, "blocker", "s.json");
    const s = new StateStore(file, emptyState(ID));
    const first = await userError(() => s.record("a", entry("1")));
    expect(first.message).toBe(
      `Cannot write the state file ${file}: ${path.join(root, "blocker")} is a file, not a directory.`,
    );
    expect(first.hint).toContain("pass --state with a file in one");
    const second = await userError(() => s.forget("a"));
    expect(second).toBe(first);
  });
});

describe("the lock", () => {
  function lockInfo(file: string): Record<string, unknown> {
    return JSON.parse(readFileSync(`${file}.lock`, "utf8")) as Record<string, unknown>;
  }

  it("is taken with who holds it, and released", async () => {
    const file = path.join(tmp(), "state", "s.json");
    const lock = await acquireLock(file, "up");
    expect(lock.staleWarning).toBeUndefined();
    const info = lockInfo(file);
    expect(info).toMatchObject({ pid: process.pid, hostname: os.hostname(), command: "up" });
    expect(info.token).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.parse(info.startedAt as string)).not.toBeNaN();
    // Mode 0600 in a 0700 directory made for it.
    expect(statSync(`${file}.lock`).mode & 0o777).toBe(0o600);
    await lock.release();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it("two takes are two locks: releasing a lock that is not this one's leaves it", async () => {
    const file = path.join(tmp(), "s.json");
    const first = await acquireLock(file, "up");
    const firstRaw = readFileSync(`${file}.lock`, "utf8");
    await first.release();
    const second = await acquireLock(file, "down");
    expect(readFileSync(`${file}.lock`, "utf8")).not.toBe(firstRaw);
    await first.release();
    expect(existsSync(`${file}.lock`)).toBe(true);
    await second.release();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it("held by a live process: names it and says what to do", async () => {
    const file = path.join(tmp(), "s.json");
    const holder = await acquireLock(file, "up");
    const err = await userError(() => acquireLock(file, "down"));
    const info = lockInfo(file);
    expect(err.message).toBe(
      `Another serverless-automation run is working on this stack: process ${process.pid} on ${os.hostname()} (up, started ${String(info.startedAt)}).`,
    );
    expect(err.hint).toBe(
      `Wait for it to finish. If it is not running any more, delete ${file}.lock.`,
    );
    await holder.release();
  });

  it("process 1 (alive, whoever owns it) holds it", async () => {
    const file = path.join(tmp(), "s.json");
    const raw = JSON.stringify({ pid: 1, hostname: os.hostname(), command: "up", startedAt: "t" });
    writeFileSync(`${file}.lock`, raw);
    const err = await userError(() => acquireLock(file, "up"));
    expect(err.message).toContain("process 1 on");
    expect(readFileSync(`${file}.lock`, "utf8")).toBe(raw);
  });

  it.each([
    ["garbage", "not json"],
    ["no pid", JSON.stringify({ hostname: os.hostname() })],
    ["no hostname", JSON.stringify({ pid: 1 })],
  ])("a lock that cannot be read (%s) is held by another process", async (_what, raw) => {
    const file = path.join(tmp(), "s.json");
    writeFileSync(`${file}.lock`, raw);
    const err = await userError(() => acquireLock(file, "up"));
    expect(err.message).toBe(
      "Another serverless-automation run is working on this stack: another process.",
    );
    expect(readFileSync(`${file}.lock`, "utf8")).toBe(raw);
  });

  it("a dead process's lock on another host is not stale", async () => {
    const file = path.join(tmp(), "s.json");
    const raw = JSON.stringify({
      pid: deadPid(),
      hostname: "elsewhere",
      command: "up",
      startedAt: "t",
    });
    writeFileSync(`${file}.lock`, raw);
    const err = await userError(() => acquireLock(file, "up"));
    expect(err.message).toContain("on elsewhere (up, started t)");
    expect(readFileSync(`${file}.lock`, "utf8")).toBe(raw);
  });

  it("a dead process's lock on this host is replaced, with a warning naming it", async () => {
    const file = path.join(tmp(), "s.json");
    const pid = deadPid();
    const raw = JSON.stringify({
      pid,
      hostname: os.hostname(),
      command: "down",
      startedAt: "then",
    });
    writeFileSync(`${file}.lock`, raw);
    const lock = await acquireLock(file, "up");
    expect(lock.staleWarning).toBe(
      `Replaced a stale lock left by process ${pid} (down, started then), which is no longer running.`,
    );
    expect(lockInfo(file)).toMatchObject({ pid: process.pid, command: "up" });
    expect(statSync(`${file}.lock`).mode & 0o777).toBe(0o600);
    // No marker, no temp file left.
    expect(readdirSync(path.dirname(file))).toEqual(["s.json.lock"]);
    await lock.release();
  });

  it("a stale lock another run is replacing: backs off, and after a while says what to do", async () => {
    const file = path.join(tmp(), "s.json");
    const raw = JSON.stringify({
      pid: deadPid(),
      hostname: os.hostname(),
      command: "up",
      startedAt: "t",
    });
    writeFileSync(`${file}.lock`, raw);
    const generation = createHash("sha256").update(raw).digest("hex").slice(0, 16);
    // Another run holds the marker for this very lock, and never finishes.
    writeFileSync(`${file}.lock.takeover-${generation}`, "{}");
    const started = Date.now();
    const err = await userError(() => acquireLock(file, "up"));
    // 25 looks, 20-40 ms apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(24 * 20);
    expect(err.message).toBe(`Could not take the lock ${file}.lock.`);
    expect(err.hint).toBe(
      `Run the command again. If no other run is going, delete ${file}.lock and any s.json.lock.takeover-* beside it.`,
    );
    expect(readFileSync(`${file}.lock`, "utf8")).toBe(raw);
    expect(existsSync(`${file}.lock.takeover-${generation}`)).toBe(true);
  });

  it("a lock directory that cannot be made: names the path in the way", async () => {
    const root = tmp();
    writeFileSync(path.join(root, "blocker"), "");
    const file = path.join(root, "blocker", "s.json");
    const err = await userError(() => acquireLock(file, "up"));
    expect(err.message).toBe(
      `Cannot create the lock file ${file}.lock: ${path.join(root, "blocker")} is a file, not a directory.`,
    );
  });

  it("a lock path that is a directory: cannot create the lock file, not a crash", async () => {
    const root = tmp();
    const file = path.join(root, "s.json");
    mkdirSync(`${file}.lock`);
    const err = await userError(() => acquireLock(file, "up"));
    expect(err.message).toMatch(new RegExp(`^Cannot create the lock file ${file}\\.lock: `));
  });
});

describe("file-system errors in the user's words", () => {
  const fsError = (code: string, over: Record<string, unknown> = {}) =>
    Object.assign(new Error(`${code}: x`), { code, syscall: "open", path: "/p", ...over });

  it.each([
    ["ENOENT", "a directory on its path does not exist"],
    ["ENOTDIR", "a part of its path is not a directory"],
    ["EACCES", "permission denied"],
    ["EPERM", "permission denied"],
    ["EROFS", "the file system is read-only"],
    ["ENOSPC", "the disk is full"],
    ["EDQUOT", "the disk quota is used up"],
    ["EISDIR", "it is a directory"],
    ["EEXIST", "a file is in the way of a directory"],
    ["ELOOP", "its path loops through symbolic links"],
    ["ENAMETOOLONG", "its path is too long"],
  ])("%s: %s", (code, reason) => {
    expect(isFileSystemError(fsError(code))).toBe(true);
    expect(fileSystemReason(fsError(code))).toBe(`${reason} (${code})`);
  });

  it("anything else keeps its own message", () => {
    expect(isFileSystemError(fsError("EIO"))).toBe(false);
    expect(isFileSystemError(fsError("ENOENT", { syscall: undefined }))).toBe(false);
    expect(isFileSystemError(fsError("ENOENT", { path: undefined }))).toBe(false);
    expect(isFileSystemError(fsError("ENOENT", { code: 2 }))).toBe(false);
    expect(isFileSystemError({ code: "ENOENT", syscall: "open", path: "/p" })).toBe(false);
    expect(isFileSystemError(null)).toBe(false);
    expect(fileSystemReason(fsError("EIO"))).toBe("EIO: x");
    expect(fileSystemReason("text")).toBe("text");
  });

  it("blockedBy: the nearest part of the path that is not a directory", async () => {
    const root = tmp();
    expect(await blockedBy(path.join(root, "a", "b"))).toBeUndefined();
    expect(await blockedBy(root)).toBeUndefined();
    writeFileSync(path.join(root, "f"), "");
    expect(await blockedBy(path.join(root, "f", "x", "y"))).toBe(
      `${path.join(root, "f")} is a file, not a directory`,
    );
    symlinkSync(path.join(root, "gone"), path.join(root, "dangling"));
    expect(await blockedBy(path.join(root, "dangling", "x"))).toBe(
      `${path.join(root, "dangling")} is a symbolic link to ${path.join(root, "gone")}, which does not exist`,
    );
    // A link to a directory is a directory.
    mkdirSync(path.join(root, "d"));
    symlinkSync(path.join(root, "d"), path.join(root, "to-d"));
    expect(await blockedBy(path.join(root, "to-d", "x"))).toBeUndefined();
    // A link to a file is in the way as a file.
    symlinkSync(path.join(root, "f"), path.join(root, "to-f"));
    expect(await blockedBy(path.join(root, "to-f", "x"))).toBe(
      `${path.join(root, "to-f")} is a file, not a directory`,
    );
  });
});

describe("the lock, when the file system gets in the way", () => {
  const errno = (code: string, file: string) =>
    Object.assign(new Error(`${code}: open '${file}'`), { code, syscall: "open", path: file });

  it("a lock released between the failed create and the read: the next look takes it", async () => {
    const file = path.join(tmp(), "s.json");
    await ensureStateDir(file);
    vi.spyOn(fs, "writeFile").mockRejectedValueOnce(errno("EEXIST", `${file}.lock`));
    const lock = await acquireLock(file, "up");
    expect(lock.staleWarning).toBeUndefined();
    expect(existsSync(`${file}.lock`)).toBe(true);
    await lock.release();
  });

  it("a lock that cannot be written: says why, not that another run holds it", async () => {
    const file = path.join(tmp(), "s.json");
    await ensureStateDir(file);
    vi.spyOn(fs, "writeFile").mockRejectedValueOnce(errno("EACCES", `${file}.lock`));
    const err = await userError(() => acquireLock(file, "up"));
    expect(err.message).toBe(
      `Cannot create the lock file ${file}.lock: permission denied (EACCES).`,
    );
  });

  it("a holder this user may not signal (EPERM) is alive: its lock is left alone", async () => {
    const file = path.join(tmp(), "s.json");
    const raw = JSON.stringify({
      pid: 4242,
      hostname: os.hostname(),
      command: "up",
      startedAt: "t",
    });
    writeFileSync(`${file}.lock`, raw);
    vi.spyOn(process, "kill").mockImplementation(() => {
      throw Object.assign(new Error("kill EPERM"), { code: "EPERM" });
    });
    const err = await userError(() => acquireLock(file, "up"));
    expect(err.message).toContain("process 4242 on");
    expect(readFileSync(`${file}.lock`, "utf8")).toBe(raw);
  });
});
