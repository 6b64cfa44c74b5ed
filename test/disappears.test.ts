/**
 * "Disappears", as terraform-provider-aws tests each resource: with every optional part of the
 * stack turned on (alarm e-mail, WAF, API key), each resource is deleted behind the tool's back
 * with the AWS API, the way someone in the console or with the CLI would. Then `status` must
 * name it missing and exit 2 without changing anything, `up` must make it again (exit 0, back
 * in the account with its designed properties, and the whole stack as designed), the next
 * `status` must exit 0, and an `up` after that must make no mutating call.
 *
 * Some resources cannot disappear alone (what goes with them is named in each case, and must be
 * missing too), and AWS refuses some deletions until something else is gone: each case deletes
 * in the order AWS requires. A KMS key cannot be deleted at once, only scheduled for deletion:
 * see its two cases.
 */
import {
  DeleteApiKeyCommand,
  DeleteBasePathMappingCommand,
  DeleteDomainNameCommand,
  DeleteRestApiCommand,
  DeleteStageCommand,
  DeleteUsagePlanCommand,
  GetAccountCommand,
  GetApiKeysCommand,
  GetBasePathMappingCommand,
  GetDomainNameCommand,
  GetStageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  UpdateAccountCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { DeleteAlarmsCommand, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand as ListLogGroupTags,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import {
  DeleteAliasCommand as DeleteKeyAlias,
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  ScheduleKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import {
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
} from "@aws-sdk/client-lambda";
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
} from "@aws-sdk/client-s3";
import {
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  UnsubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  DeleteWebACLCommand,
  DisassociateWebACLCommand,
  GetWebACLCommand,
  GetWebACLForResourceCommand,
  ListWebACLsCommand,
} from "@aws-sdk/client-wafv2";
import { DeleteCertificateCommand, DescribeCertificateCommand } from "@aws-sdk/client-acm";
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
} from "@aws-sdk/client-route-53";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { Clients } from "../src/aws/clients.js";
import { HANDLERS } from "../src/registry.js";
import * as E from "./expected.js";
import type { World } from "./helpers.js";
import { quickWorld, SETTLE_MS, tinyHandler } from "./reliability/support.js";

const IO = { handlerEntry: tinyHandler() };
const STAGE = "production";
const n = E.names(STAGE);
const EMAIL = "oncall@example.com";
/** Every optional resource on: the alarm topic, its key and subscription; WAF; an API key. */
const CONFIG = { alarmEmail: EMAIL, waf: true, auth: "api-key" };
const DESIGN = { email: EMAIL, auth: "api-key", waf: {} } as const;
const WEB_ACL = `${n.stack}-waf`;
const KEY_ALIAS = `alias/${n.alarmTopic}`;
const TOPIC_ARN = `arn:aws:sns:${E.REGION}:${E.ACCOUNT}:${n.alarmTopic}`;
const ROLE_POLICY = `${n.stack}-function-policy`;
const LOGGING_ROLE_ARN = `arn:aws:iam::${E.ACCOUNT}:role/${n.loggingRole}`;
const executionLogGroup = (apiId: string) => `API-Gateway-Execution-Logs_${apiId}/prod`;
const logGroupArn = (name: string) => `arn:aws:logs:${E.REGION}:${E.ACCOUNT}:log-group:${name}`;

/** The deployed stack, as the test found it before deleting anything. */
interface Env {
  w: World;
  c: Clients;
  /** The REST API's id: AWS chooses it, so a REST API made again has another. */
  apiId: string;
  /** The code bundle's key in the bucket. */
  artifactKey: string;
  /** The alarm topic's KMS key. */
  keyId: string;
  /** The invoke permissions' statement ids, as `status` lists drifted ones: sorted. */
  statementIds: string[];
  /** With the domain: the certificate's validation record, as the state records it. */
  validationRecord: string;
}

interface Case {
  /** The resource's key in `status --json`. */
  key: string;
  /** Its kind, as the state file records it. */
  kind: string;
  /** What is deleted, for the test's name. */
  what: string;
  /** The ID column of its row in `status`. */
  id: (e: Env) => string;
  /** Its state in `status`; "missing" unless said otherwise. */
  state?: string;
  /**
   * Every other row `status` must show out of sync, by key, with its state: what went with the
   * resource, and what still exists but names it. Nothing else.
   */
  others?: (e: Env) => Record<string, string>;
  /** The deletion, made with the AWS API in the order AWS requires. */
  remove: (e: Env) => Promise<unknown>;
  /** Asserts that the resource is back, with the properties that make it what it is. */
  back: (e: Env) => Promise<void>;
  /** Deployed with the custom domain (DOMAIN) in the zone ZONE. */
  domain?: true;
}

/** The custom domain's cases: a public hosted zone of the account, and the name in it. */
const ZONE = "Z0EXAMPLE00001";
const DOMAIN = "api.example.com";

async function aliasRecords(e: Env) {
  const out = await e.c.route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: ZONE, StartRecordName: DOMAIN }),
  );
  return (out.ResourceRecordSets ?? []).filter((r) => r.Name === `${DOMAIN}.` && r.AliasTarget);
}

// ---------------------------------------------------------------------------------------------
// Reading back

const tagsOf = (list: { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((list ?? []).map((t) => [t.Key, t.Value]));

async function restApiId(e: Env): Promise<string> {
  const state = (await e.w.readState()) as { resources: { restApi: { id: string } } };
  return state.resources.restApi.id;
}

async function usagePlan(e: Env) {
  const plans = await e.c.apigateway.send(new GetUsagePlansCommand({}));
  const found = (plans.items ?? []).filter((u) => u.name === n.usagePlan);
  expect(found).toHaveLength(1);
  return found[0];
}

async function apiKeyId(e: Env): Promise<string | undefined> {
  const keys = await e.c.apigateway.send(new GetApiKeysCommand({ nameQuery: n.apiKey }));
  return keys.items?.find((k) => k.name === n.apiKey)?.id;
}

async function webAcl(e: Env) {
  const list = await e.c.wafv2.send(new ListWebACLsCommand({ Scope: "REGIONAL" }));
  const summary = list.WebACLs?.find((a) => a.Name === WEB_ACL);
  if (!summary) return undefined;
  const got = await e.c.wafv2.send(
    new GetWebACLCommand({ Name: WEB_ACL, Scope: "REGIONAL", Id: summary.Id }),
  );
  return { id: summary.Id, arn: summary.ARN, acl: got.WebACL, lockToken: got.LockToken };
}

async function expectLogGroup(e: Env, name: string): Promise<void> {
  const found = await e.c.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  const g = found.logGroups?.find((x) => x.logGroupName === name);
  expect(g?.retentionInDays, name).toBe(E.LOG_RETENTION_DAYS);
  const tags = await e.c.logs.send(new ListLogGroupTags({ resourceArn: logGroupArn(name) }));
  expect(tags.tags).toMatchObject(E.tags(STAGE));
}

async function expectAlarm(e: Env, name: string): Promise<void> {
  const found = await e.c.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  const alarm = found.MetricAlarms?.[0];
  expect(alarm?.AlarmName).toBe(name);
  // Wired to the alarm topic again.
  expect(alarm?.AlarmActions).toEqual([TOPIC_ARN]);
  expect(alarm?.OKActions).toEqual([TOPIC_ARN]);
}

// ---------------------------------------------------------------------------------------------
// Deleting

/** Every version and delete marker, then the bucket: S3 deletes only an empty bucket. */
async function emptyAndDeleteBucket(c: Clients, bucket: string): Promise<void> {
  const versions = await c.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  const objects = [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].map((v) => ({
    Key: v.Key,
    VersionId: v.VersionId,
  }));
  if (objects.length) {
    await c.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
  }
  await c.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** IAM deletes a role only once its inline and attached policies are gone. */
async function deleteRole(c: Clients, name: string): Promise<void> {
  const inline = await c.iam.send(new ListRolePoliciesCommand({ RoleName: name }));
  for (const PolicyName of inline.PolicyNames ?? []) {
    await c.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName }));
  }
  const attached = await c.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
  for (const p of attached.AttachedPolicies ?? []) {
    await c.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: p.PolicyArn }));
  }
  await c.iam.send(new DeleteRoleCommand({ RoleName: name }));
}

/** API Gateway deletes a usage plan only once no stage is in it. */
async function removeStagesFromPlan(e: Env): Promise<string> {
  const plan = await usagePlan(e);
  await e.c.apigateway.send(
    new UpdateUsagePlanCommand({
      usagePlanId: plan?.id,
      patchOperations: (plan?.apiStages ?? []).map((s) => ({
        op: "remove",
        path: "/apiStages",
        value: `${s.apiId}:${s.stage}`,
      })),
    }),
  );
  return plan?.id ?? "";
}

/**
 * The web ACL: disassociated from the stage first, as WAF refuses to delete a web ACL that
 * protects something; WAF then takes a moment to notice (WAFAssociatedItemException), as a
 * console user would see, so the deletion is tried again until it goes through.
 */
async function deleteWebAcl(e: Env): Promise<void> {
  await e.c.wafv2.send(new DisassociateWebACLCommand({ ResourceArn: E.stageArn(e.apiId) }));
  for (let attempt = 0; ; attempt++) {
    const acl = await webAcl(e);
    try {
      await e.c.wafv2.send(
        new DeleteWebACLCommand({
          Name: WEB_ACL,
          Scope: "REGIONAL",
          Id: acl?.id,
          LockToken: acl?.lockToken,
        }),
      );
      return;
    } catch (err) {
      if ((err as Error).name !== "WAFAssociatedItemException" || attempt > 50) throw err;
      await sleep(10);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The cases

const CASES: Case[] = [
  {
    key: "basePathMapping",
    kind: "apigateway-base-path-mapping",
    what: "the custom domain's base path mapping",
    domain: true,
    id: () => `${DOMAIN}/(none)`,
    remove: (e) =>
      e.c.apigateway.send(
        new DeleteBasePathMappingCommand({ domainName: DOMAIN, basePath: "(none)" }),
      ),
    back: async (e) => {
      const m = await e.c.apigateway.send(
        new GetBasePathMappingCommand({ domainName: DOMAIN, basePath: "(none)" }),
      );
      expect(m).toMatchObject({ restApiId: e.apiId, stage: "prod" });
    },
  },
  {
    key: "domainRecords",
    kind: "route53-records",
    what: "the custom domain's A and AAAA alias records",
    domain: true,
    id: () => `${DOMAIN} A, ${DOMAIN} AAAA`,
    remove: async (e) =>
      e.c.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: {
            Changes: (await aliasRecords(e)).map((r) => ({
              Action: "DELETE",
              ResourceRecordSet: r,
            })),
          },
        }),
      ),
    back: async (e) => {
      const d = await e.c.apigateway.send(new GetDomainNameCommand({ domainName: DOMAIN }));
      expect((await aliasRecords(e)).map((r) => [r.Type, r.AliasTarget?.DNSName])).toEqual([
        ["A", `${d.regionalDomainName}.`],
        ["AAAA", `${d.regionalDomainName}.`],
      ]);
    },
  },
  {
    key: "domainName",
    kind: "apigateway-domain-name",
    what: "the custom domain name (its mapping first)",
    domain: true,
    id: () => DOMAIN,
    others: () => ({ basePathMapping: "missing", domainRecords: "drifted: records" }),
    remove: async (e) => {
      await e.c.apigateway.send(
        new DeleteBasePathMappingCommand({ domainName: DOMAIN, basePath: "(none)" }),
      );
      await e.c.apigateway.send(new DeleteDomainNameCommand({ domainName: DOMAIN }));
    },
    back: async (e) => {
      const d = await e.c.apigateway.send(new GetDomainNameCommand({ domainName: DOMAIN }));
      expect(d).toMatchObject({
        securityPolicy: "TLS_1_2",
        endpointConfiguration: { types: ["REGIONAL"] },
      });
    },
  },
  {
    key: "certificate",
    kind: "acm-certificate",
    what: "the certificate (the mapping and domain name that use it first)",
    domain: true,
    id: () => DOMAIN,
    // A new certificate has a validation record of its own; the old one's goes.
    others: (e) => ({
      basePathMapping: "missing",
      domainName: "missing",
      domainRecords: "drifted: records",
      certificateRecord: "not created",
      [`certificateRecord@${e.validationRecord}`]: "to delete",
    }),
    remove: async (e) => {
      const state = (await e.w.readState()) as { resources: { certificate: { id: string } } };
      await e.c.apigateway.send(
        new DeleteBasePathMappingCommand({ domainName: DOMAIN, basePath: "(none)" }),
      );
      await e.c.apigateway.send(new DeleteDomainNameCommand({ domainName: DOMAIN }));
      await e.c.acm.send(
        new DeleteCertificateCommand({ CertificateArn: state.resources.certificate.id }),
      );
    },
    back: async (e) => {
      const d = await e.c.apigateway.send(new GetDomainNameCommand({ domainName: DOMAIN }));
      const cert = await e.c.acm.send(
        new DescribeCertificateCommand({ CertificateArn: d.regionalCertificateArn }),
      );
      expect(cert.Certificate?.Status).toBe("ISSUED");
    },
  },
  {
    key: "bucket",
    kind: "s3-bucket",
    what: "the S3 bucket (emptied first; the code bundle goes with it)",
    id: () => n.bucket,
    others: () => ({ artifact: "missing" }),
    remove: (e) => emptyAndDeleteBucket(e.c, n.bucket),
    back: async (e) => {
      const enc = await e.c.s3.send(new GetBucketEncryptionCommand({ Bucket: n.bucket }));
      expect(
        enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
          ?.SSEAlgorithm,
      ).toBe("AES256");
      const ver = await e.c.s3.send(new GetBucketVersioningCommand({ Bucket: n.bucket }));
      expect(ver.Status).toBe("Enabled");
    },
  },
  {
    key: "artifact",
    kind: "s3-object",
    what: "the code bundle in the bucket",
    id: (e) => `s3://${n.bucket}/${e.artifactKey}`,
    // As `aws s3 rm` does: on a versioned bucket, a delete marker hides the object.
    remove: (e) => e.c.s3.send(new DeleteObjectCommand({ Bucket: n.bucket, Key: e.artifactKey })),
    back: async (e) => {
      const head = await e.c.s3.send(
        new HeadObjectCommand({ Bucket: n.bucket, Key: e.artifactKey }),
      );
      expect(head.ServerSideEncryption).toBe("AES256");
    },
  },
  {
    key: "table",
    kind: "dynamodb-table",
    what: "the DynamoDB table (deletion protection turned off first)",
    id: () => n.table,
    remove: async (e) => {
      await e.c.dynamodb.send(
        new UpdateTableCommand({ TableName: n.table, DeletionProtectionEnabled: false }),
      );
      await e.c.dynamodb.send(new DeleteTableCommand({ TableName: n.table }));
    },
    back: async (e) => {
      const t = (await e.c.dynamodb.send(new DescribeTableCommand({ TableName: n.table }))).Table;
      expect(t?.KeySchema).toEqual([{ AttributeName: "id", KeyType: "HASH" }]);
      expect(t?.DeletionProtectionEnabled).toBe(true);
      expect(t?.OnDemandThroughput).toEqual(E.TABLE_ON_DEMAND_THROUGHPUT);
      const pitr = await e.c.dynamodb.send(
        new DescribeContinuousBackupsCommand({ TableName: n.table }),
      );
      expect(
        pitr.ContinuousBackupsDescription?.PointInTimeRecoveryDescription
          ?.PointInTimeRecoveryStatus,
      ).toBe("ENABLED");
    },
  },
  ...(["functionLogGroup", "accessLogGroup"] as const).map((key): Case => ({
    key,
    kind: "log-group",
    what: `the log group ${n[key]}`,
    id: () => n[key],
    remove: (e) => e.c.logs.send(new DeleteLogGroupCommand({ logGroupName: n[key] })),
    back: (e) => expectLogGroup(e, n[key]),
  })),
  {
    key: "executionLogGroup",
    kind: "log-group",
    what: "the API's execution log group",
    id: (e) => executionLogGroup(e.apiId),
    remove: (e) =>
      e.c.logs.send(new DeleteLogGroupCommand({ logGroupName: executionLogGroup(e.apiId) })),
    back: (e) => expectLogGroup(e, executionLogGroup(e.apiId)),
  },
  {
    key: "role",
    kind: "iam-role",
    what: "the function's IAM role (its inline policy deleted first)",
    id: () => n.role,
    remove: (e) => deleteRole(e.c, n.role),
    back: async (e) => {
      const role = await e.c.iam.send(new GetRoleCommand({ RoleName: n.role }));
      expect(E.statements(role.Role?.AssumeRolePolicyDocument)).toEqual(E.LAMBDA_TRUST);
      expect(tagsOf(role.Role?.Tags)).toMatchObject(E.tags(STAGE));
      const inline = await e.c.iam.send(new ListRolePoliciesCommand({ RoleName: n.role }));
      expect(inline.PolicyNames).toEqual([ROLE_POLICY]);
    },
  },
  {
    key: "function",
    kind: "lambda-function",
    what: "the Lambda function (its alias and the invoke permissions on it go with it)",
    id: () => n.functionName,
    // Until the function is made again its version is unknown: the alarm on that version's
    // errors reads as out of date against a stand-in.
    others: () => ({
      permissions: "missing",
      alias: "missing",
      versionErrorsAlarm: "drifted: alarmDescription, metrics",
    }),
    remove: (e) => e.c.lambda.send(new DeleteFunctionCommand({ FunctionName: n.functionName })),
    back: async (e) => {
      const fn = await e.c.lambda.send(new GetFunctionCommand({ FunctionName: n.functionName }));
      expect(fn.Configuration?.Role).toBe(`arn:aws:iam::${E.ACCOUNT}:role/${n.role}`);
      expect(fn.Configuration?.TracingConfig?.Mode).toBe("Active");
      expect(fn.Tags).toMatchObject(E.tags(STAGE));
    },
  },
  {
    key: "permissions",
    kind: "lambda-permissions",
    what: "every invoke permission on the live alias",
    id: () => `${n.functionName}:live (${E.ROUTES.length} statements)`,
    remove: async (e) => {
      const policy = await e.c.lambda.send(
        new GetPolicyCommand({ FunctionName: `${n.functionName}:live` }),
      );
      const sids = (JSON.parse(policy.Policy ?? "{}") as { Statement: { Sid: string }[] })
        .Statement;
      for (const { Sid } of sids) {
        await e.c.lambda.send(
          new RemovePermissionCommand({ FunctionName: `${n.functionName}:live`, StatementId: Sid }),
        );
      }
    },
    back: async (e) => {
      const policy = await e.c.lambda.send(
        new GetPolicyCommand({ FunctionName: `${n.functionName}:live` }),
      );
      const arns = (
        JSON.parse(policy.Policy ?? "{}") as {
          Statement: { Condition: { ArnLike: Record<string, string> } }[];
        }
      ).Statement.map((s) => s.Condition.ArnLike["AWS:SourceArn"]).sort();
      expect(arns).toEqual(E.permissionSourceArns(e.apiId));
    },
  },
  {
    key: "alias",
    kind: "lambda-alias",
    what: "the live alias the API calls (its invoke permissions go with it)",
    id: () => `${n.functionName}:live`,
    others: () => ({ permissions: "missing" }),
    remove: (e) =>
      e.c.lambda.send(new DeleteAliasCommand({ FunctionName: n.functionName, Name: "live" })),
    back: async (e) => {
      const alias = await e.c.lambda.send(
        new GetAliasCommand({ FunctionName: n.functionName, Name: "live" }),
      );
      expect(alias.FunctionVersion).toBe("1");
    },
  },
  ...(
    [
      "errorRateAlarm",
      "throttlesAlarm",
      "api5xxAlarm",
      "apiRequestsAlarm",
      "versionErrorsAlarm",
    ] as const
  ).map((key): Case => ({
    key,
    kind: "cloudwatch-alarm",
    what: `the alarm ${n[key]}`,
    id: () => n[key],
    remove: (e) => e.c.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [n[key]] })),
    back: (e) => expectAlarm(e, n[key]),
  })),
  {
    key: "apiGatewayAccount",
    kind: "apigateway-account",
    // The region's setting cannot be deleted, only unset: it is there, naming no role.
    what: "the region's API Gateway logging role setting, unset",
    id: () => LOGGING_ROLE_ARN,
    state: "drifted: cloudwatchRoleArn",
    remove: async (e) => {
      await e.c.apigateway.send(
        new UpdateAccountCommand({
          patchOperations: [{ op: "replace", path: "/cloudwatchRoleArn", value: "" }],
        }),
      );
    },
    back: async (e) => {
      const account = await e.c.apigateway.send(new GetAccountCommand({}));
      expect(account.cloudwatchRoleArn).toBe(LOGGING_ROLE_ARN);
    },
  },
  {
    key: "apiGatewayLoggingRole",
    kind: "apigateway-logging-role",
    // Deleted (its managed policy detached first) while the region's setting still names it:
    // the setting is not out of date, since the role is made again under the same ARN.
    what: "the region's API Gateway logging role, deleted while the setting names it",
    id: () => n.loggingRole,
    remove: async (e) => {
      await deleteRole(e.c, n.loggingRole);
    },
    back: async (e) => {
      const account = await e.c.apigateway.send(new GetAccountCommand({}));
      expect(account.cloudwatchRoleArn).toBe(LOGGING_ROLE_ARN);
      const attached = await e.c.iam.send(
        new ListAttachedRolePoliciesCommand({ RoleName: n.loggingRole }),
      );
      expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([
        E.APIGATEWAY_LOGS_POLICY,
      ]);
    },
  },
  {
    key: "restApi",
    kind: "apigateway-rest-api",
    // Its stage goes with it, and the stage's WAF association with the stage. What names the
    // old API stays: its execution log group (to delete; the new API gets one of its own), the
    // invoke permissions (every statement's source ARN) and the usage plan (its stage). Those
    // exist: they are out of date, not missing, and `up` updates them in place.
    what: "the REST API (its stage goes with it)",
    id: () => n.restApi,
    others: (e) => ({
      stage: "missing",
      webAclAssociation: "missing",
      executionLogGroup: "not created",
      [`executionLogGroup@${executionLogGroup(e.apiId)}`]: "to delete",
      permissions: `drifted: ${e.statementIds.join(", ")}`,
      usagePlan: "drifted: stages",
    }),
    remove: (e) => e.c.apigateway.send(new DeleteRestApiCommand({ restApiId: e.apiId })),
    back: async (e) => {
      const now = await restApiId(e);
      expect(now).not.toBe(e.apiId);
      const stage = await e.c.apigateway.send(
        new GetStageCommand({ restApiId: now, stageName: "prod" }),
      );
      expect(stage.tracingEnabled).toBe(true);
      const plan = await usagePlan(e);
      expect(plan?.apiStages?.map((s) => `${s.apiId}:${s.stage}`)).toEqual([`${now}:prod`]);
    },
  },
  {
    key: "stage",
    kind: "apigateway-stage",
    // Taken out of the usage plan first: API Gateway ties plans and stages together (it refuses
    // to delete a plan that still names a stage), and this order works whether or not it also
    // refuses to delete a stage a plan names. Its WAF association goes with it. (The stage
    // going with its REST API is the restApi case.)
    what: "the API stage (taken out of the usage plan first)",
    id: (e) => `${e.apiId}/prod`,
    others: () => ({ webAclAssociation: "missing", usagePlan: "drifted: stages" }),
    remove: async (e) => {
      await removeStagesFromPlan(e);
      await e.c.apigateway.send(new DeleteStageCommand({ restApiId: e.apiId, stageName: "prod" }));
    },
    back: async (e) => {
      const stage = await e.c.apigateway.send(
        new GetStageCommand({ restApiId: e.apiId, stageName: "prod" }),
      );
      expect(stage.tracingEnabled).toBe(true);
      expect(stage.methodSettings?.["*/*"]?.loggingLevel).toBe("INFO");
      expect(stage.accessLogSettings?.destinationArn).toBe(logGroupArn(n.accessLogGroup));
      expect(stage.tags).toMatchObject(E.tags(STAGE));
    },
  },
  {
    key: "alarmKey",
    kind: "kms-key",
    // KMS never deletes a key at once: the nearest is scheduling its deletion. The key is
    // still there, pending deletion, and recoverable; `up` recovers it rather than make another.
    what: "the KMS key of the alarm topic, scheduled for deletion",
    id: (e) => e.keyId,
    state: "drifted: pendingDeletion",
    remove: (e) =>
      e.c.kms.send(new ScheduleKeyDeletionCommand({ KeyId: KEY_ALIAS, PendingWindowInDays: 7 })),
    back: async (e) => {
      const key = await e.c.kms.send(new DescribeKeyCommand({ KeyId: KEY_ALIAS }));
      // The same key, its deletion cancelled and the key enabled again.
      expect(key.KeyMetadata?.KeyId).toBe(e.keyId);
      expect(key.KeyMetadata?.KeyState).toBe("Enabled");
      const rotation = await e.c.kms.send(
        new GetKeyRotationStatusCommand({ KeyId: key.KeyMetadata?.KeyId }),
      );
      expect(rotation.KeyRotationEnabled).toBe(true);
    },
  },
  {
    key: "alarmKey",
    kind: "kms-key",
    // What the tool finds once a scheduled deletion has run its course: no key by the alias.
    // (The waiting period cannot be shortened; deleting the alias is the nearest AWS allows.)
    what: "the KMS key of the alarm topic, scheduled for deletion and its alias deleted",
    id: () => KEY_ALIAS,
    remove: async (e) => {
      await e.c.kms.send(
        new ScheduleKeyDeletionCommand({ KeyId: KEY_ALIAS, PendingWindowInDays: 7 }),
      );
      await e.c.kms.send(new DeleteKeyAlias({ AliasName: KEY_ALIAS }));
    },
    back: async (e) => {
      // A new key under the alias; the old one is left to its scheduled deletion.
      const key = await e.c.kms.send(new DescribeKeyCommand({ KeyId: KEY_ALIAS }));
      expect(key.KeyMetadata?.KeyId).not.toBe(e.keyId);
      expect(key.KeyMetadata?.KeyState).toBe("Enabled");
      const old = await e.c.kms.send(new DescribeKeyCommand({ KeyId: e.keyId }));
      expect(old.KeyMetadata?.KeyState).toBe("PendingDeletion");
      const topic = await e.c.sns.send(new GetTopicAttributesCommand({ TopicArn: TOPIC_ARN }));
      expect(topic.Attributes?.KmsMasterKeyId).toContain(KEY_ALIAS);
    },
  },
  {
    key: "alarmTopic",
    kind: "sns-topic",
    what: "the SNS alarm topic (its subscription goes with it)",
    id: () => n.alarmTopic,
    others: () => ({ alarmSubscription: "missing" }),
    remove: (e) => e.c.sns.send(new DeleteTopicCommand({ TopicArn: TOPIC_ARN })),
    back: async (e) => {
      const topic = await e.c.sns.send(new GetTopicAttributesCommand({ TopicArn: TOPIC_ARN }));
      expect(topic.Attributes?.KmsMasterKeyId).toContain(KEY_ALIAS);
      const subs = await e.c.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }));
      expect(subs.Subscriptions?.map((s) => [s.Protocol, s.Endpoint])).toEqual([["email", EMAIL]]);
    },
  },
  {
    key: "alarmSubscription",
    kind: "sns-email-subscription",
    // SNS cannot unsubscribe an address still pending confirmation: it is confirmed first (the
    // recipient clicks the link), then unsubscribed.
    what: "the alarm e-mail subscription (confirmed, then unsubscribed)",
    id: () => EMAIL,
    remove: async (e) => {
      e.w.fake.sns.confirm(EMAIL);
      const subs = await e.c.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }));
      const arn = subs.Subscriptions?.find((s) => s.Endpoint === EMAIL)?.SubscriptionArn;
      await e.c.sns.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
    },
    back: async (e) => {
      const subs = await e.c.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }));
      expect(subs.Subscriptions?.map((s) => [s.Protocol, s.Endpoint])).toEqual([["email", EMAIL]]);
    },
  },
  {
    key: "webAcl",
    kind: "wafv2-web-acl",
    what: "the WAF web ACL (disassociated from the stage first)",
    id: () => WEB_ACL,
    others: () => ({ webAclAssociation: "missing" }),
    remove: deleteWebAcl,
    back: async (e) => {
      const acl = await webAcl(e);
      expect(acl?.acl?.DefaultAction).toEqual({ Allow: {} });
      expect(acl?.acl?.Rules?.map((r) => r.Name)).toEqual([
        "rate-limit-per-ip",
        "AWSManagedRulesCommonRuleSet",
      ]);
      const guarded = await e.c.wafv2.send(
        new GetWebACLForResourceCommand({ ResourceArn: E.stageArn(e.apiId) }),
      );
      expect(guarded.WebACL?.ARN).toBe(acl?.arn);
    },
  },
  {
    key: "webAclAssociation",
    kind: "wafv2-web-acl-association",
    what: "the web ACL's association with the stage",
    id: (e) => E.stageArn(e.apiId),
    remove: (e) =>
      e.c.wafv2.send(new DisassociateWebACLCommand({ ResourceArn: E.stageArn(e.apiId) })),
    back: async (e) => {
      const guarded = await e.c.wafv2.send(
        new GetWebACLForResourceCommand({ ResourceArn: E.stageArn(e.apiId) }),
      );
      expect(guarded.WebACL?.Name).toBe(WEB_ACL);
    },
  },
  {
    key: "apiKey",
    kind: "apigateway-api-key",
    // A deleted key leaves the usage plans that metered it: the plan is still there, without a
    // key, and `up` adds the new key to it.
    what: "the API key",
    id: () => n.apiKey,
    others: () => ({ usagePlan: "drifted: keys" }),
    remove: async (e) => {
      await e.c.apigateway.send(new DeleteApiKeyCommand({ apiKey: await apiKeyId(e) }));
    },
    back: async (e) => {
      const id = await apiKeyId(e);
      expect(id).toBeDefined();
      const plan = await usagePlan(e);
      const keys = await e.c.apigateway.send(
        new GetUsagePlanKeysCommand({ usagePlanId: plan?.id }),
      );
      expect(keys.items?.map((k) => k.id)).toEqual([id]);
    },
  },
  {
    key: "usagePlan",
    kind: "apigateway-usage-plan",
    what: "the usage plan (its stage taken out first, as API Gateway requires)",
    id: () => n.usagePlan,
    remove: async (e) => {
      const id = await removeStagesFromPlan(e);
      await e.c.apigateway.send(new DeleteUsagePlanCommand({ usagePlanId: id }));
    },
    back: async (e) => {
      const plan = await usagePlan(e);
      expect(plan?.apiStages?.map((s) => `${s.apiId}:${s.stage}`)).toEqual([`${e.apiId}:prod`]);
      expect(plan?.throttle).toMatchObject({
        rateLimit: E.USAGE_PLAN.rateLimit,
        burstLimit: E.USAGE_PLAN.burstLimit,
      });
      expect(plan?.quota).toMatchObject(E.USAGE_PLAN.quota);
      const keys = await e.c.apigateway.send(
        new GetUsagePlanKeysCommand({ usagePlanId: plan?.id }),
      );
      expect(keys.items?.map((k) => k.id)).toEqual([await apiKeyId(e)]);
    },
  },
];

interface Row {
  key: string;
  label: string;
  id: string;
  state: string;
  fields: string[];
}

/** A row's state as `status` prints it. */
const shown = (r: Row) => (r.state === "drifted" ? `drifted: ${r.fields.join(", ")}` : r.state);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A fresh account with the whole stack deployed, and what the cases need to know of it. */
async function deployed(domain = false): Promise<Env> {
  const w = quickWorld();
  w.fake.route53.createZone("example.com", { id: ZONE });
  const config = domain ? { ...CONFIG, domain: { name: DOMAIN, hostedZoneId: ZONE } } : CONFIG;
  writeFileSync(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(config));
  const up = await w.run(["up"], IO);
  expect(up.code, up.stderr).toBe(0);
  await sleep(SETTLE_MS);
  const c = w.fake.clients();
  const state = (await w.readState()) as {
    resources: Record<string, { id: string; outputs: Record<string, string> }>;
  };
  const objects = await c.s3.send(new ListObjectsV2Command({ Bucket: n.bucket }));
  const key = await c.kms.send(new DescribeKeyCommand({ KeyId: KEY_ALIAS }));
  return {
    w,
    c,
    apiId: state.resources.restApi?.id ?? "",
    artifactKey: objects.Contents?.[0]?.Key ?? "",
    keyId: key.KeyMetadata?.KeyId ?? "",
    statementIds: (state.resources.permissions?.outputs.statementIds ?? "").split(",").sort(),
    validationRecord: state.resources.certificateRecord?.id ?? "",
  };
}

describe("every resource deleted behind the tool's back: status says missing, up makes it again", () => {
  it("covers every kind of resource the stack has", () => {
    expect([...new Set(CASES.map((c) => c.kind))].sort()).toEqual([...HANDLERS.keys()].sort());
  });

  it.each(CASES.map((c) => [c.kind, c.what, c] as const))("%s: %s", async (_kind, _what, c) => {
    const e = await deployed(c.domain === true);
    const recorded = (await e.w.readState()) as { resources: Record<string, { kind: string }> };
    expect(recorded.resources[c.key]?.kind).toBe(c.kind);

    await c.remove(e);
    await sleep(SETTLE_MS);

    // status: read-only, exit 2, the resource named with its state, and what to do.
    e.w.fake.resetCalls();
    const s = await e.w.run(["status", "--json"], IO);
    expect(s.code, s.stderr).toBe(2);
    expect(e.w.fake.operations({ mutating: true })).toEqual([]);
    const rows = s.json.resources as Row[];
    const row = rows.find((r) => r.key === c.key);
    const state = c.state ?? "missing";
    expect(row && { id: row.id, state: shown(row) }).toEqual({ id: c.id(e), state });
    const human = await e.w.run(["status"], IO);
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(
      new RegExp(`^${escape(row?.label ?? "")}\\s+${escape(state)}\\s+${escape(c.id(e))}$`, "m"),
    );
    expect(human.stdout).toContain(
      `Not in sync: run npx serverless-automation up --stage ${STAGE} to converge.`,
    );
    // Soft: a wrong row elsewhere is reported, and the rest of the cycle still runs.
    const others = Object.fromEntries(
      rows.filter((r) => r.key !== c.key && r.state !== "in sync").map((r) => [r.key, shown(r)]),
    );
    expect.soft(others, "the other rows out of sync").toEqual(c.others?.(e) ?? {});

    // up: makes it again, as designed, and says so.
    const up = await e.w.run(["up"], IO);
    expect(up.code, up.stderr).toBe(0);
    const verb = state === "missing" ? "created" : "updated";
    expect(up.stdout + up.stderr).toMatch(new RegExp(`${verb} ${escape(row?.label ?? "")} `));
    await sleep(SETTLE_MS);
    await c.back(e);
    await E.expectDesignedStack(e.w.fake, STAGE, DESIGN);

    // Converged: status in sync, and another up changes nothing.
    const after = await e.w.run(["status"], IO);
    expect(after.code, after.stdout).toBe(0);
    e.w.fake.resetCalls();
    const again = await e.w.run(["up"], IO);
    expect(again.code, again.stderr).toBe(0);
    expect(e.w.fake.operations({ mutating: true })).toEqual([]);
  });
});
