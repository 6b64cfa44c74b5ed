import { beforeEach, describe, expect, it, vi } from "vitest";
import type * as PoliciesModule from "../../src/resources/policies.js";

/**
 * Loaded afresh for each test: the action lists are module constants, evaluated once per load,
 * and each test checks the lists as this load made them.
 */
let policies: typeof PoliciesModule;
beforeEach(async () => {
  vi.resetModules();
  policies = await import("../../src/resources/policies.js");
});
const trustPolicy = (s: string) => policies.trustPolicy(s);
const functionRolePolicy = (i: Parameters<typeof policies.functionRolePolicy>[0]) =>
  policies.functionRolePolicy(i);
const API_GATEWAY_LOGS_MANAGED_POLICY = (p: string) => policies.API_GATEWAY_LOGS_MANAGED_POLICY(p);

/** The IAM documents the stack's roles get: exactly what is allowed, on exactly what. */

const BASE = {
  partition: "aws-cn",
  region: "cn-north-1",
  account: "111122223333",
  functionLogGroup: "/aws/lambda/shop-production-api",
  tableArn: "arn:aws-cn:dynamodb:cn-north-1:111122223333:table/shop-production-items",
};

const LOGS = {
  Sid: "WriteOwnLogs",
  Effect: "Allow",
  Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
  Resource: "arn:aws-cn:logs:cn-north-1:111122223333:log-group:/aws/lambda/shop-production-api:*",
};
const TRACES = {
  Sid: "WriteTraces",
  Effect: "Allow",
  Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
  Resource: "*",
};

describe("IAM documents", () => {
  it("a trust policy lets only the named service assume the role", () => {
    expect(trustPolicy("lambda.amazonaws.com")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ],
    });
  });

  it("the built-in handler: its own log group, traces, and the five item actions it calls on the table alone", () => {
    expect(functionRolePolicy(BASE)).toEqual({
      Version: "2012-10-17",
      Statement: [
        LOGS,
        TRACES,
        {
          Sid: "ItemsTable",
          Effect: "Allow",
          Action: [
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Scan",
            "dynamodb:UpdateItem",
          ],
          Resource: BASE.tableArn,
        },
      ],
    });
  });

  it("the built-in handler with read-only access: only the reads it calls", () => {
    const doc = functionRolePolicy({ ...BASE, access: "read-only" });
    expect(doc.Statement[2]).toEqual({
      Sid: "ItemsTable",
      Effect: "Allow",
      Action: ["dynamodb:GetItem", "dynamodb:Scan"],
      Resource: BASE.tableArn,
    });
  });

  it("a handler of your own: the access level's actions, on the table and its indexes", () => {
    const rw = functionRolePolicy({ ...BASE, customHandler: true });
    expect(rw.Statement[2]).toEqual({
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
      Resource: [BASE.tableArn, `${BASE.tableArn}/index/*`],
    });
    const ro = functionRolePolicy({ ...BASE, customHandler: true, access: "read-only" });
    expect(ro.Statement[2]?.Action).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:GetItem",
      "dynamodb:Query",
      "dynamodb:Scan",
    ]);
  });

  it("no table access: no table statement at all (IAM refuses an empty Action)", () => {
    expect(functionRolePolicy({ ...BASE, access: "none" }).Statement).toEqual([LOGS, TRACES]);
    expect(functionRolePolicy({ ...BASE, access: "none", customHandler: true }).Statement).toEqual([
      LOGS,
      TRACES,
    ]);
  });

  it("API Gateway's logging role: the AWS managed policy in the stack's partition", () => {
    expect(API_GATEWAY_LOGS_MANAGED_POLICY("aws-us-gov")).toBe(
      "arn:aws-us-gov:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    );
  });
});
