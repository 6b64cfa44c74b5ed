import { mkdtempSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Io } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import type { Timing } from "../src/engine/types.js";
import { FakeAccount } from "./fake-aws/index.js";

/** API Gateway's quotas refill this much faster than AWS's (DeleteRestApi: one per 30 ms). */
export const API_GATEWAY_QUOTA_SCALE = 1000;

/** Polls fast: the fake's async states last milliseconds. */
export const FAST: Timing = {
  minDelayMs: 2,
  maxDelayMs: 10,
  maxWaitMs: 5_000,
  iamPropagationMs: 0,
};

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when --json was passed. */
  json: Record<string, unknown>;
}

export interface World {
  fake: FakeAccount;
  cwd: string;
  run(argv: string[], extra?: Partial<Io> & { stdinTTY?: boolean }): Promise<RunResult>;
  statePath(stage?: string): string;
  readState(stage?: string): Promise<Record<string, unknown> | undefined>;
}

/** A fake account and a working directory; `run` drives the real main(argv). */
export function world(options: { region?: string } = {}): World {
  const fake = new FakeAccount({ region: options.region ?? "us-east-1" });
  // API Gateway's per-account quotas (one DeleteRestApi per 30 s, one CreateRestApi per 3 s…)
  // are always there in AWS: on here too, sped up so that back-to-back runs still meet them.
  fake.apigateway.quota.enabled = true;
  fake.apigateway.quota.scale = API_GATEWAY_QUOTA_SCALE;
  const cwd = mkdtempSync(path.join(os.tmpdir(), "sa-test-"));
  const statePath = (stage = "production") =>
    path.join(cwd, ".serverless-automation", `${stage}.${options.region ?? "us-east-1"}.json`);
  return {
    fake,
    cwd,
    statePath,
    async readState(stage) {
      try {
        return JSON.parse(await fs.readFile(statePath(stage), "utf8")) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    },
    async run(argv, extra = {}) {
      let stdout = "";
      let stderr = "";
      const { stdinTTY, ...io } = extra;
      const code = await main(argv, {
        stdout: { write: (s: string) => void (stdout += s) },
        stderr: { write: (s: string) => void (stderr += s) },
        stdin: Object.assign(process.stdin, { isTTY: stdinTTY ?? false }) as NodeJS.ReadStream,
        env: { AWS_REGION: fake.region },
        cwd,
        clients: fake.clients(options.region ?? fake.region),
        timing: FAST,
        ...io,
      });
      let json: Record<string, unknown> = {};
      if (argv.includes("--json")) json = JSON.parse(stdout) as Record<string, unknown>;
      return { code, stdout, stderr, json };
    },
  };
}
