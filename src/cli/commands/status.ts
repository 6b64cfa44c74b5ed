import { status, type StatusResult } from "../../ops/status.js";
import { table } from "../../report/format.js";
import { EXIT, styleFor, type GlobalOptions, type Io } from "../main.js";
import { configInput, environment, makeReporter, printJson } from "../output.js";

export default async function statusCommand(opts: GlobalOptions, io: Io): Promise<number> {
  const reporter = await makeReporter(io, opts);
  let result: StatusResult;
  try {
    result = await status(configInput(opts), environment(io, reporter));
  } finally {
    reporter.close();
  }
  if (opts.json) printJson(io, { command: "status", ...result });
  else printHuman(io, result);
  return result.inSync ? EXIT.ok : EXIT.drift;
}

function printHuman(io: Io, r: StatusResult): void {
  const style = styleFor(io, "stdout");
  const w = (s = "") => io.stdout.write(`${s}\n`);
  w(`Stack ${style.bold(r.stack)} in ${r.region} (account ${r.account}):`);
  const rows = r.resources.map((x) => {
    const state =
      x.state === "in sync"
        ? style.green(x.state)
        : x.state === "drifted"
          ? style.yellow(`drifted: ${x.fields.join(", ")}`)
          : style.red(x.state);
    // The id last: long ones (ARNs, S3 keys) then wrap without breaking the columns.
    return [x.label, state, x.id];
  });
  w(table([["RESOURCE", "STATE", "ID"], ...rows]));
  if (r.endpoint) w(`Endpoint: ${r.endpoint}`);
  w(
    r.inSync
      ? style.green("Everything is in sync.")
      : `Not in sync: run ${style.bold(`serverless-automation up --stage ${r.stage}`)} to converge.`,
  );
}
