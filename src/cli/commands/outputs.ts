import type { OutputsResult } from "../../ops/outputs.js";
import { commandLine } from "../../hint.js";
import { table } from "../../report/format.js";
import { UserError } from "../../errors.js";
import { defineCommand, flag } from "../command.js";
import { EXIT, printJson, type Io } from "../io.js";
import { configInput } from "../ops-input.js";
import { STACK_OPTIONS } from "../stack-options.js";

/** Prints what the last `up` recorded: endpoint and resource names. No AWS call. */
export default defineCommand({
  name: "outputs",
  description:
    "print the endpoint and resource names from the state (no AWS call with a state file)",
  options: {
    showApiKey: flag(
      "--show-api-key",
      "also print the API key's value (auth api-key), read from API Gateway: one AWS call",
    ),
    ...STACK_OPTIONS,
  },
  async handler(opts, io) {
    const { outputs } = await import("../../ops/outputs.js");
    const result = await outputs(configInput(opts), io);
    let apiKey: string | undefined;
    if (opts.showApiKey) {
      if (!result.apiKeyId) {
        throw new UserError(`The stack ${result.stack} has no API key.`, {
          hint: `Only a stack deployed with auth "api-key" has one (\`${commandLine("up --auth api-key", configInput(opts))}\`).`,
        });
      }
      const { apiKeyValue } = await import("../../ops/outputs.js");
      apiKey = await apiKeyValue(result, io.clients, io.env, opts.profile);
    }
    if (opts.json) {
      printJson(io, { command: "outputs", ...result, ...(apiKey ? { apiKey } : {}) });
    } else printHuman(io, result, apiKey);
    return EXIT.ok;
  },
});

function printHuman(io: Io, r: OutputsResult, apiKey: string | undefined): void {
  const n = r.alarmNotifications;
  const rows: [string, string | null][] = [
    ["endpoint", r.endpoint],
    ["defaultEndpoint", r.defaultEndpoint],
    ["domain", r.domain],
    ["stack", r.stack],
    ["stage", r.stage],
    ["region", r.region],
    ["account", r.account],
    ["table", r.table],
    ["function", r.function],
    ["bucket", r.bucket],
    ["logGroup", r.logGroup],
    ["alarmTopic", r.alarmTopic],
    ["apiKeyId", r.apiKeyId],
    ...(apiKey ? [["apiKey", apiKey] as [string, string]] : []),
    // As --json names it.
    ["alarmNotifications", n && (n.status === "confirmed" ? n.email : `${n.email} (${n.status})`)],
  ];
  // Unset values print as "-" so every line keeps two columns for `awk '{print $2}'`.
  io.stdout.write(`${table(rows.map(([k, v]) => [k, v ?? "-"]))}\n`);
}
