import path from "node:path";
import { configFileArg, loadConfigFile } from "../../config-file.js";
import { resolveStage, validateSettings } from "../../config.js";
import { UserError } from "../../errors.js";
import { defineCommand, flag, value } from "../command.js";
import { onStopSignal } from "../interrupt.js";
import type { Clients } from "../../aws/clients.js";
import { EXIT, styleFor, type Io } from "../io.js";

/**
 * Serves the handler locally against an embedded DynamoDB until interrupted, with the stage's
 * settings from the config file, so that it answers as what `up` would deploy.
 */
export default defineCommand({
  name: "dev",
  description: "run the API locally against an in-memory DynamoDB (no AWS account needed)",
  options: {
    port: value("--port <port>", "port to listen on (0 picks a free one)", "3000"),
    host: value("--host <host>", "address to listen on", "127.0.0.1"),
    data: value("--data <dir>", "keep the table's data in this directory between runs"),
    stage: value(
      "-s, --stage <name>",
      "serve this stage's settings from the config file, as up would deploy them (default: SERVERLESS_AUTOMATION_STAGE or production)",
    ),
    config: value(
      "-c, --config <file>",
      "config file (default: ./serverless-automation.config.json)",
    ),
    envFile: value(
      "--env-file <file>",
      "take the values of the config's secrets from this file of KEY=VALUE lines (default: .env when there is one)",
    ),
    remoteSecrets: flag(
      "--remote-secrets",
      "read the secrets neither the environment nor the env file has from AWS, with your credentials",
    ),
    quiet: flag("-q, --quiet", "do not print request logs"),
    json: flag("--json", "when ready, print one JSON line on stdout (url, stage, routes…)"),
  },
  async handler(opts, io) {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UserError(`Invalid port "${opts.port}".`, {
        hint: "Pass --port with a number from 0 to 65535.",
      });
    }
    // Found and validated exactly as up does (config-file.ts, config.ts); no region needed here.
    const stage = resolveStage({ stage: opts.stage }, io.env);
    const file = await loadConfigFile(io.cwd, configFileArg(opts.config, io.env), stage);
    const settings = validateSettings(file?.settings ?? {}, file?.origins);
    const configPath = opts.config ?? (io.env.SERVERLESS_AUTOMATION_CONFIG || undefined);
    const style = styleFor(io, "stderr");
    const secrets = await devSecrets(settings.secrets, opts, io, file?.region);
    const { startDevServer } = await import("../../dev/server.js");
    let server;
    try {
      server = await startDevServer({
        port,
        host: opts.host,
        dataDir: opts.data ? path.resolve(io.cwd, opts.data) : undefined,
        stage,
        settings,
        secretValues: secrets.values,
        log: opts.quiet ? undefined : (line) => io.stderr.write(`${style.dim(line)}\n`),
        notice: (line) => io.stderr.write(`${line}\n`),
        // Routes added or removed take effect on save, as the handler's code does.
        ...(file
          ? {
              config: {
                file: file.file,
                load: async () => {
                  const next = await loadConfigFile(io.cwd, configPath, stage);
                  return validateSettings(next?.settings ?? {}, next?.origins);
                },
              },
            }
          : {}),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new UserError(`Port ${port} on ${opts.host} is already in use.`, {
          hint: "Stop what is using it, or pass another --port (0 picks a free one).",
        });
      }
      throw err;
    }
    if (opts.json) {
      // One line, so that a script can read it and go on while dev keeps serving.
      const ready = {
        command: "dev",
        ok: true,
        url: server.url,
        stage,
        config: file ? file.file : null,
        data: opts.data ? path.resolve(io.cwd, opts.data) : null,
        routes: server.routes,
      };
      io.stdout.write(`${JSON.stringify(ready)}\n`);
    }
    const from = file
      ? `settings from ${path.relative(io.cwd, file.file) || file.file}`
      : "default settings";
    const data = opts.data ? `data in ${opts.data}` : "in-memory DynamoDB";
    // With --json, stdout holds the one JSON line; the words go to stderr.
    const say = opts.json ? io.stderr : io.stdout;
    say.write(
      `Local API on ${style.bold(server.url)} (stage ${stage}, ${from}, ${data}). Ctrl-C to stop.\n`,
    );
    if (settings.handler !== undefined) {
      const entry = path.relative(io.cwd, settings.handler) || settings.handler;
      say.write(
        `Serving ${entry} (rebuilt and reloaded when its sources change): ${server.routes.join(", ")}\n`,
      );
    }
    const names = Object.keys(secrets.sources);
    if (names.length > 0) {
      const where = (n: string) =>
        secrets.sources[n] === "env file"
          ? path.relative(io.cwd, secrets.envFile ?? "") || ".env"
          : `the ${secrets.sources[n]!}`.replace("the AWS", "AWS");
      const resolved = names.filter((n) => secrets.sources[n] !== "unresolved");
      if (resolved.length > 0) {
        say.write(`Secrets: ${resolved.map((n) => `${n} from ${where(n)}`).join(", ")}\n`);
      }
    }
    if (secrets.unresolved.length > 0) {
      io.stderr.write(
        `${style.yellow("warning:")} secrets not resolved: ${secrets.unresolved.map((n) => `${n} (${settings.secrets[n]!})`).join(", ")}. Set ${secrets.unresolved.length === 1 ? "it" : "them"} in the environment or in ${opts.envFile ?? ".env"}${opts.remoteSecrets ? "" : ", or pass --remote-secrets to read them from AWS"}; until then the handler's getSecret throws for ${secrets.unresolved.length === 1 ? "it" : "them"}.\n`,
      );
    }
    if (!isLoopback(opts.host)) {
      // dev checks no credentials: on another address, anyone who can reach it has the table.
      io.stderr.write(
        `${style.yellow("warning:")} ${opts.host} is not a loopback address: anyone who can reach this machine can read and change the local table, with no authentication. Use --host 127.0.0.1 unless you mean it.\n`,
      );
    }
    // Stopping is how dev ends: any stop signal (Ctrl-C, SIGTERM, a closed terminal) ends it, exit 0.
    let offSignals = () => {};
    await new Promise<void>((resolve) => {
      offSignals = onStopSignal(io, () => resolve());
    });
    offSignals();
    await server.close();
    return EXIT.ok;
  },
});

/**
 * The secrets' values for dev: from the environment or the env file; from AWS only with
 * --remote-secrets, in the stage's region, with the caller's credentials.
 */
async function devSecrets(
  secrets: Readonly<Record<string, string>>,
  opts: { envFile?: string | undefined; remoteSecrets: boolean },
  io: Io,
  fileRegion: string | undefined,
) {
  const { resolveDevSecrets } = await import("../../dev/secrets.js");
  let remote: Pick<Clients, "ssm" | "secretsmanager"> | undefined;
  let made: Clients | undefined;
  if (opts.remoteSecrets && Object.keys(secrets).length > 0) {
    if (io.clients) remote = io.clients;
    else {
      const region = io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || fileRegion;
      if (!region) {
        throw new UserError("--remote-secrets needs a region to read the secrets from.", {
          hint: 'Set AWS_REGION, or "region" in the config file.',
        });
      }
      const { clientsFor } = await import("../../aws/clients.js");
      remote = made = await clientsFor({ region, profile: io.env.AWS_PROFILE || undefined }, [
        "ssm",
        "secretsmanager",
      ]);
    }
  }
  try {
    return await resolveDevSecrets(secrets, {
      env: io.env,
      cwd: io.cwd,
      envFile: opts.envFile,
      ...(remote ? { remote } : {}),
    });
  } finally {
    // Read once at start: their sockets would otherwise outlive the reads.
    if (made) (await import("../../aws/clients.js")).destroyClients(made);
  }
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
