#!/usr/bin/env node
import module from "node:module";

// Node ≥ 22.1 keeps V8's compiled code of the bundle on disk between runs; Node 20 has no cache.
module.enableCompileCache?.();
// dist/cli/main.mjs is the esbuild bundle (npm run build). Its source maps are read only when a
// stack trace may be shown: parsing them costs more than the rest of start-up.
if (process.argv.includes("--verbose")) process.setSourceMapsEnabled(true);
const { run } = await import("../dist/cli/main.mjs");

run(process.argv.slice(2));
