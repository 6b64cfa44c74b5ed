import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { BIN, runBin, workdir } from "./cli.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * The built binary leaves nothing behind: once `status` or `up` has exited, no process it
 * started (esbuild's service bundling the handler) is left in its process group, running or
 * as a zombie nobody reaps.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const em = useEmulator({ proxy: false });

/** Runs the binary as the leader of a process group of its own; the group's members after it exits. */
async function leftInGroup(
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; left: string[] }> {
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd,
    env: { ...em.env, ...env },
    stdio: "ignore",
    detached: true,
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  // What it started would outlive it by a moment at most if it were only slow to go.
  await new Promise((r) => setTimeout(r, 200));
  const ps = spawnSync("ps", ["-eo", "pid=,pgid=,stat=,args="], { encoding: "utf8" }).stdout;
  const left = ps
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === String(child.pid))
    .map((f) => f.join(" "));
  return { code, left };
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("the binary's child processes", () => {
  it("up and status leave no esbuild process behind", async () => {
    const cwd = workdir();
    const up = await leftInGroup(["up", "--quiet"], cwd);
    expect(up.code).toBe(0);
    expect(up.left).toEqual([]);
    const status = await leftInGroup(["status"], cwd);
    expect(status.code).toBe(0);
    expect(status.left).toEqual([]);
    // The handler's bundle is cached after the first run: without the cache, esbuild runs.
    const built = await leftInGroup(["status"], cwd, { SERVERLESS_AUTOMATION_BUNDLE_CACHE: "off" });
    expect(built.code).toBe(0);
    expect(built.left).toEqual([]);
    await leftInGroup(["down", "--yes", "--quiet"], cwd);
  });

  it("status of a stack without a web ACL or alarm address loads no WAF, KMS or SNS client", async () => {
    // Not spawnSync: moto's log goes through this process, which must keep reading it.
    const cwd = workdir();
    expect((await runBin(["up", "--quiet"], cwd, em.env)).code).toBe(0);
    const r = await runNode(
      ["--import", path.join(ROOT, "test/support/record-loads.mjs"), BIN, "status"],
      cwd,
    );
    expect(r.code).toBe(0);
    const clients = loadedSources(r.stderr).filter((s) =>
      /@aws-sdk\/client-[\w-]+\/dist-es\/\w+Client\.js$/.test(s),
    );
    expect(clients.map((s) => /client-([\w-]+)\//.exec(s)?.[1]).sort()).toEqual([
      "api-gateway",
      "cloudwatch",
      "cloudwatch-logs",
      "dynamodb",
      "iam",
      "lambda",
      "s3",
      "sts",
    ]);
    await runBin(["down", "--yes", "--quiet"], cwd, em.env);
  });
});

/** node with these arguments, its exit code and stderr. */
function runNode(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: em.env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** The sources of every bundle file a run with record-loads.mjs loaded (from its stderr). */
function loadedSources(stderr: string): string[] {
  const files = stderr
    .split("loaded modules:\n")[1]!
    .split("\n")
    .filter((u) => u.startsWith("file:"))
    .map((u) => path.relative(ROOT, fileURLToPath(u)));
  // The bundle: which sources each of its files holds.
  const meta = JSON.parse(readFileSync(path.join(ROOT, "dist/cli/meta.json"), "utf8")) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return files.flatMap((f) => Object.keys(meta.outputs[f]?.inputs ?? { [f]: 1 }));
}

describe("--help", () => {
  const loads = (argv: string[]) => {
    const r = spawnSync(
      process.execPath,
      ["--import", path.join(ROOT, "test/support/record-loads.mjs"), BIN, ...argv],
      { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
    );
    const files = r.stderr
      .split("loaded modules:\n")[1]!
      .split("\n")
      .filter((u) => u.startsWith("file:"))
      .map((u) => path.relative(ROOT, fileURLToPath(u)));
    return { ...r, files, sources: loadedSources(r.stderr) };
  };

  it("a command's help loads no AWS SDK code", () => {
    const r = loads(["up", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: serverless-automation up");
    expect(r.files).toContain("dist/cli/main.mjs");
    expect(r.sources.filter((s) => /@aws-sdk|@smithy/.test(s))).toEqual([]);
    // The bundle's own modules and no dependency loaded from node_modules.
    expect(r.files.filter((f) => f.includes("node_modules"))).toEqual([]);
  });

  it("--help alone prints what the CLI prints, without loading it", async () => {
    let out = "";
    const code = await main(["--help"], {
      stdout: { write: (s: string) => void (out += s) },
      stderr: { write: () => undefined },
      env: {},
      cwd: ROOT,
    });
    expect(code).toBe(0);
    for (const flag of ["--help", "-h"]) {
      const r = loads([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(out);
      expect(r.files.filter((f) => f.startsWith("dist/"))).toEqual([]);
    }
  });
});
