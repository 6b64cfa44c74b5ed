import {
  alarmNames,
  apiRequestsThreshold,
  functionEnvironment,
  STACK_TAG_KEY,
  type Config,
  type Names,
} from "./config.js";
import { node, StackBuilder, type Input } from "./engine/builder.js";
import { UserError } from "./errors.js";
import type { AnySpec } from "./engine/types.js";
import type { Artifact } from "./package/zip.js";
import {
  alarmHandler,
  api5xxRateAlarm,
  apiRequestsAlarm,
  errorRateAlarm,
  throttlesAlarm,
  versionErrorsAlarm,
} from "./resources/alarm.js";
import { aliasHandler, LIVE_ALIAS } from "./resources/alias.js";
import { apiAccountHandler, loggingRoleHandler } from "./resources/api-account.js";
import { apiKeyHandler } from "./resources/api-key.js";
import { accessLogFormat, invokeUrl, stageHandler } from "./resources/api-stage.js";
import { artifactHandler, artifactKey } from "./resources/artifact.js";
import { basePathMappingHandler } from "./resources/base-path-mapping.js";
import { certificateHandler } from "./resources/certificate.js";
import { dnsRecordsHandler } from "./resources/dns-records.js";
import { domainNameHandler } from "./resources/domain-name.js";
import { bucketHandler } from "./resources/bucket.js";
import { functionHandler } from "./resources/function.js";
import { alarmKeyPolicy, kmsKeyHandler } from "./resources/kms-key.js";
import { logGroupArn, logGroupHandler } from "./resources/log-group.js";
import { permissionHandler } from "./resources/permission.js";
import {
  functionRolePolicy,
  ROLE_POLICY_MAX_CHARS,
  trustPolicy,
  type PolicyDocument,
} from "./resources/policies.js";
import { restApiHandler } from "./resources/rest-api.js";
import { roleHandler } from "./resources/role.js";
import { emailSubscriptionHandler } from "./resources/subscription.js";
import { tableHandler } from "./resources/table.js";
import { usagePlanHandler } from "./resources/usage-plan.js";
import { alarmTopicPolicy, topicHandler } from "./resources/topic.js";
import { webAclAssociationHandler } from "./resources/web-acl-association.js";
import { webAclHandler } from "./resources/web-acl.js";
import { effectiveRoutes, permissionSid, routeSpecs, sourceArnPath } from "./routes.js";
import type { ResolvedSecret } from "./secrets.js";

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
  versionErrorsAlarm: node("versionErrorsAlarm", alarmHandler),
  alias: node("alias", aliasHandler),
  certificate: node("certificate", certificateHandler),
  certificateRecord: node("certificateRecord", dnsRecordsHandler),
  domainName: node("domainName", domainNameHandler),
  basePathMapping: node("basePathMapping", basePathMappingHandler),
  domainRecords: node("domainRecords", dnsRecordsHandler),
};

/**
 * What the stack is built for.
 * - deploy (up, status): the resources the options ask for, with the code to deploy.
 * - teardown (down): every resource the stack may have, the optional ones (alarm topic and key,
 *   web ACL, API key and usage plan) whatever the options say now, since `down` is run without
 *   an option as often as with it and must leave nothing behind. It has no code: nothing is
 *   created, so the order of its resources only matters for deletion.
 */
export type StackPurpose =
  | { readonly purpose: "deploy"; /** The zipped handler. */ readonly artifact: Artifact }
  | { readonly purpose: "teardown" };

export type StackInput = StackPurpose & {
  readonly config: Config;
  /** SERVERLESS_AUTOMATION_WAIT_SCALE: shortens a shift's holds along with every other wait. */
  readonly waitScale?: number | undefined;
  /** A version taken back (state file): while the stack wants it, `to` stays live instead. */
  readonly rolledBack?: { readonly version: string; readonly to: string } | undefined;
  /**
   * With a custom domain: false while its certificate awaits a record the user adds (no hosted
   * zone): the certificate alone is made, the rest on a run after it is issued.
   */
  readonly domainReady?: boolean | undefined;
  readonly names: Names;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The secrets as `up` looked them up (none for teardown: nothing is granted then). */
  readonly secrets?: readonly ResolvedSecret[] | undefined;
};

/** Where the stack lives and what it is called: what every part of it reads. */
interface Place {
  readonly names: Names;
  readonly tags: Readonly<Record<string, string>>;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly settings: Config["settings"];
  readonly secrets: readonly ResolvedSecret[];
}

/** Noncurrent object versions (replaced bundles) are kept this long for rollback. */
const NONCURRENT_VERSION_DAYS = 30;

/** The ARN of a resource of this stack's account and region. */
function arn(w: Place, service: string, resource: string): string {
  return `arn:${w.partition}:${service}:${w.region}:${w.account}:${resource}`;
}

function logGroupProps(w: Place, name: string) {
  return {
    name,
    arn: logGroupArn(w.partition, w.region, w.account, name),
    retentionDays: w.settings.logRetentionDays,
    tags: w.tags,
  };
}

/** Only an API, key or plan with this tag is the stack's to adopt: their names are not unique. */
function stackTag(w: Place) {
  return { key: STACK_TAG_KEY, value: w.names.stack };
}

/** The alarm topic, as the alarms and the notification options see it. */
interface AlarmTopic {
  /** Whether the stack has the topic (and its key): with an alarm address, or for teardown. */
  readonly present: boolean;
  readonly arn: string;
  /** An alarm definition with its actions: the topic's ARN when notifications are on. */
  withActions<T>(definition: (actions: string[]) => T): Input<T>;
}

function alarmTopic(w: Place, lookForEverything: boolean): AlarmTopic {
  const topicArn = arn(w, "sns", w.names.alarmTopic);
  const notify = w.settings.alarmEmail !== undefined;
  const present = notify || lookForEverything;
  return {
    present,
    arn: topicArn,
    withActions: (definition) =>
      present ? NODES.alarmTopic.ahead(notify ? [topicArn] : []).map(definition) : definition([]),
  };
}

/** The bucket, the table, the function's log groups and its role. */
function addData(b: StackBuilder, w: Place): void {
  const { names, tags, partition, region, account, settings: s } = w;
  const n = NODES;
  const tableArn = arn(w, "dynamodb", `table/${names.table}`);
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
  b.add(n.functionLogGroup, logGroupProps(w, names.functionLogGroup));
  b.add(n.accessLogGroup, logGroupProps(w, names.accessLogGroup));
  const document = functionRolePolicy({
    partition,
    region,
    account,
    functionLogGroup: names.functionLogGroup,
    tableArn,
    access: s.table.access,
    customHandler: s.handler !== undefined,
    secrets: w.secrets,
    extra: s.permissions,
  });
  refuseOversizedPolicy(document);
  b.add(n.role, {
    name: names.role,
    description: `Execution role of the ${names.functionName} Lambda function`,
    trust: trustPolicy("lambda.amazonaws.com"),
    inline: { name: names.rolePolicy, document },
    managed: [],
    tags,
  });
}

/**
 * IAM refuses a role policy over its size limit when it is put, midway through `up`: with many
 * secrets or permissions, say so before anything is changed.
 */
function refuseOversizedPolicy(document: PolicyDocument): void {
  const size = JSON.stringify(document).length;
  if (size > ROLE_POLICY_MAX_CHARS) {
    throw new UserError(
      `The function's role policy would be ${size} characters; IAM allows ${ROLE_POLICY_MAX_CHARS}. Nothing was changed.`,
      {
        hint: 'Fewer statements under "permissions" (one statement can list several actions and resources), or fewer "secrets".',
      },
    );
  }
}

/** The four alarms, on the function and on the API. */
function addAlarms(b: StackBuilder, w: Place, topic: AlarmTopic): void {
  const { names, tags, settings: s } = w;
  const n = NODES;
  const alarmArn = (name: string) => arn(w, "cloudwatch", `alarm:${name}`);
  b.add(n.errorRateAlarm, {
    name: names.errorRateAlarm,
    arn: alarmArn(names.errorRateAlarm),
    definition: topic.withActions((a) =>
      errorRateAlarm(names.functionName, s.errorRateThresholdPercent, a),
    ),
    tags,
  });
  b.add(n.throttlesAlarm, {
    name: names.throttlesAlarm,
    arn: alarmArn(names.throttlesAlarm),
    definition: topic.withActions((a) =>
      throttlesAlarm(names.functionName, s.throttlesThreshold, a),
    ),
    tags,
  });
  // On the API's name and stage, both known before the API exists: no dependency on it.
  b.add(n.api5xxAlarm, {
    name: names.api5xxAlarm,
    arn: alarmArn(names.api5xxAlarm),
    definition: topic.withActions((a) =>
      api5xxRateAlarm(names.restApi, names.apiStage, s.api5xxRateThresholdPercent, a),
    ),
    tags,
  });
  b.add(n.apiRequestsAlarm, {
    name: names.apiRequestsAlarm,
    arn: alarmArn(names.apiRequestsAlarm),
    definition: topic.withActions((a) =>
      apiRequestsAlarm(names.restApi, names.apiStage, apiRequestsThreshold(s), a),
    ),
    tags,
  });
}

/**
 * The REST API, its stage, logging and invoke permissions. `endpoint`: the custom AWS endpoint
 * (AWS_ENDPOINT_URL), which the stage's invoke URL points at instead of AWS.
 */
function addApi(
  b: StackBuilder,
  w: Place,
  endpoint: string | undefined,
  disableDefault: boolean,
): void {
  const { names, tags, partition, region, account, settings: s } = w;
  const n = NODES;
  const routes = effectiveRoutes(s.routes, s.handler !== undefined);
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
  // Deterministic, so the API's integrations need not wait for the function to exist.
  const functionArn = arn(w, "lambda", `function:${names.functionName}`);
  b.add(n.restApi, {
    name: names.restApi,
    stackTag: stackTag(w),
    tags,
    region,
    partition,
    routes: routeSpecs(routes),
    auth: s.auth,
    userPoolArn: s.cognitoUserPoolArn,
    disableExecuteApiEndpoint: disableDefault,
    // The live alias: every new version reaches callers through it, as its shift allows.
    integrationUri: n.alias.ahead(
      `arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}:${LIVE_ALIAS}/invocations`,
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
      accessLogDestinationArn: n.accessLogGroup.ahead(
        logGroupArn(partition, region, account, names.accessLogGroup),
      ),
      accessLogFormat: accessLogFormat(),
      tags,
      invokeUrl: apiId.map((id) =>
        invokeUrl({ apiId: id, stage: names.apiStage, region, partition, endpoint }),
      ),
    },
    // Logging needs the account's role and both log groups first; callers need the table; a
    // deployment that calls the alias goes live only once the alias lets the API invoke it.
    { after: [n.apiGatewayAccount, n.executionLogGroup, n.table, n.permissions] },
  );
  b.add(
    n.executionLogGroup,
    apiId.map((id) => logGroupProps(w, names.executionLogGroup(id))),
  );
  // On the alias the API calls. Those a stack had on the function itself (before the alias) are
  // recorded under another id: swept once the stage serves the alias, never before.
  b.add(n.permissions, {
    functionName: n.alias.ahead(`${names.functionName}:${LIVE_ALIAS}`),
    account,
    // One per route, scoped to this API, stage, method and path.
    statements: apiId.map((id) =>
      routes.map((r) => ({
        sid: permissionSid(r),
        sourceArn: arn(w, "execute-api", `${id}/${names.apiStage}/${sourceArnPath(r)}`),
      })),
    ),
  });
}

/** The topic alarm notifications go to, and the key that encrypts them. */
function addAlarmTopic(b: StackBuilder, w: Place, topic: AlarmTopic): void {
  const { names, tags, partition, region, account } = w;
  const n = NODES;
  if (topic.present) {
    const keyAlias = `alias/${names.alarmTopic}`;
    const alarmArns = alarmNames(names).map((a) => arn(w, "cloudwatch", `alarm:${a}`));
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
      arn: topic.arn,
      kmsKeyArn: n.alarmKey.ahead(arn(w, "kms", keyAlias)),
      policy: alarmTopicPolicy({ topicArn: topic.arn, partition, region, account, alarmArns }),
      tags,
    });
  }
}

/** The alarm address subscribed to the topic. Teardown needs no node: it goes with the topic. */
function addSubscription(b: StackBuilder, w: Place, topic: AlarmTopic): void {
  const email = w.settings.alarmEmail;
  if (email === undefined) return;
  b.add(NODES.alarmSubscription, { topicArn: NODES.alarmTopic.ahead(topic.arn), email });
}

/** The web ACL in front of the stage: with the waf option, or for teardown. */
function addWaf(b: StackBuilder, w: Place, lookForEverything: boolean): void {
  if (!w.settings.waf && !lookForEverything) return;
  const { names, tags } = w;
  const n = NODES;
  b.add(n.webAcl, {
    name: names.webAcl,
    description: `Protects the REST API of ${names.stack}`,
    rateLimit: w.settings.wafRateLimit,
    tags,
  });
  // Removed before either goes: a web ACL cannot be deleted while it is associated.
  b.add(n.webAclAssociation, {
    resourceArn: n.stage.out.arn,
    webAclArn: n.webAcl.out.arn,
  });
}

/** The API key and its usage plan: with auth api-key, or for teardown. */
function addApiKey(b: StackBuilder, w: Place, lookForEverything: boolean): void {
  const { names, tags, partition, region, settings: s } = w;
  if (s.auth !== "api-key" && !lookForEverything) return;
  const n = NODES;
  b.add(n.apiKey, {
    name: names.apiKey,
    description: `The key callers of ${names.stack} send as x-api-key`,
    stackTag: stackTag(w),
    tags,
    region,
    partition,
  });
  // The plan names the stage, which must exist first, and meters the key.
  b.add(n.usagePlan, {
    name: names.usagePlan,
    description: `Rate and daily quota of each key of ${names.stack}`,
    stackTag: stackTag(w),
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

/**
 * The custom domain: the certificate (unless the user gave one) and its validation record, the
 * regional domain name, its base path mapping to the stage, and the alias records. Teardown
 * looks for all of it while the config names a domain; what the state records goes in any case.
 */
function addDomain(b: StackBuilder, w: Place, ready: boolean, lookForEverything: boolean): void {
  const d = w.settings.domain;
  if (!d) return;
  const { names, tags, partition, region } = w;
  const n = NODES;
  const zone = d.hostedZoneId;
  let certificateArn: Input<string> = d.certificateArn ?? "";
  let validation: Input<{ name: string; value: string }> | undefined;
  if (d.certificateArn === undefined) {
    b.add(n.certificate, { domainName: d.name, stackTag: stackTag(w), tags });
    certificateArn = n.certificate.out.arn;
    validation = {
      name: n.certificate.out.validationName,
      value: n.certificate.out.validationValue,
    };
    if (zone) {
      b.add(n.certificateRecord, {
        hostedZoneId: zone,
        purpose: `the validation record of the certificate for ${d.name}`,
        records: [
          {
            name: n.certificate.out.validationName,
            type: "CNAME" as const,
            value: n.certificate.out.validationValue,
          },
        ],
      });
    }
  }
  if (!ready && !lookForEverything) return;
  b.add(
    n.domainName,
    {
      name: d.name,
      certificateArn,
      validation: validation ?? { name: "", value: "" },
      hostedZoneId: zone ?? "",
      tags,
      region,
      partition,
    },
    // Its wait for the certificate starts once the validation record is written.
    { after: zone && d.certificateArn === undefined ? [n.certificateRecord] : [] },
  );
  b.add(n.basePathMapping, {
    domainName: n.domainName.out.name,
    basePath: d.basePath,
    restApiId: n.restApi.out.id,
    stage: n.stage.ahead(names.apiStage),
  });
  if (zone) {
    const target = {
      dnsName: n.domainName.out.regionalDomainName,
      hostedZoneId: n.domainName.out.regionalHostedZoneId,
    };
    b.add(n.domainRecords, {
      hostedZoneId: zone,
      purpose: `the address of ${d.name}`,
      records: [
        { name: d.name, type: "A" as const, alias: target },
        { name: d.name, type: "AAAA" as const, alias: target },
      ],
    });
  }
}

/**
 * The code bundle and the function. `artifact`: the code to deploy; without it (teardown) there
 * is no bundle node and the function is only looked for. `stage` goes into its environment.
 */
function addFunction(
  b: StackBuilder,
  w: Place,
  stage: string,
  artifact: Artifact | undefined,
): void {
  const { names, tags, partition, account, settings: s } = w;
  const n = NODES;
  if (artifact) b.add(n.artifact, { bucket: n.bucket.ahead(names.bucket), artifact });
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
    environment: functionEnvironment(
      names.table,
      stage,
      s,
      Object.fromEntries(w.secrets.map((x) => [x.variable, x.value])),
    ),
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
 * The live alias and the alarm on the errors of the version it is shifting to: a new version
 * takes the traffic as `deploy` says, and goes back on any of the stack's alarms.
 */
function addDeploy(
  b: StackBuilder,
  w: Place,
  topic: AlarmTopic,
  waitScale: number,
  rolledBack: StackInput["rolledBack"],
): void {
  const { names, tags, settings: s } = w;
  const n = NODES;
  // Its actions as the other alarms', and made after the topic like them.
  const actions = s.alarmEmail !== undefined ? [topic.arn] : [];
  b.add(
    n.versionErrorsAlarm,
    {
      name: names.versionErrorsAlarm,
      arn: arn(w, "cloudwatch", `alarm:${names.versionErrorsAlarm}`),
      definition: n.function.out.version.map((version) =>
        versionErrorsAlarm(
          names.functionName,
          LIVE_ALIAS,
          version,
          s.errorRateThresholdPercent,
          actions,
        ),
      ),
      tags,
    },
    { after: topic.present ? [n.alarmTopic] : [] },
  );
  b.add(n.alias, {
    functionName: n.function.ahead(names.functionName),
    name: LIVE_ALIAS,
    arn: arn(w, "lambda", `function:${names.functionName}:${LIVE_ALIAS}`),
    // A version taken back stays back until the stack wants another one (or `rollback --to`).
    version: n.function.out.version.map((v) =>
      rolledBack !== undefined && v === rolledBack.version ? rolledBack.to : v,
    ),
    strategy: s.deploy,
    // The version's own alarm is put for the new version before the shift starts.
    alarms: [
      names.errorRateAlarm,
      names.throttlesAlarm,
      names.api5xxAlarm,
      n.versionErrorsAlarm.ahead(names.versionErrorsAlarm),
    ],
    bakeScale: waitScale,
    keepVersions: s.keepVersions,
  });
}

/**
 * The desired stack: every resource, its properties and, through the nodes its props read,
 * its dependencies. Pure. Ids that AWS derives from names (ARNs) are computed here and read
 * `ahead` of the resource, so observation runs in parallel while creation and deletion are
 * still ordered.
 */
export function desiredStack(i: StackInput): AnySpec[] {
  const { config, names, tags, partition, region, account } = i;
  const w: Place = {
    names,
    tags,
    partition,
    region,
    account,
    settings: config.settings,
    secrets: i.secrets ?? [],
  };
  const lookForEverything = i.purpose === "teardown";
  const topic = alarmTopic(w, lookForEverything);
  const b = new StackBuilder();
  addData(b, w);
  addAlarms(b, w, topic);
  // Off only once the domain is there to take the calls: not while its certificate waits.
  const domainReady = i.domainReady !== false;
  addApi(
    b,
    w,
    config.endpoint,
    config.settings.domain?.disableDefaultEndpoint === true && domainReady,
  );
  addAlarmTopic(b, w, topic);
  addWaf(b, w, lookForEverything);
  addSubscription(b, w, topic);
  addApiKey(b, w, lookForEverything);
  addDomain(b, w, domainReady, lookForEverything);
  addFunction(b, w, config.stage, i.purpose === "deploy" ? i.artifact : undefined);
  addDeploy(b, w, topic, i.waitScale ?? 1, i.rolledBack);
  return b.build();
}
