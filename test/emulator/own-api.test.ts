import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GetResourcesCommand } from "@aws-sdk/client-api-gateway";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetFunctionConfigurationCommand, GetPolicyCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { inventory, isEmpty, restApiId } from "./aws.js";
import { CREDENTIALS, runMain } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * A handler of your own against moto: its routes, one scoped permission each, its key schema
 * and environment, read back through the SDK; a route-only change and a code-only change make
 * exactly the calls the API references call for; down leaves nothing.
 */

Object.assign(process.env, CREDENTIALS);

const em = useEmulator();

const FN = `${E.names("production").stack}-api`;
const mutating = () => em.proxy.mutating().map((c) => c.operation);

function configure(routes: string[]): void {
  writeFileSync(
    path.join(em.cwd, "serverless-automation.config.json"),
    JSON.stringify({
      name: "serverless-automation",
      handler: "src/api.ts",
      routes,
      table: { partitionKey: "tenant", sortKey: { name: "at", type: "number" } },
      environment: { FEATURE: "on" },
    }),
  );
}

function writeCode(word: string): void {
  mkdirSync(path.join(em.cwd, "src"), { recursive: true });
  writeFileSync(
    path.join(em.cwd, "src", "word.ts"),
    `export const word = ${JSON.stringify(word)};\n`,
  );
  writeFileSync(
    path.join(em.cwd, "src", "api.ts"),
    'import { word } from "./word";\nexport const handler = async () => ({ statusCode: 200, body: word });\n',
  );
}

async function up(): Promise<void> {
  em.proxy.arm(undefined);
  const r = await runMain(["up"], em.cwd, em.env);
  expect(r.code, r.stderr).toBe(0);
}

async function methods(): Promise<string[]> {
  const apiId = await restApiId(em.aws, "production");
  const out = await em.aws.apigateway.send(
    new GetResourcesCommand({ restApiId: apiId, embed: ["methods"] }),
  );
  return (out.items ?? [])
    .flatMap((r) => Object.keys(r.resourceMethods ?? {}).map((m) => `${m} ${r.path}`))
    .sort();
}

async function sourceArns(): Promise<string[]> {
  const out = await em.aws.lambda.send(new GetPolicyCommand({ FunctionName: `${FN}:live` }));
  const doc = JSON.parse(out.Policy ?? "{}") as {
    Statement: { Condition?: { ArnLike?: Record<string, string> } }[];
  };
  return doc.Statement.map((s) => s.Condition?.ArnLike?.["AWS:SourceArn"] ?? "").sort();
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("your own API against moto", () => {
  it("deploys three routes, one scoped permission each, the key schema and the environment", async () => {
    writeCode("one");
    configure(["GET /items", "POST /items", "GET /items/{id}"]);
    await up();
    expect(await methods()).toEqual(["GET /items", "GET /items/{id}", "POST /items"]);
    const apiId = await restApiId(em.aws, "production");
    const arn = (rest: string) =>
      `arn:aws:execute-api:${E.REGION}:${E.ACCOUNT}:${apiId}/prod/${rest}`;
    expect(await sourceArns()).toEqual(
      [arn("GET/items"), arn("GET/items/*"), arn("POST/items")].sort(),
    );
    const table = await em.aws.dynamodb.send(
      new DescribeTableCommand({ TableName: E.names("production").table }),
    );
    expect(table.Table?.KeySchema).toEqual([
      { AttributeName: "tenant", KeyType: "HASH" },
      { AttributeName: "at", KeyType: "RANGE" },
    ]);
    const fn = await em.aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FN }));
    expect(fn.Environment?.Variables?.FEATURE).toBe("on");
    expect(fn.Handler).toBe("index.handler");
    await up();
    expect(mutating()).toEqual([]);
  });

  it("a route-only change: the method and its permission go, the API is redeployed, nothing else", async () => {
    configure(["GET /items", "GET /items/{id}"]);
    await up();
    const apiId = await restApiId(em.aws, "production");
    // RemovePermission, DeleteMethod, UpdateStage and CreateDeployment, on the wire.
    expect(mutating().sort()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^DELETE /2015-03-31/functions/${FN}%3Alive/policy/apigateway-post-items-[0-9a-f]{8}$`,
        ),
      ),
      expect.stringMatching(new RegExp(`^DELETE /restapis/${apiId}/resources/\\w+/methods/POST$`)),
      `PATCH /restapis/${apiId}/stages/prod`,
      `POST /restapis/${apiId}/deployments`,
    ]);
    expect(await methods()).toEqual(["GET /items", "GET /items/{id}"]);
    expect(await sourceArns()).toHaveLength(2);
    await up();
    expect(mutating()).toEqual([]);
  });

  it("a code-only change: the new bundle uploaded, the function's code updated and served as a new version", async () => {
    writeCode("two");
    await up();
    // PutObject and UpdateFunctionCode, on the wire.
    expect(mutating()).toEqual([
      expect.stringMatching(
        new RegExp(`^PUT /${E.names("production").bucket}/artifacts/[0-9a-f]{64}\\.zip`),
      ),
      `PUT /2015-03-31/functions/${FN}/code`,
      `POST /2015-03-31/functions/${FN}/versions`,
      "PutMetricAlarm",
      `PUT /2015-03-31/functions/${FN}/aliases/live`,
    ]);
  });

  it("down leaves nothing", async () => {
    em.proxy.arm(undefined);
    const r = await runMain(["down", "--yes"], em.cwd, em.env);
    expect(r.code, r.stderr).toBe(0);
    expect(isEmpty(await inventory(em.aws))).toBe(true);
  });
});
