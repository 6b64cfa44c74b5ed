/**
 * Drift and repair, field by field: every field a resource kind's diff compares is changed
 * behind the tool's back, one at a time. `status` must name exactly that field and exit 2,
 * `up` must make exactly the calls that repair it (written here by hand from the AWS API, not
 * recorded from the code), and the run after that must make none. At the end the stack is
 * still the designed one.
 */
import {
  CreateDeploymentCommand,
  UntagResourceCommand as UntagApiGateway,
  UpdateAccountCommand,
  UpdateRestApiCommand,
  UpdateStageCommand,
} from "@aws-sdk/client-api-gateway";
import {
  PutMetricAlarmCommand,
  UntagResourceCommand as UntagAlarm,
} from "@aws-sdk/client-cloudwatch";
import {
  PutRetentionPolicyCommand,
  UntagResourceCommand as UntagLogGroup,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  UntagResourceCommand as UntagTable,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  PutRolePolicyCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AddPermissionCommand,
  PutFunctionConcurrencyCommand,
  RemovePermissionCommand,
  UntagResourceCommand as UntagFunction,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import {
  DeleteBucketLifecycleCommand,
  DeleteBucketPolicyCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  DeletePublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { Clients } from "../src/aws/clients.js";
import * as E from "./expected.js";
import type { World } from "./helpers.js";
import { quickWorld, SETTLE_MS, tinyHandler } from "./reliability/support.js";

const IO = { handlerEntry: tinyHandler() };
const n = E.names("production");
const ARN = `arn:aws:iam::${E.ACCOUNT}`;
const FN_ARN = `arn:aws:lambda:${E.REGION}:${E.ACCOUNT}:function:${n.functionName}`;
const TABLE_ARN = `arn:aws:dynamodb:${E.REGION}:${E.ACCOUNT}:table/${n.table}`;
const logGroupArn = (name: string) => `arn:aws:logs:${E.REGION}:${E.ACCOUNT}:log-group:${name}`;
const alarmArn = (name: string) => `arn:aws:cloudwatch:${E.REGION}:${E.ACCOUNT}:alarm:${name}`;
const executionLogGroup = (apiId: string) => `API-Gateway-Execution-Logs_${apiId}/prod`;

interface Env {
  c: Clients;
  apiId: string;
  w: World;
}

interface Drift {
  /** The resource's key in `status --json`. */
  key: string;
  /** What `status` must name: the field, or for permissions the statement id. */
  field: string;
  /** When the change makes several fields differ: all that `status` must name, in order. */
  fields?: string[];
  /** The change made behind the tool's back. */
  make: (e: Env) => Promise<unknown>;
  /** The mutating calls `up` must make to repair it, no more (order aside). */
  repair: string[];
}

const stagePatch = (path: string, value: string) => (e: Env) =>
  e.c.apigateway.send(
    new UpdateStageCommand({
      restApiId: e.apiId,
      stageName: "prod",
      patchOperations: [{ op: "replace", path, value }],
    }),
  );
const fnConfig = (input: Omit<ConstructorParameters<typeof UpdateFunctionConfigurationCommand>[0], "FunctionName">) =>
  (e: Env) =>
    e.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: n.functionName, ...input })); // prettier-ignore
const addPermission = (sid: string, sourceArn: string | undefined, account?: string) => (e: Env) =>
  e.c.lambda.send(
    new AddPermissionCommand({
      FunctionName: `${n.functionName}:live`,
      StatementId: sid,
      Action: "lambda:InvokeFunction",
      Principal: "apigateway.amazonaws.com",
      ...(sourceArn ? { SourceArn: sourceArn } : {}),
      ...(account ? { SourceAccount: account } : {}),
    }),
  );
const removePermission = (sid: string) => (e: Env) =>
  e.c.lambda.send(
    new RemovePermissionCommand({ FunctionName: `${n.functionName}:live`, StatementId: sid }),
  );
const getRootArn = (apiId: string, stage = "prod") =>
  `arn:aws:execute-api:${E.REGION}:${E.ACCOUNT}:${apiId}/${stage}/GET/`;

const BROAD_LOGS = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const OTHER_ROLE = "someone-elses-function-role";

const DRIFTS: Drift[] = [
  // IAM role: trust, the one inline policy, extra inline and attached policies, tags.
  { key: "role", field: "trust", repair: ["IAM.UpdateAssumeRolePolicy"],
    make: (e) => e.c.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: n.role,
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow",
        Principal: { Service: ["lambda.amazonaws.com", "ec2.amazonaws.com"] }, Action: "sts:AssumeRole" }] }) })) },
  { key: "role", field: "policy", repair: ["IAM.PutRolePolicy"],
    make: (e) => e.c.iam.send(new PutRolePolicyCommand({ RoleName: n.role, PolicyName: `${n.stack}-function-policy`,
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow",
        Action: "dynamodb:*", Resource: "*" }] }) })) },
  { key: "role", field: "extraPolicies", repair: ["IAM.DeleteRolePolicy"],
    make: (e) => e.c.iam.send(new PutRolePolicyCommand({ RoleName: n.role, PolicyName: "added-by-hand",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow",
        Action: "s3:GetObject", Resource: "*" }] }) })) },
  { key: "role", field: "managedPolicies", repair: ["IAM.DetachRolePolicy"],
    make: (e) => e.c.iam.send(new AttachRolePolicyCommand({ RoleName: n.role, PolicyArn: BROAD_LOGS })) },
  { key: "role", field: "tags", repair: ["IAM.TagRole"],
    make: (e) => e.c.iam.send(new UntagRoleCommand({ RoleName: n.role, TagKeys: ["environment"] })) },

  // Lambda function: every setting the diff compares.
  { key: "function", field: "code", repair: ["Lambda.UpdateFunctionCode"],
    make: async (e) => {
      await e.c.s3.send(new PutObjectCommand({ Bucket: n.bucket, Key: "by-hand.zip", Body: Buffer.from("PK\u0005\u0006".padEnd(22, "\0")) }));
      await e.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: n.functionName, S3Bucket: n.bucket, S3Key: "by-hand.zip" }));
    } },
  { key: "function", field: "runtime", repair: ["Lambda.UpdateFunctionConfiguration"],
    make: fnConfig({ Runtime: "nodejs22.x" }) },
  { key: "function", field: "handler", repair: ["Lambda.UpdateFunctionConfiguration"],
    make: fnConfig({ Handler: "other.handler" }) },
  { key: "function", field: "memorySize", repair: ["Lambda.UpdateFunctionConfiguration"],
    make: fnConfig({ MemorySize: 1024 }) },
  { key: "function", field: "timeout", repair: ["Lambda.UpdateFunctionConfiguration"],
    make: fnConfig({ Timeout: 3 }) },
  { key: "function", field: "role", repair: ["Lambda.UpdateFunctionConfiguration"],
    make: async (e) => {
      await e.c.iam.send(new CreateRoleCommand({ RoleName: OTHER_ROLE,
        AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }));
      await e.c.iam.send(new PutRolePolicyCommand({ RoleName: OTHER_ROLE, PolicyName: "xray",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow",
          Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" }] }) }));
      await sleep(SETTLE_MS); // IAM propagation in the fake
      await fnConfig({ Role: `${ARN}:role/${OTHER_ROLE}` })(e);
    } },
  { key: "function", field: "environment", repair: ["Lambda.UpdateFunctionConfiguration"],
    make: fnConfig({ Environment: { Variables: { TABLE_NAME: "someone-elses-table" } } }) },
  { key: "function", field: "tracing", repair: ["Lambda.UpdateFunctionConfiguration"],
    make: fnConfig({ TracingConfig: { Mode: "PassThrough" } }) },
  { key: "function", field: "logging", repair: ["Lambda.UpdateFunctionConfiguration"],
    make: fnConfig({ LoggingConfig: { LogFormat: "Text" } }) },
  { key: "function", field: "tags", repair: ["Lambda.TagResource"],
    make: (e) => e.c.lambda.send(new UntagFunction({ Resource: FN_ARN, TagKeys: ["project"] })) },
  // A reservation the settings do not have (none by default): the tool owns the setting.
  { key: "function", field: "reservedConcurrency", repair: ["Lambda.DeleteFunctionConcurrency"],
    make: (e) => e.c.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: n.functionName,
      ReservedConcurrentExecutions: 5 })) },

  // S3 bucket.
  { key: "bucket", field: "encryption", repair: ["S3.PutBucketEncryption"],
    make: (e) => e.c.s3.send(new PutBucketEncryptionCommand({ Bucket: n.bucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }] } })) },
  { key: "bucket", field: "publicAccessBlock", repair: ["S3.PutPublicAccessBlock"],
    make: (e) => e.c.s3.send(new DeletePublicAccessBlockCommand({ Bucket: n.bucket })) },
  { key: "bucket", field: "ownership", repair: ["S3.PutBucketOwnershipControls"],
    make: (e) => e.c.s3.send(new PutBucketOwnershipControlsCommand({ Bucket: n.bucket,
      OwnershipControls: { Rules: [{ ObjectOwnership: "ObjectWriter" }] } })) },
  { key: "bucket", field: "policy", repair: ["S3.PutBucketPolicy"],
    make: (e) => e.c.s3.send(new DeleteBucketPolicyCommand({ Bucket: n.bucket })) },
  { key: "bucket", field: "versioning", repair: ["S3.PutBucketVersioning"],
    make: (e) => e.c.s3.send(new PutBucketVersioningCommand({ Bucket: n.bucket,
      VersioningConfiguration: { Status: "Suspended" } })) },
  { key: "bucket", field: "lifecycle", repair: ["S3.PutBucketLifecycleConfiguration"],
    make: (e) => e.c.s3.send(new DeleteBucketLifecycleCommand({ Bucket: n.bucket })) },
  { key: "bucket", field: "tags", repair: ["S3.PutBucketTagging"],
    make: (e) => e.c.s3.send(new DeleteBucketTaggingCommand({ Bucket: n.bucket })) },

  // DynamoDB table.
  { key: "table", field: "billingMode", repair: ["DynamoDB.UpdateTable"],
    make: (e) => e.c.dynamodb.send(new UpdateTableCommand({ TableName: n.table, BillingMode: "PROVISIONED",
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } })) },
  { key: "table", field: "deletionProtection", repair: ["DynamoDB.UpdateTable"],
    make: (e) => e.c.dynamodb.send(new UpdateTableCommand({ TableName: n.table, DeletionProtectionEnabled: false })) },
  // The on-demand maxima: raised by hand, and removed by hand (-1).
  { key: "table", field: "maxReadUnits", repair: ["DynamoDB.UpdateTable"],
    make: (e) => e.c.dynamodb.send(new UpdateTableCommand({ TableName: n.table,
      OnDemandThroughput: { MaxReadRequestUnits: 40000 } })) },
  { key: "table", field: "maxWriteUnits", repair: ["DynamoDB.UpdateTable"],
    make: (e) => e.c.dynamodb.send(new UpdateTableCommand({ TableName: n.table,
      OnDemandThroughput: { MaxWriteRequestUnits: -1 } })) },
  { key: "table", field: "maxReadUnits", fields: ["maxReadUnits", "maxWriteUnits"], repair: ["DynamoDB.UpdateTable"],
    make: (e) => e.c.dynamodb.send(new UpdateTableCommand({ TableName: n.table,
      OnDemandThroughput: { MaxReadRequestUnits: -1, MaxWriteRequestUnits: -1 } })) },
  { key: "table", field: "pitr", repair: ["DynamoDB.UpdateContinuousBackups"],
    make: (e) => e.c.dynamodb.send(new UpdateContinuousBackupsCommand({ TableName: n.table,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } })) },
  { key: "table", field: "tags", repair: ["DynamoDB.TagResource"],
    make: (e) => e.c.dynamodb.send(new UntagTable({ ResourceArn: TABLE_ARN, TagKeys: ["environment"] })) },

  // The three log groups: retention and tags.
  ...(["functionLogGroup", "accessLogGroup", "executionLogGroup"] as const).flatMap((key): Drift[] => {
    const name = (e: Env) => key === "executionLogGroup" ? executionLogGroup(e.apiId) : n[key];
    return [
      { key, field: "retention", repair: ["CloudWatchLogs.PutRetentionPolicy"],
        make: (e) => e.c.logs.send(new PutRetentionPolicyCommand({ logGroupName: name(e), retentionInDays: 3653 })) },
      { key, field: "tags", repair: ["CloudWatchLogs.TagResource"],
        make: (e) => e.c.logs.send(new UntagLogGroup({ resourceArn: logGroupArn(name(e)), tagKeys: ["project"] })) },
    ];
  }),

  // API Gateway stage: every setting, patched back with one UpdateStage.
  { key: "stage", field: "deploymentId", repair: ["APIGateway.UpdateStage"],
    make: async (e) => {
      const d = await e.c.apigateway.send(new CreateDeploymentCommand({ restApiId: e.apiId, description: "by hand" }));
      await stagePatch("/deploymentId", d.id ?? "")(e);
    } },
  { key: "stage", field: "tracingEnabled", repair: ["APIGateway.UpdateStage"],
    make: stagePatch("/tracingEnabled", "false") },
  { key: "stage", field: "loggingLevel", repair: ["APIGateway.UpdateStage"],
    make: stagePatch("/*/*/logging/loglevel", "OFF") },
  { key: "stage", field: "dataTraceEnabled", repair: ["APIGateway.UpdateStage"],
    make: stagePatch("/*/*/logging/dataTrace", "true") },
  { key: "stage", field: "metricsEnabled", repair: ["APIGateway.UpdateStage"],
    make: stagePatch("/*/*/metrics/enabled", "false") },
  { key: "stage", field: "throttlingRateLimit", repair: ["APIGateway.UpdateStage"],
    make: stagePatch("/*/*/throttling/rateLimit", "5000") },
  { key: "stage", field: "throttlingBurstLimit", repair: ["APIGateway.UpdateStage"],
    make: stagePatch("/*/*/throttling/burstLimit", "1") },
  { key: "stage", field: "accessLogDestinationArn", repair: ["APIGateway.UpdateStage"],
    make: stagePatch("/accessLogSettings/destinationArn", logGroupArn("/somewhere/else")) },
  { key: "stage", field: "accessLogFormat", repair: ["APIGateway.UpdateStage"],
    make: stagePatch("/accessLogSettings/format", "$context.requestId") },
  { key: "stage", field: "tags", repair: ["APIGateway.TagResource"],
    make: (e) => e.c.apigateway.send(new UntagApiGateway({
      resourceArn: `arn:aws:apigateway:${E.REGION}::/restapis/${e.apiId}/stages/prod`, tagKeys: ["environment"] })) },

  // REST API: endpoint type and tags (routes: test/api-gateway.test.ts).
  { key: "restApi", field: "endpointType", repair: ["APIGateway.UpdateRestApi"],
    make: (e) => e.c.apigateway.send(new UpdateRestApiCommand({ restApiId: e.apiId,
      patchOperations: [{ op: "replace", path: "/endpointConfiguration/types/REGIONAL", value: "EDGE" }] })) },
  { key: "restApi", field: "tags", repair: ["APIGateway.TagResource"],
    make: (e) => e.c.apigateway.send(new UntagApiGateway({
      resourceArn: `arn:aws:apigateway:${E.REGION}::/restapis/${e.apiId}`, tagKeys: ["project"] })) },

  // The account's API Gateway logging role, unset by someone. The role is a node of its own,
  // found in sync: only the setting is repaired.
  { key: "apiGatewayAccount", field: "cloudwatchRoleArn", repair: ["APIGateway.UpdateAccount"],
    make: (e) => e.c.apigateway.send(new UpdateAccountCommand({
      patchOperations: [{ op: "replace", path: "/cloudwatchRoleArn", value: "" }] })) },

  // Invoke permissions (Lambda.1): source ARN, source account, a missing and an extra statement.
  { key: "permissions", field: "apigateway-get-root", repair: ["Lambda.RemovePermission", "Lambda.AddPermission"],
    make: async (e) => {
      await removePermission("apigateway-get-root")(e);
      // The same method and path, but any stage of the API: wider than designed.
      await addPermission("apigateway-get-root", getRootArn(e.apiId, "*"), E.ACCOUNT)(e);
    } },
  { key: "permissions", field: "apigateway-get-root", repair: ["Lambda.RemovePermission", "Lambda.AddPermission"],
    make: async (e) => {
      await removePermission("apigateway-get-root")(e);
      await addPermission("apigateway-get-root", getRootArn(e.apiId), undefined)(e);
    } },
  { key: "permissions", field: "apigateway-post-root", repair: ["Lambda.AddPermission"],
    make: removePermission("apigateway-post-root") },
  { key: "permissions", field: "apigateway-patch-item", repair: ["Lambda.RemovePermission"],
    make: addPermission("apigateway-patch-item", `arn:aws:execute-api:${E.REGION}:${E.ACCOUNT}:*`, E.ACCOUNT) },

  // Alarms: the definition and tags of each.
  { key: "errorRateAlarm", field: "definition", repair: ["CloudWatch.PutMetricAlarm"],
    // Replaced by a single-metric alarm: every field that tells the two apart is named.
    fields: ["alarmDescription", "threshold", "evaluationPeriods", "datapointsToAlarm",
      "treatMissingData", "namespace", "metricName", "statistic", "period", "metrics"],
    make: (e) => e.c.cloudwatch.send(new PutMetricAlarmCommand({ AlarmName: n.errorRateAlarm,
      Namespace: "AWS/Lambda", MetricName: "Errors", Statistic: "Sum", Period: 60, EvaluationPeriods: 1,
      Threshold: 1000, ComparisonOperator: "GreaterThanThreshold" })) },
  { key: "throttlesAlarm", field: "threshold", repair: ["CloudWatch.PutMetricAlarm"],
    make: (e) => e.c.cloudwatch.send(new PutMetricAlarmCommand({ AlarmName: n.throttlesAlarm,
      Namespace: "AWS/Lambda", MetricName: "Throttles", Statistic: "Sum", Period: 300, EvaluationPeriods: 1,
      DatapointsToAlarm: 1, Dimensions: [{ Name: "FunctionName", Value: n.functionName }],
      Threshold: 100, ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching",
      AlarmDescription: `${n.functionName} was throttled`, ActionsEnabled: true })) },
  { key: "api5xxAlarm", field: "threshold", repair: ["CloudWatch.PutMetricAlarm"],
    make: (e) => e.c.cloudwatch.send(new PutMetricAlarmCommand({ AlarmName: n.api5xxAlarm,
      Namespace: "AWS/ApiGateway", MetricName: "5XXError", Statistic: "Average", Period: 300, EvaluationPeriods: 1,
      DatapointsToAlarm: 1, Dimensions: [{ Name: "ApiName", Value: n.restApi }, { Name: "Stage", Value: "prod" }],
      Threshold: 0.5, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching",
      AlarmDescription: `5XX rate of the ${n.restApi} API (stage prod) above 5% in five minutes`, ActionsEnabled: true })) },
  { key: "apiRequestsAlarm", field: "dimensions", repair: ["CloudWatch.PutMetricAlarm"],
    // On the API's id instead of its name: a metric API Gateway does not publish.
    make: (e) => e.c.cloudwatch.send(new PutMetricAlarmCommand({ AlarmName: n.apiRequestsAlarm,
      Namespace: "AWS/ApiGateway", MetricName: "Count", Statistic: "SampleCount", Period: 300, EvaluationPeriods: 1,
      DatapointsToAlarm: 1, Dimensions: [{ Name: "ApiName", Value: e.apiId }, { Name: "Stage", Value: "prod" }],
      Threshold: 30000, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching",
      AlarmDescription: `More than 30000 requests to the ${n.restApi} API (stage prod) in five minutes`, ActionsEnabled: true })) },
  { key: "api5xxAlarm", field: "tags", repair: ["CloudWatch.TagResource"],
    make: (e) => e.c.cloudwatch.send(new UntagAlarm({ ResourceARN: alarmArn(n.api5xxAlarm), TagKeys: ["project"] })) },
  { key: "apiRequestsAlarm", field: "tags", repair: ["CloudWatch.TagResource"],
    make: (e) => e.c.cloudwatch.send(new UntagAlarm({ ResourceARN: alarmArn(n.apiRequestsAlarm), TagKeys: ["environment"] })) },
  { key: "errorRateAlarm", field: "tags", repair: ["CloudWatch.TagResource"],
    make: (e) => e.c.cloudwatch.send(new UntagAlarm({ ResourceARN: alarmArn(n.errorRateAlarm), TagKeys: ["project"] })) },
  { key: "throttlesAlarm", field: "tags", repair: ["CloudWatch.TagResource"],
    make: (e) => e.c.cloudwatch.send(new UntagAlarm({ ResourceARN: alarmArn(n.throttlesAlarm), TagKeys: ["environment"] })) },
]; // prettier-ignore

interface Row {
  key: string;
  state: string;
  fields?: string[];
}

describe("drift of each field, behind the tool's back: status names it, up repairs exactly it", () => {
  const w = quickWorld();
  const env = {} as Env;

  beforeAll(async () => {
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    const state = (await w.readState()) as { resources: { restApi: { id: string } } };
    Object.assign(env, { c: w.fake.clients(), apiId: state.resources.restApi.id, w });
  });

  it.each(DRIFTS.map((d) => [d.key, d.field, d] as const))("%s: %s", async (key, field, d) => {
    await d.make(env);
    await sleep(SETTLE_MS);

    w.fake.resetCalls();
    const s = await w.run(["status", "--json"], IO);
    expect(s.code, s.stderr).toBe(2);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    const rows = s.json.resources as Row[];
    expect(rows.find((r) => r.key === key)).toMatchObject({
      state: "drifted",
      fields: d.fields ?? [field],
    });
    expect(rows.filter((r) => r.key !== key && r.state !== "in sync")).toEqual([]);

    w.fake.resetCalls();
    const up = await w.run(["up"], IO);
    expect(up.code, up.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true }).sort()).toEqual([...d.repair].sort());

    await sleep(SETTLE_MS);
    w.fake.resetCalls();
    const again = await w.run(["up"], IO);
    expect(again.code, again.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("leaves the stack as designed", async () => {
    // What the drifts above left that is not the stack's.
    await env.c.iam.send(new DeleteRolePolicyCommand({ RoleName: OTHER_ROLE, PolicyName: "xray" }));
    await env.c.iam.send(new DeleteRoleCommand({ RoleName: OTHER_ROLE }));
    await env.c.s3.send(new DeleteObjectCommand({ Bucket: n.bucket, Key: "by-hand.zip" }));
    await sleep(SETTLE_MS);
    const s = await w.run(["status"], IO);
    expect(s.code, s.stdout).toBe(0);
    await E.expectDesignedStack(w.fake);
  });
});
