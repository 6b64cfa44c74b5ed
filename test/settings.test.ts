import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config-file.js";
import { resolveConfig, validateSettings } from "../src/config.js";
import { UserError } from "../src/errors.js";
import {
  AUTH_MODES,
  configTableRows,
  DEFAULT_SETTINGS,
  README_TABLE_END,
  README_TABLE_START,
  SCHEMA,
} from "../src/settings.js";
import { didYouMean } from "../src/value-types.js";
import { world } from "./helpers.js";

const POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123";

/** The UserError parseConfig throws for `raw` (the test fails if it throws none). */
function refusal(raw: unknown, stage = "dev"): UserError {
  try {
    parseConfig(raw, stage);
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(raw)}`);
}

async function writeConfig(cwd: string, content: unknown): Promise<void> {
  await fs.writeFile(path.join(cwd, "serverless-automation.config.json"), JSON.stringify(content));
}

describe("a bad config file: every problem in one run", () => {
  it("lists each problem on a line of its own, named where the file writes it", () => {
    const err = refusal({
      memoryMb: "512",
      logLevel: "loud",
      memorymb: 512,
      tags: { project: "x" },
      stages: { dev: { timeoutSeconds: 0, environment: { DB_PASSWORD: "hunter2" } } },
    });
    const lines = err.message.split("\n");
    expect(lines[0]).toBe("Invalid serverless-automation.config.json: 6 problems:");
    expect(lines.slice(1).sort()).toEqual(
      [
        '  - memoryMb must be a whole number from 128 to 10240, got a string "512"',
        '  - logLevel must be debug, info, warn or error, got "loud"',
        "  - memorymb is not a known field; did you mean memoryMb?",
        "  - tags.project is reserved",
        "  - stages.dev.timeoutSeconds must be a whole number from 1 to 900, got 0",
        "  - stages.dev.environment.DB_PASSWORD is refused: it looks like a secret (its name looks like a secret's), and environment variables are readable by anyone who can read the function's configuration",
      ].sort(),
    );
    // The secret's own advice, then where to fix it all; no list of every known field.
    expect(err.hint).toMatch(/^Keep the secret in SSM Parameter Store/);
    expect(err.hint).toContain('name it under "secrets"');
    expect(`${err.message}\n${err.hint}`).not.toContain("hunter2");
    expect(err.hint).toContain("Fix them in serverless-automation.config.json.");
    expect(`${err.message}\n${err.hint}`).not.toMatch(/Known fields|runtime, memoryMb/);
    expect(err.exitCode).toBe(1);
  });

  it("names what the value is when its type is wrong: a string where a number belongs", () => {
    expect(refusal({ memoryMb: "512" }).message).toBe(
      'Invalid serverless-automation.config.json: memoryMb must be a whole number from 128 to 10240, got a string "512".',
    );
    expect(refusal({ waf: "true" }).message).toContain(
      'waf must be true or false, got a string "true"',
    );
    expect(refusal({ corsOrigin: 42 }).message).toContain("got a number 42");
    expect(refusal({ routes: "GET /" }).message).toContain("routes must be a list such as");
    expect(refusal({ reservedConcurrency: null }).message).toContain(
      "reservedConcurrency must be a whole number, 0 or more, got null",
    );
  });

  it("suggests the field an unknown one most likely means, and only when it is close", () => {
    expect(refusal({ memorymb: 512 }).message).toContain(
      "memorymb is not a known field; did you mean memoryMb?",
    );
    expect(refusal({ MEMORYMB: 512 }).message).toContain("did you mean memoryMb?");
    expect(refusal({ stages: { dev: { timeoutSecond: 5 } } }).message).toContain(
      "stages.dev.timeoutSecond is not a known field; did you mean timeoutSeconds?",
    );
    expect(refusal({ table: { sortkey: "sk" } }).message).toContain(
      "table.sortkey is not a known field; did you mean sortKey?",
    );
    const far = refusal({ colour: "blue" });
    expect(far.message).toBe(
      "Invalid serverless-automation.config.json: colour is not a known field.",
    );
    expect(far.hint).toContain("The Configuration section of the README lists every field");
    expect(refusal({ table: { colour: "blue" } }).message).toContain(
      "table.colour is not a known field (partitionKey, sortKey, access)",
    );
    expect(didYouMean("extraTags", ["tags", "table"])).toBeUndefined();
    expect(didYouMean("stage", ["stages", "state"])).toBe("stages");
  });

  it("names a stage's own value at its level, and the top level's without a prefix", () => {
    const raw = { memoryMb: 99, stages: { dev: { memoryMb: 64 } } };
    expect(refusal(raw).message).toContain(
      "  - stages.dev.memoryMb must be a whole number from 128 to 10240, got 64",
    );
    expect(refusal(raw).message).toContain(
      "  - memoryMb must be a whole number from 128 to 10240, got 99",
    );
    // Another stage's values are not this stage's: production sees only the top level's.
    expect(refusal(raw, "production").message).toBe(
      "Invalid serverless-automation.config.json: memoryMb must be a whole number from 128 to 10240, got 99.",
    );
  });

  it("up reports them all and exits 1 before any AWS call", async () => {
    const w = world();
    await writeConfig(w.cwd, { memoryMb: "512", timeoutSecond: 5, logRetentionDays: 13 });
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Invalid serverless-automation.config.json: 3 problems:");
    expect(r.stderr).toContain(
      'memoryMb must be a whole number from 128 to 10240, got a string "512"',
    );
    expect(r.stderr).toContain("timeoutSecond is not a known field; did you mean timeoutSeconds?");
    expect(r.stderr).toContain("logRetentionDays must be one of 1, 3, 5, 7, 14");
    expect(w.fake.calls).toEqual([]);
    expect(await w.readState()).toBeUndefined();
  });
});

describe("a bad flag is named as the flag", () => {
  it("up --auth public: names --auth and the modes it takes, exit 1, no AWS call", async () => {
    const w = world();
    const r = await w.run(["up", "--auth", "public"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Invalid settings: --auth must be iam, api-key, cognito or none, got "public".',
    );
    expect(r.stderr).toContain("Fix the value of --auth.");
    expect(w.fake.calls).toEqual([]);
  });

  it("a flag's problem and the file's are reported together, each named its own way", async () => {
    const w = world();
    await writeConfig(w.cwd, { tags: { team: 7 } });
    const r = await w.run(["up", "--alarm-email", "ops-at-example"]);
    expect(r.code).toBe(1);
    // One run shows both: fixing the file must not reveal a second, hidden error in the flags.
    expect(r.stderr).toContain("Invalid serverless-automation.config.json: 2 problems:");
    expect(r.stderr).toContain("  - tags.team must be a string, got a number 7");
    expect(r.stderr).toContain('  - --alarm-email must be an e-mail address, got "ops-at-example"');
    expect(r.stderr).toContain("Fix the value of --alarm-email.");
    expect(r.stderr).toContain("Fix tags.team in serverless-automation.config.json.");
    expect(w.fake.calls).toEqual([]);
    const flagOnly = world();
    const f = await flagOnly.run(["up", "--alarm-email", "ops-at-example", "--auth", "open"]);
    expect(f.stderr).toContain("Invalid settings: 2 problems:");
    expect(f.stderr).toContain('  - --alarm-email must be an e-mail address, got "ops-at-example"');
    expect(f.stderr).toContain('  - --auth must be iam, api-key, cognito or none, got "open"');
    expect(f.stderr).toContain("Fix the value of --alarm-email and --auth.");
  });

  it("a flag that overrides the file's value is what the rules between fields see", async () => {
    const w = world();
    // The file's stage asks for cognito without a pool; --auth iam wins, so nothing is missing.
    await writeConfig(w.cwd, { stages: { production: { auth: "cognito" } } });
    const r = await w.run(["up", "--dry-run", "--auth", "iam"]);
    expect(r.stderr).not.toContain("cognitoUserPoolArn is required");
    expect(r.code).toBe(0);
    // Without the flag the file's own rule still holds.
    const plain = await w.run(["up", "--dry-run"]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain(
      'cognitoUserPoolArn is required when stages.production.auth is "cognito"',
    );
  });

  it("a rule across fields names the flag that set one of them", () => {
    expect(() =>
      resolveConfig({ region: "us-east-1", settings: { auth: "cognito" } }, {}, "/w"),
    ).toThrow('cognitoUserPoolArn is required when --auth is "cognito"');
  });
});

describe("rules across fields hold for the stage's merged settings", () => {
  it("a stage's cognito auth is met by the top level's user pool", () => {
    const raw = { cognitoUserPoolArn: POOL, stages: { dev: { auth: "cognito" } } };
    const file = parseConfig(raw, "dev");
    const config = resolveConfig({ region: "us-east-1" }, {}, "/w", file);
    expect(config.settings.auth).toBe("cognito");
    expect(config.settings.cognitoUserPoolArn).toBe(POOL);
    // And the other way round: the top level's auth, the stage's pool.
    const other = { auth: "cognito", stages: { dev: { cognitoUserPoolArn: POOL } } };
    expect(parseConfig(other, "dev").settings.auth).toBe("cognito");
  });

  it("a stage that gets cognito without a pool is refused, naming where auth is set", () => {
    const raw = { cognitoUserPoolArn: POOL, stages: { dev: { auth: "cognito", cognitoUserPoolArn: "pool" } } };
    expect(refusal({ stages: { dev: { auth: "cognito" } } }).message).toBe(
      'Invalid serverless-automation.config.json: cognitoUserPoolArn is required when stages.dev.auth is "cognito" (the user pool whose tokens the API accepts).',
    );
    // A stage's wrong pool is its own problem; the top level's good one does not hide it.
    expect(refusal(raw).message).toContain("stages.dev.cognitoUserPoolArn must be a user pool ARN");
  });

  it("up deploys a stage whose auth is set per stage and whose pool is set at the top", async () => {
    const w = world();
    await writeConfig(w.cwd, { cognitoUserPoolArn: POOL, stages: { dev: { auth: "cognito" } } });
    const r = await w.run(["up", "--stage", "dev"]);
    expect(r.code, r.stderr).toBe(0);
    const authorizers = [...w.fake.apigateway.apis.values()].flatMap((a) => [...a.authorizers.values()]);
    expect(authorizers.map((a) => a.providerARNs)).toEqual([[POOL]]);
  });

  it("the table's members merge first: a stage's sortKey equal to the top's partition key is refused", () => {
    expect(refusal({ table: { partitionKey: "pk" }, stages: { dev: { table: { sortKey: "pk" } } } }).message).toContain(
      "stages.dev.table.sortKey.name must differ from the partition key's",
    );
    const ok = parseConfig({ table: { partitionKey: "pk" }, stages: { dev: { table: { sortKey: "sk" } } } }, "dev");
    expect(validateSettings(ok.settings).table).toEqual({
      partitionKey: { name: "pk", type: "string" },
      sortKey: { name: "sk", type: "string" },
      access: "read-write",
    });
  });

  it("routes without a handler at either level, and the environment's size over both", () => {
    expect(refusal({ stages: { dev: { routes: ["GET /a"] } } }).message).toContain(
      'stages.dev.routes is for a handler of your own: set it only with "handler"',
    );
    expect(parseConfig({ handler: "src/api.ts", stages: { dev: { routes: ["GET /a"] } } }, "dev").settings.routes).toEqual(["GET /a"]);
    const half = "x".repeat(2100);
    expect(refusal({ environment: { A: half }, stages: { dev: { environment: { B: half } } } }).message).toContain(
      "stages.dev.environment is 4202 bytes; Lambda allows 4096 in all",
    );
    expect(() => parseConfig({ environment: { A: half }, stages: { dev: { environment: { B: half } } } }, "production")).not.toThrow();
  });
}); // prettier-ignore

describe("the declaration is the one source", () => {
  it("README.md's configuration table is the one the declaration gives (npm run docs:config)", async () => {
    const readme = await fs.readFile(path.join(import.meta.dirname, "..", "README.md"), "utf8");
    const start = readme.indexOf(README_TABLE_START);
    const end = readme.indexOf(README_TABLE_END);
    expect(start, "the generated table's start marker").toBeGreaterThan(0);
    expect(end, "its end marker").toBeGreaterThan(start);
    const rows = readme
      .slice(start, end)
      .split("\n")
      .filter((l) => l.startsWith("|") && !/^\|[\s|-]+\|$/.test(l))
      .map((l) =>
        l
          .slice(1, -1)
          .split(" | ")
          .map((c) => c.trim()),
      );
    expect(rows).toEqual(configTableRows());
    // It sits in the Configuration section, as before.
    const section = readme.indexOf("\n## Configuration\n");
    expect(section).toBeGreaterThan(0);
    expect(start).toBeGreaterThan(section);
    expect(readme.indexOf("\n## ", section + 1)).toBeGreaterThan(end);
  });

  it("every field of the file is in the table, under the key users write (tags for extraTags)", () => {
    const fileKeys = configTableRows()
      .slice(1)
      .map((r) => r[0]);
    expect(fileKeys).toContain("`tags`");
    expect(fileKeys).not.toContain("`extraTags`");
    for (const key of ["name", "region", "state", "stateBucketOwner", "keepVersions"]) {
      expect(fileKeys).toContain(`\`${key}\``);
    }
    expect(parseConfig({ tags: { team: "a" } }, "dev").settings.extraTags).toEqual({ team: "a" });
    expect(refusal({ extraTags: {} }).message).toContain("extraTags is not a known field");
  });

  it("defaults come from the rows", () => {
    expect(validateSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.memoryMb).toBe(SCHEMA.memoryMb.default);
    expect(Object.keys(DEFAULT_SETTINGS)).not.toContain("region");
  });

  it("up --help lists every auth mode from the declaration, and where --region comes from", async () => {
    const w = world();
    const r = await w.run(["up", "--help"]);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, " ");
    const auth = /--auth <mode> (.*?) --/.exec(help)?.[1] ?? "";
    for (const mode of AUTH_MODES) expect(auth).toMatch(new RegExp(`(^|[ :,])${mode} \\(`));
    expect(auth).toContain("cognito (an ID token from a Cognito user pool)");
    expect(help).toMatch(/--region <region> AWS region \(default: AWS_REGION, else AWS_DEFAULT_REGION, else the config file's region\)/);
    const status = (await w.run(["status", "--help"])).stdout.replace(/\s+/g, " ");
    expect(status).toContain("compare with this auth mode (iam, api-key, cognito or none)");
    expect(w.fake.calls).toEqual([]);
  }); // prettier-ignore
});

describe("keepVersions: how many published versions the live alias keeps", () => {
  it("defaults to 5, takes a whole number from 1 to 100, per stage", () => {
    expect(validateSettings({}).keepVersions).toBe(5);
    expect(parseConfig({ keepVersions: 3, stages: { dev: { keepVersions: 10 } } }, "dev").settings.keepVersions).toBe(10);
    expect(parseConfig({ keepVersions: 3, stages: { dev: {} } }, "dev").settings.keepVersions).toBe(3);
    expect(refusal({ keepVersions: 0 }).message).toContain("keepVersions must be a whole number from 1 to 100, got 0");
    expect(refusal({ keepversions: 101 }).message).toContain("did you mean keepVersions?");
  }); // prettier-ignore
});
