import { promises as fs, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type * as Esbuild from "esbuild";
import type { BuildOptions } from "esbuild";
import { UserError } from "../errors.js";
import { cacheDir, cacheKey, readCached, writeCached } from "./bundle-cache.js";

/** handler/index.ts, shipped next to dist/ and src/ (both two levels below the package root). */
export const DEFAULT_HANDLER_ENTRY = fileURLToPath(
  new URL("../../handler/index.ts", import.meta.url),
);

/** The runtime's Node major for esbuild's target, e.g. nodejs22.x → node22. */
export function esbuildTarget(runtime: string): string {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  return major ? `node${major}` : "node22";
}

/**
 * Gives the ES module bundle a real `require`. Tracing (Powertools Tracer → aws-xray-sdk-core) is
 * CommonJS that require()s Node built-ins; esbuild's ESM output turns those into a stub that throws
 * "Dynamic require of "util" is not supported" at import unless a `require` is in scope.
 */
export const REQUIRE_BANNER =
  'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);';

/**
 * The esbuild settings for the deployed handler, shared with the dev server so that `dev` runs
 * the same code `up` deploys. The AWS SDK v3 clients stay external: the runtime provides them, and
 * leaving them out keeps the zip (and cold starts) small. @smithy/* is bundled: the handler imports
 * none itself, and the one the X-Ray SDK require()s (service-error-classification, a few hundred
 * bytes zipped) then ships at the major it was built for instead of whatever the runtime holds.
 */
export function handlerBuildOptions(entry: string, runtime: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: esbuildTarget(runtime),
    format: "esm",
    minify: true,
    legalComments: "none",
    external: ["@aws-sdk/*"],
    banner: { js: REQUIRE_BANNER },
    logLevel: "silent",
  };
}

/** Lambda's limits on a function's code (Lambda quotas: deployment package size). */
export const LAMBDA_LIMITS = {
  /** A zip uploaded with the request itself; from S3, as here, the unzipped limit is what binds. */
  zippedBytes: 50 * 1024 * 1024,
  unzippedBytes: 250 * 1024 * 1024,
};

/** Refuses code Lambda would refuse, before any AWS call. */
export function checkArtifactSize(entry: string, unzipped: number, zipped: number): void {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (unzipped > LAMBDA_LIMITS.unzippedBytes) {
    throw new UserError(
      `The bundle of ${entry} is ${mb(unzipped)} unzipped; Lambda allows ${mb(LAMBDA_LIMITS.unzippedBytes)}.`,
      { hint: TOO_LARGE_HINT },
    );
  }
  if (zipped > LAMBDA_LIMITS.zippedBytes) {
    throw new UserError(
      `The zipped bundle of ${entry} is ${mb(zipped)}; Lambda allows ${mb(LAMBDA_LIMITS.zippedBytes)}.`,
      { hint: TOO_LARGE_HINT },
    );
  }
}

const TOO_LARGE_HINT =
  "Import only what the handler uses (a deep import instead of a whole package), and leave the AWS SDK v3 to the runtime (it is not bundled).";

/**
 * esbuild for one build that waits for esbuild to exit (buildSync in this thread). Its async
 * API, and its buildSync in a worker thread (the default), start a service process that outlives
 * the command: orphaned when the CLI exits, and a zombie where nothing reaps it. Nothing else runs
 * while the handler is bundled, so waiting costs nothing. ESBUILD_WORKER_THREADS is read once,
 * when esbuild is first loaded; where something loaded it before (the dev server, tests), the
 * build still works, through the worker.
 */
async function esbuildRunOnce(): Promise<typeof Esbuild> {
  const before = process.env.ESBUILD_WORKER_THREADS;
  process.env.ESBUILD_WORKER_THREADS = "0";
  try {
    return await import("esbuild");
  } finally {
    if (before === undefined) delete process.env.ESBUILD_WORKER_THREADS;
    else process.env.ESBUILD_WORKER_THREADS = before;
  }
}

interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number; lineText?: string } | null;
}

/** esbuild's first error as esbuild prints it: file:line:column: text. */
export function describeBuildError(err: unknown): string {
  const first = (err as { errors?: EsbuildMessage[] }).errors?.[0];
  if (!first) return (err as Error).message;
  const loc = first.location;
  // esbuild counts columns from 0; editors and esbuild's own CLI show them from 1.
  return loc ? `${loc.file}:${loc.line}:${loc.column + 1}: ${first.text}` : first.text;
}

/**
 * Bundles the handler into one ES module (index.mjs) for the Lambda Node runtime. A handler of
 * your own (custom) must export `handler`, which Lambda calls as index.handler.
 */
export async function bundleHandler(
  entry: string,
  runtime: string,
  custom = false,
  cwd = process.cwd(),
): Promise<Uint8Array> {
  const fixHint = custom
    ? `Fix the handler (the "handler" entry of the config file names it), then run the command again.`
    : "Fix the handler source, then run the command again.";
  try {
    await fs.access(entry);
  } catch {
    throw new UserError(`Cannot read the handler source ${entry}.`, {
      hint: custom
        ? `Check "handler" in the config file: it is a path relative to the config file.`
        : "Reinstall the package, or check the path of the handler entry.",
    });
  }
  const options = handlerBuildOptions(entry, runtime);
  const dir = cacheDir(process.env);
  const key = cacheKey({ esbuild: esbuildVersion(), options, cwd });
  const cached = await readCached(dir, key);
  if (cached) {
    checkExports(entry, custom, cached.exports);
    return cached.code;
  }
  const { buildSync } = await esbuildRunOnce();
  let result;
  try {
    result = buildSync({
      ...options,
      write: false,
      outfile: "index.mjs",
      metafile: true,
      // Errors name files relative to where the command runs, as esbuild's own CLI does.
      absWorkingDir: cwd,
    });
  } catch (err) {
    throw new UserError(`Cannot bundle the handler: ${describeBuildError(err)}`, {
      hint: fixHint,
    });
  }
  const out = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
  if (!out) throw new Error("esbuild produced no output");
  const exports = Object.values(result.metafile.outputs)[0]?.exports ?? [];
  checkExports(entry, custom, exports);
  await writeCached(dir, key, cwd, Object.keys(result.metafile.inputs), {
    code: out.contents,
    exports,
  });
  return out.contents;
}

/** Lambda calls index.handler: your own handler must export it. */
function checkExports(entry: string, custom: boolean, exports: readonly string[]): void {
  if (custom && !exports.includes("handler")) {
    throw new UserError(`The handler ${entry} does not export "handler".`, {
      hint: `Lambda calls index.handler: add \`export const handler = async (event) => { … }\` (exports found: ${exports.join(", ") || "none"}).`,
    });
  }
}

/** The installed esbuild's version, read without loading esbuild (part of the cache key). */
function esbuildVersion(): string {
  const file = createRequire(import.meta.url).resolve("esbuild/package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}
