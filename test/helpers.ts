import { mkdtempSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Io } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import type { Timing } from "../src/engine/types.js";
import { FakeAccount } from "./fake-aws/index.js";

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
  const cwd = mkdtempSync(path.join(os.tmpdir(), "sa-test-"));
  const statePath = (stage = "production") =>
    path.join(cwd, ".serverless-automation", `${stage}.json`);
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
