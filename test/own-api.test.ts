/**
 * Your own API on the stack: a handler of your own, its routes, the table's key schema and
 * access, and its environment, from the config file. Expectations are written by hand from the
 * API Gateway, Lambda, DynamoDB and IAM references (a REST API resource per path part, one
 * AddPermission per route scoped to arn:…:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH,
 * CreateTable's KeySchema and AttributeDefinitions), not recorded from the code.
 */
import { mkdtempSync, promises as fs, writeFileSync } from "node:fs";
import { execFile } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { GetResourcesCommand, type Resource } from "@aws-sdk/client-api-gateway";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetRolePolicyCommand } from "@aws-sdk/client-iam";
import { GetFunctionConfigurationCommand, GetPolicyCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { projectName } from "../src/ops/init.js";
import { world, type World } from "./helpers.js";

/** A change of the code or configuration: published, the version's alarm pointed at it, served. */
const NEW_VERSION = ["Lambda.PublishVersion", "CloudWatch.PutMetricAlarm", "Lambda.UpdateAlias"];
const execFileAsync = promisify(execFile);
const STACK = "serverless-automation-production";
const FN = `${STACK}-api`;
const ACCOUNT = "123456789012";
const REGION = "us-east-1";

async function configure(w: World, file: Record<string, unknown>): Promise<void> {
  // Under the built-in API's project name, so that the stack's names are those of STACK.
  const named = file.handler === undefined ? file : { name: "serverless-automation", ...file };
  await fs.writeFile(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(named));
}

/** A handler of your own in the world's directory, at src/api.ts. */
async function writeHandler(w: World, body = "ok"): Promise<void> {
  await fs.mkdir(path.join(w.cwd, "src"), { recursive: true });
  await fs.writeFile(
    path.join(w.cwd, "src", "api.ts"),
    `import { greeting } from "./greeting";\nexport const handler = async () => ({ statusCode: 200, body: greeting + ${JSON.stringify(body)} });\n`,
  );
  await fs.writeFile(path.join(w.cwd, "src", "greeting.ts"), `export const greeting = "hi ";\n`);
}

function mutations(w: World): string[] {
  return w.fake.operations({ mutating: true, ok: true });
}

/** Every method of the REST API, as "METHOD /path", through the SDK. */
async function apiRoutes(w: World, apiId: string): Promise<string[]> {
  const out = await w.fake
    .clients(REGION)
    .apigateway.send(new GetResourcesCommand({ restApiId: apiId, embed: ["methods"] }));
  return (out.items ?? [])
    .flatMap((r: Resource) => Object.keys(r.resourceMethods ?? {}).map((m) => `${m} ${r.path}`))
    .sort();
}

/** The function's invoke permissions: sid → SourceArn. */
async function permissions(w: World, fn = FN): Promise<Record<string, string>> {
  const out = await w.fake
    .clients(REGION)
    .lambda.send(new GetPolicyCommand({ FunctionName: `${fn}:live` }));
  const doc = JSON.parse(out.Policy ?? "{}") as {
    Statement: { Sid: string; Condition?: { ArnLike?: Record<string, string> } }[];
  };
  return Object.fromEntries(
    doc.Statement.map((s) => [s.Sid, s.Condition?.ArnLike?.["AWS:SourceArn"] ?? ""]),
  );
}

async function apiId(w: World): Promise<string> {
  const state = (await w.readState()) as { resources: { restApi: { id: string } } };
  return state.resources.restApi.id;
}

const THREE = ["GET /items", "POST /items", "GET /items/{id}"];

describe("a handler of your own with three routes", () => {
  it("deploys each route with exactly one invoke permission scoped to its method and path", async () => {
    const w = world();
    await writeHandler(w);
    await configure(w, { handler: "src/api.ts", routes: THREE });
    const r = await w.run(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/try npx serverless-automation request GET \/items\b/);
    const id = await apiId(w);
    expect(await apiRoutes(w, id)).toEqual(["GET /items", "GET /items/{id}", "POST /items"]);
    const arn = (rest: string) => `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}/prod/${rest}`;
    const perms = await permissions(w);
    expect(Object.values(perms).sort()).toEqual(
      [arn("GET/items"), arn("GET/items/*"), arn("POST/items")].sort(),
    );
    // Statement ids from method and path: no two routes share one.
    expect(new Set(Object.keys(perms)).size).toBe(3);
    expect(Object.keys(perms).every((sid) => /^apigateway-(get|post)-items/.test(sid))).toBe(true);

    // The bundle is the handler of the config file, with its own import bundled in.
    const fn = await w.fake
      .clients(REGION)
      .lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FN }));
    expect(fn.Handler).toBe("index.handler");

    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w)).toEqual([]);
  });

  it("removing a route removes its method and its permission, and redeploys the API", async () => {
    const w = world();
    await writeHandler(w);
    await configure(w, { handler: "src/api.ts", routes: THREE });
    expect((await w.run(["up"])).code).toBe(0);
    const before = await permissions(w);
    await configure(w, { handler: "src/api.ts", routes: ["GET /items", "GET /items/{id}"] });
    w.fake.resetCalls();
    const r = await w.run(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(mutations(w).sort()).toEqual(
      [
        "APIGateway.DeleteMethod",
        "Lambda.RemovePermission",
        "APIGateway.CreateDeployment",
        "APIGateway.UpdateStage",
      ].sort(),
    );
    const id = await apiId(w);
    expect(await apiRoutes(w, id)).toEqual(["GET /items", "GET /items/{id}"]);
    const after = await permissions(w);
    const removed = Object.keys(before).filter((sid) => !(sid in after));
    expect(removed).toHaveLength(1);
    expect(before[removed[0]!]).toMatch(/\/prod\/POST\/items$/);
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w)).toEqual([]);
  });

  it("adding a route: its method and integration, its permission, and a redeployment", async () => {
    const w = world();
    await writeHandler(w);
    await configure(w, { handler: "src/api.ts", routes: THREE });
    expect((await w.run(["up"])).code).toBe(0);
    await configure(w, { handler: "src/api.ts", routes: [...THREE, "PUT /items/{id}"] });
    w.fake.resetCalls();
    const r = await w.run(["up", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.routes).toEqual([...THREE, "PUT /items/{id}"]);
    expect(mutations(w).sort()).toEqual(
      [
        "APIGateway.PutMethod",
        "APIGateway.PutIntegration",
        "Lambda.AddPermission",
        "APIGateway.CreateDeployment",
        "APIGateway.UpdateStage",
      ].sort(),
    );
    const id = await apiId(w);
    expect(Object.values(await permissions(w))).toContain(
      `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}/prod/PUT/items/*`,
    );
  });

  it("a code-only change uploads the new bundle, updates only the function's code and serves it as a new version", async () => {
    const w = world();
    await writeHandler(w);
    await configure(w, { handler: "src/api.ts", routes: THREE });
    expect((await w.run(["up"])).code).toBe(0);
    await fs.writeFile(
      path.join(w.cwd, "src", "greeting.ts"),
      `export const greeting = "hello ";\n`,
    );
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w)).toEqual(["S3.PutObject", "Lambda.UpdateFunctionCode", ...NEW_VERSION]);
  });

  it("with no routes, answers every method and path: ANY / and ANY /{proxy+}", async () => {
    const w = world();
    await writeHandler(w);
    await configure(w, { handler: "src/api.ts" });
    expect((await w.run(["up"])).code).toBe(0);
    const id = await apiId(w);
    expect(await apiRoutes(w, id)).toEqual(["ANY /", "ANY /{proxy+}"]);
    const arn = (rest: string) => `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}/prod/${rest}`;
    expect(Object.values(await permissions(w)).sort()).toEqual([arn("*/"), arn("*/*")]);
  });
});

describe("the table", () => {
  it("is made with the configured partition and sort key", async () => {
    const w = world();
    await configure(w, {
      table: { partitionKey: "tenant", sortKey: { name: "createdAt", type: "number" } },
    });
    expect((await w.run(["up"])).code).toBe(0);
    const t = await w.fake
      .clients(REGION)
      .dynamodb.send(new DescribeTableCommand({ TableName: `${STACK}-items` }));
    expect(t.Table?.KeySchema).toEqual([
      { AttributeName: "tenant", KeyType: "HASH" },
      { AttributeName: "createdAt", KeyType: "RANGE" },
    ]);
    expect(t.Table?.AttributeDefinitions).toEqual([
      { AttributeName: "tenant", AttributeType: "S" },
      { AttributeName: "createdAt", AttributeType: "N" },
    ]);
  });

  it("a change of key schema is refused before any AWS call, and the table is left alone", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    await configure(w, { table: { partitionKey: { name: "pk", type: "string" } } });
    w.fake.resetCalls();
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/key schema would change from id:S:HASH to pk:S:HASH/);
    expect(r.stderr).toMatch(/cannot be changed in place/);
    expect(w.fake.operations()).toEqual([]);
    expect(w.fake.dynamodb.tables.get(`${STACK}-items`)).toBeDefined();
    // status says what up would: the change is refused (exit 1), read-only.
    const status = await w.run(["status"]);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/exists with another key schema/);
    expect(status.stderr).toMatch(/cannot be changed in place/);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("a table found with another key (no state file) is refused, not replaced", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    await fs.rm(w.statePath());
    await configure(w, { table: { partitionKey: "pk" } });
    w.fake.resetCalls();
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /exists with another key schema \(id:S:HASH; the config asks for pk:S:HASH\)/,
    );
    expect(w.fake.operations({ mutating: true }).filter((o) => o.startsWith("DynamoDB"))).toEqual(
      [],
    );
  });
});

/** The function role's table statement (undefined: none). */
async function tableStatement(w: World) {
  const out = await w.fake.clients(REGION).iam.send(
    new GetRolePolicyCommand({
      RoleName: `${STACK}-function-us-east-1`,
      PolicyName: `${STACK}-function-policy`,
    }),
  );
  const doc = JSON.parse(decodeURIComponent(out.PolicyDocument ?? "")) as {
    Statement: { Sid?: string; Action: string[]; Resource: string | string[] }[];
  };
  return doc.Statement.find((s) => s.Sid === "ItemsTable");
}

describe("table access", () => {
  const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${STACK}-items`;

  it("read-write (the default) gives your handler the item and query actions on the table and its indexes", async () => {
    const w = world();
    await writeHandler(w);
    await configure(w, { handler: "src/api.ts" });
    expect((await w.run(["up"])).code).toBe(0);
    expect(await tableStatement(w)).toEqual({
      Sid: "ItemsTable",
      Effect: "Allow",
      Action: [
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:UpdateItem",
      ],
      Resource: [TABLE_ARN, `${TABLE_ARN}/index/*`],
    });
  });

  it("read-only gives only the read actions; none removes the statement; each change is one PutRolePolicy", async () => {
    const w = world();
    await writeHandler(w);
    await configure(w, { handler: "src/api.ts", table: { access: "read-only" } });
    expect((await w.run(["up"])).code).toBe(0);
    expect((await tableStatement(w))?.Action).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:GetItem",
      "dynamodb:Query",
      "dynamodb:Scan",
    ]);
    await configure(w, { handler: "src/api.ts", table: { access: "none" } });
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w)).toEqual(["IAM.PutRolePolicy"]);
    expect(await tableStatement(w)).toBeUndefined();
  });

  it("the built-in handler keeps exactly the five actions it calls, on the table alone", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    expect(await tableStatement(w)).toEqual({
      Sid: "ItemsTable",
      Effect: "Allow",
      Action: [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Scan",
        "dynamodb:UpdateItem",
      ],
      Resource: TABLE_ARN,
    });
  });
});

describe("the function's environment", () => {
  it("adds your variables beside the tool's own, and a change is one UpdateFunctionConfiguration", async () => {
    const w = world();
    await configure(w, { environment: { FEATURE_FLAG: "on", DB_PASSWORD_PARAM: "/app/db" } });
    expect((await w.run(["up"])).code).toBe(0);
    const read = () =>
      w.fake.clients(REGION).lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FN }));
    expect((await read()).Environment?.Variables).toEqual({
      FEATURE_FLAG: "on",
      DB_PASSWORD_PARAM: "/app/db",
      TABLE_NAME: `${STACK}-items`,
      ENVIRONMENT: "production",
      LOG_LEVEL: "info",
      CORS_ORIGIN: "*",
    });
    await configure(w, { environment: { FEATURE_FLAG: "off" } });
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(mutations(w)).toEqual(["Lambda.UpdateFunctionConfiguration", ...NEW_VERSION]);
    expect((await read()).Environment?.Variables?.FEATURE_FLAG).toBe("off");
    expect((await read()).Environment?.Variables?.DB_PASSWORD_PARAM).toBeUndefined();
  });
});

describe("refused before any AWS call", () => {
  const refusedBeforeAws = async (
    file: Record<string, unknown>,
    message: RegExp,
    setup?: (w: World) => Promise<void>,
  ) => {
    const w = world();
    await setup?.(w);
    await configure(w, file);
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(w.fake.operations()).toEqual([]);
    expect(await w.readState()).toBeUndefined();
    return r;
  };

  it("a handler with a syntax error, reported as esbuild reports it (file:line:column)", async () => {
    await refusedBeforeAws(
      { handler: "src/api.ts" },
      /Cannot bundle the handler: src\/api\.ts:2:\d+: /,
      async (w) => {
        await fs.mkdir(path.join(w.cwd, "src"));
        await fs.writeFile(
          path.join(w.cwd, "src", "api.ts"),
          "export const handler = async () => {\n  return { statusCode: 200 ;\n};\n",
        );
      },
    );
  });

  it("an import that does not resolve", async () => {
    await refusedBeforeAws(
      { handler: "src/api.ts" },
      /src\/api\.ts:1:\d+: Could not resolve "\.\/nowhere"/,
      async (w) => {
        await fs.mkdir(path.join(w.cwd, "src"));
        await fs.writeFile(
          path.join(w.cwd, "src", "api.ts"),
          'import { x } from "./nowhere";\nexport const handler = async () => ({ statusCode: 200, body: x });\n',
        );
      },
    );
  });

  it("a handler that does not export handler", async () => {
    const r = await refusedBeforeAws(
      { handler: "src/api.ts" },
      /does not export "handler"/,
      async (w) => {
        await fs.mkdir(path.join(w.cwd, "src"));
        await fs.writeFile(
          path.join(w.cwd, "src", "api.ts"),
          "export const main = async () => ({ statusCode: 200 });\n",
        );
      },
    );
    expect(r.stderr).toMatch(/exports found: main/);
  });

  it("an entry that does not exist, named relative to the config file", async () => {
    await refusedBeforeAws(
      { handler: "src/missing.ts" },
      /Cannot read the handler source .*src\/missing\.ts/,
    );
  });

  it("a secret-looking variable, with a hint to use Parameter Store or Secrets Manager", async () => {
    for (const name of ["DB_PASSWORD", "STRIPE_SECRET", "GITHUB_TOKEN", "OPENAI_API_KEY"]) {
      const r = await refusedBeforeAws(
        { environment: { [name]: "x" } },
        new RegExp(`environment\\.${name} is refused: it looks like a secret`),
      );
      expect(r.stderr).toMatch(/SSM Parameter Store .* or Secrets Manager/);
    }
  });

  it("a variable the tool sets itself, or Lambda reserves", async () => {
    await refusedBeforeAws(
      { environment: { TABLE_NAME: "other" } },
      /environment\.TABLE_NAME is set by serverless-automation itself/,
    );
    await refusedBeforeAws(
      { environment: { AWS_REGION: "eu-west-1" } },
      /environment\.AWS_REGION is reserved by Lambda/,
    );
  });

  it("routes API Gateway would refuse", async () => {
    await refusedBeforeAws(
      { routes: ["FETCH /items"] },
      /routes\[0\] "FETCH \/items" has an unknown method FETCH/,
    );
    await refusedBeforeAws({ routes: ["GET items"] }, /must have a path starting with "\/"/);
    await refusedBeforeAws({ routes: ["GET /{proxy+}/x"] }, /greedy \{proxy\+\} before the end/);
    await refusedBeforeAws(
      { routes: ["GET /items/{id}", "GET /items/{itemId}"] },
      /one variable path part per level/,
    );
    await refusedBeforeAws({ routes: ["GET /a", "get /a"] }, /is listed twice/);
  });
});

describe("init", () => {
  it("scaffolds a project in a new directory, and never overwrites", async () => {
    const w = world();
    const r = await w.run(["init", "my-api"]);
    expect(r.code, r.stderr).toBe(0);
    const dir = path.join(w.cwd, "my-api");
    expect((await fs.readdir(dir)).sort()).toEqual([
      ".gitignore",
      "package.json",
      "serverless-automation.config.json",
      "src",
      "test",
      "tsconfig.json",
    ]);
    const pkg = JSON.parse(await fs.readFile(path.join(dir, "package.json"), "utf8")) as {
      name: string;
      scripts: Record<string, string>;
    };
    expect(pkg.name).toBe("my-api");
    expect(pkg.scripts).toMatchObject({
      dev: "serverless-automation dev",
      deploy: "serverless-automation up",
    });
    expect(await fs.readFile(path.join(dir, ".gitignore"), "utf8")).toMatch(
      /^\.serverless-automation\/$/m,
    );
    expect(r.stdout).toMatch(/cd my-api\n {2}npm install/);

    const again = await w.run(["init", "my-api"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is not empty .*init never overwrites anything/);
    expect(w.fake.operations()).toEqual([]);
  });

  it("refuses a non-empty directory and leaves it as it was", async () => {
    const w = world();
    writeFileSync(path.join(w.cwd, "notes.txt"), "mine");
    const r = await w.run(["init"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not empty \(notes\.txt\)/);
    expect(await fs.readdir(w.cwd)).toEqual(["notes.txt"]);
  });

  it("the scaffold type-checks and its own test passes", async () => {
    const w = world();
    const dir = mkdtempSync(path.join(os.tmpdir(), "sa-init-"));
    expect((await w.run(["init", dir])).code).toBe(0);
    // What `npm install` would give it, from this package's own node_modules.
    await fs.symlink(path.resolve("node_modules"), path.join(dir, "node_modules"), "dir");
    // As the user's shell has it: without the variable that silences the SDK's Node-version notice.
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const run = (cmd: string, args: string[]) =>
      execFileAsync(cmd, args, { cwd: dir, env }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({
          code: e.code,
          out: e.stdout + e.stderr,
        }),
      );
    const tsc = await run(process.execPath, [
      path.resolve("node_modules/typescript/bin/tsc"),
      "-p",
      ".",
    ]);
    expect(tsc.code, tsc.out).toBe(0);
    // TAP as on every Node line (from Node 23 the default reporter is spec even off a terminal).
    const test = await run(process.execPath, [
      "--import",
      "tsx",
      "--test",
      "--test-reporter=tap",
      "test/handler.test.ts",
      "test/secrets.test.ts",
    ]);
    expect(test.code, test.out).toBe(0);
    // The handler's two tests and the secret reader's two (read, cache, dev's value, not configured).
    expect(test.out).toMatch(/# pass 4/);
    // Its test passes its own table and makes no AWS SDK client, so on any Node (the machine's
    // Node 20 included) it prints no NodeVersionSupportWarning; on Node 20, npm install says
    // that the project wants Node 22 (engines), once.
    expect(test.out).not.toMatch(/NodeVersionSupportWarning/);
    const pkg = JSON.parse(await fs.readFile(path.join(dir, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    expect(pkg.engines).toEqual({ node: ">=22" });
  });

  it("a scaffolded project deploys as it is: its routes, its table and a scoped permission each", async () => {
    const w = world();
    const dir = mkdtempSync(path.join(os.tmpdir(), "sa-init-"));
    expect((await w.run(["init", dir])).code).toBe(0);
    const r = await w.run(["up"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const state = JSON.parse(
      await fs.readFile(
        path.join(dir, ".serverless-automation", "production.us-east-1.json"),
        "utf8",
      ),
    ) as { name: string; resources: { restApi: { id: string } } };
    // Named after its directory, as init wrote it in the config file.
    const name = projectName(dir);
    expect(state.name).toBe(name);
    expect(w.fake.dynamodb.tables.has(`${name}-production-items`)).toBe(true);
    expect(w.fake.dynamodb.tables.has(`${STACK}-items`)).toBe(false);
    expect(await apiRoutes(w, state.resources.restApi.id)).toEqual([
      "DELETE /items/{id}",
      "GET /items",
      "GET /items/{id}",
      "POST /items",
    ]);
    expect(Object.keys(await permissions(w, `${name}-production-api`))).toHaveLength(4);
  });
});

describe("table access in the IAM policy simulator", () => {
  const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${STACK}-items`;
  const INDEX_ARN = `${TABLE_ARN}/index/byDate`;
  const OTHER = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/someone-elses`;

  /** The role's inline policies as the account holds them after `up` with this access. */
  async function decider(access: string) {
    const w = world();
    await writeHandler(w);
    await configure(w, { handler: "src/api.ts", table: { access } });
    expect((await w.run(["up"])).code).toBe(0);
    const role = w.fake.iam.roles.get(`${STACK}-function-us-east-1`);
    const policies = [...(role?.inlinePolicies ?? new Map<string, string>()).entries()].map(
      ([name, doc]) => ({ name, policy: JSON.parse(doc) as unknown }),
    );
    const { runSimulation } = await import("@cloud-copilot/iam-simulate");
    return async (action: string, resource: string) => {
      const result = await runSimulation(
        {
          request: {
            principal: `arn:aws:iam::${ACCOUNT}:role/${STACK}-function`,
            action,
            resource: { resource, accountId: ACCOUNT },
            contextVariables: {},
          },
          identityPolicies: policies,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
      return result.overallResult;
    };
  }

  it("read-only: reads on the table and its indexes are allowed, every write is denied", async () => {
    const decide = await decider("read-only");
    for (const a of ["GetItem", "Query", "Scan", "BatchGetItem"]) {
      expect(await decide(`dynamodb:${a}`, TABLE_ARN), a).toBe("Allowed");
    }
    expect(await decide("dynamodb:Query", INDEX_ARN)).toBe("Allowed");
    for (const a of ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "DeleteTable"]) {
      expect(await decide(`dynamodb:${a}`, TABLE_ARN), a).not.toBe("Allowed");
    }
    expect(await decide("dynamodb:GetItem", OTHER)).not.toBe("Allowed");
  });

  it("read-write: writes are allowed on this table only, and never on the table itself", async () => {
    const decide = await decider("read-write");
    for (const a of ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]) {
      expect(await decide(`dynamodb:${a}`, TABLE_ARN), a).toBe("Allowed");
      expect(await decide(`dynamodb:${a}`, OTHER), a).not.toBe("Allowed");
    }
    for (const a of ["DeleteTable", "UpdateTable", "CreateTable"]) {
      expect(await decide(`dynamodb:${a}`, TABLE_ARN), a).not.toBe("Allowed");
    }
  });

  it("none: not even a read", async () => {
    const decide = await decider("none");
    expect(await decide("dynamodb:GetItem", TABLE_ARN)).not.toBe("Allowed");
  });
});

describe("Lambda's code size limits", () => {
  it("a bundle over 250 MB unzipped, or 50 MB zipped, is refused with a hint", async () => {
    const { checkArtifactSize, LAMBDA_LIMITS } = await import("../src/package/bundle.js");
    const MB = 1024 * 1024;
    expect(() => checkArtifactSize("src/api.ts", 250 * MB, 50 * MB)).not.toThrow();
    expect(() => checkArtifactSize("src/api.ts", 250 * MB + 1, 1)).toThrow(
      /The bundle of src\/api\.ts is 250\.0 MB unzipped; Lambda allows 250\.0 MB\./,
    );
    expect(() => checkArtifactSize("src/api.ts", 60 * MB, 50 * MB + 1)).toThrow(
      /The zipped bundle of src\/api\.ts is 50\.0 MB; Lambda allows 50\.0 MB\./,
    );
    expect(LAMBDA_LIMITS).toEqual({ zippedBytes: 50 * MB, unzippedBytes: 250 * MB });
  });
});

describe("bundling a handler of your own", () => {
  it("bundles its own dependencies in and leaves the AWS SDK v3 to the runtime", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sa-bundle-"));
    const dep = path.join(dir, "node_modules", "shout");
    await fs.mkdir(dep, { recursive: true });
    await fs.writeFile(
      path.join(dep, "package.json"),
      JSON.stringify({ name: "shout", version: "1.0.0", type: "module", main: "index.js" }),
    );
    await fs.writeFile(
      path.join(dep, "index.js"),
      'export const shout = (s) => s.toUpperCase() + "!MARKER-SHOUT";\n',
    );
    const entry = path.join(dir, "api.js");
    await fs.writeFile(
      entry,
      'import { shout } from "shout";\nimport { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nexport const client = new DynamoDBClient({});\nexport const handler = async () => ({ statusCode: 200, body: shout("hi") });\n',
    );
    const { bundleHandler } = await import("../src/package/bundle.js");
    const code = Buffer.from(await bundleHandler(entry, "nodejs22.x", true, dir)).toString();
    expect(code).toContain("!MARKER-SHOUT");
    expect(code).toMatch(/from"@aws-sdk\/client-dynamodb"/);
    expect(code).not.toContain("ResourceNotFoundException");
  });
});

describe("the scaffold's dependency on this tool", () => {
  it("is the version range from the registry, this copy by path from a checkout", async () => {
    const { toolDependency } = await import("../src/ops/init.js");
    expect(toolDependency("/home/u/app/node_modules/serverless-automation/", "0.1.0")).toBe(
      "^0.1.0",
    );
    expect(toolDependency("/home/u/src/serverless-automation/", "0.1.0")).toBe(
      "file:/home/u/src/serverless-automation",
    );
  });
});
