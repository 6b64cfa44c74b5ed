import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { deflateRawSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

// Inside the package so the external @aws-sdk/* imports resolve as they do in Lambda's runtime.
const cacheRoot = join(process.cwd(), "node_modules", ".cache");
let dir: string;
let outfile: string;

beforeAll(async () => {
  await mkdir(cacheRoot, { recursive: true });
  dir = await mkdtemp(join(cacheRoot, "handler-bundle-"));
  outfile = join(dir, "index.mjs");
  // The deploy-time settings the CLI uses; a change there should be mirrored here.
  await build({
    entryPoints: ["handler/index.ts"],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    external: ["@aws-sdk/*", "@smithy/*"],
    outfile,
    logLevel: "silent",
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("deployed bundle", () => {
  it("zips to at most 50 KB", async () => {
    const code = await readFile(outfile);
    // Deflate at level 9 is what a zip entry holds; 200 bytes covers the zip headers.
    const zipped = deflateRawSync(code, { level: 9 }).length + 200;
    expect(zipped).toBeLessThanOrEqual(50 * 1024);
  });

  it("imports as ESM without dynamic require and exports the handler", async () => {
    const probe = `const t = performance.now();
const m = await import(${JSON.stringify(new URL(`file://${outfile}`).href)});
process.stdout.write(JSON.stringify({ type: typeof m.handler, ms: performance.now() - t }));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    const result = JSON.parse(stdout) as { type: string; ms: number };
    expect(result.type).toBe("function");
    expect(result.ms).toBeLessThan(3000);
  });
});
