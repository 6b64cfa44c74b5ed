import { ListObjectVersionsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeEach, describe, expect, it } from "vitest";
import { inventory, s3Text } from "./aws.js";
import { CREDENTIALS, runBin, runMain, workdir } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * The state in S3 against moto, whose PutObject honours If-None-Match and If-Match (made atomic
 * under concurrency by the launcher's patch, as S3 documents): real HTTP, real conditional
 * writes, a real process killed with the lock held.
 */

Object.assign(process.env, CREDENTIALS);

const BUCKET = "team-state";
const STATE = `s3://${BUCKET}/production.json`;
const KEY = "production.json";

const em = useEmulator({ resetEach: true });

const object = (key: string) => s3Text(em.aws, BUCKET, key);

/** One of every resource of the stack (the state bucket aside). */
async function expectOneStack(): Promise<void> {
  const n = E.names("production");
  const inv = await inventory(em.aws);
  expect(inv.buckets?.filter((b) => b !== BUCKET)).toEqual([n.bucket]);
  expect(inv.tables).toEqual([n.table]);
  expect(inv.functions).toEqual([n.functionName]);
  expect(inv.restApis).toEqual([n.restApi]);
  expect(inv.roles).toEqual([n.loggingRole, n.role].sort());
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("state in S3 against moto", () => {
  beforeEach(async () => {
    const r = await runMain(["state", "init", `s3://${BUCKET}`], workdir(), em.env);
    expect(r.code, r.stderr).toBe(0);
  });

  it("state init twice: the second run makes no mutating call", async () => {
    em.proxy.arm(undefined);
    const r = await runMain(["state", "init", `s3://${BUCKET}`, "--json"], workdir(), em.env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ created: false, changes: 0 });
    expect(em.proxy.mutating()).toEqual([]);
  });

  it("two ups started together: exactly one proceeds, the other is refused; with --lock-timeout it waits and proceeds; one of everything", async () => {
    const [a, b] = await Promise.all([
      runMain(["up", "--state", STATE], workdir(), em.env),
      runMain(["up", "--state", STATE], workdir(), em.env),
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    const loser = a.code === 1 ? a : b;
    expect(loser.stderr).toMatch(/holds the lock on s3:\/\/team-state\/production\.json/);
    await expectOneStack();
    expect(await object(`${KEY}.lock`)).toBeUndefined();

    const [c, d] = await Promise.all([
      runMain(["up", "--state", STATE, "--lock-timeout", "2m"], workdir(), em.env),
      runMain(["up", "--state", STATE, "--lock-timeout", "2m"], workdir(), em.env),
    ]);
    expect([c.code, d.code], c.stderr + d.stderr).toEqual([0, 0]);
    await expectOneStack();
  }, 240_000);

  it("a run killed with the lock held: the next run names it, unlock clears it, the run after converges", async () => {
    const cwd = workdir();
    let killed = false;
    const dead = await runBin(["up", "--state", STATE], cwd, em.env, (child) => {
      const poll = setInterval(() => {
        void object(`${KEY}.lock`).then((lock) => {
          if (lock && !killed) {
            killed = true;
            clearInterval(poll);
            child.kill("SIGKILL");
          }
        });
      }, 20);
      child.on("exit", () => clearInterval(poll));
    });
    expect(dead.signal).toBe("SIGKILL");
    const lock = JSON.parse((await object(`${KEY}.lock`)) ?? "{}") as { id: string };
    const refused = await runMain(["up", "--state", STATE], cwd, em.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`lock ${lock.id}`);
    expect(refused.stderr).toContain(`serverless-automation unlock ${lock.id} --state ${STATE}`);
    const unlocked = await runMain(["unlock", lock.id, "--state", STATE], cwd, em.env);
    expect(unlocked.code, unlocked.stderr).toBe(0);
    const after = await runMain(["up", "--state", STATE], cwd, em.env);
    expect(after.code, after.stderr).toBe(0);
    await expectOneStack();
    em.proxy.arm(undefined);
    const again = await runMain(["up", "--state", STATE], cwd, em.env);
    expect(again.code, again.stderr).toBe(0);
    expect(em.proxy.mutating().every((c) => c.service === "s3")).toBe(true);
  }, 240_000);

  it("a state written by someone else mid-run: this run stops at its next write; both versions are kept", async () => {
    const cwd = workdir();
    let theirs: string | undefined;
    const watcher = (async () => {
      for (let i = 0; i < 1000 && theirs === undefined; i++) {
        const now = await object(KEY);
        if (now) {
          theirs = JSON.stringify({ ...JSON.parse(now), endpoint: "https://theirs.example" });
          await em.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: theirs }));
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const r = await runMain(["up", "--state", STATE], cwd, em.env);
    await watcher;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/The state changed under this run: another run wrote it at /);
    expect(await object(KEY)).toBe(theirs);
    const versions = await em.aws.s3.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: KEY }),
    );
    expect(versions.Versions?.filter((v) => v.Key === KEY).length).toBeGreaterThanOrEqual(2);
    expect(await object(`${KEY}.lock`)).toBeUndefined();
    const again = await runMain(["up", "--state", STATE], cwd, em.env);
    expect(again.code, again.stderr).toBe(0);
    await expectOneStack();
  }, 240_000);
});
