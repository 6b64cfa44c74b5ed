import { promises as fs } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BuildOptions } from "esbuild";
import { UserError } from "../errors.js";

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

/** Bundles the handler into one ES module (index.mjs) for the Lambda Node runtime. */
export async function bundleHandler(entry: string, runtime: string): Promise<Uint8Array> {
  try {
    await fs.access(entry);
  } catch {
    throw new UserError(`Cannot read the handler source ${entry}.`, {
      hint: "Reinstall the package, or check the path of the handler entry.",
    });
  }
  const { build } = await import("esbuild");
  let result;
  try {
    result = await build({
      ...handlerBuildOptions(entry, runtime),
      write: false,
      outfile: "index.mjs",
    });
  } catch (err) {
    const errors = (
      err as { errors?: { text: string; location?: { file: string; line: number } }[] }
    ).errors;
    const first = errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : "";
    throw new UserError(
      `Cannot bundle the handler ${entry}: ${first?.text ?? (err as Error).message}${where}`,
      { hint: "Fix the handler source, then run the command again." },
    );
  }
  const out = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
  if (!out) throw new Error("esbuild produced no output");
  return out.contents;
}
