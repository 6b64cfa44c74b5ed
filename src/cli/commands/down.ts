import type { DownResult, DownTarget } from "../../ops/down.js";
import { UserError } from "../../errors.js";
import { seconds } from "../../report/format.js";
import { defineCommand, flag, value } from "../command.js";
import { parseDuration } from "../duration.js";
import { interruptible, STOP_SIGNALS, type Outcome } from "../interrupt.js";
import { ask, EXIT, printJson, styleFor, type Io } from "../io.js";
import { configInput, environment } from "../ops-input.js";
import { makeReporter } from "../progress.js";
import { STACK_OPTIONS } from "../stack-options.js";

export default defineCommand({
  name: "down",
  description: "delete everything the stack made",
  options: {
    yes: flag("-y, --yes", "do not ask for confirmation"),
    lockTimeout: value(
      "--lock-timeout <duration>",
      "wait up to this long (e.g. 30s, 2m) for the lock another run holds (default: refuse at once)",
    ),
    ...STACK_OPTIONS,
  },
  async handler(opts, io) {
    const { down } = await import("../../ops/down.js");
    const lockTimeoutMs = parseDuration(opts.lockTimeout);
    const reporter = await makeReporter(io, opts);
    const style = styleFor(io, "stderr");
    const confirm = async (
      targets: readonly DownTarget[],
      signal: AbortSignal,
    ): Promise<boolean> => {
      if (opts.yes) return true;
      const list = targets
        .map((t) => `  - ${t.label} ${t.id}${t.note ? ` (${t.note})` : ""}`)
        .join("\n");
      const data = targets.some((t) => t.holdsData) ? ", including all data in the table" : "";
      if (!io.stdin?.isTTY) {
        throw new UserError(
          `down would delete ${targets.length} resource(s)${data}; refusing without confirmation.\n${list}`,
          { hint: "Run it in a terminal to confirm, or pass --yes." },
        );
      }
      reporter.close();
      io.stderr.write(
        `This deletes ${style.bold(String(targets.length))} resource(s)${data}:\n${list}\n`,
      );
      return ask(io, "Delete them? [y/N] ", signal);
    };
    let outcome: Outcome<DownResult>;
    try {
      outcome = await interruptible(io, reporter, (signal) =>
        down(
          configInput(opts),
          { ...environment(io, reporter, signal), lockTimeoutMs },
          { confirm: (targets) => confirm(targets, signal) },
        ),
      );
    } finally {
      reporter.close();
    }
    const { value: result, stoppedBy } = outcome;
    if (opts.json) printJson(io, { command: "down", ...result });
    else printHuman(io, result);
    if (stoppedBy) return STOP_SIGNALS[stoppedBy];
    if (result.cancelled) return EXIT.error;
    return result.ok ? EXIT.ok : EXIT.error;
  },
});

function printHuman(io: Io, r: DownResult): void {
  const style = styleFor(io, "stdout");
  const w = (s = "") => io.stdout.write(`${s}\n`);
  if (r.cancelled) {
    w("Cancelled: nothing was deleted.");
    return;
  }
  if (r.interrupted) {
    w(
      `${style.yellow("!")} Interrupted after deleting ${r.deleted.length} resource(s): what is left is recorded; run down again.`,
    );
    return;
  }
  for (const k of r.kept) w(`${style.yellow("kept")} ${k.label} ${k.id}: ${k.reason}`);
  if (r.ok) {
    w(
      r.deleted.length
        ? `${style.green("✓")} Stack ${style.bold(r.stack)} removed (${r.deleted.length} resource(s) deleted) in ${seconds(r.durationMs)}.`
        : `${style.green("✓")} Nothing to delete: stack ${style.bold(r.stack)} does not exist in ${r.region}.`,
    );
    return;
  }
  w(`${style.red("✗")} Stack ${style.bold(r.stack)} was not fully removed.`);
  for (const e of r.errors) {
    io.stderr.write(`${style.red("error:")} ${e.message}\n`);
    if (e.hint) io.stderr.write(`${style.dim(e.hint)}\n`);
  }
  io.stderr.write(`${style.dim("What is left is recorded in the state file; run down again.")}\n`);
}
