import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { stripAnsi } from "../../src/report/format.js";
import { inventory, quickWorld, tinyHandler } from "../reliability/support.js";

/**
 * The CLI as a real process, where terminals, pipes and signals are real: the bin entry's own
 * stream handling runs, against the fake AWS (see fake-cli.ts).
 */

const FIXTURE = fileURLToPath(new URL("./fake-cli.ts", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const NODE_ARGS = ["--import", TSX, FIXTURE];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Killed by the test: it had not ended by the deadline. */
  hung: boolean;
}

interface Spawned {
  child: ChildProcess;
  /** Resolves with the first chunk of stdout or stderr. */
  firstChunk: Promise<"stdout" | "stderr">;
  exit: Promise<Exit>;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_REGION: "us-east-1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...extra,
  };
  return e;
}

/** Starts `cmd args` in `cwd`, killed (and reported as hung) after `deadlineMs`. */
function start(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; deadlineMs: number },
): Spawned {
  const started = Date.now();
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  let hung = false;
  let first: (which: "stdout" | "stderr") => void = () => undefined;
  const firstChunk = new Promise<"stdout" | "stderr">((resolve) => (first = resolve));
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
    first("stdout");
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
    first("stderr");
  });
  // A destroyed reading side must not fail the test process itself.
  child.stdout?.on("error", () => undefined);
  child.stderr?.on("error", () => undefined);
  const timer = setTimeout(() => {
    hung = true;
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    // Under `script`, the CLI runs in a session of its own; the fixture left its pid.
    const pidFile = path.join(opts.cwd, ".fake-cli.pid");
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }, opts.deadlineMs);
  const exit = new Promise<Exit>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, hung });
    });
  });
  return { child, firstChunk, exit };
}

function workdir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "sa-process-"));
}

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

describe("in a terminal without a size (a pty of 0 columns)", () => {
  // `script` gives the command a pty; with stdin not a terminal it sets no window size.
  const underScript = (argv: string[], extraEnv: Record<string, string> = {}) =>
    start(
      "script",
      ["-qec", [process.execPath, ...NODE_ARGS, ...argv].map(quote).join(" "), "/dev/null"],
      { cwd: workdir(), env: env(extraEnv), deadlineMs: 30_000 },
    );

  it("up and down end promptly, printing plain lines", async () => {
    const up = await underScript(["up"]).exit;
    expect(up.hung, `up hung under a 0-column pty:\n${up.stdout.slice(0, 2000)}`).toBe(false);
    expect(up.code, up.stdout).toBe(0);
    const screen = stripAnsi(up.stdout).replace(/\r/g, "");
    expect(screen).toMatch(/^\+ created S3 bucket serverless-automation-production-/m);
    expect(screen).toMatch(/up to date in us-east-1 \(\d+ created\)/);
    // No spinner: no frames, no cursor movement.
    expect(screen).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(screen).not.toContain("\u001b[1A");

    const down = await underScript(["down", "--yes"], { FAKE_DEPLOYED: "1" }).exit;
    expect(down.hung, `down hung under a 0-column pty:\n${down.stdout.slice(0, 2000)}`).toBe(false);
    expect(down.code, down.stdout).toBe(0);
    expect(stripAnsi(down.stdout).replace(/\r/g, "")).toMatch(/^- deleted S3 bucket /m);
  }, 90_000);
});

describe("a reader that closes early (`| head`)", () => {
  const cli = (argv: string[], extraEnv: Record<string, string> = {}, cwd = workdir()) =>
    start(process.execPath, [...NODE_ARGS, ...argv], {
      cwd,
      env: env(extraEnv),
      deadlineMs: 30_000,
    });
  const noCrash = (text: string) => {
    expect(text).not.toContain("EPIPE");
    expect(text).not.toMatch(/^\s+at /m);
    expect(text).not.toContain("looks like a bug");
  };

  it("up --dry-run | head: the plan's output is dropped quietly, exit 0", async () => {
    const run = cli(["up", "--dry-run"]);
    // Closed before the plan is printed: every line of it meets a closed pipe.
    run.child.stdout?.destroy();
    const r = await run.exit;
    expect(r.hung).toBe(false);
    noCrash(r.stderr);
    expect(r.code, r.stderr).toBe(0);
  });

  it("logs | head -1: stops quietly, exit 0", async () => {
    // More events than a pipe holds: the writer is still writing when the reader goes.
    const run = cli(["logs"], { FAKE_DEPLOYED: "1", FAKE_LOG_EVENTS: "20000" });
    run.child.stdout?.once("data", () => run.child.stdout?.destroy());
    const r = await run.exit;
    expect(r.hung).toBe(false);
    noCrash(r.stderr);
    expect(r.code, r.stderr).toBe(0);
  });

  it("logs --follow | head -1: stops following, exit 0", async () => {
    // New events keep coming: the next one printed meets the closed pipe.
    const run = cli(["logs", "--follow"], {
      FAKE_DEPLOYED: "1",
      FAKE_LOG_EVENTS: "3",
      FAKE_LOG_EVERY_MS: "20",
    });
    run.child.stdout?.once("data", () => run.child.stdout?.destroy());
    const r = await run.exit;
    expect(r.hung, "still following with nobody reading").toBe(false);
    noCrash(r.stderr);
    expect(r.code, r.stderr).toBe(0);
  });

  it("logs --follow | head -1 with no new event: stops promptly all the same, exit 0", async () => {
    // A real shell pipe; one old event, then nothing: no write will ever meet the closed pipe.
    const command = [process.execPath, ...NODE_ARGS, "logs", "--follow"].map(quote).join(" ");
    const run = start("sh", ["-c", `{ ${command}; echo "logs exit $?" >&2; } | head -1`], {
      cwd: workdir(),
      env: env({ FAKE_DEPLOYED: "1", FAKE_LOG_EVENTS: "1" }),
      deadlineMs: 20_000,
    });
    const r = await run.exit;
    expect(r.hung, "still following, idle, with nobody reading").toBe(false);
    expect(r.stdout).toMatch(/event 0/);
    noCrash(r.stderr);
    expect(r.stderr).toContain("logs exit 0");
  });

  it.each([
    ["up 2>/dev/stdout | head: progress closed", ["stderr"]],
    ["up 2>&1 | head -2: progress and result closed", ["stderr", "stdout"]],
  ] as [string, ("stdout" | "stderr")[]][])(
    "%s; the deploy finishes, is recorded and unlocked, exit 0",
    async (_what, closing) => {
      const cwd = workdir();
      // Slow enough that most of the deploy happens after the reader has gone.
      const run = cli(["up"], { FAKE_LATENCY_MS: "15" }, cwd);
      await run.firstChunk;
      for (const s of closing) run.child[s]?.destroy();
      const r = await run.exit;
      expect(r.hung).toBe(false);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      if (!closing.includes("stdout")) {
        noCrash(r.stdout);
        // 18 resources (the live alias and its version's alarm among them) and the region's
        // API Gateway logging role.
        expect(r.stdout).toMatch(/up to date in us-east-1 \(19 created\)/);
      }
      const state = JSON.parse(
        readFileSync(path.join(cwd, ".serverless-automation", "production.us-east-1.json"), "utf8"),
      ) as { resources: Record<string, unknown>; endpoint?: string };
      expect(Object.keys(state.resources)).toHaveLength(19);
      expect(state.endpoint).toMatch(/^https:\/\//);
      expect(
        existsSync(path.join(cwd, ".serverless-automation", "production.us-east-1.json.lock")),
      ).toBe(false);
    },
  );
});

describe("Ctrl-C", () => {
  it("ends logs --follow with exit 130, as every command", async () => {
    const run = start(process.execPath, [...NODE_ARGS, "logs", "--follow"], {
      cwd: workdir(),
      env: env({ FAKE_DEPLOYED: "1", FAKE_LOG_EVENTS: "1" }),
      deadlineMs: 30_000,
    });
    expect(await run.firstChunk).toBe("stdout");
    run.child.kill("SIGINT");
    const r = await run.exit;
    expect(r.hung).toBe(false);
    expect(r.stdout).toContain("event 0");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.code).toBe(130);
  });
});

describe("SIGTERM and SIGHUP end a run as Ctrl-C does", () => {
  const STATE = path.join(".serverless-automation", "production.us-east-1.json");
  const cli = (argv: string[], extraEnv: Record<string, string>, cwd: string) =>
    start(process.execPath, [...NODE_ARGS, ...argv], {
      cwd,
      env: env(extraEnv),
      deadlineMs: 60_000,
    });
  /** Resolves once the stream has shown `pattern`: the run is under way, holding its lock. */
  const shows = (stream: NodeJS.ReadableStream | null | undefined, pattern: RegExp) =>
    new Promise<void>((resolve) => {
      let text = "";
      stream?.on("data", (d: Buffer) => {
        text += d.toString();
        if (pattern.test(stripAnsi(text))) resolve();
      });
    });
  /** What a clean up leaves in a fresh fake account: what a run that converges leaves too. */
  const cleanInventory = async () => {
    const w = quickWorld();
    const r = await w.run(["up", "--quiet"], { handlerEntry: tinyHandler() });
    expect(r.code, r.stderr).toBe(0);
    return inventory(w.fake);
  };
  /**
   * As the stopped run left them: the lock gone, the state file whole and holding part of the
   * stack. Then the next up converges (unless `next` is false).
   */
  const expectStoppedCleanly = async (cwd: string, { next: checkNext = true } = {}) => {
    const { left, next } = JSON.parse(
      readFileSync(path.join(cwd, ".fake-cli.then.json"), "utf8"),
    ) as {
      left: { lock: boolean; state: string | null };
      next: { code: number; stderr: string; inventory: Record<string, number> };
    };
    expect(left.lock, "the lock is left behind").toBe(false);
    const state = JSON.parse(left.state ?? "null") as { resources: Record<string, unknown> };
    const recorded = Object.keys(state.resources).length;
    expect(recorded).toBeGreaterThan(0);
    // Stopped mid-run: 18 resources and the region's logging role make a whole stack.
    expect(recorded).toBeLessThan(19);
    if (!checkNext) return;
    expect(next.code, next.stderr).toBe(0);
    expect(next.inventory).toEqual(await cleanInventory());
    expect(existsSync(path.join(cwd, `${STATE}.lock`))).toBe(false);
  };

  it("SIGTERM mid-up (a cancelled CI job): the calls in flight finish and are recorded, the lock is released, exit 143", async () => {
    const cwd = workdir();
    const run = cli(["up"], { FAKE_LATENCY_MS: "15", FAKE_THEN_UP: "1", CI: "true" }, cwd);
    await shows(run.child.stderr, /^\+ created /m);
    run.child.kill("SIGTERM");
    const r = await run.exit;
    expect(r.hung).toBe(false);
    expect(r.signal, "killed by the signal").toBeNull();
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain("Terminated (SIGTERM): finishing the calls in flight");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toContain("Interrupted");
    await expectStoppedCleanly(cwd);
  }, 90_000);

  it("SIGHUP mid-up with the terminal gone (writes fail): no crash, the lock is released, exit 129", async () => {
    const cwd = workdir();
    const run = cli(["up"], { FAKE_LATENCY_MS: "15", FAKE_THEN_UP: "1", CI: "true" }, cwd);
    await shows(run.child.stderr, /^\+ created /m);
    // What a closed terminal does: every later write fails (EPIPE here), then the hangup.
    run.child.stdout?.destroy();
    run.child.stderr?.destroy();
    run.child.kill("SIGHUP");
    const r = await run.exit;
    expect(r.hung).toBe(false);
    expect(r.signal, "killed by the signal").toBeNull();
    expect(r.code).toBe(129);
    await expectStoppedCleanly(cwd);
  }, 90_000);

  it("a second signal stops at once, exit 143; the lock it leaves is replaced by the next run", async () => {
    const cwd = workdir();
    const run = cli(["up"], { FAKE_LATENCY_MS: "15", FAKE_THEN_UP: "1", CI: "true" }, cwd);
    await shows(run.child.stderr, /^\+ created /m);
    run.child.kill("SIGTERM");
    await shows(run.child.stderr, /Terminated \(SIGTERM\)/);
    run.child.kill("SIGTERM");
    const r = await run.exit;
    expect(r.hung).toBe(false);
    expect(r.code, r.stderr).toBe(143);
    // Stopped at once: no summary, no next run.
    expect(r.stdout).not.toContain("Interrupted");
    expect(existsSync(path.join(cwd, ".fake-cli.then.json"))).toBe(false);
    expect(existsSync(path.join(cwd, `${STATE}.lock`))).toBe(true);
    JSON.parse(readFileSync(path.join(cwd, STATE), "utf8"));
    const next = await cli(["up"], { CI: "true" }, cwd).exit;
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/Replaced a stale lock left by process \d+ \(up/);
  }, 90_000);

  it("a terminal closed mid-up (its pty hung up): the lock is released, exit 129", async () => {
    const cwd = workdir();
    const command = [process.execPath, ...NODE_ARGS, "up"].map(quote).join(" ");
    const run = start("script", ["-qec", command, "/dev/null"], {
      cwd,
      env: env({ FAKE_LATENCY_MS: "15", FAKE_THEN_UP: "1" }),
      deadlineMs: 60_000,
    });
    await shows(run.child.stdout, /^\+ created /m);
    // The terminal goes: the kernel hangs up the pty and sends its session SIGHUP.
    if (run.child.pid !== undefined) process.kill(run.child.pid, "SIGKILL");
    await run.exit;
    // Nobody waits for the CLI now: it is gone when its pid is.
    const pid = Number(readFileSync(path.join(cwd, ".fake-cli.pid"), "utf8"));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 300 && alive(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (alive()) process.kill(pid, "SIGKILL");
    const exitFile = path.join(cwd, ".fake-cli.exit");
    expect(existsSync(exitFile), "the process died without an exit code").toBe(true);
    expect(readFileSync(exitFile, "utf8")).toBe("129");
    // The hangup also ended the fixture's esbuild service (same process group), which the next
    // up in that process would need: a real next run is a new process, as the tests above show.
    await expectStoppedCleanly(cwd, { next: false });
  }, 90_000);
});
