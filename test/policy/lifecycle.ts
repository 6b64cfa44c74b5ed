import { promises as fs, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { World } from "../helpers.js";
import { SETTLE_MS } from "../reliability/support.js";

/** Shortens a canary's holds as the deploy tests do. */
export const ENV = { AWS_REGION: "us-east-1", SERVERLESS_AUTOMATION_WAIT_SCALE: "0.001" };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A handler answering `body`: each body is another version of the code. */
export function handler(body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sa-policy-"));
  const entry = path.join(dir, "index.ts");
  writeFileSync(
    entry,
    `export const handler = async () => ({ statusCode: 200, body: "${body}" });\n`,
  );
  return entry;
}

export async function configure(w: World, config: Record<string, unknown>): Promise<void> {
  await fs.writeFile(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(config));
}

/** Runs a command that must succeed; waits for the fake's async windows to settle after it. */
export async function ok(w: World, argv: string[], body = "v1"): Promise<string> {
  const r = await w.run(argv, { handlerEntry: handler(body), env: ENV });
  if (r.code !== 0 && !(argv[0] === "status" && r.code === 2)) {
    throw new Error(`${argv.join(" ")} exited ${r.code}:\n${r.stderr}`);
  }
  await sleep(SETTLE_MS);
  return r.stdout;
}
