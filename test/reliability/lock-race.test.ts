import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireLock } from "../../src/state/store.js";
import { deadPid } from "./support.js";

/**
 * Runs that find the same stale lock (its process is gone) race to replace it: exactly one may
 * win, every other one must be told another run is working, and nothing of the race may be
 * left beside the lock. Raced many times, in one process (the file system calls interleave on
 * libuv's thread pool) and across processes (truly in parallel).
 */

const BUSY = /Another serverless-automation run is working on this stack/;
const DEAD = deadPid();

function staleLock(stateFile: string, round: number): string {
  const text = JSON.stringify({
    pid: DEAD,
    hostname: os.hostname(),
    command: "up",
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, round)).toISOString(),
  });
  writeFileSync(`${stateFile}.lock`, text);
  return text;
}

/** Nothing but the lock itself (and the state dir's .gitignore) may remain: no marker, no temp. */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => !f.endsWith(".lock") && f !== ".gitignore");
}

describe("taking over a stale lock", () => {
  it("in one process: of 8 runs that find it, exactly one takes it (100 rounds)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sa-lock-race-"));
    const state = path.join(dir, "production.json");
    for (let round = 0; round < 100; round++) {
      const stale = staleLock(state, round);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => acquireLock(state, "up")),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      expect(won, `round ${round}`).toHaveLength(1);
      for (const r of lost) expect(String(r.reason)).toMatch(BUSY);
      const lock = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>)
        .value;
      expect(lock.staleWarning).toMatch(`stale lock left by process ${DEAD}`);
      const now = readFileSync(`${state}.lock`, "utf8");
      expect(now).not.toBe(stale);
      expect(JSON.parse(now)).toMatchObject({ pid: process.pid, command: "up" });
      expect(leftovers(dir)).toEqual([]);
      await lock.release();
      expect(readdirSync(dir).filter((f) => f.endsWith(".lock"))).toEqual([]);
    }
  });

  describe("across processes", () => {
    const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    const TAKER = fileURLToPath(new URL("./lock-taker.ts", import.meta.url));
    const PROCESSES = 6;
    type Reply = { pid: number; ok?: boolean; message?: string; ready?: boolean };
    let children: ChildProcess[] = [];
    const next = (c: ChildProcess) =>
      new Promise<Reply>((resolve) => c.once("message", (m) => resolve(m as Reply)));

    beforeAll(async () => {
      children = Array.from({ length: PROCESSES }, () =>
        fork(TAKER, [], {
          execArgv: ["--import", TSX],
          stdio: ["ignore", "ignore", "inherit", "ipc"],
        }),
      );
      await Promise.all(children.map(next));
    }, 60_000);
    afterAll(() => {
      for (const c of children) if (c.connected) c.send({ op: "exit" });
    });

    it(`of ${PROCESSES} processes that find it, exactly one takes it (150 rounds)`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "sa-lock-race-"));
      const state = path.join(dir, "production.json");
      for (let round = 0; round < 150; round++) {
        staleLock(state, round);
        const replies = await Promise.all(
          children.map((c) => {
            const reply = next(c);
            c.send({ op: "take", state });
            return reply;
          }),
        );
        const won = replies.filter((r) => r.ok);
        expect(won, `round ${round}: ${JSON.stringify(replies)}`).toHaveLength(1);
        for (const r of replies.filter((x) => !x.ok)) expect(r.message).toMatch(BUSY);
        const winner = won[0] as Reply;
        expect(JSON.parse(readFileSync(`${state}.lock`, "utf8"))).toMatchObject({
          pid: winner.pid,
        });
        expect(leftovers(dir)).toEqual([]);
        const child = children.find((c) => c.pid === winner.pid) as ChildProcess;
        const released = next(child);
        child.send({ op: "release" });
        await released;
      }
    }, 120_000);
  });
});
