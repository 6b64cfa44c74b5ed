import {
  GetAccountCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStageCommand,
} from "@aws-sdk/client-api-gateway";
import {
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as ListAlarmTags,
} from "@aws-sdk/client-cloudwatch";
import {
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand as ListLogTags,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
} from "@aws-sdk/client-dynamodb";
import {
  GetRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from "@aws-sdk/client-iam";
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ListKeysCommand,
} from "@aws-sdk/client-kms";
import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  ListFunctionsCommand,
} from "@aws-sdk/client-lambda";
import {
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { ListSubscriptionsCommand, ListTopicsCommand } from "@aws-sdk/client-sns";
import {
  GetWebACLCommand,
  GetWebACLForResourceCommand,
  ListTagsForResourceCommand as ListWafTags,
  ListWebACLsCommand,
} from "@aws-sdk/client-wafv2";
import { expect } from "vitest";
import { CLIENT_NAMES, createClients, loadClients, type Clients } from "../../src/aws/clients.js";
import * as E from "./expected.js";

// awsAt makes any of the tool's clients: every package loaded up front.
await loadClients(CLIENT_NAMES);

/** The tool's own set of SDK clients. */
export type Aws = Clients;

/** SDK clients straight to the emulator (not through the fault layer), to read back and to drift. */
export function awsAt(endpoint: string, region = E.REGION): Aws {
  return createClients({
    region,
    endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
}

/** Statements normalised for comparison: no Sid, actions and resources as sorted lists. */
export function statements(doc: string | undefined): unknown[] {
  if (!doc) return [];
  const parsed = JSON.parse(doc.includes("%7B") ? decodeURIComponent(doc) : doc) as {
    Statement: Record<string, unknown>[] | Record<string, unknown>;
  };
  const list = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  const asList = (v: unknown) => (v === undefined ? undefined : [v].flat().map(String).sort());
  return list.map((s) => {
    const out: Record<string, unknown> = { Effect: s.Effect };
    if (s.Principal !== undefined) out.Principal = s.Principal;
    if (s.Action !== undefined) out.Action = asList(s.Action);
    if (s.Resource !== undefined) out.Resource = asList(s.Resource);
    if (s.Condition !== undefined) out.Condition = s.Condition;
    return out;
  });
}

/** Everything that exists in the emulator's account, by kind (only names that matter). */
export async function inventory(aws: Aws): Promise<Record<string, string[]>> {
  const [
    buckets,
    tables,
    functions,
    roles,
    groups,
    apis,
    alarms,
    topics,
    subs,
    aliases,
    keys,
    apiKeys,
    usagePlans,
    acls,
  ] = await Promise.all([
    aws.s3.send(new ListBucketsCommand({})),
    aws.dynamodb.send(new ListTablesCommand({})),
    aws.lambda.send(new ListFunctionsCommand({})),
    aws.iam.send(new ListRolesCommand({})),
    aws.logs.send(new DescribeLogGroupsCommand({})),
    aws.apigateway.send(new GetRestApisCommand({})),
    aws.cloudwatch.send(new DescribeAlarmsCommand({})),
    aws.sns.send(new ListTopicsCommand({})),
    aws.sns.send(new ListSubscriptionsCommand({})),
    aws.kms.send(new ListAliasesCommand({})),
    aws.kms.send(new ListKeysCommand({})),
    aws.apigateway.send(new GetApiKeysCommand({})),
    aws.apigateway.send(new GetUsagePlansCommand({})),
    aws.wafv2.send(new ListWebACLsCommand({ Scope: "REGIONAL" })),
  ]);
  const liveKeys: string[] = [];
  for (const k of keys.Keys ?? []) {
    const d = await aws.kms.send(new DescribeKeyCommand({ KeyId: k.KeyId }));
    if (d.KeyMetadata?.KeyManager === "CUSTOMER" && d.KeyMetadata.KeyState !== "PendingDeletion")
      liveKeys.push(k.KeyId ?? "");
  }
  const objects: string[] = [];
  for (const b of buckets.Buckets ?? []) {
    const o = await aws.s3.send(new ListObjectsV2Command({ Bucket: b.Name }));
    for (const x of o.Contents ?? []) objects.push(`${b.Name}/${x.Key}`);
  }
  const account = await aws.apigateway.send(new GetAccountCommand({}));
  return {
    buckets: (buckets.Buckets ?? []).map((b) => b.Name ?? "").sort(),
    objects: objects.sort(),
    tables: (tables.TableNames ?? []).slice().sort(),
    functions: (functions.Functions ?? []).map((f) => f.FunctionName ?? "").sort(),
    roles: (roles.Roles ?? []).map((r) => r.RoleName ?? "").sort(),
    logGroups: (groups.logGroups ?? []).map((g) => g.logGroupName ?? "").sort(),
    restApis: (apis.items ?? []).map((a) => a.name ?? "").sort(),
    alarms: (alarms.MetricAlarms ?? []).map((a) => a.AlarmName ?? "").sort(),
    topics: (topics.Topics ?? []).map((t) => t.TopicArn ?? "").sort(),
    subscriptions: (subs.Subscriptions ?? []).map((s) => s.Endpoint ?? "").sort(),
    kmsAliases: (aliases.Aliases ?? [])
      .map((a) => a.AliasName ?? "")
      .filter((a) => !a.startsWith("alias/aws/"))
      .sort(),
    kmsKeys: liveKeys,
    apiKeys: (apiKeys.items ?? []).map((k) => k.name ?? "").sort(),
    usagePlans: (usagePlans.items ?? []).map((u) => u.name ?? "").sort(),
    apiGatewayLoggingRole: account.cloudwatchRoleArn ? [account.cloudwatchRoleArn] : [],
    webAcls: (acls.WebACLs ?? []).map((a) => a.Name ?? "").sort(),
  };
}

/** A value as read, without what means nothing: absent, null, empty lists. */
function meaningful(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(meaningful);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined && x !== null && !(Array.isArray(x) && x.length === 0))
        .map(([k, x]) => [k, meaningful(x)]),
    );
  }
  return v;
}

/**
 * With waf: exactly one web ACL, with the designed default action, rules, visibility and tags,
 * associated with the API's stage. Without: no web ACL, and the stage has none.
 */
export async function expectWaf(
  aws: Aws,
  stage: string,
  apiId: string,
  waf: { rateLimit?: number } | undefined,
): Promise<void> {
  const want = E.webAcl(stage, waf?.rateLimit);
  const list = await aws.wafv2.send(new ListWebACLsCommand({ Scope: "REGIONAL" }));
  const guarded = await aws.wafv2.send(
    new GetWebACLForResourceCommand({ ResourceArn: E.stageArn(apiId) }),
  );
  if (!waf) {
    expect(list.WebACLs ?? []).toEqual([]);
    expect(guarded.WebACL).toBeUndefined();
    return;
  }
  expect((list.WebACLs ?? []).map((a) => a.Name)).toEqual([want.Name]);
  const summary = list.WebACLs?.[0];
  const got = await aws.wafv2.send(
    new GetWebACLCommand({ Name: summary?.Name, Id: summary?.Id, Scope: "REGIONAL" }),
  );
  const acl = got.WebACL;
  expect(
    meaningful({
      Name: acl?.Name,
      Description: acl?.Description,
      DefaultAction: acl?.DefaultAction,
      VisibilityConfig: acl?.VisibilityConfig,
      Rules: [...(acl?.Rules ?? [])].sort((a, b) => (a.Priority ?? 0) - (b.Priority ?? 0)),
    }),
  ).toEqual(want);
  const tags = await aws.wafv2.send(new ListWafTags({ ResourceARN: acl?.ARN }));
  expect(
    Object.fromEntries((tags.TagInfoForResource?.TagList ?? []).map((t) => [t.Key, t.Value])),
  ).toMatchObject(E.tags(stage));
  expect(guarded.WebACL?.ARN).toBe(acl?.ARN);
}

/** True when nothing of any kind exists. */
export function isEmpty(inv: Record<string, string[]>): boolean {
  return Object.values(inv).every((v) => v.length === 0);
}

/** An object's text, or undefined when there is none. */
export async function s3Text(aws: Aws, bucket: string, key: string): Promise<string | undefined> {
  try {
    const r = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await r.Body?.transformToString();
  } catch (err) {
    if ((err as Error).name === "NoSuchKey") return undefined;
    throw err;
  }
}

/** The REST API's id, found by its name. */
export async function restApiId(aws: Aws, stage: string): Promise<string | undefined> {
  const apis = await aws.apigateway.send(new GetRestApisCommand({}));
  return apis.items?.find((a) => a.name === E.names(stage).restApi)?.id;
}

/**
 * Asserts exactly one of everything the stack has, each with the properties the reference
 * design gives it, read back through the SDK.
 */
export async function expectStack(
  aws: Aws,
  stage: string,
  opts: { email?: string; auth?: E.Auth; waf?: { rateLimit?: number } } = {},
) {
  const n = E.names(stage);
  const auth = opts.auth ?? "iam";
  const inv = await inventory(aws);
  expect(inv.apiKeys).toEqual(auth === "api-key" ? [n.apiKey] : []);
  expect(inv.usagePlans).toEqual(auth === "api-key" ? [n.usagePlan] : []);
  expect(inv.buckets).toEqual([n.bucket]);
  expect(inv.tables).toEqual([n.table]);
  expect(inv.functions).toEqual([n.functionName]);
  expect(inv.roles).toEqual([n.loggingRole, n.role].sort());
  expect(inv.restApis).toEqual([n.restApi]);
  expect(inv.alarms).toEqual(
    [
      n.errorRateAlarm,
      n.throttlesAlarm,
      n.api5xxAlarm,
      n.apiRequestsAlarm,
      n.versionErrorsAlarm,
    ].sort(),
  );
  expect(inv.objects).toHaveLength(1);
  expect(inv.objects?.[0]).toMatch(new RegExp(`^${n.bucket}/artifacts/[0-9a-f]{64}\\.zip$`));
  if (opts.email) {
    expect(inv.topics).toEqual([`arn:aws:sns:${E.REGION}:${E.ACCOUNT}:${n.alarmTopic}`]);
    expect(inv.subscriptions).toEqual([opts.email]);
    expect(inv.kmsKeys).toHaveLength(1);
    expect(inv.kmsAliases).toEqual([`alias/${n.alarmTopic}`]);
    const key = await aws.kms.send(new DescribeKeyCommand({ KeyId: `alias/${n.alarmTopic}` }));
    const keyPolicy = await aws.kms.send(
      new GetKeyPolicyCommand({ KeyId: key.KeyMetadata?.KeyId, PolicyName: "default" }),
    );
    expect(statements(keyPolicy.Policy)).toEqual(E.alarmKeyPolicy(stage));
  } else {
    expect(inv.topics).toEqual([]);
    expect(inv.kmsKeys).toEqual([]);
  }
  const apiId = (await restApiId(aws, stage)) as string;
  expect(inv.logGroups).toEqual(
    [n.accessLogGroup, n.functionLogGroup, `API-Gateway-Execution-Logs_${apiId}/prod`].sort(),
  );
  expect(inv.apiGatewayLoggingRole).toEqual([`arn:aws:iam::${E.ACCOUNT}:role/${n.loggingRole}`]);
  await expectWaf(aws, stage, apiId, opts.waf);

  // S3: SSE-S3, versioned, all four public-access blocks, ACLs disabled, TLS only, tags.
  const [enc, ver, pab, own, pol, btags] = await Promise.all([
    aws.s3.send(new GetBucketEncryptionCommand({ Bucket: n.bucket })),
    aws.s3.send(new GetBucketVersioningCommand({ Bucket: n.bucket })),
    aws.s3.send(new GetPublicAccessBlockCommand({ Bucket: n.bucket })),
    aws.s3.send(new GetBucketOwnershipControlsCommand({ Bucket: n.bucket })),
    aws.s3.send(new GetBucketPolicyCommand({ Bucket: n.bucket })),
    aws.s3.send(new GetBucketTaggingCommand({ Bucket: n.bucket })),
  ]);
  expect(
    enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
      ?.SSEAlgorithm,
  ).toBe("AES256");
  expect(ver.Status).toBe("Enabled");
  expect(pab.PublicAccessBlockConfiguration).toEqual({
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  });
  expect(own.OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe("BucketOwnerEnforced");
  expect(statements(pol.Policy)).toEqual(E.bucketPolicy(stage));
  expect(Object.fromEntries((btags.TagSet ?? []).map((t) => [t.Key, t.Value]))).toMatchObject(
    E.tags(stage),
  );

  // DynamoDB: key id, on-demand with a maximum, PITR, deletion protection, tags.
  const table = (await aws.dynamodb.send(new DescribeTableCommand({ TableName: n.table }))).Table;
  expect(table?.KeySchema).toEqual([{ AttributeName: "id", KeyType: "HASH" }]);
  expect(table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
  expect(table?.OnDemandThroughput).toEqual(E.TABLE_ON_DEMAND_THROUGHPUT);
  expect(table?.DeletionProtectionEnabled).toBe(true);
  const pitr = await aws.dynamodb.send(
    new DescribeContinuousBackupsCommand({ TableName: n.table }),
  );
  expect(
    pitr.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus,
  ).toBe("ENABLED");
  const ttags = await aws.dynamodb.send(
    new ListTagsOfResourceCommand({ ResourceArn: table?.TableArn }),
  );
  expect(Object.fromEntries((ttags.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject(
    E.tags(stage),
  );

  // IAM: the function role's trust and one exact inline policy, nothing attached.
  const role = await aws.iam.send(new GetRoleCommand({ RoleName: n.role }));
  expect(statements(role.Role?.AssumeRolePolicyDocument)).toEqual(E.LAMBDA_TRUST);
  const inline = await aws.iam.send(new ListRolePoliciesCommand({ RoleName: n.role }));
  expect(inline.PolicyNames).toHaveLength(1);
  const doc = await aws.iam.send(
    new GetRolePolicyCommand({ RoleName: n.role, PolicyName: inline.PolicyNames?.[0] }),
  );
  expect(statements(doc.PolicyDocument)).toEqual(E.functionPolicy(stage));
  const attached = await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: n.role }));
  expect(attached.AttachedPolicies ?? []).toEqual([]);
  const logging = await aws.iam.send(new GetRoleCommand({ RoleName: n.loggingRole }));
  expect(statements(logging.Role?.AssumeRolePolicyDocument)).toEqual(E.APIGATEWAY_TRUST);
  const loggingAttached = await aws.iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: n.loggingRole }),
  );
  expect((loggingAttached.AttachedPolicies ?? []).map((p) => p.PolicyArn)).toEqual([
    E.APIGATEWAY_LOGS_POLICY,
  ]);

  // Lambda: from the bucket's object, runtime, memory, timeout, X-Ray, JSON logs, env, tags.
  const fn = await aws.lambda.send(new GetFunctionCommand({ FunctionName: n.functionName }));
  const cfg = fn.Configuration;
  const want = E.functionConfig(stage);
  expect({
    Runtime: cfg?.Runtime,
    MemorySize: cfg?.MemorySize,
    Timeout: cfg?.Timeout,
    TracingMode: cfg?.TracingConfig?.Mode,
    LogFormat: cfg?.LoggingConfig?.LogFormat,
    LogGroup: cfg?.LoggingConfig?.LogGroup,
    Role: cfg?.Role,
    EnvironmentKeys: Object.keys(cfg?.Environment?.Variables ?? {}).sort(),
    TABLE_NAME: cfg?.Environment?.Variables?.TABLE_NAME,
  }).toEqual(want);
  expect(fn.Tags).toMatchObject(E.tags(stage));
  // No reservation unless the settings ask for one.
  expect(fn.Concurrency?.ReservedConcurrentExecutions).toBeUndefined();

  // The live alias serves a published version of exactly the function's code (safe deploys).
  const alias = await aws.lambda.send(
    new GetAliasCommand({ FunctionName: n.functionName, Name: "live" }),
  );
  const served = await aws.lambda.send(
    new GetFunctionConfigurationCommand({
      FunctionName: n.functionName,
      Qualifier: alias.FunctionVersion,
    }),
  );
  expect(alias.FunctionVersion).toMatch(/^\d+$/);
  expect(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
  expect(served.CodeSha256).toBe(cfg?.CodeSha256);

  // Invoke permissions: on the alias, one per route, scoped to this API, stage, method and path;
  // none on the function itself.
  const policy = await aws.lambda.send(
    new GetPolicyCommand({ FunctionName: n.functionName, Qualifier: "live" }),
  );
  await expect(
    aws.lambda.send(new GetPolicyCommand({ FunctionName: n.functionName })),
  ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  const perms = (
    JSON.parse(policy.Policy ?? "{}") as {
      Statement: {
        Principal: { Service: string };
        Action: string;
        Condition: { ArnLike: Record<string, string>; StringEquals: Record<string, string> };
      }[];
    }
  ).Statement;
  expect(perms.map((p) => p.Condition.ArnLike["AWS:SourceArn"]).sort()).toEqual(
    E.permissionSourceArns(apiId),
  );
  for (const p of perms) {
    expect(p.Principal.Service).toBe("apigateway.amazonaws.com");
    expect(p.Action).toBe("lambda:InvokeFunction");
    expect(p.Condition.StringEquals["AWS:SourceAccount"]).toBe(E.ACCOUNT);
  }

  // API Gateway: routes with Lambda proxy integrations, the stage's settings.
  const resources = await aws.apigateway.send(new GetResourcesCommand({ restApiId: apiId }));
  const routes: string[] = [];
  for (const r of resources.items ?? []) {
    for (const m of Object.keys(r.resourceMethods ?? {})) {
      routes.push(`${m} ${r.path}`);
      const method = await aws.apigateway.send(
        new GetMethodCommand({ restApiId: apiId, resourceId: r.id, httpMethod: m }),
      );
      expect(
        { authorizationType: method.authorizationType, apiKeyRequired: method.apiKeyRequired },
        `${m} ${r.path}`,
      ).toEqual(E.methodAuth(auth, m));
      expect(method.methodIntegration?.type).toBe("AWS_PROXY");
      expect(method.methodIntegration?.uri).toContain(
        `arn:aws:lambda:${E.REGION}:${E.ACCOUNT}:function:${n.functionName}:live/invocations`,
      );
    }
  }
  expect(routes.sort()).toEqual(E.ROUTES.map(([m, p]) => `${m} ${p}`).sort());
  const stageOut = await aws.apigateway.send(
    new GetStageCommand({ restApiId: apiId, stageName: "prod" }),
  );
  const all = stageOut.methodSettings?.["*/*"];
  expect({
    stageName: stageOut.stageName,
    tracingEnabled: stageOut.tracingEnabled,
    loggingLevel: all?.loggingLevel,
    dataTraceEnabled: all?.dataTraceEnabled,
    metricsEnabled: all?.metricsEnabled,
  }).toEqual(E.STAGE);
  expect(stageOut.accessLogSettings?.destinationArn).toBe(
    `arn:aws:logs:${E.REGION}:${E.ACCOUNT}:log-group:${n.accessLogGroup}`,
  );
  expect(Object.keys(JSON.parse(stageOut.accessLogSettings?.format ?? "{}")).sort()).toEqual(
    E.ACCESS_LOG_FIELDS,
  );

  // Log groups: retention and tags.
  const groups = await aws.logs.send(new DescribeLogGroupsCommand({}));
  for (const g of groups.logGroups ?? []) {
    expect(g.retentionInDays, g.logGroupName).toBe(E.LOG_RETENTION_DAYS);
    const t = await aws.logs.send(new ListLogTags({ resourceArn: g.arn?.replace(/:\*$/, "") }));
    expect(t.tags, g.logGroupName).toMatchObject(E.tags(stage));
  }

  // Alarms on this function's error rate and throttles, and on the API's 5XX rate and requests.
  const described = await aws.cloudwatch.send(
    new DescribeAlarmsCommand({
      AlarmNames: [n.errorRateAlarm, n.throttlesAlarm, n.api5xxAlarm, n.apiRequestsAlarm],
    }),
  );
  const byName = new Map((described.MetricAlarms ?? []).map((a) => [a.AlarmName, a]));
  const a = E.alarms(stage);
  const er = byName.get(n.errorRateAlarm);
  expect({
    ComparisonOperator: er?.ComparisonOperator,
    Threshold: er?.Threshold,
    EvaluationPeriods: er?.EvaluationPeriods,
    DatapointsToAlarm: er?.DatapointsToAlarm,
    TreatMissingData: er?.TreatMissingData,
    Expression: er?.Metrics?.find((m) => m.Expression)?.Expression,
    Metrics: (er?.Metrics ?? [])
      .filter((m) => m.MetricStat)
      .map((m) => ({
        Id: m.Id,
        MetricName: m.MetricStat?.Metric?.MetricName,
        FunctionName: m.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === "FunctionName")
          ?.Value,
        Period: m.MetricStat?.Period,
        Stat: m.MetricStat?.Stat,
      })),
  }).toEqual(a.errorRate);
  const th = byName.get(n.throttlesAlarm);
  expect({
    ComparisonOperator: th?.ComparisonOperator,
    Threshold: th?.Threshold,
    EvaluationPeriods: th?.EvaluationPeriods,
    Namespace: th?.Namespace,
    MetricName: th?.MetricName,
    Statistic: th?.Statistic,
    Period: th?.Period,
    FunctionName: th?.Dimensions?.find((d) => d.Name === "FunctionName")?.Value,
    TreatMissingData: th?.TreatMissingData,
  }).toEqual(a.throttles);
  for (const [name, want] of [
    [n.api5xxAlarm, a.api5xx],
    [n.apiRequestsAlarm, a.apiRequests],
  ] as const) {
    const alarm = byName.get(name);
    expect(
      {
        Namespace: alarm?.Namespace,
        MetricName: alarm?.MetricName,
        Dimensions: [...(alarm?.Dimensions ?? [])].sort((x, y) =>
          (x.Name ?? "") < (y.Name ?? "") ? -1 : 1,
        ),
        Statistic: alarm?.Statistic,
        Period: alarm?.Period,
        EvaluationPeriods: alarm?.EvaluationPeriods,
        DatapointsToAlarm: alarm?.DatapointsToAlarm,
        ComparisonOperator: alarm?.ComparisonOperator,
        Threshold: alarm?.Threshold,
        TreatMissingData: alarm?.TreatMissingData,
      },
      name,
    ).toEqual(want);
  }
  const actions = opts.email ? [`arn:aws:sns:${E.REGION}:${E.ACCOUNT}:${n.alarmTopic}`] : [];
  for (const alarm of [er, th, byName.get(n.api5xxAlarm), byName.get(n.apiRequestsAlarm)]) {
    expect(alarm?.AlarmActions ?? []).toEqual(actions);
    expect(alarm?.OKActions ?? []).toEqual(actions);
    const t = await aws.cloudwatch.send(new ListAlarmTags({ ResourceARN: alarm?.AlarmArn }));
    expect(
      Object.fromEntries((t.Tags ?? []).map((x) => [x.Key, x.Value])),
      alarm?.AlarmName,
    ).toMatchObject(E.tags(stage));
  }
}
