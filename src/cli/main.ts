import { Command, CommanderError, Option } from "commander";
import type { Clients } from "../aws/clients.js";
import type { Timing, TraceEvent } from "../engine/types.js";
import { COLOR, PLAIN, useColor, type Style } from "../report/format.js";
import type { Sink } from "../report/plain.js";
import { handleError } from "./errors.js";
import { dropWritesOnceClosed } from "./streams.js";

/** Everything main() touches outside itself, so tests can drive it end to end. */
export interface Io {
  readonly stdout: Sink & { isTTY?: boolean; columns?: number };
  readonly stderr: Sink & { isTTY?: boolean; columns?: number };
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** Test hooks. */
  readonly clients?: Clients;
  readonly timing?: Timing;
  readonly concurrency?: number;
  readonly handlerEntry?: string;
  /** Stops long-running commands (dev) in tests; otherwise SIGINT/SIGTERM do. */
  readonly signal?: AbortSignal;
  /** Aborted when stdout's reader has gone (`| head`): a command that only prints stops. */
  readonly stdoutClosed?: AbortSignal;
  /** Receives per-resource timings (benchmarks). */
  readonly trace?: (event: TraceEvent) => void;
}

export interface GlobalOptions {
  stage?: string;
  config?: string;
  region?: string;
  profile?: string;
  state?: string;
  json: boolean;
  verbose: boolean;
  quiet: boolean;
}

export const EXIT = { ok: 0, error: 1, drift: 2, interrupted: 130 } as const;

const VERSION = "0.1.0";

// Each command declares its own options type; commander hands them over untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type CommandModule = { default: (opts: any, io: Io) => Promise<number> };
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  up: () => import("./commands/up.js"),
  status: () => import("./commands/status.js"),
  down: () => import("./commands/down.js"),
  dev: () => import("./commands/dev.js"),
  outputs: () => import("./commands/outputs.js"),
  logs: () => import("./commands/logs.js"),
};

function addGlobalOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        "-s, --stage <name>",
        "stage to work on (default: SERVERLESS_AUTOMATION_STAGE or production)",
      ),
    )
    .addOption(new Option("-r, --region <region>", "AWS region (default: AWS_REGION)"))
    .addOption(new Option("-p, --profile <name>", "AWS profile (default: AWS_PROFILE)"))
    .addOption(
      new Option("--state <file>", "state file (default: .serverless-automation/<stage>.json)"),
    )
    .addOption(
      new Option(
        "-c, --config <file>",
        "config file (default: ./serverless-automation.config.json)",
      ),
    )
    .addOption(
      new Option("--json", "print one JSON document on stdout; progress on stderr").default(false),
    )
    .addOption(
      new Option("-v, --verbose", "show every step and stack traces of unexpected errors").default(
        false,
      ),
    )
    .addOption(new Option("-q, --quiet", "print only the result and errors").default(false));
}

export function styleFor(io: Io, stream: "stdout" | "stderr"): Style {
  return useColor(io[stream].isTTY === true, io.env) ? COLOR : PLAIN;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
  let json = argv.includes("--json");
  const program = new Command()
    .name("serverless-automation")
    .description(
      "Provision a serverless stack on AWS (S3, DynamoDB, Lambda, API Gateway, CloudWatch) " +
        "directly through the AWS SDK: idempotent up, honest status, complete down.",
    )
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s),
    });

  const run =
    (name: string) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.opts();
      json = opts.json === true;
      // Loaded on demand so --help never loads the AWS SDK.
      const command = await (COMMANDS[name] as () => Promise<CommandModule>)();
      exitCode = await command.default(opts, io);
    };

  addGlobalOptions(
    program
      .command("up")
      .description("create or update every resource of the stack, idempotently")
      .option("--dry-run", "print the plan and change nothing", false)
      .option(
        "--alarm-email <address>",
        "send alarm notifications to this address (remembered for later runs)",
      )
      .option(
        "--no-alarm-email",
        "stop alarm notifications: remove the subscription, topic and key",
      ),
  ).action(run("up"));
  addGlobalOptions(
    program
      .command("status")
      .description("show what exists and what drifted (read-only)")
      .option("--alarm-email <address>", "compare with this address instead of the recorded one")
      .option("--no-alarm-email", "compare with no alarm notifications"),
  ).action(run("status"));
  addGlobalOptions(
    program
      .command("down")
      .description("delete everything the stack made")
      .option("-y, --yes", "do not ask for confirmation", false),
  ).action(run("down"));

  addGlobalOptions(
    program
      .command("outputs")
      .description("print the endpoint and resource names from the state file (no AWS call)"),
  ).action(run("outputs"));
  addGlobalOptions(
    program
      .command("logs")
      .description("print the function's log events; --follow keeps printing new ones")
      .option("-f, --follow", "keep polling for new events (every 2 s) until Ctrl-C", false)
      .option("--since <when>", "how far back: 30s, 10m, 2h, 1d or an ISO timestamp", "10m")
      .option(
        "--filter <pattern>",
        "a CloudWatch Logs filter pattern, e.g. ERROR or '{ $.status >= 500 }'",
      )
      .addHelpText(
        "after",
        "\nWith --json: one JSON array of events; with --follow --json, one JSON object per line (NDJSON).",
      ),
  ).action(run("logs"));

  program
    .command("dev")
    .description("run the API locally against an in-memory DynamoDB (no AWS account needed)")
    .option("--port <port>", "port to listen on (0 picks a free one)", "3000")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--data <dir>", "keep the table's data in this directory between runs")
    .option(
      "-s, --stage <name>",
      "serve this stage's settings from the config file, as up would deploy them (default: SERVERLESS_AUTOMATION_STAGE or production)",
    )
    .option("-c, --config <file>", "config file (default: ./serverless-automation.config.json)")
    .option("-q, --quiet", "do not print request logs", false)
    .action(run("dev"));

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here too.
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help"
      ) {
        return EXIT.ok;
      }
      if (err.code === "commander.executeSubCommandAsync") return EXIT.ok;
      // The usage error is on stderr already; --json still gets its one document on stdout.
      if (json) {
        const message = err.message.replace(/^error: /, "");
        io.stdout.write(
          `${JSON.stringify({ ok: false, error: { message, hint: "Run with --help for usage." } }, null, 2)}\n`,
        );
      }
      return EXIT.error;
    }
    return handleError(err, io, {
      json,
      verbose: argv.includes("--verbose") || argv.includes("-v"),
    });
  }
}

/**
 * The bin shim's entry: real process streams, exit code on the process. `hooks` are main()'s
 * test hooks (a fake AWS), so tests can run the real entry in a child process or a pty.
 */
export async function run(
  argv: readonly string[],
  hooks: Pick<Io, "clients" | "timing" | "concurrency" | "handlerEntry"> = {},
): Promise<void> {
  quietNodeVersionNotice();
  const stdoutClosed = new AbortController();
  dropWritesOnceClosed(process.stdout, () => stdoutClosed.abort());
  dropWritesOnceClosed(process.stderr);
  const code = await main(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    stdoutClosed: stdoutClosed.signal,
    ...hooks,
  });
  process.exitCode = code;
}

/**
 * The SDK warns on every run that its 2027 releases will need Node 22. This tool supports
 * Node 20 today (package.json engines), so the notice is off unless the user set the variable.
 */
function quietNodeVersionNotice(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}
