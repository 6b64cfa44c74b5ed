import type { StatusResult } from "../../ops/status.js";
import { commandLine, type StackFlags } from "../../hint.js";
import { outputWidth, table, type Cell } from "../../report/format.js";
import { AUTH_CHOICES, settingFlag } from "../../settings.js";
import { defineCommand, value, valueOrOff } from "../command.js";
import { EXIT, printJson, styleFor, type Io } from "../io.js";
import { configInput, environment } from "../ops-input.js";
import { makeReporter } from "../progress.js";
import { STACK_OPTIONS } from "../stack-options.js";

export default defineCommand({
  name: "status",
  description: "show what exists and what drifted (read-only)",
  options: {
    alarmEmail: valueOrOff(
      "--alarm-email <address>",
      "compare with this address instead of the recorded one",
      { flags: "--no-alarm-email", description: "compare with no alarm notifications" },
    ),
    auth: value(
      settingFlag("auth").flags,
      `compare with this auth mode (${AUTH_CHOICES}) instead of the config file's`,
    ),
    ...STACK_OPTIONS,
  },
  async handler(opts, io) {
    const { status } = await import("../../ops/status.js");
    const reporter = await makeReporter(io, opts);
    let result: StatusResult;
    try {
      result = await status(configInput(opts), environment(io, reporter));
    } finally {
      reporter.close();
    }
    if (opts.json) printJson(io, { command: "status", ...result });
    else printHuman(io, result, configInput(opts));
    return result.inSync ? EXIT.ok : EXIT.drift;
  },
});

function printHuman(io: Io, r: StatusResult, flags: StackFlags): void {
  const style = styleFor(io, "stdout");
  const w = (s = "") => io.stdout.write(`${s}\n`);
  w(`Stack ${style.bold(r.stack)} in ${r.region} (account ${r.account}):`);
  const rows = r.resources.map((x): Cell[] => {
    const state: Cell =
      x.state === "in sync"
        ? style.green(x.state)
        : x.state === "drifted"
          ? { prefix: "drifted: ", items: x.fields, style: style.yellow }
          : style.red(x.state);
    // The id last: long ones (ARNs, S3 keys) then wrap without breaking the columns.
    return [x.label, state, x.id];
  });
  w(table([["RESOURCE", "STATE", "ID"], ...rows], { width: outputWidth(io.stdout) }));
  if (r.endpoint) w(`Endpoint: ${r.endpoint}`);
  const pending = r.domainPending;
  if (pending) {
    w(
      `${style.yellow("!")} The custom domain ${pending.name} waits for ACM to issue its certificate (${pending.certificateArn}), which it does once this record resolves: ${pending.record.name} CNAME ${pending.record.value}. Then run ${style.bold(commandLine("up", { ...flags, stage: r.stage }))}.`,
    );
  }
  const d = r.deploy;
  if (d) {
    const since = d.liveSince ? ` since ${d.liveSince}` : "";
    const before = d.previous ? ` (previous: ${d.previous})` : "";
    w(`Live version: ${style.bold(d.live)}${since}${before}`);
    if (d.split) {
      w(
        `${style.yellow("!")} A shift is in progress: ${d.split.percent} % of requests go to version ${d.split.version}; up finishes it (or takes it back on an alarm), rollback takes it back.`,
      );
    }
    if (d.rolledBack && d.rolledBack.to === d.live) {
      w(
        `${style.yellow("!")} Version ${d.rolledBack.version} was taken back at ${d.rolledBack.at} (${d.rolledBack.reason}).`,
      );
    }
  }
  w(
    r.inSync
      ? style.green("Everything is in sync.")
      : `Not in sync: run ${style.bold(commandLine("up", { ...flags, stage: r.stage }))} to converge.`,
  );
}
