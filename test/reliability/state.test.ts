import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { writeStateAtomic, type StackState } from "../../src/state/store.js";
import { ACCOUNT, inventory, quickWorld, tinyHandler, writeDeadLock } from "./support.js";

const entry = tinyHandler();
const IO = { handlerEntry: entry };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the lock", () => {
  it.each([["up"], ["down", "--yes"]])(
    "`%s` is refused while a live process holds the lock, and changes nothing",
    async (...argv) => {
      const w = quickWorld();
      expect((await w.run(["up"], IO)).code).toBe(0);
      const before = readFileSync(w.statePath());
      const counts = inventory(w.fake);
      // A live holder: this very process, as another run in it would be.
      const lock = JSON.stringify({
        pid: process.pid,
        hostname: os.hostname(),
        command: "up",
        startedAt: "2026-01-01T00:00:00.000Z",
      });
      writeFileSync(`${w.statePath()}.lock`, lock);
      w.fake.resetCalls();
      const r = await w.run(argv, IO);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Another serverless-automation run is working on this stack");
      expect(r.stderr).toContain(`process ${process.pid}`);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(w.fake.operations({ mutating: true })).toEqual([]);
      expect(inventory(w.fake)).toEqual(counts);
      expect(readFileSync(w.statePath())).toEqual(before);
      // The holder's lock is not taken away from it.
      expect(readFileSync(`${w.statePath()}.lock`, "utf8")).toBe(lock);
    },
  );

  it("a stale lock (dead pid, same host) is reported as a warning and replaced", async () => {
    const w = quickWorld();
    mkdirSync(path.dirname(w.statePath()), { recursive: true });
    const pid = writeDeadLock(w.statePath());
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`warning:.*stale lock left by process ${pid}.*no longer running`),
    );
    expect(existsSync(`${w.statePath()}.lock`)).toBe(false);
  });

  it.runIf(process.platform === "linux")(
    "a lock held by a killed run that no one reaped (a zombie) is stale too",
    async () => {
      // The inner shell prints its pid and exits; its parent has become `sleep`, which never
      // waits for children: the inner shell stays a zombie until sleep ends.
      const holder = spawn("sh", ["-c", 'sh -c "echo \\$\\$" & exec sleep 30'], {
        stdio: ["ignore", "pipe", "ignore"],
      });
      try {
        const pid = Number(
          await new Promise<string>((resolve) =>
            holder.stdout.once("data", (d) => resolve(`${d}`)),
          ),
        );
        await vi.waitFor(() => expect(readFileSync(`/proc/${pid}/stat`, "utf8")).toMatch(/\) Z /), {
          timeout: 5000,
        });
        const w = quickWorld();
        mkdirSync(path.dirname(w.statePath()), { recursive: true });
        writeFileSync(
          `${w.statePath()}.lock`,
          JSON.stringify({ pid, hostname: os.hostname(), command: "up", startedAt: "then" }),
        );
        const r = await w.run(["up"], IO);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(
          new RegExp(`warning:.*stale lock left by process ${pid}.*no longer running`),
        );
        expect(existsSync(`${w.statePath()}.lock`)).toBe(false);
      } finally {
        holder.kill("SIGKILL");
      }
    },
  );

  it("a lock held on another host is never treated as stale", async () => {
    const w = quickWorld();
    mkdirSync(path.dirname(w.statePath()), { recursive: true });
    writeFileSync(
      `${w.statePath()}.lock`,
      JSON.stringify({ pid: 1, hostname: "build-agent-7", command: "up", startedAt: "x" }),
    );
    const r = await w.run(["up"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("on build-agent-7");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });
});

describe("the state file", () => {
  it("a crash between the temp write and the rename leaves the old file whole, and no .tmp", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], IO)).code).toBe(0);
    const file = w.statePath();
    const before = readFileSync(file);
    const old = JSON.parse(before.toString("utf8")) as StackState;
    vi.spyOn(fs, "rename").mockRejectedValueOnce(
      Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO" }),
    );
    await expect(writeStateAtomic(file, { ...old, resources: {} })).rejects.toThrow(/EIO/);
    expect(readFileSync(file)).toEqual(before);
    expect(readdirSync(path.dirname(file)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a state write that fails during up stops it with a clear error, and no .tmp left", async () => {
    const w = quickWorld();
    vi.spyOn(fs, "rename").mockRejectedValue(
      Object.assign(new Error("ENOSPC: no space left on device, rename"), { code: "ENOSPC" }),
    );
    const r = await w.run(["up"], IO);
    vi.restoreAllMocks();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Cannot write the state file");
    expect(r.stderr).toContain("ENOSPC");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(w.statePath())).toBe(false);
    expect(readdirSync(path.dirname(w.statePath())).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // The next run, with a working disk, finds what the failed one made and converges.
    expect((await w.run(["up"], IO)).code).toBe(0);
    expect(inventory(w.fake)).toMatchObject({ "S3.buckets": 1, "Lambda.functions": 1 });
  });

  it("leftover .tmp files of an interrupted write are never read as state", async () => {
    const w = quickWorld();
    mkdirSync(path.dirname(w.statePath()), { recursive: true });
    const garbage = `${w.statePath()}.999.cafebabe.tmp`;
    writeFileSync(garbage, JSON.stringify({ schemaVersion: 1, project: "serverless-automation" }));
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(w.statePath(), "utf8"))).toMatchObject({
      resources: { bucket: {}, table: {}, function: {} },
    });
  });

  it("never holds credentials", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], IO)).code).toBe(0);
    const creds = await w.fake.clients().s3.config.credentials();
    const text = readFileSync(w.statePath(), "utf8");
    expect(creds.accessKeyId.length).toBeGreaterThan(8);
    expect(text).not.toContain(creds.accessKeyId);
    expect(text).not.toContain(creds.secretAccessKey);
    expect(text).not.toMatch(/AKIA[A-Z0-9]{16}|secret/i);
  });

  const valid = (over: Record<string, unknown>) =>
    JSON.stringify({
      schemaVersion: 1,
      project: "serverless-automation",
      stage: "production",
      account: ACCOUNT,
      region: "us-east-1",
      updatedAt: "2026-01-01T00:00:00.000Z",
      resources: {},
      ...over,
    });

  it.each([
    ["truncated JSON", '{\n  "schemaVersion": 1,\n  "proj', /not valid JSON/],
    ["not an object", "[]", /not an object/],
    ["another tool's file", valid({ project: "something-else" }), /not written by/],
    ["a malformed resource", valid({ resources: { bucket: { kind: 1 } } }), /malformed/],
    ["a newer schema", valid({ schemaVersion: 99 }), /newer than this version/],
    ["another account", valid({ account: "210987654321" }), /belongs to account 210987654321/],
    ["another region", valid({ region: "eu-west-1" }), /belongs to region eu-west-1/],
  ])(
    "%s: a clear error, exit 1, and the file byte-for-byte unchanged",
    async (_what, text, msg) => {
      for (const argv of [["up"], ["down", "--yes"], ["status"]]) {
        const w = quickWorld();
        mkdirSync(path.dirname(w.statePath()), { recursive: true });
        writeFileSync(w.statePath(), text);
        const r = await w.run(argv, IO);
        expect(r.code, argv.join(" ")).toBe(1);
        expect(r.stderr).toMatch(msg);
        expect(r.stderr).not.toMatch(/^\s+at /m);
        expect(r.stderr.trim().split("\n")).toHaveLength(2); // the error and its hint
        expect(readFileSync(w.statePath(), "utf8")).toBe(text);
        expect(w.fake.operations({ mutating: true })).toEqual([]);
      }
    },
  );
});
