import { outputs, type OutputsResult } from "../../ops/outputs.js";
import { table } from "../../report/format.js";
import { EXIT, type GlobalOptions, type Io } from "../main.js";
import { configInput, printJson } from "../output.js";

/** Prints what the last `up` recorded: endpoint and resource names. No AWS call. */
export default async function outputsCommand(opts: GlobalOptions, io: Io): Promise<number> {
  const result = await outputs(configInput(opts), io);
  if (opts.json) printJson(io, { command: "outputs", ...result });
  else printHuman(io, result);
  return EXIT.ok;
}

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
