import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands/index.js";
import { handleError, jsonCommandName, jsonError } from "./errors.js";
import { dropWritesOnceClosed, EXIT, type Io } from "./io.js";

const VERSION = "0.1.0";

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
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
  // The command being parsed or run: its options say how an error is shown.
  let active: Command = program;
  program.hook("preSubcommand", (_program, sub) => {
    active = sub;
  });
  for (const command of COMMANDS) {
    const cmd = command.addTo(program);
    cmd.action(async () => {
      exitCode = await command.run(cmd, io);
    });
  }

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (err) {
    const json = active.getOptionValue("json") === true;
    const command = active === program ? undefined : jsonCommandName(active.name(), active.args);
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
      // The usage error is on stderr already; --json still gets its one document on stdout,
      // also where the command has no --json or parsing stopped before it: then commander
      // leaves it among the arguments it could not place.
      if (json || active.args.includes("--json")) {
        const message = err.message.replace(/^error: /, "");
        io.stdout.write(
          `${JSON.stringify(jsonError(command, message, "Run with --help for usage."), null, 2)}\n`,
        );
      }
      return EXIT.error;
    }
    return handleError(err, io, {
      json,
      verbose: active.getOptionValue("verbose") === true,
      command,
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
