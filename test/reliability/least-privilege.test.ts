import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
// AGPL-licensed: a devDependency used only here, never shipped.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { HANDLER_DYNAMODB_ACTIONS } from "../../src/resources/policies.js";
import { ACCOUNT, quickWorld, STACK, tinyHandler } from "./support.js";

const ROLE = `${STACK}-function-us-east-1`;
const FN = `${STACK}-api`;
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${STACK}-items`;
const OTHER_TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/someone-elses-table`;
const OWN_LOG_GROUP = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/${FN}`;

// The role's inline policy exactly as the account holds it after `up`.
const w = quickWorld();
const r = await w.run(["up"], { handlerEntry: tinyHandler() });
if (r.code !== 0) throw new Error(`up failed:\n${r.stderr}`);
const role = w.fake.iam.roles.get(ROLE);
const policies = [...(role?.inlinePolicies ?? new Map<string, string>()).entries()].map(
  ([name, doc]) => ({ name, policy: JSON.parse(doc) as unknown }),
);

async function decide(action: string, resource: string): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`,
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
}

describe("the function role allows what the handler needs, and nothing else", () => {
  it("has exactly one inline policy and no managed policies", () => {
    expect(policies.map((p) => p.name)).toEqual([`${STACK}-function-policy`]);
    expect([...(role?.attached ?? [])]).toEqual([]);
  });

  it.each(HANDLER_DYNAMODB_ACTIONS.map((a) => [a]))("%s on its table: allowed", async (a) => {
    expect(await decide(a, TABLE_ARN)).toBe("Allowed");
  });

  it.each(HANDLER_DYNAMODB_ACTIONS.map((a) => [a]))("%s on another table: denied", async (a) => {
    expect(await decide(a, OTHER_TABLE_ARN)).not.toBe("Allowed");
  });

  it.each([
    ["dynamodb:DeleteTable", TABLE_ARN],
    ["dynamodb:Query", `${TABLE_ARN}/index/byDate`],
    ["dynamodb:BatchWriteItem", TABLE_ARN],
    ["logs:CreateLogGroup", `${OWN_LOG_GROUP}:*`],
    ["logs:PutLogEvents", `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/other:log-stream:x`],
    ["logs:DeleteLogGroup", `${OWN_LOG_GROUP}:*`],
    ["iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/${ROLE}`],
    ["iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/escalate`],
    ["iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/${ROLE}`],
    ["s3:GetObject", `arn:aws:s3:::${STACK}-${ACCOUNT}-us-east-1/artifacts/x.zip`],
    ["lambda:UpdateFunctionCode", `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${FN}`],
  ])("%s on %s: denied", async (action, resource) => {
    expect(await decide(action, resource)).not.toBe("Allowed");
  }); // prettier-ignore

  it.each([
    ["logs:PutLogEvents", `${OWN_LOG_GROUP}:log-stream:2026/01/01/[$LATEST]abc`],
    ["logs:CreateLogStream", `${OWN_LOG_GROUP}:log-stream:2026/01/01/[$LATEST]abc`],
    ["xray:PutTraceSegments", "*"],
    ["xray:PutTelemetryRecords", "*"],
  ])("%s on %s: allowed", async (action, resource) => {
    expect(await decide(action, resource)).toBe("Allowed");
  });
});

describe("HANDLER_DYNAMODB_ACTIONS is in step with the handler", () => {
  // client-dynamodb or lib-dynamodb command → the IAM action it needs.
  const ACTION_OF: Record<string, string> = {
    GetItemCommand: "dynamodb:GetItem",
    PutItemCommand: "dynamodb:PutItem",
    UpdateItemCommand: "dynamodb:UpdateItem",
    DeleteItemCommand: "dynamodb:DeleteItem",
    GetCommand: "dynamodb:GetItem",
    PutCommand: "dynamodb:PutItem",
    UpdateCommand: "dynamodb:UpdateItem",
    DeleteCommand: "dynamodb:DeleteItem",
    ScanCommand: "dynamodb:Scan",
    QueryCommand: "dynamodb:Query",
    BatchGetCommand: "dynamodb:BatchGetItem",
    BatchWriteCommand: "dynamodb:BatchWriteItem",
    TransactGetCommand: "dynamodb:GetItem",
    TransactWriteCommand: "dynamodb:PutItem",
  };

  it("grants exactly the actions of the commands handler/items.ts sends", () => {
    const source = readFileSync(
      fileURLToPath(new URL("../../handler/items.ts", import.meta.url)),
      "utf8",
    );
    const sent = [...source.matchAll(/new (\w+Command)\(/g)].map((m) => m[1] as string);
    expect(sent.length).toBeGreaterThan(0);
    for (const c of sent) expect(ACTION_OF, `unknown command ${c}`).toHaveProperty(c);
    const needed = [...new Set(sent.map((c) => ACTION_OF[c] as string))].sort();
    expect([...HANDLER_DYNAMODB_ACTIONS].sort()).toEqual(needed);
  });
});
