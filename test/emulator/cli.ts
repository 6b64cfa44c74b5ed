import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(ROOT, "bin/serverless-automation.js");

/** Credentials the emulator accepts; the SDK's standard chain finds them in the environment. */
export const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_REGION: "us-east-1",
};

/**
 * The environment a user pointing the tool at an AWS-compatible endpoint would have; waits
 * scaled down because the emulator's resources settle at once (the logic is unchanged).
 */
export function cliEnv(endpoint: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: os.tmpdir(),
    ...CREDENTIALS,
    AWS_ENDPOINT_URL: endpoint,
    AWS_CONFIG_FILE: path.join(os.tmpdir(), "sa-no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), "sa-no-aws-credentials"),
    SERVERLESS_AUTOMATION_WAIT_SCALE: "0.02",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    CI: "true",
    NO_COLOR: "1",
    ...extra,
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The built CLI in a child process, as a user runs it. */
export function runBin(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  onStart?: (child: ChildProcess) => void,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart?.(child);
  });
}

/**
 * The same CLI in this process: main(argv) with real SDK clients over HTTP, built from the
 * environment as the binary builds them. Faster; used for the many runs of the fault suite.
 * `handlerEntry` swaps the bundled handler (to make a code change).
 */
export async function runMain(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  hooks: { handlerEntry?: string; concurrency?: number } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (s: string) => void (stdout += s) },
    stderr: { write: (s: string) => void (stderr += s) },
    env,
    cwd,
    ...(hooks.handlerEntry ? { handlerEntry: hooks.handlerEntry } : {}),
    ...(hooks.concurrency ? { concurrency: hooks.concurrency } : {}),
  });
  return { code, signal: null, stdout, stderr };
}

/** A fresh working directory for one scenario. */
export function workdir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "sa-emu-"));
}

/** A minimal handler module, different per `tag`, to make a code-only change. */
export function handlerVariant(dir: string, tag: string): string {
  const file = path.join(dir, `handler-${tag}.mjs`);
  writeFileSync(
    file,
    `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(tag)} });\n`,
  );
  return file;
}
