import {
  apiRequestsThreshold,
  functionEnvironment,
  STACK_TAG_KEY,
  type Config,
  type Names,
} from "./config.js";
import { spec, type AnySpec } from "./engine/types.js";
import type { Artifact } from "./package/zip.js";
import {
  alarmHandler,
  api5xxRateAlarm,
  apiRequestsAlarm,
  errorRateAlarm,
  throttlesAlarm,
} from "./resources/alarm.js";
import { apiAccountHandler, loggingRoleHandler } from "./resources/api-account.js";
import { apiKeyHandler, type ApiKeyOutputs } from "./resources/api-key.js";
import { accessLogFormat, invokeUrl, stageHandler } from "./resources/api-stage.js";
import { artifactHandler, artifactKey } from "./resources/artifact.js";
import { bucketHandler } from "./resources/bucket.js";
import { functionHandler } from "./resources/function.js";
import { alarmKeyPolicy, kmsKeyHandler } from "./resources/kms-key.js";
import { logGroupArn, logGroupHandler } from "./resources/log-group.js";
import { permissionHandler } from "./resources/permission.js";
import { functionRolePolicy, trustPolicy } from "./resources/policies.js";
import { restApiHandler, type RestApiOutputs } from "./resources/rest-api.js";
import { roleHandler } from "./resources/role.js";
import { emailSubscriptionHandler } from "./resources/subscription.js";
import { tableHandler } from "./resources/table.js";
import { usagePlanHandler } from "./resources/usage-plan.js";
import { alarmTopicPolicy, topicHandler } from "./resources/topic.js";
import { webAclAssociationHandler } from "./resources/web-acl-association.js";
import { webAclHandler } from "./resources/web-acl.js";
import { effectiveRoutes, permissionSid, routeSpecs, sourceArnPath } from "./routes.js";

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

/**
 * The desired stack: every resource, its properties and dependencies. Pure. Ids that AWS
 * derives from names (ARNs) are computed here rather than read from dependencies, so
 * observation runs in parallel; dependsOn still orders creation and deletion.
 */
export function desiredStack(i: StackInput): AnySpec[] {
  const { names, tags, partition, region, account } = i;
  const s = i.config.settings;
  const arn = (service: string, resource: string) =>
    `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const tableArn = arn("dynamodb", `table/${names.table}`);
  const logGroup = (key: string, name: string, dependsOn: string[] = []) =>
    spec({
      key,
      handler: logGroupHandler,
      dependsOn,
      props: () => ({
        name,
        arn: logGroupArn(partition, region, account, name),
        retentionDays: s.logRetentionDays,
        tags,
      }),
    });
  const email = s.alarmEmail;
  const topicArn = arn("sns", names.alarmTopic);
  const keyAlias = `alias/${names.alarmTopic}`;
  // `down` is run without the option as often as with it: it still looks for the topic and key
  // by name so that nothing is left behind (the subscription goes with the topic).
  const withTopic = email !== undefined || !i.artifact;
  const alarmActions: string[] = email !== undefined ? [topicArn] : [];
  const alarmDeps = withTopic ? ["alarmTopic"] : [];
  // Deterministic, so the API's integrations need not wait for the function to exist.
  const functionArn = arn("lambda", `function:${names.functionName}`);
  const accessLogGroupArn = logGroupArn(partition, region, account, names.accessLogGroup);
  const routes = effectiveRoutes(s.routes, s.handler !== undefined);

  const specs: AnySpec[] = [
    spec({
      key: "bucket",
      handler: bucketHandler,
      dependsOn: [],
      props: () => ({
        name: names.bucket,
        region,
        partition,
        tags,
        noncurrentVersionDays: NONCURRENT_VERSION_DAYS,
      }),
    }),
    spec({
      key: "table",
      handler: tableHandler,
      dependsOn: [],
      props: () => ({
        name: names.table,
        arn: tableArn,
        key: s.table,
        maxReadUnits: s.tableMaxReadUnits,
        maxWriteUnits: s.tableMaxWriteUnits,
        tags,
      }),
    }),
    logGroup("functionLogGroup", names.functionLogGroup),
    logGroup("accessLogGroup", names.accessLogGroup),
    spec({
      key: "role",
      handler: roleHandler,
      dependsOn: [],
      props: () => ({
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
      }),
    }),
    spec({
      key: "errorRateAlarm",
      handler: alarmHandler,
      dependsOn: alarmDeps,
      props: () => ({
        name: names.errorRateAlarm,
        arn: arn("cloudwatch", `alarm:${names.errorRateAlarm}`),
        definition: errorRateAlarm(names.functionName, s.errorRateThresholdPercent, alarmActions),
        tags,
      }),
    }),
    spec({
      key: "throttlesAlarm",
      handler: alarmHandler,
      dependsOn: alarmDeps,
      props: () => ({
        name: names.throttlesAlarm,
        arn: arn("cloudwatch", `alarm:${names.throttlesAlarm}`),
        definition: throttlesAlarm(names.functionName, s.throttlesThreshold, alarmActions),
        tags,
      }),
    }),
    // On the API's name and stage, both known before the API exists: no dependency on it.
    spec({
      key: "api5xxAlarm",
      handler: alarmHandler,
      dependsOn: alarmDeps,
      props: () => ({
        name: names.api5xxAlarm,
        arn: arn("cloudwatch", `alarm:${names.api5xxAlarm}`),
        definition: api5xxRateAlarm(
          names.restApi,
          names.apiStage,
          s.api5xxRateThresholdPercent,
          alarmActions,
        ),
        tags,
      }),
    }),
    spec({
      key: "apiRequestsAlarm",
      handler: alarmHandler,
      dependsOn: alarmDeps,
      props: () => ({
        name: names.apiRequestsAlarm,
        arn: arn("cloudwatch", `alarm:${names.apiRequestsAlarm}`),
        definition: apiRequestsAlarm(
          names.restApi,
          names.apiStage,
          apiRequestsThreshold(s),
          alarmActions,
        ),
        tags,
      }),
    }),
    spec({
      key: "apiGatewayLoggingRole",
      handler: loggingRoleHandler,
      dependsOn: [],
      props: () => ({
        roleName: names.apiGatewayCloudWatchRole,
        partition: i.partition,
        tags,
      }),
    }),
    spec({
      key: "apiGatewayAccount",
      handler: apiAccountHandler,
      dependsOn: ["apiGatewayLoggingRole"],
      props: (refs) => ({ roleArn: refs("apiGatewayLoggingRole").arn as string }),
    }),
    spec({
      key: "restApi",
      handler: restApiHandler,
      dependsOn: ["function"],
      props: () => ({
        name: names.restApi,
        stackTag: { key: STACK_TAG_KEY, value: names.stack },
        tags,
        region: i.region,
        partition: i.partition,
        routes: routeSpecs(routes),
        auth: s.auth,
        userPoolArn: s.cognitoUserPoolArn,
        integrationUri: `arn:${i.partition}:apigateway:${i.region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
      }),
    }),
    spec({
      key: "stage",
      handler: stageHandler,
      // Logging needs the account's role and both log groups first.
      dependsOn: ["restApi", "apiGatewayAccount", "accessLogGroup", "executionLogGroup", "table"],
      props: (refs) => {
        const api = refs("restApi") as RestApiOutputs;
        return {
          restApiId: api.id,
          deploymentId: api.deploymentId,
          name: names.apiStage,
          region: i.region,
          partition: i.partition,
          throttlingRateLimit: i.config.settings.throttleRateLimit,
          throttlingBurstLimit: i.config.settings.throttleBurstLimit,
          accessLogDestinationArn: accessLogGroupArn,
          accessLogFormat: accessLogFormat(),
          tags,
          invokeUrl: invokeUrl({
            apiId: api.id,
            stage: names.apiStage,
            region: i.region,
            partition: i.partition,
            endpoint: i.config.endpoint,
          }),
        };
      },
    }),
    spec({
      key: "executionLogGroup",
      handler: logGroupHandler,
      dependsOn: ["restApi"],
      props: (refs) => {
        const name = names.executionLogGroup((refs("restApi") as RestApiOutputs).id);
        return {
          name,
          arn: logGroupArn(partition, region, account, name),
          retentionDays: s.logRetentionDays,
          tags,
        };
      },
    }),
    spec({
      key: "permissions",
      handler: permissionHandler,
      dependsOn: ["function", "restApi"],
      props: (refs) => {
        const apiId = (refs("restApi") as RestApiOutputs).id;
        return {
          functionName: names.functionName,
          account,
          // One per route, scoped to this API, stage, method and path.
          statements: routes.map((r) => ({
            sid: permissionSid(r),
            sourceArn: arn("execute-api", `${apiId}/${names.apiStage}/${sourceArnPath(r)}`),
          })),
        };
      },
    }),
  ];

  if (withTopic) {
    specs.push(
      spec({
        key: "alarmKey",
        handler: kmsKeyHandler,
        dependsOn: [],
        props: () => ({
          alias: keyAlias,
          description: `Encrypts the alarm notifications of ${names.stack}`,
          policy: alarmKeyPolicy({
            partition,
            region,
            account,
            alarmNamePrefix: `${names.stack}-`,
          }),
          tags,
        }),
      }),
      spec({
        key: "alarmTopic",
        handler: topicHandler,
        dependsOn: ["alarmKey"],
        // By its alias ARN, known before the key exists: the topic is observed in parallel and
        // found by `down` even when the key is gone; SNS resolves the alias when it encrypts.
        props: () => ({
          name: names.alarmTopic,
          arn: topicArn,
          kmsKeyArn: arn("kms", keyAlias),
          policy: alarmTopicPolicy({
            topicArn,
            partition,
            region,
            account,
            alarmNamePrefix: `${names.stack}-`,
          }),
          tags,
        }),
      }),
    );
  }
  // Like the topic, `down` looks for the web ACL whether the option is on or not.
  if (s.waf || !i.artifact) {
    specs.push(
      spec({
        key: "webAcl",
        handler: webAclHandler,
        dependsOn: [],
        props: () => ({
          name: names.webAcl,
          description: `Protects the REST API of ${names.stack}`,
          rateLimit: s.wafRateLimit,
          tags,
        }),
      }),
      spec({
        key: "webAclAssociation",
        handler: webAclAssociationHandler,
        // Removed before either goes: a web ACL cannot be deleted while it is associated.
        dependsOn: ["stage", "webAcl"],
        props: (refs) => ({ resourceArn: refs("stage").arn, webAclArn: refs("webAcl").arn }),
      }),
    );
  }
  if (email !== undefined) {
    specs.push(
      spec({
        key: "alarmSubscription",
        handler: emailSubscriptionHandler,
        dependsOn: ["alarmTopic"],
        props: () => ({ topicArn, email }),
      }),
    );
  }

  // Like the topic: `down` looks for the key and plan whatever the auth mode says now.
  if (s.auth === "api-key" || !i.artifact) {
    const stackTag = { key: STACK_TAG_KEY, value: names.stack };
    specs.push(
      spec({
        key: "apiKey",
        handler: apiKeyHandler,
        dependsOn: [],
        props: () => ({
          name: names.apiKey,
          description: `The key callers of ${names.stack} send as x-api-key`,
          stackTag,
          tags,
          region,
          partition,
        }),
      }),
      spec({
        key: "usagePlan",
        handler: usagePlanHandler,
        // The plan names the stage, which must exist first, and meters the key.
        dependsOn: ["stage", "apiKey", "restApi"],
        props: (refs) => ({
          name: names.usagePlan,
          description: `Rate and daily quota of each key of ${names.stack}`,
          stackTag,
          tags,
          region,
          partition,
          apiId: (refs("restApi") as RestApiOutputs).id,
          stage: names.apiStage,
          rateLimit: s.apiKeyRateLimit,
          burstLimit: s.apiKeyBurstLimit,
          dailyQuota: s.apiKeyDailyQuota,
          keyId: (refs("apiKey") as ApiKeyOutputs).id,
        }),
      }),
    );
  }

  const artifact = i.artifact;
  if (artifact) {
    specs.push(
      spec({
        key: "artifact",
        handler: artifactHandler,
        dependsOn: ["bucket"],
        props: () => ({ bucket: names.bucket, artifact }),
      }),
    );
  }
  specs.push(
    spec({
      key: "function",
      handler: functionHandler,
      // Without the artifact (down) nothing is created, so the order only matters for deletion.
      // Not on the table: the function can be created while the table is still CREATING; the
      // stage, which opens the API to callers, waits for the table instead.
      dependsOn: ["role", "functionLogGroup", ...(artifact ? ["artifact"] : ["bucket"])],
      props: () => ({
        name: names.functionName,
        roleArn: `arn:${partition}:iam::${account}:role/${names.role}`,
        runtime: s.runtime,
        handler: "index.handler",
        memoryMb: s.memoryMb,
        timeoutSeconds: s.timeoutSeconds,
        reservedConcurrency: s.reservedConcurrency,
        environment: functionEnvironment(names.table, i.config.stage, s),
        code: {
          bucket: names.bucket,
          key: artifact ? artifactKey(artifact) : "",
          sha256Base64: artifact?.sha256Base64 ?? "",
        },
        logGroup: names.functionLogGroup,
        tags,
      }),
    }),
  );
  return specs;
}
