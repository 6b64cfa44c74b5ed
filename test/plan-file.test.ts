import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HANDLERS } from "../src/registry.js";
import { FakeAccount } from "./fake-aws/index.js";
import { world, type World } from "./helpers.js";

const TABLE = "serverless-automation-production-items";
const FUNCTION_LOGS = "/aws/lambda/serverless-automation-production-api";
const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

interface FileStep {
  key: string;
  kind: string;
  label: string;
  id: string;
  action: string;
  fields: string[];
  changes: { field: string; observed: unknown; desired: unknown }[];
  fingerprint: string;
}
interface FilePlan {
  format: string;
  formatVersion: number;
  toolVersion: string;
  account: string;
  region: string;
  name: string;
  stage: string;
  configHash: string;
  stateSerial: number;
  steps: FileStep[];
}

async function readPlan(w: World, file = "plan.json"): Promise<FilePlan> {
  return JSON.parse(await fs.readFile(path.join(w.cwd, file), "utf8")) as FilePlan;
}

/** The mutating calls a run made. */
async function mutationsOf(w: World, argv: string[]) {
  w.fake.resetCalls();
  const r = await w.run(argv);
  return { r, mutating: w.fake.operations({ mutating: true }) };
}

/** A stack that is up, and a plan made of it after the retention of a log group was changed by hand. */
async function upThenDrift(): Promise<World> {
  const w = world();
  expect((await w.run(["up"])).code).toBe(0);
  const group = w.fake.logs.groups.get(FUNCTION_LOGS);
  if (!group) throw new Error("no function log group");
  group.retentionInDays = 3;
  return w;
}

describe("up --dry-run --out, then up --plan", () => {
  it("every kind reports its fields' values, so that every step can show them", () => {
    const without = [...HANDLERS.values()].filter((h) => typeof h.values !== "function");
    expect(without.map((h) => h.kind)).toEqual([]);
    expect(HANDLERS.size).toBeGreaterThan(15);
  });

  it("writes a plan file a reviewer can read, then applies exactly it", async () => {
    const w = world();
    const dry = await mutationsOf(w, ["up", "--dry-run", "--out", "plan.json"]);
    expect(dry.r.code).toBe(0);
    expect(dry.mutating).toEqual([]);
    expect(dry.r.stdout).toContain("the plan is in plan.json");
    expect(dry.r.stdout).toContain(
      "Apply exactly this plan with npx serverless-automation up --plan plan.json",
    );

    const f = await readPlan(w);
    expect(f).toMatchObject({
      format: "serverless-automation-plan",
      formatVersion: 1,
      toolVersion: VERSION,
      account: "123456789012",
      region: "us-east-1",
      name: "serverless-automation",
      stage: "production",
      stateSerial: 0,
    });
    expect(f.configHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(f.steps.map((s) => s.action)).toEqual(f.steps.map(() => "create"));
    expect(f.steps.find((s) => s.key === "table")).toMatchObject({
      kind: "dynamodb-table",
      label: "DynamoDB table",
      id: TABLE,
    });
    for (const s of f.steps) expect(s.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Nothing was there: every read fingerprints as "not found".
    expect(new Set(f.steps.map((s) => s.fingerprint)).size).toBe(1);

    const applied = await mutationsOf(w, ["up", "--plan", "plan.json", "--json"]);
    expect(applied.r.code).toBe(0);
    expect(applied.r.json).toMatchObject({ ok: true, dryRun: false, appliedPlan: "plan.json" });
    expect(w.fake.dynamodb.tables.get(TABLE)?.status).toBe("ACTIVE");
    expect(w.fake.logs.groups.get(FUNCTION_LOGS)?.retentionInDays).toBe(14);
    const state = await w.readState();
    expect(Object.keys((state?.resources as object) ?? {}).sort()).toEqual(
      f.steps.map((s) => s.key).sort(),
    );
    expect(state?.serial).toBeGreaterThan(0);
    expect(applied.mutating.length).toBeGreaterThan(0);
  });

  it("shows each changed field observed and desired, and applies only that change", async () => {
    const w = await upThenDrift();
    expect((await w.run(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    const f = await readPlan(w);
    const changed = f.steps.filter((s) => s.action !== "noop");
    expect(changed).toEqual([
      expect.objectContaining({
        key: "functionLogGroup",
        action: "update",
        id: FUNCTION_LOGS,
        fields: ["retention"],
        changes: [{ field: "retention", observed: 3, desired: 14 }],
      }),
    ]);
    const serial = (await w.readState())?.serial;
    expect(f.stateSerial).toBe(serial);

    const applied = await mutationsOf(w, ["up", "--plan", "plan.json"]);
    expect(applied.r.code).toBe(0);
    expect(applied.r.stdout).toMatch(
      /is up to date in us-east-1 \(1 updated, \d+ unchanged\) in [\d.]+ s, as the plan plan\.json said\.\n/,
    );
    expect(applied.mutating).toEqual(["CloudWatchLogs.PutRetentionPolicy"]);
    expect(w.fake.logs.groups.get(FUNCTION_LOGS)?.retentionInDays).toBe(14);
  });

  it("applies a plan of no changes with no mutating call", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    const json = await w.run(["up", "--dry-run", "--out", "plan.json", "--json"]);
    expect(json.json).toMatchObject({
      ok: true,
      dryRun: true,
      planFile: {
        path: "plan.json",
        apply: "npx serverless-automation up --plan plan.json",
      },
    });
    const dry = await w.run(["up", "--dry-run", "--out", "plan.json"]);
    expect(dry.stdout).toContain("No changes; the plan is in plan.json.");
    const applied = await mutationsOf(w, ["up", "--plan", "plan.json"]);
    expect(applied.r.code).toBe(0);
    expect(applied.mutating).toEqual([]);
  });
});

describe("the command a dry run prints", () => {
  it("applies the plan with the flags it was made with", async () => {
    const w = world();
    const dry = await w.run([
      "up",
      "--dry-run",
      "--out",
      "my plan.json",
      "--auth",
      "none",
      "--stage",
      "dev",
    ]);
    expect(dry.code).toBe(0);
    const printed = "npx serverless-automation up --plan 'my plan.json' --auth none --stage dev";
    expect(dry.stdout).toContain(printed);
    const r = await w.run(["up", "--plan", "my plan.json", "--auth", "none", "--stage", "dev"]);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.dynamodb.tables.has("serverless-automation-dev-items")).toBe(true);
  });
});

describe("up --plan refuses, changing nothing", () => {
  it("when a resource changed by hand since the plan, naming it", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    expect((await w.run(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    const table = w.fake.dynamodb.tables.get(TABLE);
    if (!table) throw new Error("no table");
    table.pitr = false;
    const group = w.fake.logs.groups.get(FUNCTION_LOGS);
    if (group) group.retentionInDays = 3;
    const before = await fs.readFile(w.statePath(), "utf8");

    const { r, mutating } = await mutationsOf(w, ["up", "--plan", "plan.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The plan plan.json is out of date; nothing was changed:");
    expect(r.stderr).toContain(`the DynamoDB table ${TABLE} changed since the plan was made`);
    expect(r.stderr).toContain(`the log group ${FUNCTION_LOGS} changed since the plan was made`);
    expect(r.stderr).not.toContain("the S3 bucket");
    expect(r.stderr).toContain(
      "Make a new plan with npx serverless-automation up --dry-run --out plan.json",
    );
    expect(mutating).toEqual([]);
    expect(table.pitr).toBe(false);
    expect(await fs.readFile(w.statePath(), "utf8")).toBe(before);
  });

  it("when a resource it would create was made in the meantime", async () => {
    const w = world();
    expect((await w.run(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    // Made by hand: the plan's read found no such log group.
    await w.run(["up"]);
    await fs.rm(w.statePath());
    const { r, mutating } = await mutationsOf(w, ["up", "--plan", "plan.json", "--json"]);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, command: "up" });
    expect(JSON.stringify(r.json)).toContain(
      `the DynamoDB table ${TABLE} changed since the plan was made`,
    );
    expect(mutating).toEqual([]);
  });

  it("when the configuration changed", async () => {
    const w = await upThenDrift();
    expect((await w.run(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    const { r, mutating } = await mutationsOf(w, [
      "up",
      "--plan",
      "plan.json",
      "--auth",
      "api-key",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "The configuration changed since the plan plan.json was made (its settings or the handler's code). Nothing was changed.",
    );
    expect(mutating).toEqual([]);
  });

  it("when the state changed: another up ran in between", async () => {
    const w = world();
    expect((await w.run(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    expect((await w.run(["up"])).code).toBe(0);
    const { r, mutating } = await mutationsOf(w, ["up", "--plan", "plan.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /The state changed since the plan plan\.json was made \(serial 0, now \d+\): another run changed the stack, or this plan was applied already \(perhaps stopped midway\)\. Nothing was changed\./,
    );
    expect(mutating).toEqual([]);
  });

  it("when the plan was applied already: a second apply does not blame another run", async () => {
    const w = world();
    expect((await w.run(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    expect((await w.run(["up", "--plan", "plan.json"])).code).toBe(0);
    const { r, mutating } = await mutationsOf(w, ["up", "--plan", "plan.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("or this plan was applied already (perhaps stopped midway)");
    expect(r.stderr).toContain("Make a new plan with");
    expect(mutating).toEqual([]);
  });

  it("in another region or account", async () => {
    const w = world();
    expect((await w.run(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    const region = await mutationsOf(w, ["up", "--plan", "plan.json", "--region", "eu-west-1"]);
    expect(region.r.code).toBe(1);
    expect(region.r.stderr).toContain(
      "The plan plan.json was made for region us-east-1, but this run targets region eu-west-1. Nothing was changed.",
    );
    expect(region.mutating).toEqual([]);

    const other = new FakeAccount({ account: "210987654321" });
    const r = await w.run(["up", "--plan", "plan.json"], { clients: other.clients("us-east-1") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "The plan plan.json was made for account 123456789012, but this run targets account 210987654321.",
    );
    expect(other.operations({ mutating: true })).toEqual([]);
  });

  it("a file that is not a plan of this version, and flags that do not go together", async () => {
    const w = world();
    const write = (text: string) => fs.writeFile(path.join(w.cwd, "plan.json"), text);
    const refused = async (argv: string[]) => {
      const r = await w.run(argv);
      expect(r.code).toBe(1);
      return r.stderr;
    };
    expect(await refused(["up", "--plan", "missing.json"])).toContain(
      "missing.json: there is no such file.",
    );
    await write("{not json");
    expect(await refused(["up", "--plan", "plan.json"])).toContain(
      "plan.json is not a plan file of serverless-automation: it is not valid JSON. Nothing was changed.",
    );
    await write(JSON.stringify({ format: "terraform" }));
    expect(await refused(["up", "--plan", "plan.json"])).toContain("is not a plan file");
    expect((await w.run(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    const good = await readPlan(w);
    await write(JSON.stringify({ ...good, formatVersion: 0 }));
    expect(await refused(["up", "--plan", "plan.json"])).toContain(
      "has format version 0; this version of serverless-automation reads version 1 only.",
    );
    await write(JSON.stringify({ ...good, toolVersion: "0.0.1" }));
    expect(await refused(["up", "--plan", "plan.json"])).toContain(
      `was made by serverless-automation 0.0.1, and this is ${VERSION}`,
    );
    expect(await refused(["up", "--plan", "plan.json", "--dry-run"])).toContain(
      "--plan applies a plan; it cannot be combined with --dry-run.",
    );
    expect(await refused(["up", "--out", "plan.json"])).toContain(
      "--out writes the plan of a dry run: pass --dry-run with it.",
    );
    const json = await w.run(["up", "--out", "plan.json", "--json"]);
    expect(json.json).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining("--out") },
    });
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("an empty --plan or --out: names the flag that needs a file name", async () => {
    const w = world();
    for (const argv of [
      ["up", "--plan", ""],
      ["up", "--dry-run", "--out", ""],
    ]) {
      const r = await w.run(argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${argv.at(-2)!} needs a file name; it was given an empty one.`);
      expect(r.stderr).not.toContain("is a directory");
    }
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("a blank --out writes no file named by spaces: refused like an empty one", async () => {
    const w = world();
    const r = await w.run(["up", "--dry-run", "--out", " "]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--out needs a file name; it was given only spaces.");
    expect(await fs.readdir(w.cwd)).not.toContain(" ");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("a directory passed as the plan file, in the user's words and with a hint that works", async () => {
    const w = world();
    await fs.mkdir(path.join(w.cwd, "plans"));
    const r = await w.run(["up", "--plan", "plans"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Cannot read the plan file plans: it is a directory (EISDIR).");
    expect(r.stderr).not.toContain("illegal operation");
    // Writing a plan over a directory fails too: the hint names a file in it instead.
    expect(r.stderr).toContain("--out plans/plan.json");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });
});
