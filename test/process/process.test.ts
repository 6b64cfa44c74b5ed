import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { stripAnsi } from "../../src/report/format.js";

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
      { cwd: workdir(), env: env(extraEnv), deadlineMs: 20_000 },
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
  });
});
