import { promises as fs } from "node:fs";
import { createClients } from "../aws/clients.js";
import { callerAccount } from "../aws/account.js";
import { configFileArg, loadConfigFile } from "../config-file.js";
import {
  API_STAGE_NAME,
  resolveConfig,
  resolveStage,
  type ConfigInput,
  apiGatewayCloudWatchRoleName,
  resourceNames,
  STACK_TAG_KEY,
  type Names,
  type Settings,
} from "../config.js";
import { UserError } from "../errors.js";
import { isAccountId, isRemoteState, parseS3Location, type S3Location } from "../state/location.js";
import { partitionOf, type Environment } from "./session.js";

/**
 * The IAM policy documents of the identity that runs the tool (issue 28): what `up`, `status`,
 * `down`, `rollback`, `logs`, `outputs` and `request` call, scoped to one project's stack (one
 * stage, or all of them) in one account and region. Pure: the command resolves the config and
 * the account, this builds the documents from them.
 */

export const POLICY_PURPOSES = ["deploy", "plan", "state-init"] as const;
export type PolicyPurpose = (typeof POLICY_PURPOSES)[number];

/** What a config turns on beyond the stack every config has. */
export interface Features {
  /** alarmEmail: the alarm topic, its KMS key and the e-mail subscription. */
  readonly alarmEmail: boolean;
  /** waf: the web ACL in front of the stage. */
  readonly waf: boolean;
  /** auth api-key: the API key and its usage plan. */
  readonly apiKey: boolean;
  /** auth iam: `request` signs its calls, which execute-api:Invoke must allow. */
  readonly iamAuth: boolean;
}
export type Feature = keyof Features;

/** The features the settings turn on. Secrets and the custom domain add a line each here. */
export function featuresOf(s: Settings): Features {
  return {
    alarmEmail: s.alarmEmail !== undefined,
    waf: s.waf,
    apiKey: s.auth === "api-key",
    iamAuth: s.auth === "iam",
  };
}

export interface PolicyScope {
  readonly name: string;
  /** One stage, or "all": every stage of the project, present and future. */
  readonly stage: string | "all";
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly features: Features;
  /** The state in S3, when the config keeps it there. */
  readonly state: S3Location | undefined;
  /** Where the same setting put the state before (read once, to move it). */
  readonly formerState?: S3Location | undefined;
}

export type Condition = Record<string, Record<string, string | string[]>>;

export interface Statement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Condition;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: Statement[];
}

/**
 * The actions granted on `Resource: "*"`, each because the service authorization reference
 * gives it no resource type (or none that exists before the call), and what scopes it instead.
 */
export const WILDCARD_ONLY: Readonly<Record<string, string>> = {
  "kms:CreateKey":
    "a key's ARN is a random id AWS chooses: scoped by aws:RequestTag to the stack tag instead",
  "kms:TagResource":
    "the tags CreateKey puts on the key it makes are checked before the key has an ARN: scoped by aws:RequestTag too",
  "logs:DescribeLogGroups":
    "no resource type: the tool finds the function's log group by its name as a prefix",
  "wafv2:ListWebACLs":
    "a list action without a resource type: the tool finds its web ACL by name in the list",
};

/** The names a policy grants: the stack's own for one stage; for all stages, patterns. */
interface Scoped {
  readonly s: PolicyScope;
  readonly n: Names;
  /** The stack tag's value the conditions accept: `<name>-<stage>`, or `<name>-*`. */
  readonly tag: string;
  /** StringEquals for one stage, StringLike for the pattern. */
  readonly match: "StringEquals" | "StringLike";
}

const arn = (c: Scoped, service: string, resource: string, region = c.s.region) =>
  `arn:${c.s.partition}:${service}:${region}:${c.s.account}:${resource}`;

/** Both forms of a log group's ARN: the tagging API's and the one the older actions check. */
const logGroup = (c: Scoped, name: string) => [
  arn(c, "logs", `log-group:${name}`),
  arn(c, "logs", `log-group:${name}:*`),
];

const roleArn = (c: Scoped, name: string) =>
  `arn:${c.s.partition}:iam::${c.s.account}:role/${name}`;

const apigw = (c: Scoped, path: string) => `arn:${c.s.partition}:apigateway:${c.s.region}::${path}`;

const stackTag = (c: Scoped, kind: "aws:ResourceTag" | "aws:RequestTag"): Condition => ({
  [c.match]: { [`${kind}/${STACK_TAG_KEY}`]: c.tag },
});

const both = (c: Scoped): Condition => ({
  [c.match]: {
    [`aws:ResourceTag/${STACK_TAG_KEY}`]: c.tag,
    [`aws:RequestTag/${STACK_TAG_KEY}`]: c.tag,
  },
});

/**
 * One block of permissions on one kind of resource. `read` is what observing it needs (status,
 * a dry run, down's look-around); `write` what creating and changing it needs, with the
 * dependent actions AWS checks on the same resource (tag-on-create); `remove` what deleting it
 * needs. A feature's block is in the deploy policy with the feature on; with it off, only its
 * read and remove actions are: `down` looks for every optional resource whatever the config
 * says now, and `up` removes one the config no longer wants.
 */
export interface Grant {
  readonly sid: string;
  readonly feature?: Feature;
  readonly read?: readonly string[];
  readonly write?: readonly string[];
  readonly remove?: readonly string[];
  /** Only with the feature on (or, without a feature, always): e.g. execute-api:Invoke. */
  readonly onlyWhenOn?: boolean;
  readonly resources: (c: Scoped) => string[];
  readonly condition?: (c: Scoped) => Condition;
}

/**
 * Every permission of the stack, by resource. The secrets and the custom domain add their rows
 * here, each with its `feature`.
 */
export const GRANTS: readonly Grant[] = [
  {
    sid: "CodeBucket",
    read: [
      "s3:ListBucket",
      "s3:GetEncryptionConfiguration",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketOwnershipControls",
      "s3:GetBucketPolicy",
      "s3:GetBucketVersioning",
      "s3:GetLifecycleConfiguration",
      "s3:GetBucketTagging",
      "s3:ListBucketVersions",
    ],
    write: [
      "s3:CreateBucket",
      // CreateBucket with ObjectOwnership and with tags checks these too.
      "s3:PutBucketOwnershipControls",
      "s3:TagResource",
      "s3:PutEncryptionConfiguration",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketPolicy",
      "s3:PutBucketVersioning",
      "s3:PutLifecycleConfiguration",
      "s3:PutBucketTagging",
    ],
    remove: ["s3:DeleteBucket"],
    resources: (c) => [`arn:${c.s.partition}:s3:::${c.n.bucket}`],
  },
  {
    sid: "CodeObjects",
    read: ["s3:GetObject", "s3:GetObjectVersion"],
    write: ["s3:PutObject"],
    remove: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
    resources: (c) => [`arn:${c.s.partition}:s3:::${c.n.bucket}/*`],
  },
  {
    sid: "Table",
    read: [
      "dynamodb:DescribeTable",
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:ListTagsOfResource",
    ],
    write: [
      "dynamodb:CreateTable",
      "dynamodb:UpdateTable",
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:TagResource",
      "dynamodb:UntagResource",
    ],
    // Deletion protection is turned off (UpdateTable) before the table goes.
    remove: ["dynamodb:UpdateTable", "dynamodb:DeleteTable"],
    resources: (c) => [arn(c, "dynamodb", `table/${c.n.table}`)],
  },
  {
    sid: "LogGroups",
    read: ["logs:ListTagsForResource", "logs:FilterLogEvents"],
    write: [
      "logs:CreateLogGroup",
      "logs:PutRetentionPolicy",
      "logs:TagResource",
      "logs:UntagResource",
    ],
    remove: ["logs:DeleteLogGroup"],
    resources: (c) => [...logGroup(c, c.n.functionLogGroup), ...logGroup(c, c.n.accessLogGroup)],
  },
  {
    // Named after the API's random id: scoped by the stack tag the tool gives it.
    sid: "ExecutionLogGroup",
    read: ["logs:ListTagsForResource"],
    write: ["logs:PutRetentionPolicy", "logs:TagResource", "logs:UntagResource"],
    remove: ["logs:DeleteLogGroup"],
    resources: (c) => logGroup(c, c.n.executionLogGroup("*")),
    condition: (c) => stackTag(c, "aws:ResourceTag"),
  },
  {
    sid: "CreateExecutionLogGroup",
    write: ["logs:CreateLogGroup", "logs:TagResource"],
    resources: (c) => logGroup(c, c.n.executionLogGroup("*")),
    condition: (c) => stackTag(c, "aws:RequestTag"),
  },
  {
    sid: "FindLogGroups",
    read: ["logs:DescribeLogGroups"],
    resources: () => ["*"],
  },
  {
    sid: "Roles",
    read: [
      "iam:GetRole",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:GetRolePolicy",
    ],
    write: [
      "iam:CreateRole",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:PutRolePolicy",
    ],
    remove: ["iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRole"],
    resources: (c) => [roleArn(c, c.n.role), roleArn(c, apiGatewayCloudWatchRoleName(c.s.region))],
  },
  {
    // The only managed policy the tool attaches: the one API Gateway's logging role needs.
    sid: "LoggingRolePolicy",
    write: ["iam:AttachRolePolicy"],
    resources: (c) => [roleArn(c, apiGatewayCloudWatchRoleName(c.s.region))],
    condition: (c) => ({
      ArnEquals: {
        "iam:PolicyARN": `arn:${c.s.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
      },
    }),
  },
  {
    sid: "PassFunctionRole",
    write: ["iam:PassRole"],
    resources: (c) => [roleArn(c, c.n.role)],
    condition: () => ({ StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } }),
  },
  {
    sid: "PassLoggingRole",
    write: ["iam:PassRole"],
    resources: (c) => [roleArn(c, apiGatewayCloudWatchRoleName(c.s.region))],
    condition: () => ({ StringEquals: { "iam:PassedToService": "apigateway.amazonaws.com" } }),
  },
  {
    sid: "Function",
    read: [
      "lambda:GetFunction",
      "lambda:GetFunctionConfiguration",
      "lambda:ListVersionsByFunction",
      "lambda:GetAlias",
      "lambda:GetPolicy",
      "lambda:ListTags",
    ],
    write: [
      "lambda:CreateFunction",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      "lambda:PutFunctionConcurrency",
      "lambda:DeleteFunctionConcurrency",
      "lambda:PublishVersion",
      "lambda:CreateAlias",
      "lambda:UpdateAlias",
    ],
    remove: ["lambda:DeleteAlias", "lambda:DeleteFunction", "lambda:RemovePermission"],
    resources: (c) => [
      arn(c, "lambda", `function:${c.n.functionName}`),
      arn(c, "lambda", `function:${c.n.functionName}:*`),
    ],
  },
  {
    // Only API Gateway may be let invoke the function, and only from this account.
    sid: "FunctionInvokePermission",
    write: ["lambda:AddPermission"],
    resources: (c) => [arn(c, "lambda", `function:${c.n.functionName}:*`)],
    condition: () => ({ StringEquals: { "lambda:Principal": "apigateway.amazonaws.com" } }),
  },
  {
    sid: "Alarms",
    read: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
    write: ["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"],
    remove: ["cloudwatch:DeleteAlarms"],
    resources: (c) =>
      [
        c.n.errorRateAlarm,
        c.n.throttlesAlarm,
        c.n.api5xxAlarm,
        c.n.apiRequestsAlarm,
        c.n.versionErrorsAlarm,
      ].map((a) => arn(c, "cloudwatch", `alarm:${a}`)),
  },
  {
    // The collections: listed to find the API, key and plan by name (their ids are random).
    sid: "ApiGatewayLists",
    read: ["apigateway:GET"],
    resources: (c) => [apigw(c, "/restapis"), apigw(c, "/apikeys"), apigw(c, "/usageplans")],
  },
  {
    sid: "ApiGatewayCreate",
    write: ["apigateway:POST"],
    resources: (c) => [
      apigw(c, "/restapis"),
      ...(c.s.features.apiKey ? [apigw(c, "/apikeys"), apigw(c, "/usageplans")] : []),
    ],
    condition: (c) => stackTag(c, "aws:RequestTag"),
  },
  {
    // The API and everything in it (resources, methods, deployments, stages, authorizers), the
    // key and the plan: each carries the stack tag, or inherits the API's.
    sid: "ApiGatewayOwn",
    read: ["apigateway:GET"],
    write: ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:SetWebACL"],
    remove: ["apigateway:DELETE"],
    resources: (c) => [apigw(c, "/restapis/*"), apigw(c, "/apikeys/*"), apigw(c, "/usageplans/*")],
    condition: (c) => stackTag(c, "aws:ResourceTag"),
  },
  {
    // Tags on a resource already the stack's, and only the stack's own tag.
    sid: "ApiGatewayTags",
    write: ["apigateway:PUT"],
    resources: (c) => [apigw(c, "/tags/*")],
    condition: both,
  },
  {
    // The region's API Gateway account setting: the role it writes logs with (set once).
    sid: "ApiGatewayAccount",
    read: ["apigateway:GET"],
    write: ["apigateway:PATCH"],
    resources: (c) => [apigw(c, "/account")],
  },
  {
    sid: "AlarmTopic",
    feature: "alarmEmail",
    read: ["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:ListSubscriptionsByTopic"],
    write: [
      "sns:CreateTopic",
      "sns:SetTopicAttributes",
      "sns:TagResource",
      "sns:UntagResource",
      "sns:Subscribe",
    ],
    remove: ["sns:Unsubscribe", "sns:DeleteTopic"],
    resources: (c) => [arn(c, "sns", c.n.alarmTopic)],
  },
  {
    sid: "AlarmKeyAlias",
    feature: "alarmEmail",
    write: ["kms:CreateAlias"],
    remove: ["kms:DeleteAlias"],
    resources: (c) => [arn(c, "kms", `alias/${c.n.alarmTopic}`)],
  },
  {
    // A key's ARN is its random id: the stack tag it was created with scopes it.
    sid: "AlarmKey",
    feature: "alarmEmail",
    read: [
      "kms:DescribeKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
    ],
    write: [
      "kms:CreateAlias",
      "kms:PutKeyPolicy",
      "kms:EnableKeyRotation",
      "kms:EnableKey",
      "kms:CancelKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
    ],
    remove: ["kms:DeleteAlias", "kms:ScheduleKeyDeletion"],
    resources: (c) => [arn(c, "kms", "key/*")],
    condition: (c) => stackTag(c, "aws:ResourceTag"),
  },
  {
    sid: "CreateAlarmKey",
    feature: "alarmEmail",
    write: ["kms:CreateKey", "kms:TagResource"],
    resources: () => ["*"],
    condition: (c) => stackTag(c, "aws:RequestTag"),
  },
  {
    sid: "WebAcl",
    feature: "waf",
    read: ["wafv2:GetWebACL", "wafv2:ListTagsForResource"],
    write: [
      "wafv2:CreateWebACL",
      "wafv2:UpdateWebACL",
      "wafv2:TagResource",
      "wafv2:UntagResource",
      "wafv2:AssociateWebACL",
    ],
    remove: ["wafv2:DeleteWebACL"],
    resources: (c) => [arn(c, "wafv2", `regional/webacl/${c.n.webAcl}/*`)],
  },
  {
    // The stage side of an association: the API's id is random, and WAF's actions on a stage
    // take no tag condition; API Gateway's own SetWebACL (ApiGatewayOwn) is scoped by tag.
    sid: "WebAclStage",
    feature: "waf",
    read: ["wafv2:GetWebACLForResource"],
    write: ["wafv2:AssociateWebACL"],
    remove: ["wafv2:DisassociateWebACL"],
    resources: (c) => [apigw(c, `/restapis/*/stages/${API_STAGE_NAME}`)],
  },
  {
    sid: "FindWebAcl",
    feature: "waf",
    read: ["wafv2:ListWebACLs"],
    resources: () => ["*"],
  },
  {
    // `request` signs its calls with these credentials (auth iam). The API's id is random and
    // execute-api:Invoke takes no tag condition: any API's stage of the stack's name.
    sid: "CallTheApi",
    feature: "iamAuth",
    onlyWhenOn: true,
    write: ["execute-api:Invoke"],
    resources: (c) => [arn(c, "execute-api", `*/${API_STAGE_NAME}/*`)],
  },
];

/** The state object and its lock, read by every command and written by those that lock. */
function stateStatements(s: PolicyScope, purpose: PolicyPurpose): Statement[] {
  const st = s.state;
  if (!st) return [];
  const object = `arn:${s.partition}:s3:::${st.bucket}/${st.key}`;
  const former =
    s.formerState && `arn:${s.partition}:s3:::${s.formerState.bucket}/${s.formerState.key}`;
  const read: Statement = {
    Sid: "StateRead",
    Effect: "Allow",
    Action: ["s3:GetObject"],
    Resource: [object, `${object}.lock`, ...(former ? [former] : [])],
  };
  const bucket = `arn:${s.partition}:s3:::${st.bucket}`;
  // Without ListBucket, S3 answers a state not written yet with 403 instead of 404.
  const list: Statement = {
    Sid: "StateBucketList",
    Effect: "Allow",
    Action: ["s3:ListBucket"],
    Resource: bucket,
  };
  if (purpose === "plan") return [read, list];
  return [
    read,
    list,
    {
      Sid: "StateWrite",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:DeleteObject"],
      Resource: [object, `${object}.lock`],
    },
    {
      // Warned about when it is off: a state without versions cannot be taken back.
      Sid: "StateBucketVersioning",
      Effect: "Allow",
      Action: ["s3:GetBucketVersioning"],
      Resource: bucket,
    },
  ];
}

/** What `state init s3://bucket` needs on the state bucket. */
function stateInitStatements(s: PolicyScope): Statement[] {
  if (!s.state) return [];
  return [
    {
      Sid: "StateBucket",
      Effect: "Allow",
      Action: [
        "s3:ListBucket",
        "s3:CreateBucket",
        "s3:GetBucketVersioning",
        "s3:PutBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:GetBucketTagging",
        "s3:PutBucketTagging",
        "s3:TagResource",
      ],
      Resource: `arn:${s.partition}:s3:::${s.state.bucket}`,
    },
  ];
}

function scoped(s: PolicyScope): Scoped {
  const all = s.stage === "all";
  // For every stage, the stage part of each name becomes `*`: each name still ends in its own
  // suffix (-items, -api, -function-<region>), so it only matches that kind of resource.
  const n = resourceNames({
    name: s.name,
    stage: all ? "*" : s.stage,
    account: s.account,
    region: s.region,
  });
  return { s, n, tag: n.stack, match: all ? "StringLike" : "StringEquals" };
}

/** The actions of a grant that `purpose` needs, given the features on. */
function actionsOf(g: Grant, purpose: PolicyPurpose, f: Features): string[] {
  const on = g.feature === undefined || f[g.feature];
  if (g.onlyWhenOn && !on) return [];
  if (purpose === "plan") return [...(g.read ?? [])];
  return [...(g.read ?? []), ...(on ? (g.write ?? []) : []), ...(g.remove ?? [])];
}

/** The policy document for `purpose`. */
export function policyDocument(s: PolicyScope, purpose: PolicyPurpose): PolicyDocument {
  if (purpose === "state-init") {
    // With the state object and its lock: whoever sets the bucket up can hand the state over.
    return {
      Version: "2012-10-17",
      Statement: [
        ...stateInitStatements(s),
        ...stateStatements(s, "deploy").filter((st) => st.Sid !== "StateBucketList"),
      ],
    };
  }
  const c = scoped(s);
  const statements: Statement[] = [];
  for (const g of GRANTS) {
    const actions = [...new Set(actionsOf(g, purpose, s.features))].sort();
    if (actions.length === 0) continue;
    const resources = g.resources(c);
    statements.push({
      Sid: g.sid,
      Effect: "Allow",
      Action: actions,
      Resource: resources.length === 1 ? (resources[0] as string) : resources,
      ...(g.condition ? { Condition: g.condition(c) } : {}),
    });
  }
  return { Version: "2012-10-17", Statement: [...statements, ...stateStatements(s, purpose)] };
}

/** The distinct actions a document allows. */
export function distinctActions(d: PolicyDocument): string[] {
  return [...new Set(d.Statement.flatMap((st) => st.Action))].sort();
}

export interface PolicyInput extends ConfigInput {
  readonly purpose: PolicyPurpose;
  readonly allStages: boolean;
  /** --account: the account to write into the ARNs, instead of asking STS. */
  readonly account?: string | undefined;
}

export interface PolicyResult {
  readonly for: PolicyPurpose;
  readonly name: string;
  /** The stage, or "all". */
  readonly stage: string;
  readonly account: string;
  readonly region: string;
  readonly features: Features;
  readonly policy: PolicyDocument;
  /** How many distinct actions it allows. */
  readonly actions: number;
}

/**
 * The documents for the config as `up` would resolve it. With --account, no AWS call at all;
 * else STS names the account of the credentials in use.
 */
export async function policy(
  input: PolicyInput,
  e: Pick<Environment, "env" | "cwd" | "clients">,
): Promise<PolicyResult> {
  if (input.account !== undefined && !isAccountId(input.account)) {
    throw new UserError(`--account "${input.account}" is not an account id.`, {
      hint: "An AWS account id is 12 digits, e.g. --account 123456789012.",
    });
  }
  if (input.allStages && input.stage !== undefined) {
    throw new UserError("--stage and --all-stages cannot be combined.", {
      hint: "Pass --stage for one stage's policy, or --all-stages for every stage of the project.",
    });
  }
  const stage = resolveStage(input, e.env);
  const given = configFileArg(input.config, e.env);
  const file = await loadConfigFile(e.cwd, given, stage, input.settings);
  const config = resolveConfig(input, e.env, e.cwd, file);
  let features = featuresOf(config.settings);
  if (input.allStages) {
    // Every stage the file names may turn on a feature of its own: the policy covers them all.
    for (const other of file ? await stagesOf(file.file) : []) {
      const f = await loadConfigFile(e.cwd, given, other, input.settings);
      const s = featuresOf(resolveConfig({ ...input, stage: other }, e.env, e.cwd, f).settings);
      features = Object.fromEntries(
        Object.entries(features).map(([k, v]) => [k, v || s[k as Feature]]),
      ) as unknown as Features;
    }
  }
  const state = isRemoteState(config.statePath)
    ? parseS3Location(config.statePath, config)
    : undefined;
  if (input.purpose === "state-init" && !state) {
    throw new UserError(
      "The state of this stack is a local file: there is no state bucket to set up.",
      {
        hint: 'Pass --state s3://<bucket> (or set "state" in the config file) to print what `state init` needs for that bucket.',
      },
    );
  }
  const account =
    input.account ??
    (await callerAccount(
      (
        e.clients ??
        createClients({ region: config.region, profile: config.profile, endpoint: config.endpoint })
      ).sts,
      config,
    ).catch((err: unknown) => {
      if (err instanceof UserError) {
        throw new UserError(err.message, {
          cause: err,
          hint: `${err.hint ?? ""} Or pass --account <id>: the policy is then written without any AWS call.`.trim(),
        });
      }
      throw err;
    }));
  const scope: PolicyScope = {
    name: config.name,
    stage: input.allStages ? "all" : config.stage,
    account,
    region: config.region,
    partition: partitionOf(config.region),
    features,
    state,
    formerState:
      state && config.legacyStatePath !== undefined && isRemoteState(config.legacyStatePath)
        ? parseS3Location(config.legacyStatePath, config)
        : undefined,
  };
  const doc = policyDocument(scope, input.purpose);
  return {
    for: input.purpose,
    name: scope.name,
    stage: scope.stage,
    account,
    region: scope.region,
    features,
    policy: doc,
    actions: distinctActions(doc).length,
  };
}

/** The stage names the config file lists under "stages". */
async function stagesOf(file: string): Promise<string[]> {
  const raw = JSON.parse(await fs.readFile(file, "utf8")) as { stages?: unknown };
  return typeof raw.stages === "object" && raw.stages !== null ? Object.keys(raw.stages) : [];
}
