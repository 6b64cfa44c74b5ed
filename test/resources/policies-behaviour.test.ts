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

  it("secrets: one read on exactly their ARNs per service, and their customer keys only through that service", () => {
    const P1 = "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/shop/db";
    const P2 = "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/shop/api";
    const S1 = "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:shop/stripe-AbCdEf";
    const K1 = "arn:aws-cn:kms:cn-north-1:111122223333:key/1111";
    const K2 = "arn:aws-cn:kms:cn-north-1:111122223333:key/2222";
    const statements = functionRolePolicy({
      ...BASE,
      access: "none",
      secrets: [
        { service: "ssm", arn: P1, kmsKeyArn: K2 },
        { service: "secretsmanager", arn: S1, kmsKeyArn: K1 },
        { service: "ssm", arn: P2, kmsKeyArn: K1 },
        // The same parameter twice (two names for one secret): granted once.
        { service: "ssm", arn: P1, kmsKeyArn: K2 },
      ],
    }).Statement;
    expect(statements).toEqual([
      LOGS,
      TRACES,
      { Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameter", Resource: [P2, P1] },
      {
        Sid: "DecryptParameters",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: [K1, K2],
        Condition: { StringEquals: { "kms:ViaService": "ssm.cn-north-1.amazonaws.com" } },
      },
      {
        Sid: "ReadSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: S1,
      },
      {
        Sid: "DecryptSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: K1,
        Condition: {
          StringEquals: { "kms:ViaService": "secretsmanager.cn-north-1.amazonaws.com" },
        },
      },
    ]);
  });

  it("secrets under AWS-managed keys: the reads alone, no kms:Decrypt", () => {
    const P1 = "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/shop/db";
    expect(
      functionRolePolicy({
        ...BASE,
        access: "none",
        secrets: [{ service: "ssm", arn: P1, kmsKeyArn: undefined }],
      }).Statement,
    ).toEqual([
      LOGS,
      TRACES,
      { Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameter", Resource: P1 },
    ]);
  });

  it("extra permissions: one statement each, in order, numbered from 1", () => {
    expect(
      functionRolePolicy({
        ...BASE,
        access: "none",
        extra: [
          { actions: ["s3:GetObject"], resources: ["arn:aws-cn:s3:::inbox/*"] },
          {
            actions: ["sqs:SendMessage", "sqs:GetQueueUrl"],
            resources: [
              "arn:aws-cn:sqs:cn-north-1:111122223333:a",
              "arn:aws-cn:sqs:cn-north-1:111122223333:b",
            ],
          },
        ],
      }).Statement,
    ).toEqual([
      LOGS,
      TRACES,
      {
        Sid: "Extra1",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: "arn:aws-cn:s3:::inbox/*",
      },
      {
        Sid: "Extra2",
        Effect: "Allow",
        Action: ["sqs:SendMessage", "sqs:GetQueueUrl"],
        Resource: [
          "arn:aws-cn:sqs:cn-north-1:111122223333:a",
          "arn:aws-cn:sqs:cn-north-1:111122223333:b",
        ],
      },
    ]);
  });

  it("API Gateway's logging role: the AWS managed policy in the stack's partition", () => {
    expect(API_GATEWAY_LOGS_MANAGED_POLICY("aws-us-gov")).toBe(
      "arn:aws-us-gov:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    );
  });
});
