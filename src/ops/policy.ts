import { promises as fs } from "node:fs";
import { clientsFor } from "../aws/clients.js";
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
import { parseReference } from "../secret-refs.js";
import type { DomainSettings } from "../settings.js";
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
  /** secrets: `up` looks each one up (never its value) and grants the function its read. */
  readonly secrets: boolean;
  /** domain: the certificate, its validation record, the domain name, mapping and records. */
  readonly domain: boolean;
}
export type Feature = keyof Features;

/** The features the settings turn on. */
export function featuresOf(s: Settings): Features {
  return {
    alarmEmail: s.alarmEmail !== undefined,
    waf: s.waf,
    apiKey: s.auth === "api-key",
    iamAuth: s.auth === "iam",
    secrets: Object.keys(s.secrets).length > 0,
    domain: s.domain !== undefined,
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
  /** The secrets' references the config names (every stage's, with --all-stages). */
  readonly secrets?: readonly string[] | undefined;
  /** The custom domains the config names (every stage's, with --all-stages). */
  readonly domains?: readonly DomainSettings[] | undefined;
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
  "logs:DescribeLogGroups":
    "no resource type: the tool finds the function's log group by its name as a prefix",
  "wafv2:ListWebACLs":
    "a list action without a resource type: the tool finds its web ACL by name in the list",
  "ssm:DescribeParameters":
    "no resource type: the tool filters by the parameters' names and reads their metadata, never a value",
  "acm:ListCertificates":
    "no resource type: the tool finds the certificate it requested by the domain name and its stack tag",
  "acm:RequestCertificate":
    "no resource type (the certificate's ARN is a random id AWS chooses): scoped by aws:RequestTag to the stack tag and acm:DomainNames to the config's names",
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
    write: ["kms:CreateKey"],
    resources: () => ["*"],
    condition: (c) => stackTag(c, "aws:RequestTag"),
  },
  {
    // CreateKey with Tags needs kms:TagResource in an IAM policy that covers, the KMS
    // developer guide says, at least every key of the account and region (the SAR lists no
    // dependent action): that, not "*", held to the stack tag the new key is given. It also
    // lets an existing key be tagged into the stack (the README says what that means).
    sid: "TagNewAlarmKey",
    feature: "alarmEmail",
    write: ["kms:TagResource"],
    resources: (c) => [arn(c, "kms", "key/*")],
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
  // Secrets by reference: `up` looks each one up (never its value). Nothing of the stack is
  // made, so with the option off nothing is looked for (teardown looks up no secret).
  {
    sid: "FindParameters",
    feature: "secrets",
    onlyWhenOn: true,
    read: ["ssm:DescribeParameters"],
    resources: (c) => (refsOf(c).some((r) => r.service === "ssm") ? ["*"] : []),
  },
  {
    sid: "DescribeSecrets",
    feature: "secrets",
    onlyWhenOn: true,
    read: ["secretsmanager:DescribeSecret"],
    resources: (c) => secretArns(c),
  },
  {
    // The customer key a secret is under is the user's, known only once the secret is read:
    // any key of this account and region, for its metadata only (DescribeKey reads no key
    // material and no key policy).
    sid: "SecretKeys",
    feature: "secrets",
    onlyWhenOn: true,
    read: ["kms:DescribeKey"],
    resources: (c) => (refsOf(c).length > 0 ? [arn(c, "kms", "key/*")] : []),
  },
  // The custom domain. With it off the config names no domain, so nothing is looked for by
  // name; the README says to take a domain down before taking it out of the config.
  {
    // Read by any id: the stack finds its own certificate among those for the name by its tag,
    // and a certificate the user gives carries none.
    sid: "ReadCertificates",
    feature: "domain",
    onlyWhenOn: true,
    read: ["acm:DescribeCertificate", "acm:ListTagsForCertificate"],
    resources: (c) => [arn(c, "acm", "certificate/*")],
  },
  {
    sid: "FindCertificates",
    feature: "domain",
    onlyWhenOn: true,
    read: ["acm:ListCertificates"],
    resources: () => ["*"],
  },
  {
    // A certificate's ARN is a random id: the stack tag it was requested with scopes it.
    sid: "OwnCertificate",
    feature: "domain",
    onlyWhenOn: true,
    write: ["acm:AddTagsToCertificate"],
    remove: ["acm:DeleteCertificate"],
    resources: (c) => (requested(c).length > 0 ? [arn(c, "acm", "certificate/*")] : []),
    condition: (c) => stackTag(c, "aws:ResourceTag"),
  },
  {
    // Only for the config's names, and only with the stack tag.
    sid: "RequestCertificate",
    feature: "domain",
    onlyWhenOn: true,
    write: ["acm:RequestCertificate"],
    resources: (c) => (requested(c).length > 0 ? ["*"] : []),
    condition: (c) => ({
      ...stackTag(c, "aws:RequestTag"),
      "ForAllValues:StringEquals": { "acm:DomainNames": requested(c) },
    }),
  },
  {
    sid: "HostedZone",
    feature: "domain",
    onlyWhenOn: true,
    read: ["route53:GetHostedZone", "route53:ListResourceRecordSets"],
    resources: (c) => zones(c),
  },
  {
    // Only the domain's own name (its A and AAAA aliases) and its certificate's validation
    // record (a CNAME at `_<random>.<name>`), never another record of the zone.
    sid: "DomainRecords",
    feature: "domain",
    onlyWhenOn: true,
    write: ["route53:ChangeResourceRecordSets"],
    remove: ["route53:ChangeResourceRecordSets"],
    resources: (c) => zones(c),
    condition: (c) => ({
      "ForAllValues:StringLike": {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": domainsOf(c)
          .filter((d) => d.hostedZoneId !== undefined)
          .flatMap((d) => [d.name, `_*.${d.name}`]),
      },
      "ForAllValues:StringEquals": {
        "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA", "CNAME"],
        "route53:ChangeResourceRecordSetsActions": ["UPSERT", "DELETE"],
      },
    }),
  },
  {
    // POST names the domain in its body, not its path: the stack tag scopes it.
    sid: "CreateDomainName",
    feature: "domain",
    onlyWhenOn: true,
    write: ["apigateway:POST"],
    resources: (c) => [apigw(c, "/domainnames")],
    condition: (c) => stackTag(c, "aws:RequestTag"),
  },
  {
    // Domain names and their mappings are named by the domain: no tag needed.
    sid: "DomainName",
    feature: "domain",
    onlyWhenOn: true,
    read: ["apigateway:GET"],
    write: ["apigateway:POST", "apigateway:PATCH"],
    remove: ["apigateway:DELETE"],
    resources: (c) =>
      domainsOf(c).flatMap((d) => [
        apigw(c, `/domainnames/${d.name}`),
        apigw(c, `/domainnames/${d.name}/basepathmappings`),
        apigw(c, `/domainnames/${d.name}/basepathmappings/*`),
      ]),
  },
];

/** The secrets' references, parsed (the config has checked them). */
function refsOf(c: Scoped) {
  return (c.s.secrets ?? []).flatMap((raw) => {
    const r = parseReference(raw);
    return "problem" in r ? [] : [r];
  });
}

/**
 * Secrets Manager adds six random characters to a secret's name in its ARN: `NAME-??????`
 * matches exactly those (`*` would match a longer name). An ARN given may be complete or
 * end at the name: both forms.
 */
function secretArns(c: Scoped): string[] {
  const out = refsOf(c).flatMap((r) => {
    if (r.service !== "secretsmanager") return [];
    return r.id.startsWith("arn:")
      ? [r.id, `${r.id}-??????`]
      : [arn(c, "secretsmanager", `secret:${r.id}-??????`)];
  });
  return [...new Set(out)].sort();
}

function domainsOf(c: Scoped): readonly DomainSettings[] {
  return c.s.domains ?? [];
}

/** The names the stack requests a certificate for (none when the user gives one). */
function requested(c: Scoped): string[] {
  return [
    ...new Set(
      domainsOf(c)
        .filter((d) => d.certificateArn === undefined)
        .map((d) => d.name),
    ),
  ].sort();
}

function zones(c: Scoped): string[] {
  const ids = domainsOf(c).flatMap((d) =>
    d.hostedZoneId === undefined ? [] : [d.hostedZoneId.replace(/^\/?hostedzone\//, "")],
  );
  return [...new Set(ids)].sort().map((z) => `arn:${c.s.partition}:route53:::hostedzone/${z}`);
}

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
    if (resources.length === 0) continue;
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

/**
 * IAM's quotas on policy text, counted without whitespace: all of a role's inline policies
 * together, and one managed policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 * A role takes up to 10 managed policies.
 */
export const INLINE_POLICIES_LIMIT = 10_240;
export const MANAGED_POLICY_LIMIT = 6_144;
export const MANAGED_POLICIES_PER_ROLE = 10;

/** The size IAM counts: the JSON without whitespace. */
export function policySize(d: PolicyDocument): number {
  return JSON.stringify(d).length;
}

const key = (x: unknown) => JSON.stringify(x);
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/**
 * The same permissions in fewer characters: statements on the same resources under the same
 * condition become one (their actions together), then statements of the same actions under
 * the same condition (their resources together). Each merge allows exactly what the two did:
 * a statement allows each of its actions on each of its resources.
 */
export function merged(statements: readonly Statement[]): Statement[] {
  const by = (
    list: readonly Statement[],
    same: (st: Statement) => string,
    join: (a: Statement, b: Statement) => Statement,
  ) => {
    const out = new Map<string, Statement>();
    for (const st of list) {
      const k = same(st);
      const was = out.get(k);
      out.set(k, was ? join(was, st) : st);
    }
    return [...out.values()];
  };
  const resourcesOf = (st: Statement) => [st.Resource].flat();
  const one = (rs: string[]) => (rs.length === 1 ? (rs[0] as string) : rs);
  const byResource = by(
    statements,
    (st) => key([sorted(resourcesOf(st)), st.Condition ?? null]),
    (a, b) => ({ ...a, Sid: `${a.Sid}${b.Sid}`, Action: sorted([...a.Action, ...b.Action]) }),
  );
  return by(
    byResource,
    (st) => key([st.Action, st.Condition ?? null]),
    (a, b) => ({
      ...a,
      Sid: `${a.Sid}${b.Sid}`,
      Resource: one(sorted([...resourcesOf(a), ...resourcesOf(b)])),
    }),
  );
}

/**
 * Documents a user can attach: one when it fits a managed policy, else the statements shared
 * out, largest first, among as few documents as fit (each under `limit`), to attach as that
 * many managed policies.
 */
export function splitPolicy(d: PolicyDocument, limit = MANAGED_POLICY_LIMIT): PolicyDocument[] {
  if (policySize(d) <= limit) return [d];
  const docs: Statement[][] = [];
  const sizeOf = (sts: Statement[]) => policySize({ Version: d.Version, Statement: sts });
  const bySize = [...d.Statement].sort((a, b) => key(b).length - key(a).length);
  for (const st of bySize) {
    const room = docs.find((sts) => sizeOf([...sts, st]) <= limit);
    if (room) room.push(st);
    else docs.push([st]);
  }
  // In the order GRANTS gives them, to read: each document keeps its statements' order.
  const order = new Map(d.Statement.map((st, i) => [st, i]));
  return docs.map((sts) => ({
    Version: d.Version,
    Statement: sts.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)),
  }));
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
  /** Every statement in one document, to read (it may be over a managed policy's size). */
  readonly policy: PolicyDocument;
  /** How many distinct actions it allows. */
  readonly actions: number;
  /** The same statements as documents to attach, each within MANAGED_POLICY_LIMIT. */
  readonly documents: PolicyDocument[];
  /** Each document's size as IAM counts it. */
  readonly sizes: number[];
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
  const secrets = new Set(Object.values(config.settings.secrets));
  const domains = config.settings.domain ? [config.settings.domain] : [];
  if (input.allStages) {
    // Every stage the file names may turn on a feature of its own: the policy covers them all.
    for (const other of file ? await stagesOf(file.file) : []) {
      const f = await loadConfigFile(e.cwd, given, other, input.settings);
      const settings = resolveConfig({ ...input, stage: other }, e.env, e.cwd, f).settings;
      const s = featuresOf(settings);
      features = Object.fromEntries(
        Object.entries(features).map(([k, v]) => [k, v || s[k as Feature]]),
      ) as unknown as Features;
      for (const ref of Object.values(settings.secrets)) secrets.add(ref);
      const d = settings.domain;
      if (d && !domains.some((x) => JSON.stringify(x) === JSON.stringify(d))) domains.push(d);
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
        (await clientsFor(
          { region: config.region, profile: config.profile, endpoint: config.endpoint },
          ["sts"],
        ))
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
    secrets: [...secrets].sort(),
    domains,
    state,
    formerState:
      state && config.legacyStatePath !== undefined && isRemoteState(config.legacyStatePath)
        ? parseS3Location(config.legacyStatePath, config)
        : undefined,
  };
  const whole = policyDocument(scope, input.purpose);
  const doc: PolicyDocument = { Version: whole.Version, Statement: merged(whole.Statement) };
  const documents = splitPolicy(doc);
  return {
    for: input.purpose,
    name: scope.name,
    stage: scope.stage,
    account,
    region: scope.region,
    features,
    policy: doc,
    actions: distinctActions(doc).length,
    documents,
    sizes: documents.map(policySize),
  };
}

/** The stage names the config file lists under "stages". */
async function stagesOf(file: string): Promise<string[]> {
  const raw = JSON.parse(await fs.readFile(file, "utf8")) as { stages?: unknown };
  return typeof raw.stages === "object" && raw.stages !== null ? Object.keys(raw.stages) : [];
}
