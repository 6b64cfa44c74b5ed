#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts a CommonJS entry a few milliseconds sooner than an ES
// module, which is most of what `--help` costs over a bare `node`. The CLI itself is the ES
// module bundle dist/cli/main.mjs (npm run build), imported below.
const { readFileSync } = require("node:fs");
const path = require("node:path");
const module_ = require("node:module");

const argv = process.argv.slice(2);

/**
 * `--help` alone, where the text the build rendered 80 columns wide with this same CLI
 * (dist/cli/help.txt) fits: output not a terminal, or a terminal at least that wide (commander
 * would only wrap its lines later). The CLI is not loaded for it. Anything else (a narrower
 * terminal, where commander wraps to its width), or no such file, goes to the CLI.
 */
function prerenderedHelp() {
  if (argv.length !== 1 || (argv[0] !== "--help" && argv[0] !== "-h")) return undefined;
  if (process.stdout.isTTY && !(process.stdout.columns >= 80)) return undefined;
  try {
    return readFileSync(path.join(__dirname, "../dist/cli/help.txt"));
  } catch {
    return undefined;
  }
}

const help = prerenderedHelp();
if (help) {
  process.stdout.write(help);
} else {
  // Node ≥ 22.1 keeps V8's compiled code of the bundle on disk between runs; Node 20 has no cache.
  module_.enableCompileCache?.();
  // Its source maps are read only when a stack trace may be shown: parsing them costs more than
  // the rest of start-up.
  if (argv.includes("--verbose")) process.setSourceMapsEnabled(true);
  import("../dist/cli/main.mjs").then(({ run }) => run(argv));
}
