/**
 * `npm run bench`: the CLI against the fake AWS with a latency model resembling AWS (round trips,
 * IAM propagation, table creation, Lambda states, API Gateway quotas), scaled down so the whole
 * bench takes well under a minute. Everything is measured side by side in one run.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";
import { dependents } from "../../src/engine/graph.js";
import type { TraceEvent } from "../../src/engine/types.js";
import { desiredStack } from "../../src/stack.js";
import { resolveConfig, resourceNames, stackTags } from "../../src/config.js";
import { buildArtifact } from "../../src/ops/session.js";
import { DEFAULT_HANDLER_ENTRY, handlerBuildOptions } from "../../src/package/bundle.js";
import { FakeAccount } from "../fake-aws/index.js";
import { applyModel, AWS_MODEL, criticalPath, roundTrips } from "./model.js";
import { buildBaseline, formatStartup, startupFigures } from "./startup.js";

const SCALE = Number(process.env.BENCH_SCALE ?? 0.1);
// This project supports Node 20; the SDK's notice about its 2027 releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const ROOT = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));

interface Row {
  scenario: string;
  concurrency: number;
  wallMs: number;
  criticalPathMs: number;
  chain: string[];
  depthChain: string[];
  calls: number;
  mutating: number;
  depth: number;
}

/** The graph's edges: key → keys that must finish first; for teardown, reversed. */
function edges(teardown: boolean, domainZone?: string): Map<string, string[]> {
  const plain = resolveConfig({ region: "us-east-1" }, {}, "/");
  const domain = domainZone
    ? {
        name: "api.example.com",
        hostedZoneId: domainZone,
        basePath: "",
        disableDefaultEndpoint: false,
      }
    : undefined;
  const config = { ...plain, settings: { ...plain.settings, domain } };
  const specs = desiredStack({
    config,
    names: resourceNames({
      name: "serverless-automation",
      stage: "production",
      account: "123456789012",
      region: "us-east-1",
    }),
    account: "123456789012",
    region: "us-east-1",
    partition: "aws",
    tags: stackTags({ name: "serverless-automation", stage: "production" }),
    purpose: "deploy",
    artifact: { zip: Buffer.alloc(0), sha256Hex: "", sha256Base64: "" },
  });
  return teardown ? dependents(specs) : new Map(specs.map((s) => [s.key, [...s.dependsOn]]));
}

async function scenario(
  fake: FakeAccount,
  cwd: string,
  concurrency: number,
  name: string,
  argv: string[],
  handlerEntry: string,
  domainZone?: string,
): Promise<Row> {
  const events: TraceEvent[] = [];
  fake.resetCalls();
  // Commands are minutes apart in real use: each starts with API Gateway's quotas refilled.
  fake.apigateway.resetQuotas();
  const started = performance.now();
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: () => undefined },
    stderr: { write: (s: string) => void (stderr += s) },
    env: { AWS_REGION: "us-east-1" },
    cwd,
    clients: fake.clients(),
    concurrency,
    handlerEntry,
    // Poll and retry delays scaled like everything else (production: 250 ms to 1 s).
    timing: {
      minDelayMs: 250 * SCALE,
      maxDelayMs: 1000 * SCALE,
      maxWaitMs: 600_000,
      iamPropagationMs: AWS_MODEL.iamPropagationMs * SCALE,
    },
    trace: (e) => events.push(e),
  });
  const wallMs = performance.now() - started;
  const expected = name === "status" ? 0 : 0;
  if (code !== expected) throw new Error(`${name} exited ${code}:\n${stderr}`);
  return {
    scenario: name,
    concurrency,
    wallMs,
    ...(() => {
      const cp = criticalPath(events, edges(name === "down", domainZone));
      return { criticalPathMs: cp.ms, chain: cp.chain };
    })(),
    calls: fake.calls.length,
    mutating: fake.callLog({ mutating: true }).length,
    depth: roundTrips(fake.calls).depth,
    depthChain: roundTrips(fake.calls).chain,
  };
}

async function suite(concurrency: number): Promise<Row[]> {
  const fake = new FakeAccount({ region: "us-east-1" });
  applyModel(fake, SCALE);
  const cwd = mkdtempSync(path.join(os.tmpdir(), "sa-bench-"));
  const entry = path.join(cwd, "handler.ts");
  await fs.copyFile(DEFAULT_HANDLER_ENTRY, entry);
  const source = await fs.readFile(DEFAULT_HANDLER_ENTRY, "utf8");
  // The handler imports siblings: bundle it from its own directory, changed by one comment.
  const changed = path.join(path.dirname(DEFAULT_HANDLER_ENTRY), ".bench-entry.ts");
  const rows: Row[] = [];
  try {
    rows.push(await scenario(fake, cwd, concurrency, "cold up", ["up"], DEFAULT_HANDLER_ENTRY));
    rows.push(await scenario(fake, cwd, concurrency, "no-op up", ["up"], DEFAULT_HANDLER_ENTRY));
    // A change that survives minification: an exported constant.
    await fs.writeFile(changed, `${source}\nexport const benchRevision = "${Date.now()}";\n`);
    rows.push(await scenario(fake, cwd, concurrency, "code-only up", ["up"], changed));
    rows.push(await scenario(fake, cwd, concurrency, "status", ["status"], changed));
    rows.push(await scenario(fake, cwd, concurrency, "down", ["down", "--yes"], changed));
  } finally {
    await fs.rm(changed, { force: true });
  }
  return rows;
}

/**
 * The same runs with the state in the local file and in S3 (a versioned bucket, same latency
 * model): what remote state costs per run, in calls and time.
 */
async function stateSuite(remote: boolean): Promise<Row[]> {
  const fake = new FakeAccount({ region: "us-east-1" });
  applyModel(fake, SCALE);
  const cwd = mkdtempSync(path.join(os.tmpdir(), "sa-bench-state-"));
  const state = remote ? ["--state", "s3://bench-state/production.json"] : [];
  if (remote) {
    const c = { region: "us-east-1", now: Date.now() };
    await fake.s3.operations.CreateBucket?.({ Bucket: "bench-state" }, c);
    await fake.s3.operations.PutBucketVersioning?.(
      { Bucket: "bench-state", VersioningConfiguration: { Status: "Enabled" } },
      c,
    );
  }
  const e = DEFAULT_HANDLER_ENTRY;
  return [
    await scenario(fake, cwd, 8, "cold up", ["up", ...state], e),
    await scenario(fake, cwd, 8, "no-op up", ["up", ...state], e),
    await scenario(fake, cwd, 8, "status", ["status", ...state], e),
    await scenario(fake, cwd, 8, "down", ["down", "--yes", ...state], e),
  ];
}

/**
 * What a custom domain adds: a cold up with and without one (each in an account of its own,
 * same model), then the domain stack's re-run and down. The certificate's issue time is the
 * model's acmIssueMs; everything is reported at AWS's speed (÷ scale) as well.
 */
async function domainComparison(): Promise<void> {
  const run = async (domain: boolean) => {
    const fake = new FakeAccount({ region: "us-east-1" });
    applyModel(fake, SCALE);
    const cwd = mkdtempSync(path.join(os.tmpdir(), "sa-bench-domain-"));
    const zone = domain ? fake.route53.createZone("example.com") : undefined;
    if (zone) {
      await fs.writeFile(
        path.join(cwd, "serverless-automation.config.json"),
        JSON.stringify({ domain: { name: "api.example.com", hostedZoneId: zone } }),
      );
    }
    const e = DEFAULT_HANDLER_ENTRY;
    const cold = await scenario(fake, cwd, 8, "cold up", ["up"], e, zone);
    if (!zone) return [cold];
    return [
      cold,
      await scenario(fake, cwd, 8, "no-op up", ["up"], e, zone),
      await scenario(fake, cwd, 8, "down", ["down", "--yes"], e, zone),
    ];
  };
  const [plain] = await run(false);
  const withDomain = await run(true);
  const [cold, noop, down] = withDomain as [Row, Row, Row];
  const aws = (n: number) => `${(n / SCALE / 1000).toFixed(1)} s`;
  const added = cold.wallMs - (plain as Row).wallMs;
  console.log(`
Custom domain (hosted zone given; certificate issued ${AWS_MODEL.acmIssueMs / 1000} s after its record is written):
| run | wall | at AWS's speed | calls (mutating) |
|---|---|---|---|
| cold up, no domain | ${ms((plain as Row).wallMs)} | ${aws((plain as Row).wallMs)} | ${(plain as Row).calls} (${(plain as Row).mutating}) |
| cold up, domain | ${ms(cold.wallMs)} | ${aws(cold.wallMs)} | ${cold.calls} (${cold.mutating}) |
| re-run, domain | ${ms(noop.wallMs)} | ${aws(noop.wallMs)} | ${noop.calls} (${noop.mutating}) |
| down, domain | ${ms(down.wallMs)} | ${aws(down.wallMs)} | ${down.calls} (${down.mutating}) |
A domain adds ${aws(added)} to a cold up at AWS's speed: the certificate's chain (request, validation record, ${AWS_MODEL.acmIssueMs / 1000} s to issue, domain name, mapping) is the critical path, ${cold.chain.join(" → ")}, and the rest of the stack is made meanwhile.`);
}

async function stateComparison(): Promise<void> {
  const local = await stateSuite(false);
  const remote = await stateSuite(true);
  const lines = [
    "| run | local file: wall | S3: wall | extra time | local file: calls | S3: calls | extra calls |",
    "|---|---|---|---|---|---|---|",
  ];
  local.forEach((l, i) => {
    const r = remote[i] as Row;
    lines.push(
      `| ${l.scenario} | ${ms(l.wallMs)} | ${ms(r.wallMs)} | ${ms(r.wallMs - l.wallMs)} | ${l.calls} | ${r.calls} | +${r.calls - l.calls} |`,
    );
  });
  console.log(`
State in the local file vs in S3 (concurrency 8, same latency model):
${lines.join("\n")}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function ms(n: number): string {
  return `${Math.round(n)} ms`;
}

async function handlerFigures(): Promise<{ zipBytes: number; initMs: number }> {
  const artifact = await buildArtifact(DEFAULT_HANDLER_ENTRY, "nodejs22.x");
  const dir = mkdtempSync(path.join(ROOT, "node_modules", ".bench-"));
  try {
    const { build } = await import("esbuild");
    const out = path.join(dir, "index.mjs");
    await build({
      ...handlerBuildOptions(DEFAULT_HANDLER_ENTRY, "nodejs22.x"),
      write: true,
      outfile: out,
    });
    const initMs = median(
      Array.from({ length: 5 }, () =>
        Number(
          execFileSync(
            process.execPath,
            [
              "-e",
              `const t=performance.now();import(${JSON.stringify(out)}).then(()=>console.log(performance.now()-t))`,
            ],
            {
              env: { ...process.env, TABLE_NAME: "bench", AWS_REGION: "us-east-1" },
            },
          ).toString(),
        ),
      ),
    );
    return { zipBytes: artifact.zip.length, initMs };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function run(): Promise<void> {
  const t0 = performance.now();
  if (process.env.BENCH_ONLY === "domain") {
    await domainComparison();
    return;
  }
  console.log(
    `Latency model (×${SCALE}): ${JSON.stringify(AWS_MODEL)} and API Gateway's quotas.\n`,
  );
  const parallel = await suite(8);
  const serial = await suite(1);
  const lines = [
    "| run | wall | critical path | wall / critical path | calls (mutating) | round trips deep | concurrency 1 wall | speed-up |",
    "|---|---|---|---|---|---|---|---|",
  ];
  parallel.forEach((p, i) => {
    const s = serial[i] as Row;
    const ratio = p.criticalPathMs > 0 ? (p.wallMs / p.criticalPathMs).toFixed(2) : "–";
    lines.push(
      `| ${p.scenario} | ${ms(p.wallMs)} | ${ms(p.criticalPathMs)} | ${ratio} | ${p.calls} (${p.mutating}) | ${p.depth} | ${ms(s.wallMs)} | ${(s.wallMs / p.wallMs).toFixed(2)}× |`,
    );
  });
  console.log(lines.join("\n"));
  console.log("\nCritical paths (concurrency 8):");
  for (const p of parallel) console.log(`  ${p.scenario}: ${p.chain.join(" → ")}`);
  const noop = parallel.find((p) => p.scenario === "no-op up");
  if (noop) console.log(`Deepest chain of calls in a no-op up: ${noop.depthChain.join(" → ")}`);

  await stateComparison();
  await domainComparison();

  // The built binary against moto 50 ms away, next to its floor, in this same run; a build to
  // compare with through BENCH_BASELINE=<git ref> (built from that commit's sources, e.g.
  // main) or BENCH_BEFORE_BIN=/path/to/bin.js.
  const bins: Record<string, string> = {
    "this build": path.join(ROOT, "bin/serverless-automation.js"),
  };
  if (process.env.BENCH_BASELINE) {
    bins[process.env.BENCH_BASELINE] = buildBaseline(process.env.BENCH_BASELINE);
  }
  if (process.env.BENCH_BEFORE_BIN) bins.before = path.resolve(process.env.BENCH_BEFORE_BIN);
  const startup = await startupFigures(bins, {
    rounds: Number(process.env.BENCH_STARTUP_ROUNDS ?? 5),
  });
  if (startup) console.log(`\n${formatStartup(startup, bins)}`);

  const h = await handlerFigures();
  console.log(
    `Handler: ${h.zipBytes} bytes zipped; module initialisation ${ms(h.initMs)} (median of 5).`,
  );

  if (process.env.BENCH_SKIP_DEV !== "1") {
    const { devLoad } = await import("./dev-load.js");
    const d = await devLoad({ durationS: 3, connections: 10 });
    console.log(
      `dev: ${Math.round(d.rps)} requests/s, p50 ${d.latencyP50Ms} ms, p99 ${d.latencyP99Ms} ms, ${d.errors} errors (3 s, 10 connections, loopback).`,
    );
  }
  const { devReload } = await import("./dev-reload.js");
  const r = await devReload();
  console.log(
    `dev, your own handler: saved edit → answered by the new code p50 ${r.editToAnswerP50Ms} ms, max ${r.editToAnswerMaxMs} ms (${r.saves} saves); starting dev takes ${r.startMs} ms (reload ${(r.startMs / Math.max(1, r.editToAnswerP50Ms)).toFixed(1)}× faster than a restart).`,
  );
  console.log(`\nBench took ${((performance.now() - t0) / 1000) | 0} s.`);
}

await run();
