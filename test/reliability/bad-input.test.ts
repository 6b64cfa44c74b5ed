import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { validateSettings, type Settings } from "../../src/config.js";
import { UserError } from "../../src/errors.js";
import { quickWorld, tinyHandler } from "./support.js";

/**
 * Bad input is refused before any AWS call: a clear one-line error and a hint, exit 1, no stack
 * trace, no state file.
 */
async function refused(
  argv: string[],
  message: RegExp,
  extra: { handlerEntry?: string; hint?: RegExp } = {},
): Promise<void> {
  const w = quickWorld();
  const r = await w.run(argv, { handlerEntry: extra.handlerEntry ?? tinyHandler() });
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(message);
  if (extra.hint) expect(r.stderr).toMatch(extra.hint);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(w.fake.calls).toEqual([]);
  expect(existsSync(w.statePath())).toBe(false);
  expect(existsSync(path.dirname(w.statePath()))).toBe(false);
}

describe("bad input is refused before any AWS call", () => {
  it.each([
    [["deploy"], /unknown command 'deploy'/],
    [["up", "--force"], /unknown option '--force'/],
    [["down", "--yse"], /unknown option '--yse'/],
    [["up", "--stage"], /argument missing/],
  ])("%j: the CLI says what is wrong", async (argv, message) => {
    await refused(argv, message, { hint: /--help/ });
  });

  it.each([
    ["Production"],
    ["a-very-long-stage-name"],
    ["2fast"],
    [""],
    ["dev_1"],
    ["dev--x"],
    ["dev-"],
  ])("stage %j", async (stage) => {
    for (const cmd of [["up"], ["down", "--yes"], ["status"]]) {
      await refused([...cmd, "--stage", stage], /Invalid stage name/, {
        hint: /lowercase letters, digits and single hyphens/,
      });
    }
  });

  it.each([["us-east-9"], ["mars-north-1"], ["US-EAST-1"]])("region %j", async (region) => {
    await refused(["up", "--region", region], new RegExp(`Unknown AWS region "${region}"`), {
      hint: /region code such as us-east-1/,
    });
  });

  it("a handler source that does not exist", async () => {
    const missing = path.join(os.tmpdir(), "no-such-dir-sa", "index.ts");
    await refused(["up"], /Cannot read the handler source/, { handlerEntry: missing });
  });

  it("a handler source with a syntax error", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sa-bad-handler-"));
    const entry = path.join(dir, "index.ts");
    writeFileSync(entry, "export const handler = async () => {\n  return { statusCode: 200 ;\n");
    await refused(["up"], /Cannot bundle the handler: .*index\.ts:2:\d+: /, {
      handlerEntry: entry,
      hint: /Fix the handler source/,
    });
  });
});

describe("invalid settings", () => {
  const bad: [string, Partial<Settings>, RegExp][] = [
    ["deprecated runtime", { runtime: "nodejs20.x" }, /nodejs20\.x is deprecated/],
    ["unknown runtime", { runtime: "python3.13" }, /runtime must be one of/],
    ["memory too small", { memoryMb: 64 }, /memoryMb must be a whole number from 128/],
    ["memory too large", { memoryMb: 20480 }, /memoryMb/],
    ["memory not whole", { memoryMb: 256.5 }, /memoryMb/],
    ["timeout 0", { timeoutSeconds: 0 }, /timeoutSeconds/],
    ["timeout 901", { timeoutSeconds: 901 }, /timeoutSeconds/],
    ["retention 13", { logRetentionDays: 13 }, /logRetentionDays must be one of/],
    ["log level", { logLevel: "verbose" as Settings["logLevel"] }, /logLevel/],
    ["throttle rate 0", { throttleRateLimit: 0 }, /throttleRateLimit/],
    ["burst -1", { throttleBurstLimit: -1 }, /throttleBurstLimit/],
    ["empty CORS origin", { corsOrigin: "" }, /corsOrigin/],
    ["error rate 0", { errorRateThresholdPercent: 0 }, /errorRateThresholdPercent/],
    ["error rate 101", { errorRateThresholdPercent: 101 }, /errorRateThresholdPercent/],
    ["throttles 0", { throttlesThreshold: 0 }, /throttlesThreshold/],
    ["table max reads 0", { tableMaxReadUnits: 0 }, /tableMaxReadUnits/],
    ["table max writes -2", { tableMaxWriteUnits: -2 }, /tableMaxWriteUnits/],
    ["reserved concurrency -1", { reservedConcurrency: -1 }, /reservedConcurrency/],
    ["API 5XX rate 0", { api5xxRateThresholdPercent: 0 }, /api5xxRateThresholdPercent/],
    ["API requests 0", { apiRequestsThreshold: 0 }, /apiRequestsThreshold/],
    ["reserved tag", { extraTags: { project: "x" } }, /extraTags\.project is reserved/],
    ["aws: tag", { extraTags: { "aws:owner": "x" } }, /reserved/],
    ["alarm e-mail", { alarmEmail: "ops-at-example" }, /alarmEmail must be an e-mail/],
  ];
  it.each(bad)("%s", (_what, input, message) => {
    let caught: unknown;
    try {
      validateSettings(input);
    } catch (err) {
      caught = err;
    }
    // A UserError: printed as one line (and a hint when there is one), never as a bug.
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain("\n");
  });

  it("the defaults are valid", () => {
    expect(validateSettings({}).runtime).toBe("nodejs24.x");
  });
});

describe("missing credentials", () => {
  it("says so with a remedy, exit 1, no state file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sa-nocreds-"));
    const empty = path.join(dir, "empty");
    writeFileSync(empty, "");
    const keys = [
      "AWS_PROFILE",
      "AWS_CONFIG_FILE",
      "AWS_SHARED_CREDENTIALS_FILE",
      "AWS_EC2_METADATA_DISABLED",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
    // The SDK's credential chain reads process.env itself, not the Io's env.
    const env: Record<string, string> = {
      AWS_PROFILE: "no-such-profile",
      AWS_CONFIG_FILE: empty,
      AWS_SHARED_CREDENTIALS_FILE: empty,
      AWS_EC2_METADATA_DISABLED: "true",
    };
    for (const k of keys) delete process.env[k];
    Object.assign(process.env, env);
    let stdout = "";
    let stderr = "";
    let code: number;
    try {
      code = await main(["up"], {
        stdout: { write: (s: string) => void (stdout += s) },
        stderr: { write: (s: string) => void (stderr += s) },
        env: { ...env, AWS_REGION: "us-east-1" },
        cwd: dir,
        handlerEntry: tinyHandler(),
        timing: { minDelayMs: 1, maxDelayMs: 5, maxWaitMs: 1000, iamPropagationMs: 0 },
      });
    } finally {
      for (const k of keys) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/No usable AWS credentials \(profile "no-such-profile"\)/);
    expect(stderr).toMatch(/Set AWS_PROFILE .* or set AWS_ACCESS_KEY_ID/);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stdout).toBe("");
    expect(existsSync(path.join(dir, ".serverless-automation"))).toBe(false);
  });
});
