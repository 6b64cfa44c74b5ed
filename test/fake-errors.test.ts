import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GetRestApisCommand } from "@aws-sdk/client-api-gateway";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { ListRolesCommand } from "@aws-sdk/client-iam";
import { ListKeysCommand } from "@aws-sdk/client-kms";
import { ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { HeadBucketCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import { ListTopicsCommand } from "@aws-sdk/client-sns";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { ListWebACLsCommand } from "@aws-sdk/client-wafv2";
import { ListSecretsCommand } from "@aws-sdk/client-secrets-manager";
import { DescribeParametersCommand } from "@aws-sdk/client-ssm";
import { ListCertificatesCommand } from "@aws-sdk/client-acm";
import { ListHostedZonesCommand } from "@aws-sdk/client-route-53";
import { describe, expect, it } from "vitest";
import type { Clients } from "../src/aws/clients.js";
import { isNotFound } from "../src/aws/errors.js";
import { FakeAws } from "./fake-aws/core.js";
import { awsError } from "./fake-aws/errors.js";

/**
 * The fake AWS must fail the way AWS does as the SDK reports it: every error code it can send
 * is one AWS sends (a modelled error of that service, or one AWS documents without a model),
 * and the name a test sees is the one the SDK derives from the wire.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** One read call per service, answered by the fake with the error under test. */
const PROBES: Record<string, { client: keyof Clients; operation: string; command: () => object }> =
  {
    S3: { client: "s3", operation: "ListBuckets", command: () => new ListBucketsCommand({}) },
    DynamoDB: { client: "dynamodb", operation: "ListTables", command: () => new ListTablesCommand({}) },
    STS: { client: "sts", operation: "GetCallerIdentity", command: () => new GetCallerIdentityCommand({}) },
    IAM: { client: "iam", operation: "ListRoles", command: () => new ListRolesCommand({}) },
    SNS: { client: "sns", operation: "ListTopics", command: () => new ListTopicsCommand({}) },
    Lambda: { client: "lambda", operation: "ListFunctions", command: () => new ListFunctionsCommand({}) },
    APIGateway: { client: "apigateway", operation: "GetRestApis", command: () => new GetRestApisCommand({}) },
    CloudWatch: { client: "cloudwatch", operation: "DescribeAlarms", command: () => new DescribeAlarmsCommand({}) },
    CloudWatchLogs: { client: "logs", operation: "DescribeLogGroups", command: () => new DescribeLogGroupsCommand({}) },
    KMS: { client: "kms", operation: "ListKeys", command: () => new ListKeysCommand({}) },
    WAFV2: { client: "wafv2", operation: "ListWebACLs", command: () => new ListWebACLsCommand({ Scope: "REGIONAL" }) },
    SSM: { client: "ssm", operation: "DescribeParameters", command: () => new DescribeParametersCommand({}) },
    SecretsManager: { client: "secretsmanager", operation: "ListSecrets", command: () => new ListSecretsCommand({}) },
    ACM: { client: "acm", operation: "ListCertificates", command: () => new ListCertificatesCommand({}) },
    Route53: { client: "route53", operation: "ListHostedZones", command: () => new ListHostedZonesCommand({}) },
  }; // prettier-ignore

/**
 * Codes AWS sends that the SDK has no model for (err.name is then the code itself).
 * Common errors: https://docs.aws.amazon.com/sts/latest/APIReference/CommonErrors.html (the
 * same list for every query and JSON service). S3: the error-code table of
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList; HEAD
 * answers carry no code, only a status (403 Forbidden, 404 NotFound).
 */
const COMMON = [
  "AccessDenied", "AccessDeniedException", "InternalFailure", "NotAuthorized", "ServiceUnavailable",
  "Throttling", "ThrottlingException", "ValidationError", "ValidationException",
]; // prettier-ignore
const UNMODELLED: Record<string, string[]> = {
  S3: [
    "BadDigest", "BucketNotEmpty", "Forbidden", "IllegalLocationConstraintException",
    "InvalidBucketName", "InvalidLocationConstraint", "MalformedPolicy", "MalformedXML", "NoSuchBucketPolicy", "NoSuchLifecycleConfiguration",
    "NoSuchPublicAccessBlockConfiguration", "NoSuchTagSet", "OwnershipControlsNotFoundError",
    "RequestTimeout", "ServerSideEncryptionConfigurationNotFoundError", "SlowDown",
    // Conditional writes (S3 User Guide, "Add preconditions to S3 operations with conditional
    // requests"): 412 when the condition fails, 409 when a concurrent write raced it; 501 for a
    // conditional header the operation does not support (S3 API reference, Error responses).
    "PreconditionFailed", "ConditionalRequestConflict", "NotImplemented",
  ],
  // CreateAlias with the reserved alias/aws/ prefix (KMS API reference, CreateAlias).
  KMS: ["NotAuthorizedException"],
}; // prettier-ignore

/** The error codes the fake sends: `err("Code", …)` in each service file, awsError(…) in tests. */
function sentCodes(): [string, string][] {
  const found = new Set<string>();
  const fakeDir = path.join(ROOT, "test/fake-aws");
  for (const f of readdirSync(fakeDir)) {
    const src = readFileSync(path.join(fakeDir, f), "utf8");
    const service = /errorsFor\("(\w+)"\)/.exec(src)?.[1];
    if (!service) continue;
    for (const m of src.matchAll(/\berr\(\s*"(\w+)"/g)) found.add(`${service} ${m[1]}`);
  }
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)],
    );
  for (const file of walk(path.join(ROOT, "test")).filter((f) => f.endsWith(".ts"))) {
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/awsError\(\s*"(\w+)",\s*"(\w+)"/g)) found.add(`${m[1]} ${m[2]}`);
  }
  return [...found].sort().map((s) => s.split(" ") as [string, string]);
}

/** What the SDK throws when AWS answers `code` (rendered on the wire, parsed by the SDK). */
async function thrown(service: string, code: string, status = 400): Promise<Error> {
  const probe = PROBES[service];
  if (!probe) throw new Error(`no probe for ${service}`);
  const fake = new FakeAws();
  fake.register({
    name: service,
    operations: {
      [probe.operation]: () => {
        throw awsError(service, code, "a message", status);
      },
    },
  });
  // One attempt: the SDK's retries of throttling errors would only slow the probe down.
  const client = new (
    fake.clients()[probe.client].constructor as new (c: object) => {
      send(c: object): Promise<unknown>;
      middlewareStack: { use(p: unknown): void };
    }
  )({
    region: "us-east-1",
    maxAttempts: 1,
    credentials: { accessKeyId: "AKIAFAKE", secretAccessKey: "fake" },
  });
  client.middlewareStack.use(fake.plugin());
  try {
    await client.send(probe.command());
  } catch (err) {
    return err as Error;
  }
  throw new Error("the call succeeded");
}

/** True when err is a modelled exception class of its client (not the service's base class). */
function modelled(err: Error): boolean {
  const base = Object.getPrototypeOf(Object.getPrototypeOf(err)) as {
    constructor: { name: string };
  };
  return /ServiceException$/.test(base.constructor.name) && err.constructor.name === err.name;
}

describe("the fake AWS fails as the SDK reports AWS's failures", () => {
  const codes = sentCodes();

  it("finds the codes the fake sends", () => {
    expect(codes.length).toBeGreaterThan(25);
  });

  it.each(codes)("%s %s is a code AWS sends, and reaches the test as the SDK names it", async (service, code) => {
    const err = await thrown(service, code);
    const documented = [...COMMON, ...(UNMODELLED[service] ?? [])].includes(code);
    expect(
      modelled(err) || documented,
      `${service} sent "${code}", which the SDK throws as "${err.name}": not a modelled error, and not one AWS documents`,
    ).toBe(true);
    if (!documented) {
      // A modelled error arrives under its class name; on the wire AWS may spell it otherwise.
      expect(err.name).toMatch(/^[A-Z]\w+$/);
    }
  }); // prettier-ignore

  it("IAM's and SNS's wire codes reach the code under the SDK's class names", async () => {
    expect((await thrown("IAM", "EntityAlreadyExists", 409)).name).toBe("EntityAlreadyExistsException");
    expect((await thrown("IAM", "NoSuchEntity", 404)).name).toBe("NoSuchEntityException");
    expect((await thrown("IAM", "DeleteConflict", 409)).name).toBe("DeleteConflictException");
    expect((await thrown("SNS", "NotFound", 404)).name).toBe("NotFoundException");
    expect((await thrown("SNS", "InvalidParameter")).name).toBe("InvalidParameterException");
    expect((await thrown("CloudWatch", "ResourceNotFound", 404)).name).toBe("ResourceNotFound");
  }); // prettier-ignore

  it("a HEAD answer has no body: a missing bucket is a bare 404 the code still calls not found", async () => {
    const fake = new FakeAws();
    fake.register({
      name: "S3",
      operations: {
        HeadBucket: () => {
          throw awsError("S3", "NoSuchBucket", "The specified bucket does not exist", 404);
        },
      },
    });
    const err = await fake
      .clients()
      .s3.send(new HeadBucketCommand({ Bucket: "b" }))
      .then(
        () => new Error("the call succeeded"),
        (e: unknown) => e as Error,
      );
    expect(err.name).toBe("NotFound");
    expect(isNotFound(err)).toBe(true);
  });
});
