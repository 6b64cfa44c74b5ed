import path from "node:path";
import { defineCommand, flag } from "../command.js";
import { shellQuote } from "../../report/format.js";
import { EXIT, printJson, styleFor } from "../io.js";

/** Scaffolds a project of your own on the stack, as `chalice new-project` or `sam init` do. */
export default defineCommand({
  name: "init",
  description: "start a project of your own: a handler on the table, its test and config",
  arguments: [
    { name: "dir", description: "a new or empty directory (default: this one)", optional: true },
  ],
  options: {
    json: flag("--json", "print one JSON document on stdout: the directory and the files written"),
  },
  helpAfter: `
Writes serverless-automation.config.json, src/handler.ts (an items API on the table),
test/handler.test.ts, package.json, tsconfig.json and .gitignore. Never overwrites anything.`,
  async handler(opts, io, args) {
    const { init } = await import("../../ops/init.js");
    const r = await init(args[0] ?? ".", io.cwd);
    if (opts.json) {
      printJson(io, { command: "init", ok: true, dir: r.dir, files: r.files });
      return EXIT.ok;
    }
    const style = styleFor(io, "stdout");
    const where = path.relative(io.cwd, r.dir) || ".";
    io.stdout.write(`Created a project in ${style.bold(where)}:\n`);
    for (const f of r.files) io.stdout.write(`  ${f}\n`);
    io.stdout.write(`\nNext:\n`);
    if (where !== ".") io.stdout.write(`  cd ${shellQuote(where)}\n`);
    io.stdout.write(
      [
        "  npm install",
        "  npm test             # the handler's test",
        "  npm run dev          # serves it at http://127.0.0.1:3000, reloading on every change",
        "  npm run deploy       # up: deploys it to AWS",
        "",
      ].join("\n"),
    );
    return EXIT.ok;
  },
});
