import { defineCommand } from "../command.js";
import { EXIT, printJson, styleFor } from "../io.js";
import { configInput } from "../ops-input.js";
import { STACK_OPTIONS } from "../stack-options.js";

/** Removes a lock left in S3 by a run that died; the refusal of the next run names its id. */
export default defineCommand({
  name: "unlock",
  description: "remove the lock a dead run left on the state in S3 (only the lock with this id)",
  arguments: [{ name: "lock-id", description: "the id the refusal named" }],
  options: { ...STACK_OPTIONS },
  helpAfter: `
A run holding the lock that was killed (or whose machine was lost) leaves its lock behind; the
next run refuses and names it. Check that the run is really gone, then:
  npx serverless-automation unlock 1a2b3c4d5e6f --state s3://my-team-state`,
  async handler(opts, io, args) {
    const { unlock } = await import("../../ops/unlock.js");
    const r = await unlock(configInput(opts), io, args[0] ?? "");
    if (opts.json) {
      printJson(io, { command: "unlock", ok: true, state: r.state, lock: r.lock });
    } else {
      const style = styleFor(io, "stdout");
      io.stdout.write(
        `${style.green("✓")} Removed the lock ${r.lock.id} on ${r.state}, held by ${r.lock.who} (${r.lock.command}, started ${r.lock.startedAt}).\n`,
      );
    }
    return EXIT.ok;
  },
});
