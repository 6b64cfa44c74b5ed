/**
 * The CLI's real process entry (`run`, as bin/serverless-automation.js calls it) against the
 * fake AWS, for tests that need a real process: a pty, a pipe closed early, a real signal.
 * Run as `node --import tsx test/process/fake-cli.ts <argv…>`.
 *
 * Environment knobs:
 * - FAKE_DEPLOYED=1: the stack is deployed (silently) first, so status/logs/down have something;
 * - FAKE_LOG_EVENTS=<n>: that many events in the function's log group;
 * - FAKE_LOG_EVERY_MS=<ms>: one more event that often (for --follow);
 * - FAKE_LATENCY_MS=<ms>: every AWS call takes that long (a run long enough to interrupt);
 * - FAKE_THEN_UP=1: once the command has ended, `up` runs again against the same fake account
 *   (with no latency); .fake-cli.then.json holds what the command left (`left`: whether the lock
 *   file is there, the state file's text) and how the next run went (`next`: its exit code,
 *   stderr and the account's inventory), which a new process with a new fake account could not
 *   tell.
 *
 * The process's exit code is left in .fake-cli.exit, also where nobody waits for the process
 * (under `script` killed by the test).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { main, run } from "../../src/cli/main.js";
import { FakeAccount } from "../fake-aws/index.js";
import { FAST } from "../helpers.js";
import { inventory } from "../reliability/support.js";

const REGION = "us-east-1";
const FUNCTION_LOG_GROUP = "/aws/lambda/serverless-automation-production-api";

// Under `script` this process is in a session of its own: a test that has to kill it finds it here.
writeFileSync(path.join(process.cwd(), ".fake-cli.pid"), String(process.pid));
const cwd = process.cwd();
process.on("exit", (code) => writeFileSync(path.join(cwd, ".fake-cli.exit"), String(code)));

const fake = new FakeAccount({ region: REGION });
fake.iam.timings.propagationMs = 5;
fake.dynamodb.timings = { creatingMs: 5, updatingMs: 5, deletingMs: 5, backupsDelayMs: 3 };
fake.lambda.timings = { pendingMs: 5, updatingMs: 5 };

const dir = mkdtempSync(path.join(os.tmpdir(), "sa-child-handler-"));
const handlerEntry = path.join(dir, "index.ts");
writeFileSync(handlerEntry, "export const handler = async () => ({ statusCode: 200 });\n");

const hooks = { clients: fake.clients(REGION), timing: FAST, handlerEntry };

if (process.env.FAKE_DEPLOYED === "1") {
  const quiet = { write: () => undefined };
  const code = await main(["up", "--quiet"], {
    stdout: quiet,
    stderr: quiet,
    env: { ...process.env, CI: "true" },
    cwd: process.cwd(),
    ...hooks,
  });
  if (code !== 0) throw new Error(`the fixture could not deploy the stack (exit ${code})`);
}
const events = Number(process.env.FAKE_LOG_EVENTS ?? 0);
for (let n = 0; n < events; n++) {
  fake.logs.write(FUNCTION_LOG_GROUP, `event ${n}`, Date.now() - 60_000 + n);
}
const every = Number(process.env.FAKE_LOG_EVERY_MS ?? 0);
if (every > 0) {
  let n = events;
  setInterval(() => fake.logs.write(FUNCTION_LOG_GROUP, `event ${n++}`, Date.now()), every).unref();
}
fake.latencyMs = Number(process.env.FAKE_LATENCY_MS ?? 0);

await run(process.argv.slice(2), hooks);

if (process.env.FAKE_THEN_UP === "1") {
  const exitCode = process.exitCode;
  // As the command left them, before the next run rewrites them.
  const state = path.join(cwd, ".serverless-automation", `production.${REGION}.json`);
  const left = {
    lock: existsSync(`${state}.lock`),
    state: existsSync(state) ? readFileSync(state, "utf8") : null,
  };
  fake.latencyMs = 0;
  let stderr = "";
  const code = await main(["up", "--quiet"], {
    stdout: { write: () => undefined },
    stderr: { write: (s: string) => void (stderr += s) },
    env: { ...process.env, CI: "true" },
    cwd,
    ...hooks,
  });
  writeFileSync(
    path.join(cwd, ".fake-cli.then.json"),
    JSON.stringify({ left, next: { code, stderr, inventory: inventory(fake) } }),
  );
  process.exitCode = exitCode;
}
