import type { Clients } from "../../src/aws/clients.js";
import { main } from "../../src/cli/main.js";

/** `serverless-automation dev …` through the real main(), until it prints its URL or ends. */
export async function dev(
  argv: string[],
  options: { cwd: string; env?: Record<string, string>; clients?: Clients },
) {
  let stdout = "";
  let stderr = "";
  const stop = new AbortController();
  let ended = false;
  const running = main(["dev", "--port", "0", ...argv], {
    stdout: { write: (s: string) => void (stdout += s) },
    stderr: { write: (s: string) => void (stderr += s) },
    env: options.env ?? {},
    cwd: options.cwd,
    signal: stop.signal,
    ...(options.clients ? { clients: options.clients } : {}),
  }).finally(() => {
    ended = true;
  });
  for (let i = 0; i < 200 && !ended && !/http:\/\/\S+/.test(stdout); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = /http:\/\/[^\s)]+/.exec(stdout)?.[0];
  return {
    url,
    get stderr() {
      return stderr;
    },
    get stdout() {
      return stdout;
    },
    /** Stops it (Ctrl-C) if it is still serving; resolves with the exit code. */
    async end(): Promise<number> {
      stop.abort();
      return running;
    },
  };
}
