import type { RollbackResult } from "../../ops/rollback.js";
import { defineCommand, flag, value } from "../command.js";
import { EXIT, printJson, styleFor, type Io } from "../io.js";
import { configInput, environment } from "../ops-input.js";
import { makeReporter } from "../progress.js";
import { STACK_OPTIONS } from "../stack-options.js";

export default defineCommand({
  name: "rollback",
  description:
    "send all of the API's traffic back to the version of the function before (or --to VERSION), in one call",
  options: {
    to: value("--to <version>", "the published version to go back to (default: the one before)"),
    dryRun: flag("--dry-run", "say what would change and change nothing"),
    ...STACK_OPTIONS,
  },
  async handler(opts, io) {
    const { rollback } = await import("../../ops/rollback.js");
    const reporter = await makeReporter(io, opts);
    let result: RollbackResult;
    try {
      result = await rollback(configInput(opts), environment(io, reporter), {
        to: opts.to,
        dryRun: opts.dryRun,
      });
    } finally {
      reporter.close();
    }
    if (opts.json) printJson(io, { command: "rollback", ...result });
    else printHuman(io, result);
    return EXIT.ok;
  },
});

function printHuman(io: Io, r: RollbackResult): void {
  const style = styleFor(io, "stdout");
  const split = r.clearedSplit
    ? ` (and the ${r.clearedSplit.replace(":", " at ")} % shift ends)`
    : "";
  if (!r.changed) {
    io.stdout.write(
      `Version ${r.to} already has all the traffic of ${r.functionName}:${r.alias}.\n`,
    );
  } else if (r.dryRun) {
    io.stdout.write(
      `Would send all the traffic of ${r.functionName}:${r.alias} from version ${r.from} to version ${r.to}${split}; nothing was changed.\n`,
    );
  } else {
    io.stdout.write(
      `${style.green("✓")} All the traffic of ${style.bold(`${r.functionName}:${r.alias}`)} goes to version ${r.to} (was ${r.from})${split}. up keeps it there until the code or configuration changes.\n`,
    );
  }
}
