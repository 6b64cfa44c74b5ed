/**
 * `npm run build`: the CLI as one esbuild bundle, dist/cli/main.mjs, with the AWS SDK and the other
 * dependencies inside it, so that starting the CLI reads a few files instead of a thousand.
 * Commands are split into chunks next to it (dist/cli/), loaded only when their command runs:
 * `--help` loads no AWS SDK code. The chunks stay two directories below the package root, where
 * the sources' `new URL("../../handler/…", import.meta.url)` expects them. Source maps are written
 * next to each chunk; the bin shim turns them on for --verbose.
 *
 * esbuild (its own native binary) and dynalite (classic-level's native LevelDB) stay external:
 * both find files next to their own modules. Type-checking is `npm run typecheck`; a build takes
 * about a second, so that `prepare` (also run by the first `npx serverless-automation` in a
 * checkout) costs little.
 */
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "dist/cli");

await rm(path.join(ROOT, "dist"), { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { main: "src/cli/main.ts" },
  outdir: OUT,
  outExtension: { ".js": ".mjs" },
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  // Parsing, not running, is most of what loading costs: no minify keeps stack traces readable,
  // whitespace-only minification is free.
  minifyWhitespace: true,
  legalComments: "none",
  external: ["esbuild", "dynalite"],
  // The SDK's ES modules (its packages' "module" entry) rather than its CommonJS bundles: each
  // client package is then the commands the tool calls, not all of them (client-iam alone is
  // 150 kB of CommonJS), and esbuild links them instead of wrapping each file in a require shim
  // that copies its exports at load. About a third less to compile and run at start-up.
  mainFields: ["module", "main"],
  // Bundled CommonJS require()s Node built-ins: give each chunk a real require.
  banner: {
    js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
  },
  metafile: true,
  logLevel: "warning",
});
// Which sources each output holds: the test that --help loads no AWS SDK code reads it.
await writeFile(path.join(OUT, "meta.json"), JSON.stringify(result.metafile));
