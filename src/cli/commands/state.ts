import { UserError } from "../../errors.js";
import { table } from "../../report/format.js";
import { defineCommand } from "../command.js";
import { EXIT, printJson, styleFor } from "../io.js";
import { STACK_OPTIONS } from "../stack-options.js";

/** `state init s3://bucket`: the bucket a team's and CI's remote state lives in, set up right. */
export default defineCommand({
  name: "state",
  description: "state init s3://<bucket>: create (or fix) a bucket for the state in S3",
  arguments: [
    { name: "action", description: "init" },
    { name: "bucket", description: "s3://<bucket>" },
  ],
  options: {
    region: STACK_OPTIONS.region,
    profile: STACK_OPTIONS.profile,
    json: STACK_OPTIONS.json,
    verbose: STACK_OPTIONS.verbose,
    quiet: STACK_OPTIONS.quiet,
  },
  helpAfter: `
Creates the bucket, or brings an existing one to: versioning on (every earlier state can be
restored), default encryption (SSE-S3), all four Block Public Access settings, ACLs disabled
(BucketOwnerEnforced), a policy that denies requests without TLS, and tags. Each setting is
read first and changed only when it differs: running it again changes nothing. Then:
  npx serverless-automation up --state s3://<bucket>   (state key <name>/<stage>.<region>.json)
or "state": "s3://<bucket>" in serverless-automation.config.json.`,
  async handler(opts, io, args) {
    const [action = "", bucket = ""] = args;
    if (action !== "init") {
      throw new UserError(`Unknown state action "${action}".`, {
        hint: "Use `npx serverless-automation state init s3://<bucket>`.",
      });
    }
    const { stateInit } = await import("../../ops/state-init.js");
    const r = await stateInit(bucket, {
      env: io.env,
      clients: io.clients,
      region: opts.region,
      profile: opts.profile,
    });
    if (opts.json) {
      printJson(io, { command: "state init", ok: true, ...r });
      return EXIT.ok;
    }
    const style = styleFor(io, "stdout");
    const w = (s: string) => io.stdout.write(`${s}\n`);
    w(
      `${style.green("✓")} State bucket ${style.bold(r.bucket)} in ${r.region}: ${r.created ? "created" : r.changes ? `${r.changes} setting(s) fixed` : "already set up, nothing changed"}.`,
    );
    if (!opts.quiet) {
      w(
        table(
          r.settings.map((s) => [
            s.name,
            s.changed ? style.yellow("set") : style.dim("ok"),
            s.value,
          ]),
        ),
      );
      w(
        `Use it with --state ${r.state} (or "state": "${r.state}" in serverless-automation.config.json).`,
      );
    }
    return EXIT.ok;
  },
});
