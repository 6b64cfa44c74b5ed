import type { RowAction, UpResult } from "../../ops/up.js";
import { outputWidth, seconds, table } from "../../report/format.js";
import { commandLine, type StackFlags } from "../../hint.js";
import { exampleRequest } from "../../routes.js";
import { settingFlag } from "../../settings.js";
import { defineCommand, flag, off, value, valueOrOff } from "../command.js";
import { parseDuration } from "../duration.js";
import { interruptible, STOP_SIGNALS, type Outcome } from "../interrupt.js";
import { EXIT, printJson, styleFor, type Io } from "../io.js";
import { configInput, environment } from "../ops-input.js";
import { makeReporter } from "../progress.js";
import { STACK_OPTIONS } from "../stack-options.js";

const [ALARM_EMAIL, AUTH] = [settingFlag("alarmEmail"), settingFlag("auth")];

export default defineCommand({
  name: "up",
  description: "create or update every resource of the stack, idempotently",
  options: {
    dryRun: flag("--dry-run", "print the plan and change nothing"),
    noBake: off(
      "--no-bake",
      "a new version takes all the traffic at once, without the shift the deploy setting asks for",
    ),
    out: value(
      "--out <file>",
      "with --dry-run: also write the plan to this file, for up --plan to apply exactly",
    ),
    plan: value(
      "--plan <file>",
      "apply exactly the plan in this file (from up --dry-run --out); refused, changing nothing, if the stack, its configuration, its state or any resource it read changed since",
    ),
    lockTimeout: value(
      "--lock-timeout <duration>",
      "wait up to this long (e.g. 30s, 2m) for the lock another run holds (default: refuse at once)",
    ),
    alarmEmail: valueOrOff(ALARM_EMAIL.flags, ALARM_EMAIL.help, {
      flags: "--no-alarm-email",
      description: "stop alarm notifications: remove the subscription, topic and key",
    }),
    auth: value(AUTH.flags, AUTH.help),
    ...STACK_OPTIONS,
  },
  async handler(opts, io) {
    const lockTimeoutMs = parseDuration(opts.lockTimeout);
    const { up } = await import("../../ops/up.js");
    const reporter = await makeReporter(io, opts);
    let outcome: Outcome<UpResult>;
    try {
      outcome = await interruptible(io, reporter, (signal) =>
        up(
          configInput(opts),
          { ...environment(io, reporter, signal), lockTimeoutMs },
          { dryRun: opts.dryRun, out: opts.out, plan: opts.plan, noBake: opts.noBake },
        ),
      );
    } finally {
      reporter.close();
    }
    const { value: result, stoppedBy } = outcome;
    if (opts.json) {
      printJson(io, { command: "up", ...result });
    } else {
      printHuman(io, result, opts.quiet, configInput(opts));
    }
    if (stoppedBy) return STOP_SIGNALS[stoppedBy];
    return result.ok ? EXIT.ok : EXIT.error;
  },
});

function printHuman(io: Io, r: UpResult, quiet: boolean, flags: StackFlags): void {
  const style = styleFor(io, "stdout");
  const w = (s = "") => io.stdout.write(`${s}\n`);
  if (r.dryRun) {
    w(`Plan for ${style.bold(r.stack)} in ${r.region} (account ${r.account}):`);
    w(
      table(
        r.resources.map((x) => [
          x.action === "noop" ? style.dim("noop") : style.yellow(x.action),
          x.label,
          x.action === "update" ? { items: x.fields } : "",
          x.id,
        ]),
        { width: outputWidth(io.stdout) },
      ),
    );
    const changes = r.resources.filter((x) => x.action !== "noop").length;
    if (r.planFile) {
      w(`${changes ? `${changes} change(s)` : "No changes"}; the plan is in ${r.planFile.path}.`);
      w(`Apply exactly this plan with ${style.bold(r.planFile.apply)}`);
    } else {
      w(changes ? `${changes} change(s); run without --dry-run to apply.` : "No changes.");
    }
    printWarnings(io, r, quiet);
    return;
  }
  const count = (a: RowAction) => r.resources.filter((x) => x.action === a).length;
  const summary = [
    ["created", count("create")],
    ["updated", count("update")],
    ["deleted", count("delete")],
    ["unchanged", count("noop")],
  ]
    .filter(([, n]) => n)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  if (r.interrupted) {
    w(
      `${style.yellow("!")} Interrupted (${summary}): what was made is recorded; run up again to finish.`,
    );
  } else if (r.ok) {
    const applied = r.appliedPlan ? `, as the plan ${r.appliedPlan} said` : "";
    w(
      `${style.green("✓")} Stack ${style.bold(r.stack)} is up to date in ${r.region} (${summary}) in ${seconds(r.durationMs)}${applied}.`,
    );
  } else {
    w(`${style.red("✗")} Stack ${style.bold(r.stack)} is not complete (${summary}).`);
    for (const e of r.errors) {
      io.stderr.write(`${style.red("error:")} ${e.message}\n`);
      if (e.hint) io.stderr.write(`${style.dim(e.hint)}\n`);
    }
    io.stderr.write(
      `${style.dim("Everything made so far is recorded in the state file; fix the cause and run up again.")}\n`,
    );
  }
  if (r.endpoint) w(`Endpoint: ${style.bold(r.endpoint)}`);
  if (r.defaultEndpoint && r.endpoint !== r.defaultEndpoint) {
    w(
      r.disabledDefault
        ? `The execute-api address is turned off (domain.disableDefaultEndpoint): every call goes through ${r.endpoint}.`
        : `Also at ${r.defaultEndpoint} (set domain.disableDefaultEndpoint to turn it off).`,
    );
  }
  if (r.domainTarget) {
    w(
      `Point ${r.domainTarget.name} at ${style.bold(r.domainTarget.target)} in its DNS (a CNAME, or A and AAAA aliases in Route 53); with domain.hostedZoneId the stack writes them itself.`,
    );
  }
  const pending = r.domainPending;
  if (pending) {
    w(
      `${style.yellow("!")} The custom domain ${style.bold(pending.name)} waits for its certificate. Add this record to the domain's DNS:`,
    );
    w(`    ${pending.record.name} CNAME ${pending.record.value}`);
    w(
      `  ACM issues the certificate once the record resolves (usually minutes, up to 30 once it does); then run ${style.bold(commandLine("up", flags))} again to make the domain name, its mapping and records. ${commandLine("status", flags)} says whether it is issued.`,
    );
  }
  // Advice, not the result: --quiet leaves it out.
  if (r.endpoint && !quiet && r.auth !== "none") {
    // The flags that found this stack, so that the command reaches it (a state in S3…).
    const example = commandLine(`request ${exampleRequest(r.routes)}`, flags);
    const tryIt = style.bold(example);
    w(
      r.auth === "iam"
        ? `Callers sign their requests (SigV4, execute-api:Invoke on this API); try ${tryIt}`
        : r.auth === "cognito"
          ? `Callers send an ID token from the Cognito user pool (Authorization header); try ${style.bold(`SERVERLESS_AUTOMATION_TOKEN="$ID_TOKEN" ${example}`)}`
          : `Callers send an API key (x-api-key); try ${tryIt}, or print the key with ${style.bold(commandLine("outputs --show-api-key", flags))}`,
    );
  }
  const n = r.alarmNotifications;
  if (!n) {
    // Advice, not the result: --quiet leaves it out.
    if (!quiet) {
      w(
        `${style.yellow("!")} The alarms notify nobody: pass ${style.bold("--alarm-email you@example.com")} to get an e-mail when they fire.`,
      );
    }
  } else if (n.status === "confirmed") {
    w(`Alarm e-mails go to ${n.email}.`);
  } else if (n.status === "pending confirmation") {
    w(
      `${style.yellow("!")} Alarm e-mails go to ${n.email} once confirmed: check your inbox to confirm the subscription.`,
    );
  }
  printWarnings(io, r, quiet);
}

function printWarnings(io: Io, r: UpResult, quiet: boolean): void {
  const style = styleFor(io, "stderr");
  for (const warning of r.warnings) io.stderr.write(`${style.yellow("warning:")} ${warning}\n`);
  if (quiet) return;
  for (const line of r.advice) io.stderr.write(`${style.dim(`note: ${line}`)}\n`);
}
