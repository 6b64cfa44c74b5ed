import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  apiRequestsThreshold,
  KNOWN_REGIONS,
  MAX_STAGE_LENGTH,
  resolveConfig,
  resourceNames,
  validateSettings,
} from "../src/config.js";
import { parseConfig } from "../src/config-file.js";
import { world } from "./helpers.js";

describe("naming", () => {
  it("derives names within AWS limits for the longest stage in every region", () => {
    const stage = "a".repeat(MAX_STAGE_LENGTH);
    for (const region of KNOWN_REGIONS) {
      const n = resourceNames({
        name: "serverless-automation",
        stage,
        account: "123456789012",
        region,
      });
      expect(n.bucket.length, n.bucket).toBeLessThanOrEqual(63);
      expect(n.bucket).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
      expect(n.role.length).toBeLessThanOrEqual(64);
      expect(n.apiGatewayCloudWatchRole.length).toBeLessThanOrEqual(64);
      expect(n.functionName.length).toBeLessThanOrEqual(64);
      expect(n.rolePolicy.length).toBeLessThanOrEqual(128);
      expect(n.table.length).toBeLessThanOrEqual(255);
      // A WAF web ACL name: 1-128 of [A-Za-z0-9_-] (WAFv2 API reference, CreateWebACL).
      expect(n.webAcl).toMatch(/^[\w-]{1,128}$/);
    }
  });

  it("gives two stages disjoint names", () => {
    const a = resourceNames({
      name: "serverless-automation",
      stage: "production",
      account: "123456789012",
      region: "us-east-1",
    });
    const b = resourceNames({
      name: "serverless-automation",
      stage: "dev",
      account: "123456789012",
      region: "us-east-1",
    });
    for (const k of [
      "bucket",
      "table",
      "functionName",
      "role",
      "restApi",
      "errorRateAlarm",
      "api5xxAlarm",
      "apiRequestsAlarm",
    ] as const) {
      expect(a[k]).not.toBe(b[k]);
    }
  });
});

describe("configuration precedence: flag > environment > file > default", () => {
  const file = { region: "eu-west-1", settings: { memoryMb: 512 } };
  it("region", () => {
    expect(resolveConfig({}, {}, "/w", file).region).toBe("eu-west-1");
    expect(resolveConfig({}, { AWS_REGION: "us-west-2" }, "/w", file).region).toBe("us-west-2");
    expect(
      resolveConfig({ region: "ap-south-1" }, { AWS_REGION: "us-west-2" }, "/w", file).region,
    ).toBe("ap-south-1");
  });
  it("stage", () => {
    expect(resolveConfig({}, { AWS_REGION: "us-east-1" }, "/w").stage).toBe("production");
    const env = { AWS_REGION: "us-east-1", SERVERLESS_AUTOMATION_STAGE: "staging" };
    expect(resolveConfig({}, env, "/w").stage).toBe("staging");
    expect(resolveConfig({ stage: "dev" }, env, "/w").stage).toBe("dev");
  });
  it("settings", () => {
    expect(resolveConfig({}, {}, "/w", file).settings.memoryMb).toBe(512);
    expect(resolveConfig({ region: "us-east-1" }, {}, "/w").settings.memoryMb).toBe(256);
    expect(
      resolveConfig({ settings: { alarmEmail: "a@b.co" } }, {}, "/w", file).settings.alarmEmail,
    ).toBe("a@b.co");
  });
});

describe("config file", () => {
  it("applies per-stage settings over the top level", () => {
    const raw = {
      memoryMb: 512,
      tags: { team: "api" },
      stages: { dev: { memoryMb: 128, logRetentionDays: 7, tags: { cost: "low" } } },
    };
    expect(parseConfig(raw, "dev").settings).toMatchObject({
      memoryMb: 128,
      logRetentionDays: 7,
      extraTags: { team: "api", cost: "low" },
    });
    expect(parseConfig(raw, "production").settings).toMatchObject({ memoryMb: 512 });
  });

  it("names the bad field", () => {
    expect(() => parseConfig({ stages: { dev: { memoryMb: 99 } } }, "dev")).toThrow(
      /stages\.dev\.memoryMb must be a whole number from 128 to 10240/,
    );
    expect(() => parseConfig({ memory: 512 }, "dev")).toThrow(/memory is not a known field/);
    expect(() => parseConfig({ logRetentionDays: 13 }, "dev")).toThrow(
      /logRetentionDays must be one of/,
    );
    expect(() => parseConfig({ tags: { project: "x" } }, "dev")).toThrow(
      /tags\.project is reserved/,
    );
  });

  it("is read from the working directory and shapes the deployed stack", async () => {
    const w = world();
    await fs.writeFile(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({ memoryMb: 512, logRetentionDays: 30, tags: { team: "payments" } }),
    );
    expect((await w.run(["up"])).code).toBe(0);
    const fn = w.fake.lambda.functions.get("serverless-automation-production-api");
    expect(fn?.config.MemorySize).toBe(512);
    expect(fn?.tags.get("team")).toBe("payments");
    expect(
      w.fake.logs.groups.get("/aws/lambda/serverless-automation-production-api")?.retentionInDays,
    ).toBe(30);
    w.fake.resetCalls();
    const status = await w.run(["status"]);
    expect(status.code).toBe(0);
  });

  it("a bad file stops before any AWS call, naming the field", async () => {
    const w = world();
    const file = path.join(w.cwd, "custom.json");
    await fs.writeFile(file, JSON.stringify({ stages: { production: { timeoutSeconds: 0 } } }));
    const r = await w.run(["up", "--config", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "stages.production.timeoutSeconds must be a whole number from 1 to 900",
    );
    expect(w.fake.calls).toEqual([]);
    expect(await w.readState()).toBeUndefined();
    const missing = await w.run(["up", "--config", path.join(w.cwd, "nope.json")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Cannot read the config file");
  });

  it("--config naming a directory or a missing file says so in words, not Node's message", async () => {
    const w = world();
    const dir = await w.run(["up", "--config", w.cwd]);
    expect(dir.code).toBe(1);
    expect(dir.stderr).toContain(
      `Cannot read the config file ${w.cwd}: it is a directory (EISDIR).`,
    );
    expect(dir.stderr).not.toContain("illegal operation");
    const missing = await w.run(["up", "--config", path.join(w.cwd, "nope.json")]);
    expect(missing.stderr).toContain("nope.json: there is no such file.");
    expect(missing.stderr).not.toContain("no such file or directory, open");
    expect(w.fake.calls).toEqual([]);
  });
});

describe("ceilings: table maxima, reserved concurrency, API alarm thresholds", () => {
  it("defaults: 1000 reads and 500 writes per second, no reservation, 5 %, the throttle's five minutes", () => {
    const s = validateSettings({});
    expect([s.tableMaxReadUnits, s.tableMaxWriteUnits]).toEqual([1000, 500]);
    expect(s.reservedConcurrency).toBeUndefined();
    expect(s.api5xxRateThresholdPercent).toBe(5);
    expect(apiRequestsThreshold(s)).toBe(30000);
    expect(apiRequestsThreshold({ ...s, throttleRateLimit: 2.5 })).toBe(750);
    expect(apiRequestsThreshold({ ...s, apiRequestsThreshold: 42 })).toBe(42);
  });

  it("the file sets them, per stage over the top level; -1 is no maximum, 0 a reservation", () => {
    const raw = {
      tableMaxReadUnits: 200,
      reservedConcurrency: 50,
      stages: {
        dev: { tableMaxReadUnits: -1, tableMaxWriteUnits: 10, reservedConcurrency: 0 },
        staging: { api5xxRateThresholdPercent: 0.5, apiRequestsThreshold: 1 },
      },
    };
    expect(parseConfig(raw, "dev").settings).toMatchObject({
      tableMaxReadUnits: -1,
      tableMaxWriteUnits: 10,
      reservedConcurrency: 0,
    });
    expect(parseConfig(raw, "staging").settings).toMatchObject({
      tableMaxReadUnits: 200,
      reservedConcurrency: 50,
      api5xxRateThresholdPercent: 0.5,
      apiRequestsThreshold: 1,
    });
    const config = resolveConfig({ region: "us-east-1" }, {}, "/w", parseConfig(raw, "dev"));
    expect(config.settings.tableMaxWriteUnits).toBe(10);
    expect(config.settings.tableMaxReadUnits).toBe(-1);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ["a maximum of 0", { tableMaxReadUnits: 0 }, "tableMaxReadUnits must be a whole number, 1 or more, or -1 for no maximum, got 0"],
    ["a maximum of -2", { stages: { dev: { tableMaxWriteUnits: -2 } } }, "stages.dev.tableMaxWriteUnits must be a whole number, 1 or more, or -1 for no maximum, got -2"],
    ["a fractional maximum", { tableMaxReadUnits: 1.5 }, "tableMaxReadUnits must be a whole number"],
    ["a maximum as a string", { tableMaxWriteUnits: "500" }, "tableMaxWriteUnits must be a whole number"],
    ["a negative reservation", { reservedConcurrency: -1 }, "reservedConcurrency must be a whole number, 0 or more, got -1"],
    ["a fractional reservation", { reservedConcurrency: 2.5 }, "reservedConcurrency must be a whole number, 0 or more"],
    ["a 5XX threshold of 0", { api5xxRateThresholdPercent: 0 }, "api5xxRateThresholdPercent must be a number above 0 and at most 100"],
    ["a 5XX threshold over 100", { api5xxRateThresholdPercent: 101 }, "api5xxRateThresholdPercent must be a number above 0 and at most 100"],
    ["a request threshold of 0", { apiRequestsThreshold: 0 }, "apiRequestsThreshold must be a whole number, 1 or more"],
    ["a fractional request threshold", { apiRequestsThreshold: 10.5 }, "apiRequestsThreshold must be a whole number, 1 or more"],
  ]; // prettier-ignore
  it.each(bad)("refuses %s, naming the field as the file writes it", (_what, raw, message) => {
    expect(() => parseConfig(raw, "dev")).toThrow(message);
  });

  it("a bad value stops up before any AWS call, exit 1", async () => {
    const w = world();
    await fs.writeFile(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({ reservedConcurrency: -5 }),
    );
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("reservedConcurrency must be a whole number, 0 or more, got -5");
    expect(w.fake.calls).toEqual([]);
  });
});
