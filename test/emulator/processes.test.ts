import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BIN, workdir } from "./cli.js";
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
): Promise<{ code: number | null; left: string[] }> {
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd,
    env: em.env,
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
    await leftInGroup(["down", "--yes", "--quiet"], cwd);
  });
});

describe("--help", () => {
  it("loads no AWS SDK code", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", path.join(ROOT, "test/support/record-loads.mjs"), BIN, "--help"],
      { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: serverless-automation");
    const files = r.stderr
      .split("loaded modules:\n")[1]!
      .split("\n")
      .filter((u) => u.startsWith("file:"))
      .map((u) => path.relative(ROOT, fileURLToPath(u)));
    // The bundle: which sources each of its files holds.
    const meta = JSON.parse(readFileSync(path.join(ROOT, "dist/cli/meta.json"), "utf8")) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const sources = files.flatMap((f) => Object.keys(meta.outputs[f]?.inputs ?? { [f]: 1 }));
    expect(files).toContain("dist/cli/main.mjs");
    expect(sources.filter((s) => /@aws-sdk|@smithy/.test(s))).toEqual([]);
    // The bundle's own modules and no dependency loaded from node_modules.
    expect(files.filter((f) => f.includes("node_modules"))).toEqual([]);
  });
});
