import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { inventory, s3Text } from "./aws.js";
import { BIN, CREDENTIALS, runBin, runMain, workdir, type CliResult } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * The built binary stopped by a real SIGTERM (a cancelled CI job) or SIGHUP (a closed terminal)
 * while it holds the lock on a state in S3: it ends as after Ctrl-C, its lock object removed,
 * so that the next run is not refused by a lock nobody holds.
 */

Object.assign(process.env, CREDENTIALS);

const BUCKET = "team-state";
const STATE = `s3://${BUCKET}/production.json`;
const KEY = "production.json";
const LOCK = `${KEY}.lock`;

const em = useEmulator({ proxy: false, resetEach: true });

const object = (key: string) => s3Text(em.aws, BUCKET, key);

async function until<T>(what: string, poll: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 3000; i++) {
    const v = await poll();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

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

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

describe.skipIf(MOTO_SKIP_REASON !== undefined)("SIGTERM and SIGHUP against moto", () => {
  beforeEach(async () => {
    const r = await runMain(["state", "init", `s3://${BUCKET}`], workdir(), em.env);
    expect(r.code, r.stderr).toBe(0);
  });

  it.each([
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)(
    "%s to up holding the lock in S3: the lock object is removed, exit %i; the next up converges",
    async (signal, exitCode) => {
      const cwd = workdir();
      let sent = false;
      let heldWhenSent: string | undefined;
      const r = await runBin(["up", "--state", STATE], cwd, em.env, (child) => {
        // Mid-run: the lock held and the first steps recorded in the state object.
        void until("the state object", () => object(KEY)).then(async () => {
          heldWhenSent = await object(LOCK);
          if (signal === "SIGHUP") {
            // The terminal is gone: writes to it fail from now on.
            child.stdout?.destroy();
            child.stderr?.destroy();
          }
          sent = child.kill(signal);
        });
      });
      expect(sent).toBe(true);
      expect(heldWhenSent, "the signal came with the lock held").toBeDefined();
      expect(r.signal, "killed by the signal").toBeNull();
      expect(r.code, r.stderr).toBe(exitCode);
      if (signal === "SIGTERM") {
        expect(r.stderr).toContain("Terminated (SIGTERM): finishing the calls in flight");
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }
      expect(await object(LOCK), "the lock object is left behind").toBeUndefined();
      const state = JSON.parse((await object(KEY)) ?? "null") as { stage: string };
      expect(state).toMatchObject({ stage: "production" });

      const next = await runMain(["up", "--state", STATE], cwd, em.env);
      expect(next.code, next.stderr).toBe(0);
      await expectOneStack();
    },
    240_000,
  );

  it("SIGTERM at down's question: the lock object is removed, nothing is deleted, exit 143", async () => {
    const cwd = workdir();
    const up = await runMain(["up", "--state", STATE], cwd, em.env);
    expect(up.code, up.stderr).toBe(0);
    // down asks only in a terminal: `script` gives it one, fed by a pipe that stays open (a
    // user who does not answer). The shell leaves its pid, which becomes the CLI's by exec.
    const pidFile = path.join(cwd, "cli.pid");
    const command = `echo $$ > ${quote(pidFile)}; exec ${[process.execPath, BIN, "down", "--state", STATE].map(quote).join(" ")}`;
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd,
      env: em.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (screen += s));
    const done = new Promise<CliResult>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal, stdout: screen, stderr: "" })),
    );
    try {
      await until("the question", async () =>
        screen.includes("Delete them? [y/N]") ? true : undefined,
      );
      expect(await object(LOCK), "down asks holding the lock").toBeDefined();
      process.kill(Number(readFileSync(pidFile, "utf8")), "SIGTERM");
      const r = await done;
      // script -e reports a child killed by SIGTERM as 143 too: the message and the lock tell.
      expect(r.code, screen).toBe(143);
      expect(screen).toContain("Stopped at the question; nothing was changed.");
      expect(screen).not.toMatch(/^\s+at /m);
    } finally {
      child.stdin.end();
      child.kill("SIGKILL");
    }
    expect(await object(LOCK), "the lock object is left behind").toBeUndefined();
    await expectOneStack();

    const next = await runMain(["down", "--yes", "--state", STATE], cwd, em.env);
    expect(next.code, next.stderr).toBe(0);
    expect(await object(KEY)).toBeUndefined();
  }, 240_000);
});
