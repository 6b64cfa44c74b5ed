import path from "node:path";
import { UserError } from "../../engine/errors.js";
import { startDevServer } from "../../dev/server.js";
import { EXIT, styleFor, type Io } from "../main.js";

export interface DevOptions {
  port: string;
  host: string;
  data?: string;
  quiet: boolean;
}

/** Serves the handler locally against an embedded DynamoDB until interrupted. */
export default async function devCommand(opts: DevOptions, io: Io): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`Invalid port "${opts.port}".`, {
      hint: "Pass --port with a number from 0 to 65535.",
    });
  }
  const style = styleFor(io, "stderr");
  let server;
  try {
    server = await startDevServer({
      port,
      host: opts.host,
      dataDir: opts.data ? path.resolve(io.cwd, opts.data) : undefined,
      log: opts.quiet ? undefined : (line) => io.stderr.write(`${style.dim(line)}\n`),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new UserError(`Port ${port} on ${opts.host} is already in use.`, {
        hint: "Stop what is using it, or pass another --port (0 picks a free one).",
      });
    }
    throw err;
  }
  io.stdout.write(
    `Local API on ${style.bold(server.url)} (${opts.data ? `data in ${opts.data}` : "in-memory DynamoDB"}). Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    if (io.signal) {
      if (io.signal.aborted) return resolve();
      io.signal.addEventListener("abort", stop, { once: true });
    } else {
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    }
  });
  await server.close();
  return EXIT.ok;
}
