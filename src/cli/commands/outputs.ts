import type { OutputsResult } from "../../ops/outputs.js";
import { table } from "../../report/format.js";
import { defineCommand } from "../command.js";
import { EXIT, printJson, type Io } from "../io.js";
import { configInput } from "../ops-input.js";
import { STACK_OPTIONS } from "../stack-options.js";

/** Prints what the last `up` recorded: endpoint and resource names. No AWS call. */
export default defineCommand({
  name: "outputs",
  description: "print the endpoint and resource names from the state file (no AWS call)",
  options: STACK_OPTIONS,
  async handler(opts, io) {
    const { outputs } = await import("../../ops/outputs.js");
    const result = await outputs(configInput(opts), io);
    if (opts.json) printJson(io, { command: "outputs", ...result });
    else printHuman(io, result);
    return EXIT.ok;
  },
});

function printHuman(io: Io, r: OutputsResult): void {
  const n = r.alarmNotifications;
  const rows: [string, string | null][] = [
    ["endpoint", r.endpoint],
    ["stack", r.stack],
    ["stage", r.stage],
    ["region", r.region],
    ["account", r.account],
    ["table", r.table],
    ["function", r.function],
    ["bucket", r.bucket],
    ["logGroup", r.logGroup],
    ["alarmTopic", r.alarmTopic],
    ["alarmEmail", n && (n.status === "confirmed" ? n.email : `${n.email} (${n.status})`)],
  ];
  // Unset values print as "-" so every line keeps two columns for `awk '{print $2}'`.
  io.stdout.write(`${table(rows.map(([k, v]) => [k, v ?? "-"]))}\n`);
}
