import {
  alarmNames,
  apiRequestsThreshold,
  functionEnvironment,
  STACK_TAG_KEY,
  type Config,
  type Names,
} from "./config.js";
import { node, StackBuilder, type Input } from "./engine/builder.js";
import type { AnySpec } from "./engine/types.js";
import type { Artifact } from "./package/zip.js";
import {
  alarmHandler,
  api5xxRateAlarm,
  apiRequestsAlarm,
  errorRateAlarm,
  throttlesAlarm,
} from "./resources/alarm.js";
import { apiAccountHandler, loggingRoleHandler } from "./resources/api-account.js";
import { apiKeyHandler } from "./resources/api-key.js";
import { accessLogFormat, invokeUrl, stageHandler } from "./resources/api-stage.js";
import { artifactHandler, artifactKey } from "./resources/artifact.js";
import { bucketHandler } from "./resources/bucket.js";
import { functionHandler } from "./resources/function.js";
import { alarmKeyPolicy, kmsKeyHandler } from "./resources/kms-key.js";
import { logGroupArn, logGroupHandler } from "./resources/log-group.js";
import { permissionHandler } from "./resources/permission.js";
import { functionRolePolicy, trustPolicy } from "./resources/policies.js";
import { restApiHandler } from "./resources/rest-api.js";
import { roleHandler } from "./resources/role.js";
import { emailSubscriptionHandler } from "./resources/subscription.js";
import { tableHandler } from "./resources/table.js";
import { usagePlanHandler } from "./resources/usage-plan.js";
import { alarmTopicPolicy, topicHandler } from "./resources/topic.js";
import { webAclAssociationHandler } from "./resources/web-acl-association.js";
import { webAclHandler } from "./resources/web-acl.js";
import { effectiveRoutes, permissionSid, routeSpecs, sourceArnPath } from "./routes.js";

/**
 * Every resource the stack may have, each under its logical key (the state file's key): the one
 * place these keys are written. Everything else reaches a resource through its node.
 */
export const NODES = {
  bucket: node("bucket", bucketHandler),
  table: node("table", tableHandler),
  functionLogGroup: node("functionLogGroup", logGroupHandler),
  accessLogGroup: node("accessLogGroup", logGroupHandler),
  role: node("role", roleHandler),
  errorRateAlarm: node("errorRateAlarm", alarmHandler),
  throttlesAlarm: node("throttlesAlarm", alarmHandler),
  api5xxAlarm: node("api5xxAlarm", alarmHandler),
  apiRequestsAlarm: node("apiRequestsAlarm", alarmHandler),
  apiGatewayLoggingRole: node("apiGatewayLoggingRole", loggingRoleHandler),
  apiGatewayAccount: node("apiGatewayAccount", apiAccountHandler),
  restApi: node("restApi", restApiHandler),
  stage: node("stage", stageHandler),
  executionLogGroup: node("executionLogGroup", logGroupHandler),
  permissions: node("permissions", permissionHandler),
  alarmKey: node("alarmKey", kmsKeyHandler),
  alarmTopic: node("alarmTopic", topicHandler),
  webAcl: node("webAcl", webAclHandler),
  webAclAssociation: node("webAclAssociation", webAclAssociationHandler),
  alarmSubscription: node("alarmSubscription", emailSubscriptionHandler),
  apiKey: node("apiKey", apiKeyHandler),
  usagePlan: node("usagePlan", usagePlanHandler),
  artifact: node("artifact", artifactHandler),
  function: node("function", functionHandler),
};

export interface StackInput {
  readonly config: Config;
  readonly names: Names;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The zipped handler; absent for `down`, which needs no code. */
  readonly artifact: Artifact | undefined;
}

/** Noncurrent object versions (replaced bundles) are kept this long for rollback. */
const NONCURRENT_VERSION_DAYS = 30;

/** What the parts of the stack share: names, ARNs known ahead, and the options in effect. */
function facts(i: StackInput) {
  const { names, tags, partition, region, account } = i;
  const s = i.config.settings;
  const n = NODES;
  const arn = (service: string, resource: string) =>
    `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const tableArn = arn("dynamodb", `table/${names.table}`);
  const logGroupProps = (name: string) => ({
    name,
    arn: logGroupArn(partition, region, account, name),
    retentionDays: s.logRetentionDays,
    tags,
  });
  const email = s.alarmEmail;
  const topicArn = arn("sns", names.alarmTopic);
  const keyAlias = `alias/${names.alarmTopic}`;
  // `down` is run without the option as often as with it: it still looks for the topic and key
  // by name so that nothing is left behind (the subscription goes with the topic).
  const withTopic = email !== undefined || !i.artifact;
  /** An alarm definition with its actions: the topic's ARN when notifications are on. */
  const withActions = <T>(definition: (actions: string[]) => T): Input<T> =>
    withTopic
      ? n.alarmTopic.ahead(email !== undefined ? [topicArn] : []).map(definition)
      : definition([]);
  // Deterministic, so the API's integrations need not wait for the function to exist.
  const functionArn = arn("lambda", `function:${names.functionName}`);
  const accessLogGroupArn = logGroupArn(partition, region, account, names.accessLogGroup);
  const routes = effectiveRoutes(s.routes, s.handler !== undefined);
  const stackTag = { key: STACK_TAG_KEY, value: names.stack };

  return {
    i,
    names,
    tags,
    partition,
    region,
    account,
    s,
    n,
    arn,
    tableArn,
    logGroupProps,
    email,
    topicArn,
    keyAlias,
    withTopic,
    withActions,
    functionArn,
    accessLogGroupArn,
    routes,
    stackTag,
  };
}

type Facts = ReturnType<typeof facts>;

/** The bucket, the table, the function's log groups and its role. */
function addData(b: StackBuilder, f: Facts): void {
  const { names, tags, partition, region, account, s, n, tableArn, logGroupProps } = f;
  b.add(n.bucket, {
    name: names.bucket,
    region,
    partition,
    tags,
    noncurrentVersionDays: NONCURRENT_VERSION_DAYS,
  });
  b.add(n.table, {
    name: names.table,
    arn: tableArn,
    key: s.table,
    maxReadUnits: s.tableMaxReadUnits,
    maxWriteUnits: s.tableMaxWriteUnits,
    tags,
  });
  b.add(n.functionLogGroup, logGroupProps(names.functionLogGroup));
  b.add(n.accessLogGroup, logGroupProps(names.accessLogGroup));
  b.add(n.role, {
    name: names.role,
    description: `Execution role of the ${names.functionName} Lambda function`,
    trust: trustPolicy("lambda.amazonaws.com"),
    inline: {
      name: names.rolePolicy,
      document: functionRolePolicy({
        partition,
        region,
        account,
        functionLogGroup: names.functionLogGroup,
        tableArn,
        access: s.table.access,
        customHandler: s.handler !== undefined,
      }),
    },
    managed: [],
    tags,
  });
}

/** The four alarms, on the function and on the API. */
function addAlarms(b: StackBuilder, f: Facts): void {
  const { names, tags, s, n, arn, withActions } = f;
  b.add(n.errorRateAlarm, {
    name: names.errorRateAlarm,
    arn: arn("cloudwatch", `alarm:${names.errorRateAlarm}`),
    definition: withActions((a) =>
      errorRateAlarm(names.functionName, s.errorRateThresholdPercent, a),
    ),
    tags,
  });
  b.add(n.throttlesAlarm, {
    name: names.throttlesAlarm,
    arn: arn("cloudwatch", `alarm:${names.throttlesAlarm}`),
    definition: withActions((a) => throttlesAlarm(names.functionName, s.throttlesThreshold, a)),
    tags,
  });
  // On the API's name and stage, both known before the API exists: no dependency on it.
  b.add(n.api5xxAlarm, {
    name: names.api5xxAlarm,
    arn: arn("cloudwatch", `alarm:${names.api5xxAlarm}`),
    definition: withActions((a) =>
      api5xxRateAlarm(names.restApi, names.apiStage, s.api5xxRateThresholdPercent, a),
    ),
    tags,
  });
  b.add(n.apiRequestsAlarm, {
    name: names.apiRequestsAlarm,
    arn: arn("cloudwatch", `alarm:${names.apiRequestsAlarm}`),
    definition: withActions((a) =>
      apiRequestsAlarm(names.restApi, names.apiStage, apiRequestsThreshold(s), a),
    ),
    tags,
  });
}

/** The REST API, its stage, logging and invoke permissions. */
function addApi(b: StackBuilder, f: Facts): void {
  const {
    i,
    names,
    tags,
    partition,
    region,
    account,
    s,
    n,
    arn,
    logGroupProps,
    functionArn,
    accessLogGroupArn,
    routes,
    stackTag,
  } = f;
  b.add(n.apiGatewayLoggingRole, {
    roleName: names.apiGatewayCloudWatchRole,
    partition,
    tags,
  });
  // The setting is only ever made or fixed while it is empty, and then the role is this tool's:
  // its ARN is known ahead, so the setting is read in parallel with the role.
  b.add(n.apiGatewayAccount, {
    roleArn: n.apiGatewayLoggingRole.ahead(
      `arn:${partition}:iam::${account}:role/${names.apiGatewayCloudWatchRole}`,
    ),
    roleName: names.apiGatewayCloudWatchRole,
  });
  b.add(n.restApi, {
    name: names.restApi,
    stackTag,
    tags,
    region,
    partition,
    routes: routeSpecs(routes),
    auth: s.auth,
    userPoolArn: s.cognitoUserPoolArn,
    integrationUri: n.function.ahead(
      `arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
    ),
  });
  const apiId = n.restApi.out.id;
  b.add(
    n.stage,
    {
      restApiId: apiId,
      deploymentId: n.restApi.out.deploymentId,
      name: names.apiStage,
      region,
      partition,
      throttlingRateLimit: s.throttleRateLimit,
      throttlingBurstLimit: s.throttleBurstLimit,
      accessLogDestinationArn: n.accessLogGroup.ahead(accessLogGroupArn),
      accessLogFormat: accessLogFormat(),
      tags,
      invokeUrl: apiId.map((id) =>
        invokeUrl({
          apiId: id,
          stage: names.apiStage,
          region,
          partition,
          endpoint: i.config.endpoint,
        }),
      ),
    },
    // Logging needs the account's role and both log groups first; callers need the table.
    { after: [n.apiGatewayAccount, n.executionLogGroup, n.table] },
  );
  b.add(
    n.executionLogGroup,
    apiId.map((id) => logGroupProps(names.executionLogGroup(id))),
  );
  b.add(n.permissions, {
    functionName: n.function.ahead(names.functionName),
    account,
    // One per route, scoped to this API, stage, method and path.
    statements: apiId.map((id) =>
      routes.map((r) => ({
        sid: permissionSid(r),
        sourceArn: arn("execute-api", `${id}/${names.apiStage}/${sourceArnPath(r)}`),
      })),
    ),
  });
}

/** What the options add: alarm notifications, WAF, API keys. */
function addOptions(b: StackBuilder, f: Facts): void {
  const {
    i,
    names,
    tags,
    partition,
    region,
    account,
    s,
    n,
    arn,
    email,
    topicArn,
    keyAlias,
    withTopic,
    stackTag,
  } = f;
  if (withTopic) {
    const alarmArns = alarmNames(names).map((a) => arn("cloudwatch", `alarm:${a}`));
    b.add(n.alarmKey, {
      alias: keyAlias,
      description: `Encrypts the alarm notifications of ${names.stack}`,
      policy: alarmKeyPolicy({ partition, region, account, alarmArns }),
      tags,
    });
    // By its alias ARN, known before the key exists: the topic is observed in parallel and
    // found by `down` even when the key is gone; SNS resolves the alias when it encrypts.
    b.add(n.alarmTopic, {
      name: names.alarmTopic,
      arn: topicArn,
      kmsKeyArn: n.alarmKey.ahead(arn("kms", keyAlias)),
      policy: alarmTopicPolicy({
        topicArn,
        partition,
        region,
        account,
        alarmArns,
      }),
      tags,
    });
  }
  // Like the topic, `down` looks for the web ACL whether the option is on or not.
  if (s.waf || !i.artifact) {
    b.add(n.webAcl, {
      name: names.webAcl,
      description: `Protects the REST API of ${names.stack}`,
      rateLimit: s.wafRateLimit,
      tags,
    });
    // Removed before either goes: a web ACL cannot be deleted while it is associated.
    b.add(n.webAclAssociation, {
      resourceArn: n.stage.out.arn,
      webAclArn: n.webAcl.out.arn,
    });
  }
  if (email !== undefined) {
    b.add(n.alarmSubscription, { topicArn: n.alarmTopic.ahead(topicArn), email });
  }

  // Like the topic: `down` looks for the key and plan whatever the auth mode says now.
  if (s.auth === "api-key" || !i.artifact) {
    b.add(n.apiKey, {
      name: names.apiKey,
      description: `The key callers of ${names.stack} send as x-api-key`,
      stackTag,
      tags,
      region,
      partition,
    });
    // The plan names the stage, which must exist first, and meters the key.
    b.add(n.usagePlan, {
      name: names.usagePlan,
      description: `Rate and daily quota of each key of ${names.stack}`,
      stackTag,
      tags,
      region,
      partition,
      apiId: n.restApi.out.id,
      stage: n.stage.ahead(names.apiStage),
      rateLimit: s.apiKeyRateLimit,
      burstLimit: s.apiKeyBurstLimit,
      dailyQuota: s.apiKeyDailyQuota,
      keyId: n.apiKey.out.id,
    });
  }
}

/** The code bundle and the function. */
function addFunction(b: StackBuilder, f: Facts): void {
  const { i, names, tags, partition, account, s, n } = f;
  const artifact = i.artifact;
  if (artifact) b.add(n.artifact, { bucket: n.bucket.ahead(names.bucket), artifact });
  // Without the artifact (down) nothing is created, so the order only matters for deletion.
  // Not on the table: the function can be created while the table is still CREATING; the
  // stage, which opens the API to callers, waits for the table instead.
  b.add(n.function, {
    name: names.functionName,
    roleArn: n.role.ahead(`arn:${partition}:iam::${account}:role/${names.role}`),
    runtime: s.runtime,
    handler: "index.handler",
    memoryMb: s.memoryMb,
    timeoutSeconds: s.timeoutSeconds,
    reservedConcurrency: s.reservedConcurrency,
    environment: functionEnvironment(names.table, i.config.stage, s),
    logGroup: n.functionLogGroup.ahead(names.functionLogGroup),
    code: {
      bucket: (artifact ? n.artifact : n.bucket).ahead(names.bucket),
      key: artifact ? artifactKey(artifact) : "",
      sha256Base64: artifact?.sha256Base64 ?? "",
    },
    tags,
  });
}

/**
 * The desired stack: every resource, its properties and, through the nodes its props read,
 * its dependencies. Pure. Ids that AWS derives from names (ARNs) are computed here and read
 * `ahead` of the resource, so observation runs in parallel while creation and deletion are
 * still ordered.
 */
export function desiredStack(i: StackInput): AnySpec[] {
  const f = facts(i);
  const b = new StackBuilder();
  addData(b, f);
  addAlarms(b, f);
  addApi(b, f);
  addOptions(b, f);
  addFunction(b, f);
  return b.build();
}
