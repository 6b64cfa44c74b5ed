/**
 * Start-up against a distant endpoint (`npm run bench`): `status` and a no-op `up`, the built
 * binary in a child process each time, against moto behind a loopback proxy that adds 50 ms to
 * every round trip, next to their floor measured in the same run (test/bench/floor.mjs: Node, the
 * same SDK clients, three dependent round trips); and `--help` next to a bare `node -e 0`. Runs
 * alternate (floor, status, up, help, bare, floor, …) so that a machine slowing down during the
 * run moves both sides of a ratio; each ratio is the median of the per-round ratios.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cliEnv, runBin, workdir } from "../emulator/cli.js";
import { Moto, motoUnavailable } from "../emulator/moto.js";
import { WireProxy } from "../emulator/proxy.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FLOOR = path.join(ROOT, "test/bench/floor.mjs");

/** Signing name → the client package that speaks to it. */
const PACKAGE: Record<string, string> = {
  s3: "client-s3",
  dynamodb: "client-dynamodb",
  lambda: "client-lambda",
  apigateway: "client-api-gateway",
  iam: "client-iam",
  monitoring: "client-cloudwatch",
  logs: "client-cloudwatch-logs",
  sts: "client-sts",
  sns: "client-sns",
  kms: "client-kms",
  wafv2: "client-wafv2",
};

export interface StartupFigures {
  rounds: number;
  latencyMs: number;
  /** Client packages the floor loads: those status and up called. */
  packages: string[];
  medians: Record<string, number>;
  ratios: Record<string, number>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Wall time of one child process, from spawn to exit; refuses a non-zero exit. */
function timed(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - t;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(" ")} exited ${code}:\n${stderr}`));
    });
  });
}

/**
 * `bins`: the binaries to measure by label (e.g. this build, and an older one for a before/after
 * in the same run). Undefined when moto is not installed (the reason is printed).
 */
export async function startupFigures(
  bins: Record<string, string>,
  options: { rounds?: number; latencyMs?: number } = {},
): Promise<StartupFigures | undefined> {
  const unavailable = motoUnavailable();
  if (unavailable) {
    console.log(`Start-up against moto skipped: ${unavailable}.`);
    return undefined;
  }
  const rounds = options.rounds ?? 5;
  const latencyMs = options.latencyMs ?? 50;
  const moto = await Moto.start();
  const proxy = await WireProxy.start(moto.endpoint);
  try {
    const cwd = workdir();
    const env = cliEnv(proxy.endpoint);
    const first = Object.values(bins)[0] as string;
    const cold = await runBin(["up", "--quiet"], cwd, env);
    if (cold.code !== 0) throw new Error(`up exited ${cold.code}:\n${cold.stderr}`);
    proxy.arm(undefined);
    const st = await runBin(["status"], cwd, env);
    if (st.code !== 0) throw new Error(`status exited ${st.code}:\n${st.stderr}`);
    const packages = [...new Set(proxy.calls.map((c) => PACKAGE[c.service] ?? c.service))].sort();
    proxy.latencyMs = latencyMs;
    const times: Record<string, number[]> = {};
    const add = (k: string, ms: number) => (times[k] ??= []).push(ms);
    // One unmeasured round first: the page cache, and moto's first answers.
    for (let round = 0; round <= rounds; round++) {
      const keep = round > 0;
      const floor = await timed([FLOOR, ...packages], cwd, env);
      if (keep) add("floor", floor);
      for (const [label, bin] of Object.entries(bins)) {
        const s = await timed([bin, "status"], cwd, env);
        const u = await timed([bin, "up", "--quiet"], cwd, env);
        if (keep) add(`${label} status`, s);
        if (keep) add(`${label} up`, u);
        if (keep) add(`${label} status / floor`, s / floor);
        if (keep) add(`${label} up / floor`, u / floor);
      }
      const bare = await timed(["-e", "0"], cwd, env);
      if (keep) add("bare node", bare);
      for (const [label, bin] of Object.entries(bins)) {
        const h = await timed([bin, "--help"], cwd, env);
        if (keep) add(`${label} --help`, h);
        if (keep) add(`${label} --help / bare node`, h / bare);
      }
    }
    void first;
    const medians: Record<string, number> = {};
    const ratios: Record<string, number> = {};
    for (const [k, xs] of Object.entries(times)) {
      if (k.includes(" / ")) ratios[k] = median(xs);
      else medians[k] = median(xs);
    }
    return { rounds, latencyMs, packages, medians, ratios };
  } finally {
    await proxy.close();
    await moto.stop();
  }
}

/**
 * The binary of another commit, built from its own sources into a temporary directory (with
 * this checkout's node_modules), for a before/after in one run: BENCH_BASELINE=main npm run bench.
 */
export function buildBaseline(ref: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sa-bench-baseline-"));
  const tar = execFileSync("git", ["archive", "--format=tar", ref], {
    cwd: ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  execFileSync(process.execPath, [path.join(dir, "scripts/build.mjs")], {
    cwd: dir,
    stdio: "inherit",
  });
  const bin = path.join(dir, "bin/serverless-automation.js");
  if (!existsSync(bin)) throw new Error(`${ref} has no bin/serverless-automation.js`);
  return bin;
}

/** The figures as the bench prints them. */
export function formatStartup(f: StartupFigures, bins: Record<string, string>): string {
  const ms = (n: number | undefined) => `${Math.round(n ?? NaN)} ms`;
  const x = (n: number | undefined) => `${(n ?? NaN).toFixed(2)}×`;
  const lines = [
    `Start-up, ${f.latencyMs} ms per round trip to moto (median of ${f.rounds} alternating rounds; floor: node, ${f.packages.join(", ")} loaded, three dependent round trips ${ms(f.medians.floor)}; bare \`node -e 0\` ${ms(f.medians["bare node"])}):`,
    "| build | `status` | / floor | no-op `up` | / floor | `--help` | / bare node |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const label of Object.keys(bins)) {
    lines.push(
      `| ${label} | ${ms(f.medians[`${label} status`])} | ${x(f.ratios[`${label} status / floor`])} | ${ms(f.medians[`${label} up`])} | ${x(f.ratios[`${label} up / floor`])} | ${ms(f.medians[`${label} --help`])} | ${x(f.ratios[`${label} --help / bare node`])} |`,
    );
  }
  return lines.join("\n");
}

// Run alone: [BENCH_BASELINE=<git ref>] node --import tsx test/bench/startup.ts [label=bin …]
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const bins: Record<string, string> = { this: path.join(ROOT, "bin/serverless-automation.js") };
  const ref = process.env.BENCH_BASELINE;
  if (ref) bins[ref] = buildBaseline(ref);
  for (const arg of process.argv.slice(2)) {
    const [label, bin] = arg.split("=") as [string, string];
    bins[label] = path.resolve(bin);
  }
  const f = await startupFigures(bins, {
    rounds: Number(process.env.BENCH_STARTUP_ROUNDS ?? 5),
  });
  if (f) console.log(formatStartup(f, bins));
}
