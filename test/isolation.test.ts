import { existsSync, mkdtempSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { projectName } from "../src/ops/init.js";
import type { World } from "./helpers.js";
import { quickWorld, tinyHandler } from "./reliability/support.js";

/**
 * A stack touches only what is its own: two projects in one account and region never share a
 * resource, a name that another stack's resource already has stops a run before any change, and
 * the default state file names its region.
 */

const BUILT_IN = "serverless-automation-production";

/** A project directory of its own: its config file and a handler at src/api.ts. */
async function projectDir(config: Record<string, unknown>): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sa-project-"));
  await fs.mkdir(path.join(dir, "src"));
  await fs.writeFile(
    path.join(dir, "src", "api.ts"),
    "export const handler = async () => ({ statusCode: 200, body: 'other' });\n",
  );
  await fs.writeFile(
    path.join(dir, "serverless-automation.config.json"),
    JSON.stringify({ handler: "src/api.ts", routes: ["GET /orders"], ...config }),
  );
  return dir;
}

function mutating(w: World): string[] {
  return w.fake.operations({ mutating: true });
}

describe("two projects in one account and region", () => {
  it("each makes its own; status of each is in sync; down of one leaves the other whole", async () => {
    const w = quickWorld();
    const handlerEntry = tinyHandler();
    expect((await w.run(["up"], { handlerEntry })).code).toBe(0);
    const orders = await projectDir({ name: "orders" });
    const up = await w.run(["up"], { cwd: orders });
    expect(up.code, up.stderr).toBe(0);

    for (const stack of [BUILT_IN, "orders-production"]) {
      expect(w.fake.dynamodb.tables.has(`${stack}-items`), stack).toBe(true);
      expect(w.fake.lambda.functions.has(`${stack}-api`), stack).toBe(true);
      expect(w.fake.iam.roles.has(`${stack}-function-us-east-1`), stack).toBe(true);
    }
    const table = w.fake.dynamodb.tables.get("orders-production-items");
    expect(Object.fromEntries(table?.tags ?? [])).toMatchObject({
      project: "orders",
      "serverless-automation:stack": "orders-production",
    });

    w.fake.resetCalls();
    expect((await w.run(["status"], { handlerEntry })).code).toBe(0);
    expect((await w.run(["status"], { cwd: orders })).code).toBe(0);
    expect(mutating(w)).toEqual([]);

    const down = await w.run(["down", "--yes"], { cwd: orders });
    expect(down.code, down.stderr).toBe(0);
    expect(w.fake.dynamodb.tables.has("orders-production-items")).toBe(false);
    expect(w.fake.lambda.functions.has("orders-production-api")).toBe(false);
    // The built-in API's stack is whole and in sync: not one call changes it.
    w.fake.resetCalls();
    const again = await w.run(["up"], { handlerEntry });
    expect(again.code, again.stderr).toBe(0);
    expect(mutating(w)).toEqual([]);
    expect(w.fake.dynamodb.tables.get(`${BUILT_IN}-items`)?.deletionProtection).toBe(true);
  });

  it("names that read the same (shop-eu + prod, shop + eu-prod) stop the second project before any change", async () => {
    const w = quickWorld();
    const first = await projectDir({ name: "shop-eu" });
    expect((await w.run(["up", "--stage", "prod"], { cwd: first })).code).toBe(0);
    const second = await projectDir({ name: "shop" });

    w.fake.resetCalls();
    const up = await w.run(["up", "--stage", "eu-prod"], { cwd: second });
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/not this stack's/);
    expect(up.stderr).toContain(
      "resources with this stack's names are not this stack's (project=shop, serverless-automation:stack=shop-eu-prod); nothing was changed:\n  tagged project=shop-eu, serverless-automation:stack=shop-eu-prod: the S3 bucket shop-eu-prod-",
    );
    expect(up.stderr).toMatch(/the DynamoDB table shop-eu-prod-items, .*, and \d+ more\n/);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(mutating(w)).toEqual([]);

    const status = await w.run(["status", "--stage", "eu-prod"], { cwd: second });
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/not this stack's/);

    // down without a state file finds everything by name: still nothing is deleted.
    const down = await w.run(["down", "--yes", "--stage", "eu-prod"], { cwd: second });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/not this stack's/);
    expect(mutating(w)).toEqual([]);
    expect(w.fake.dynamodb.tables.has("shop-eu-prod-items")).toBe(true);
    expect((await w.run(["status", "--stage", "prod"], { cwd: first })).code).toBe(0);
  });

  it("a table with the stack's name that carries none of its tags (made by hand) is neither adopted nor deleted", async () => {
    const w = quickWorld();
    await w.fake.clients().dynamodb.send(
      new CreateTableCommand({
        TableName: `${BUILT_IN}-items`,
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    w.fake.resetCalls();
    const up = await w.run(["up"], { handlerEntry: tinyHandler() });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      `is not this stack's (project=serverless-automation, serverless-automation:stack=${BUILT_IN}); nothing was changed:\n  without this stack's tags: the DynamoDB table ${BUILT_IN}-items\n`,
    );
    const down = await w.run(["down", "--yes"]);
    expect(down.code).toBe(1);
    expect(mutating(w)).toEqual([]);
    expect(w.fake.dynamodb.tables.has(`${BUILT_IN}-items`)).toBe(true);
  });

  it("after a lost state file, up adopts what carries this stack's tags with no mutating call", async () => {
    const w = quickWorld();
    const entry = tinyHandler();
    expect((await w.run(["up"], { handlerEntry: entry })).code).toBe(0);
    await fs.rm(w.statePath());
    w.fake.resetCalls();
    const r = await w.run(["up"], { handlerEntry: entry });
    expect(r.code, r.stderr).toBe(0);
    expect(mutating(w)).toEqual([]);
  });
});

describe("the project's name", () => {
  async function refusedBeforeAws(
    w: World,
    dir: string,
    pattern: RegExp,
    argv: string[] = [],
  ): Promise<void> {
    w.fake.resetCalls();
    const r = await w.run(["up", ...argv], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(w.fake.operations()).toEqual([]);
  }

  it("too long for the bucket's 63 characters: names the limit and how long it may be", async () => {
    const w = quickWorld();
    await refusedBeforeAws(
      w,
      await projectDir({ name: "a".repeat(30) }),
      /S3 bucket names allow 63 characters, and a{30}-production-<account>-us-east-1 would be 64\.\n.*Shorten "name" to at most 29 characters/,
    );
  });

  it("not lowercase letters, digits and single hyphens: refused", async () => {
    const w = quickWorld();
    await refusedBeforeAws(
      w,
      await projectDir({ name: "My_Api" }),
      /Invalid project name "My_Api"/,
    );
  });

  it("your own handler without a name: refused, saying how to keep a stack deployed without one", async () => {
    const w = quickWorld();
    const dir = await projectDir({});
    await refusedBeforeAws(w, dir, /brings its own handler but no project "name"/);
    const r = await w.run(["up"], { cwd: dir });
    expect(r.stderr).toContain('set "name": "serverless-automation" to keep working on it');
  });

  it("is set once, at the top level: a stage cannot have its own", async () => {
    const w = quickWorld();
    await refusedBeforeAws(
      w,
      await projectDir({ name: "orders", stages: { dev: { name: "x" } } }),
      /stages\.dev\.name is set once, at the top level/,
      ["--stage", "dev"],
    );
  });

  it("a state file of another project is left untouched", async () => {
    const w = quickWorld();
    const dir = await projectDir({ name: "orders" });
    expect((await w.run(["up"], { cwd: dir })).code).toBe(0);
    const file = path.join(dir, ".serverless-automation", "production.us-east-1.json");
    const before = await fs.readFile(file, "utf8");
    await fs.writeFile(
      path.join(dir, "serverless-automation.config.json"),
      JSON.stringify({ name: "billing", handler: "src/api.ts", routes: ["GET /orders"] }),
    );
    w.fake.resetCalls();
    const r = await w.run(["up"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("belongs to project orders, but this run's project is billing");
    expect(r.stderr).toContain('set "name": "orders"');
    expect(mutating(w)).toEqual([]);
    expect(await fs.readFile(file, "utf8")).toBe(before);
  });

  it("init names the project after its directory, within every limit", () => {
    expect(projectName("/tmp/My_API.v2")).toBe("my-api-v2");
    expect(projectName("/tmp/2024 Orders")).toBe("orders");
    expect(projectName("/tmp/---")).toBe("my-api");
    const long = projectName(`/tmp/${"orders-".repeat(10)}`);
    expect(long.length).toBeLessThanOrEqual(22);
    expect(long).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  });
});

describe("the default state file names the region", () => {
  it("a state file at the old place (<stage>.json) is moved on the next up, and nothing is made again", async () => {
    const w = quickWorld();
    const entry = tinyHandler();
    expect((await w.run(["up"], { handlerEntry: entry })).code).toBe(0);
    const legacy = path.join(w.cwd, ".serverless-automation", "production.json");
    await fs.rename(w.statePath(), legacy);

    // Read where it is until up moves it: status is in sync, outputs describes the stack.
    expect((await w.run(["status"], { handlerEntry: entry })).code).toBe(0);
    expect((await w.run(["outputs", "--json"])).json.table).toBe(`${BUILT_IN}-items`);
    expect(existsSync(legacy)).toBe(true);

    w.fake.resetCalls();
    const r = await w.run(["up"], { handlerEntry: entry });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Moved the state file ${legacy} to ${w.statePath()}`);
    expect(mutating(w)).toEqual([]);
    expect(existsSync(legacy)).toBe(false);
    expect(JSON.parse(await fs.readFile(w.statePath(), "utf8"))).toMatchObject({
      region: "us-east-1",
      stage: "production",
    });
  });

  it("an old state file of another region stays where it is, for that region's next run", async () => {
    const w = quickWorld();
    const entry = tinyHandler();
    expect((await w.run(["up"], { handlerEntry: entry })).code).toBe(0);
    const legacy = path.join(w.cwd, ".serverless-automation", "production.json");
    const state = JSON.parse(await fs.readFile(w.statePath(), "utf8")) as Record<string, unknown>;
    await fs.writeFile(legacy, JSON.stringify({ ...state, region: "eu-west-1" }));
    const r = await w.run(["up"], { handlerEntry: entry });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("Moved the state file");
    expect(JSON.parse(await fs.readFile(legacy, "utf8"))).toMatchObject({ region: "eu-west-1" });
  });

  it("outputs without a region picks the stage's only state file, and asks when there are two", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], { handlerEntry: tinyHandler() })).code).toBe(0);
    const env = { AWS_REGION: "" };
    const one = await w.run(["outputs", "--json"], { env });
    expect(one.code, one.stderr).toBe(0);
    expect(one.json.region).toBe("us-east-1");
    await fs.copyFile(
      w.statePath(),
      path.join(w.cwd, ".serverless-automation", "production.eu-west-1.json"),
    );
    const two = await w.run(["outputs"], { env });
    expect(two.code).toBe(1);
    expect(two.stderr).toContain("state files for 2 regions (eu-west-1, us-east-1)");
    expect(two.stderr).toContain("Pass --region");
  });
});
