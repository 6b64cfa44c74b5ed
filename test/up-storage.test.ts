import { promises as fs } from "node:fs";
import path from "node:path";
import { PutBucketVersioningCommand, PutPublicAccessBlockCommand } from "@aws-sdk/client-s3";
import { UpdateContinuousBackupsCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { world } from "./helpers.js";

const BUCKET = "serverless-automation-production-123456789012-us-east-1";
const TABLE = "serverless-automation-production-items";
const TAGS = {
  project: "serverless-automation",
  environment: "production",
  "serverless-automation:stack": "serverless-automation-production",
};

describe("up: the storage half", () => {
  it("creates the bucket, the code object and the table with every property", async () => {
    const w = world();
    const r = await w.run(["up"]);
    expect(r.stderr).not.toContain("error:");
    expect(r.code).toBe(0);

    const b = w.fake.s3.buckets.get(BUCKET);
    expect(b).toBeDefined();
    expect(b?.encryption).toBe("AES256");
    expect(b?.publicAccessBlock).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(b?.ownership).toBe("BucketOwnerEnforced");
    expect(b?.versioning).toBe("Enabled");
    const policy = JSON.parse(b?.policy ?? "{}");
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    ]);
    expect(b?.lifecycle).toEqual([
      expect.objectContaining({
        Status: "Enabled",
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      }),
    ]);
    expect(Object.fromEntries((b?.tags ?? []).map((t) => [t.Key, t.Value]))).toEqual(TAGS);

    const keys = [...(b?.objects.keys() ?? [])];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^artifacts\/[0-9a-f]{64}\.zip$/);
    const put = w.fake.callLog().find((c) => c.operation === "PutObject");
    expect(put?.input.ServerSideEncryption).toBe("AES256");
    expect(b?.objects.get(keys[0] as string)?.[0]?.sse).toBe("AES256");

    const t = w.fake.dynamodb.tables.get(TABLE);
    expect(t?.status).toBe("ACTIVE");
    expect(t?.keySchema).toEqual([{ AttributeName: "id", KeyType: "HASH" }]);
    expect(t?.attributeDefinitions).toEqual([{ AttributeName: "id", AttributeType: "S" }]);
    expect(t?.billingMode).toBe("PAY_PER_REQUEST");
    expect(t?.pitr).toBe(true);
    expect(t?.deletionProtection).toBe(true);
    expect(Object.fromEntries(t?.tags ?? [])).toEqual(TAGS);

    const state = await w.readState();
    expect(state).toMatchObject({
      schemaVersion: 1,
      account: "123456789012",
      region: "us-east-1",
      stage: "production",
      resources: {
        bucket: { kind: "s3-bucket", id: BUCKET },
        table: { kind: "dynamodb-table", id: TABLE },
        artifact: { kind: "s3-object" },
      },
    });
    expect(state?.codeSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a second up makes zero mutating calls", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    w.fake.resetCalls();
    const r = await w.run(["up"]);
    expect(r.code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(r.stdout).toMatch(/up to date .*unchanged/);
  });

  it("a changed handler uploads one new object and updates only the function's code", async () => {
    const w = world();
    const entry = path.join(w.cwd, "handler.ts");
    await fs.writeFile(
      entry,
      'export const handler = async () => ({ statusCode: 200, body: "v1" });\n',
    );
    expect((await w.run(["up"], { handlerEntry: entry })).code).toBe(0);
    await fs.writeFile(
      entry,
      'export const handler = async () => ({ statusCode: 200, body: "v2" });\n',
    );
    w.fake.resetCalls();
    expect((await w.run(["up"], { handlerEntry: entry })).code).toBe(0);
    // The new code as a new version, which the alias then serves (all at once by default).
    expect(w.fake.operations({ mutating: true })).toEqual([
      "S3.PutObject",
      "Lambda.UpdateFunctionCode",
      "Lambda.PublishVersion",
      "CloudWatch.PutMetricAlarm",
      "Lambda.UpdateAlias",
    ]);
    expect(w.fake.s3.buckets.get(BUCKET)?.objects.size).toBe(2);
  });

  it("recreates a resource deleted behind its back", async () => {
    const w = world();
    await w.run(["up"]);
    w.fake.dynamodb.tables.delete(TABLE);
    w.fake.resetCalls();
    const r = await w.run(["up"]);
    expect(r.code).toBe(0);
    expect(w.fake.dynamodb.tables.get(TABLE)?.status).toBe("ACTIVE");
    expect(w.fake.operations({ mutating: true, ok: true })).toEqual([
      "DynamoDB.CreateTable",
      "DynamoDB.UpdateContinuousBackups",
    ]);
  });

  it("restores properties changed behind its back", async () => {
    const w = world();
    await w.run(["up"]);
    const clients = w.fake.clients();
    await clients.s3.send(
      new PutBucketVersioningCommand({
        Bucket: BUCKET,
        VersioningConfiguration: { Status: "Suspended" },
      }),
    );
    await clients.s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: BUCKET,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: false,
          RestrictPublicBuckets: true,
        },
      }),
    );
    await clients.dynamodb.send(
      new UpdateContinuousBackupsCommand({
        TableName: TABLE,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      }),
    );
    w.fake.resetCalls();
    const r = await w.run(["up"]);
    expect(r.code).toBe(0);
    expect(w.fake.operations({ mutating: true }).sort()).toEqual([
      "DynamoDB.UpdateContinuousBackups",
      "S3.PutBucketVersioning",
      "S3.PutPublicAccessBlock",
    ]);
    expect(w.fake.s3.buckets.get(BUCKET)?.versioning).toBe("Enabled");
    expect(w.fake.s3.buckets.get(BUCKET)?.publicAccessBlock?.BlockPublicPolicy).toBe(true);
    expect(w.fake.dynamodb.tables.get(TABLE)?.pitr).toBe(true);
  });

  it("creates the bucket with a LocationConstraint outside us-east-1", async () => {
    const w = world({ region: "eu-west-1" });
    const r = await w.run(["up"]);
    expect(r.code).toBe(0);
    const create = w.fake.callLog().find((c) => c.operation === "CreateBucket");
    expect(create?.input.CreateBucketConfiguration).toEqual({
      LocationConstraint: "eu-west-1",
      // Tagged as it is made: no crash can leave it without the stack's tags.
      Tags: expect.arrayContaining([
        { Key: "serverless-automation:stack", Value: "serverless-automation-production" },
        { Key: "project", Value: "serverless-automation" },
      ]) as unknown,
    });
    expect(
      w.fake.s3.buckets.get("serverless-automation-production-123456789012-eu-west-1")?.region,
    ).toBe("eu-west-1");
  });

  it("says clearly when another account owns the bucket name", async () => {
    const w = world();
    w.fake.s3.foreignBuckets.add(BUCKET);
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The S3 bucket ${BUCKET} belongs to another AWS account (ExpectedBucketOwner 123456789012 refused): nothing was written to it.`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
