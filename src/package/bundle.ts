import { promises as fs } from "node:fs";
import { fileURLToPath } from "node:url";
import { UserError } from "../engine/errors.js";

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
 * Bundles the handler into one ES module for the Lambda Node runtime. The AWS SDK v3 stays
 * external: the runtime provides it, and leaving it out keeps the zip (and cold starts) small.
 */
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
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      target: esbuildTarget(runtime),
      format: "esm",
      minify: true,
      legalComments: "none",
      external: ["@aws-sdk/*", "@smithy/*"],
      write: false,
      logLevel: "silent",
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
