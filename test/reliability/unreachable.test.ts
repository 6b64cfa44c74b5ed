import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/clients.js";
import { main } from "../../src/cli/main.js";
import { FAST } from "../helpers.js";
import { quickWorld, tinyHandler } from "./support.js";

/**
 * A network, an endpoint or a path that does not work is the user's to fix, on any call: the
 * error names the endpoint, the host or the path and says what to do. Never "a bug", never a
 * stack trace.
 */

const entry = tinyHandler();

/** A port nothing listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function notABug(text: string): void {
  expect(text).not.toContain("looks like a bug");
  expect(text).not.toMatch(/^\s+at /m);
}

const FAKE_CREDENTIALS = { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake-secret" };

describe("an endpoint that does not answer", () => {
  // The SDK's credential chain reads process.env itself, not the Io's env.
  const keys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  beforeAll(() => {
    for (const k of keys) delete process.env[k];
    process.env.AWS_ACCESS_KEY_ID = FAKE_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = FAKE_CREDENTIALS.secretAccessKey;
  });
  afterAll(() => {
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it.each([["status"], ["up"], ["down", "--yes"], ["logs"]])(
    "AWS_ENDPOINT_URL with nothing behind it: %s says which endpoint, exit 1",
    async (...argv) => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const cwd = mkdtempSync(path.join(os.tmpdir(), "sa-unreachable-"));
      let stdout = "";
      let stderr = "";
      const code = await main(argv, {
        stdout: { write: (s: string) => void (stdout += s) },
        stderr: { write: (s: string) => void (stderr += s) },
        env: { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: url },
        cwd,
        handlerEntry: entry,
        timing: FAST,
      });
      expect(code, stderr).toBe(1);
      expect(stderr).toContain(`Cannot reach AWS at ${url}: connect ECONNREFUSED`);
      expect(stderr).toContain(`Nothing answered at ${url} (AWS_ENDPOINT_URL)`);
      notABug(stderr);
      expect(existsSync(path.join(cwd, ".serverless-automation"))).toBe(false);
    },
  );
});

describe("an endpoint whose host does not resolve", () => {
  it("status names the host and the variable it came from, exit 1", async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), "sa-unresolved-"));
    let stderr = "";
    const code = await main(["status"], {
      stdout: { write: () => undefined },
      stderr: { write: (s: string) => void (stderr += s) },
      env: { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: "http://aws.sa-test.invalid:4566" },
      cwd,
      handlerEntry: entry,
      timing: FAST,
      clients: createClients({
        region: "us-east-1",
        endpoint: "http://aws.sa-test.invalid:4566",
        credentials: FAKE_CREDENTIALS,
      }),
    });
    expect(code, stderr).toBe(1);
    expect(stderr).toContain("Cannot reach AWS at http://aws.sa-test.invalid:4566: getaddrinfo");
    expect(stderr).toContain(
      "Cannot resolve aws.sa-test.invalid, the host of AWS_ENDPOINT_URL (http://aws.sa-test.invalid:4566)",
    );
    notABug(stderr);
  });
});

describe("a network that goes away after the first call", () => {
  it("up: the failed resource's error names the endpoint; the next up converges", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const w = quickWorld();
    const clients = w.fake.clients();
    // STS and the rest answer; DynamoDB's endpoint is gone.
    clients.dynamodb = new DynamoDBClient({
      region: "us-east-1",
      endpoint: url,
      credentials: FAKE_CREDENTIALS,
      maxAttempts: 1,
    });
    const r = await w.run(["up"], {
      clients,
      handlerEntry: entry,
      env: { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: url },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: reading DynamoDB table \(serverless-automation-production-items\): connect ECONNREFUSED/,
    );
    expect(r.stderr).toContain(`Nothing answered at ${url} (AWS_ENDPOINT_URL)`);
    notABug(r.stderr);
    expect((await w.run(["up"], { handlerEntry: entry })).code).toBe(0);
  });

  it("logs: a host that does not resolve is named, with the network to check", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], { handlerEntry: entry })).code).toBe(0);
    const clients = w.fake.clients();
    clients.logs = new CloudWatchLogsClient({
      region: "us-east-1",
      endpoint: "http://logs.sa-test.invalid",
      credentials: FAKE_CREDENTIALS,
      maxAttempts: 1,
    });
    const r = await w.run(["logs"], { clients });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach AWS: getaddrinfo \w+ logs\.sa-test\.invalid/);
    expect(r.stderr).toContain("Cannot resolve logs.sa-test.invalid: check your network");
    notABug(r.stderr);
  });
});

describe("a state file path that cannot be used", () => {
  it.each([
    [
      "under a regular file",
      (dir: string) => {
        writeFileSync(path.join(dir, "notes.txt"), "not a directory\n");
        return { state: path.join(dir, "notes.txt", "prod.json"), blocker: "is a file" };
      },
    ],
    [
      "under a symbolic link to nothing",
      (dir: string) => {
        symlinkSync(path.join(dir, "gone"), path.join(dir, "states"));
        return {
          state: path.join(dir, "states", "prod.json"),
          blocker: `is a symbolic link to ${path.join(dir, "gone")}, which does not exist`,
        };
      },
    ],
  ])("%s: the error names the path in the way, exit 1", async (_what, arrange) => {
    const w = quickWorld();
    const { state, blocker } = arrange(w.cwd);
    for (const argv of [["up"], ["down", "--yes"]]) {
      const r = await w.run([...argv, "--state", state], { handlerEntry: entry });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`Cannot `);
      expect(r.stderr).toContain(state);
      expect(r.stderr).toContain(blocker);
      expect(r.stderr).toContain(`pass --state with a file in one`);
      notABug(r.stderr);
    }
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });
});

describe("the one error handler", () => {
  it("calls a file-system failure that reached it the user's, naming the path", async () => {
    const { handleError } = await import("../../src/cli/errors.js");
    const lock = path.join(os.tmpdir(), "sa-gone", "production.json.lock");
    const err = Object.assign(new Error(`ENOENT: no such file or directory, open '${lock}'`), {
      code: "ENOENT",
      errno: -2,
      syscall: "open",
      path: lock,
    });
    let stderr = "";
    const code = handleError(
      err,
      {
        stdout: { write: () => undefined },
        stderr: { write: (s) => void (stderr += s) },
        env: {},
        cwd: "/",
      },
      { json: false, verbose: false },
    );
    expect(code).toBe(1);
    expect(stderr).toContain(`Cannot open ${lock}: a directory on its path does not exist`);
    expect(stderr).toContain(`Check ${lock} and its permissions`);
    notABug(stderr);
  });
});
