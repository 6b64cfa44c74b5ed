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
import { execFileSync } from "node:child_process";
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

// The top-level `--help` as commander prints it where the output is not a terminal (80 columns):
// the bin shim writes this instead of loading the CLI for it (see bin/serverless-automation.js).
// Rendered by the bundle just built, in a child whose output is a pipe, as a user's would be.
const help = execFileSync(
  process.execPath,
  [
    "--input-type=module",
    "-e",
    `const { main } = await import(${JSON.stringify(new URL("main.mjs", `file://${OUT}/`).href)});
     let out = "";
     const code = await main(["--help"], { stdout: { write: (s) => void (out += s) }, stderr: process.stderr, env: {}, cwd: "/" });
     if (code !== 0) process.exit(code);
     process.stdout.write(out);`,
  ],
  { cwd: ROOT, env: { ...process.env, COLUMNS: "" } },
);
await writeFile(path.join(OUT, "help.txt"), help);
