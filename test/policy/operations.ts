/**
 * Every AWS operation the tool calls, as the fake records it (`Service.Operation`), mapped to
 * what IAM authorizes for it: each action and the resource ARN it is checked on, from the
 * call's input, as the Service Authorization Reference gives them
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
 * with the dependent actions AWS checks besides (tag-on-create, iam:PassRole, the S3 object
 * Lambda reads its code from). A call of an operation missing here fails the policy test.
 *
 * A feature adds its rows here; the paths of API Gateway's operations go in `apiGatewayPath`
 * (with their operation names in the list at the end).
 */

export interface Check {
  readonly action: string;
  readonly resource: string;
  /** Condition keys that only this check has (iam:PassedToService…). */
  readonly context?: Readonly<Record<string, string | string[]>>;
  /** The resource's own policy, where the service requires one to allow too (KMS keys). */
  readonly resourcePolicy?: unknown;
}

export interface Where {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** The key a KMS alias names, when there is one. */
  readonly keyOfAlias: (alias: string) => string | undefined;
  /** The key policy of a KMS key: KMS allows nothing its key policy does not. */
  readonly keyPolicy: (keyArn: string) => unknown;
}

type Input = Record<string, unknown>;
type Rule = (i: Input, w: Where) => Check[];

const str = (i: Input, k: string): string => {
  const v = i[k];
  if (typeof v !== "string") throw new Error(`the call has no ${k}: ${JSON.stringify(i)}`);
  return v;
};
const has = (i: Input, k: string) => i[k] !== undefined;
const arn = (w: Where, service: string, resource: string) =>
  `arn:${w.partition}:${service}:${w.region}:${w.account}:${resource}`;

// S3: the bucket, or an object in it.
const bucket = (i: Input, w: Where) => `arn:${w.partition}:s3:::${str(i, "Bucket")}`;
const s3b =
  (action: string): Rule =>
  (i, w) => [{ action, resource: bucket(i, w) }];
const object = (i: Input, w: Where) => `${bucket(i, w)}/${str(i, "Key")}`;

// DynamoDB's table, by name or ARN.
const table = (i: Input, w: Where) =>
  has(i, "ResourceArn")
    ? str(i, "ResourceArn")
    : arn(w, "dynamodb", `table/${str(i, "TableName")}`);
const ddb =
  (action: string): Rule =>
  (i, w) => [{ action, resource: table(i, w) }];

const role = (i: Input, w: Where) =>
  `arn:${w.partition}:iam::${w.account}:role/${str(i, "RoleName")}`;
const iam =
  (action: string, extra: (i: Input) => Record<string, string> = () => ({})): Rule =>
  (i, w) => [{ action, resource: role(i, w), context: extra(i) }];
const policyArn = (i: Input) => ({ "iam:PolicyARN": str(i, "PolicyArn") });

// Lambda: FunctionName may carry a qualifier (name:live) or be an ARN; Qualifier too.
function fn(i: Input, w: Where, key = "FunctionName"): string {
  const name = str(i, key);
  const base = name.startsWith("arn:") ? name : arn(w, "lambda", `function:${name}`);
  return has(i, "Qualifier") ? `${base}:${str(i, "Qualifier")}` : base;
}
const lambda =
  (action: string): Rule =>
  (i, w) => [{ action, resource: fn(i, w) }];
const alias: (action: string) => Rule = (action) => (i, w) => [
  { action, resource: `${fn(i, w)}:${str(i, "Name")}` },
];
const passRole = (roleArn: string, service: string): Check => ({
  action: "iam:PassRole",
  resource: roleArn,
  context: { "iam:PassedToService": service },
});

// CloudWatch Logs: the older actions check `log-group:NAME:*`, the tagging API the bare ARN.
const logGroup = (i: Input, w: Where) => arn(w, "logs", `log-group:${str(i, "logGroupName")}:*`);
const logs =
  (action: string): Rule =>
  (i, w) => [{ action, resource: logGroup(i, w) }];
const logsTagged =
  (action: string): Rule =>
  (i) => [{ action, resource: str(i, "resourceArn") }];

const alarm = (w: Where, name: string) => arn(w, "cloudwatch", `alarm:${name}`);

const topic = (i: Input) => str(i, "TopicArn");
const sns =
  (action: string): Rule =>
  (i) => [{ action, resource: topic(i) }];

/** A KMS KeyId (id, key ARN, alias name or alias ARN) as the key ARN IAM checks. */
function key(id: string, w: Where): string | undefined {
  if (id.startsWith("arn:") && id.includes(":key/")) return id;
  const aliasName = id.startsWith("arn:") ? id.slice(id.indexOf(":alias/") + 1) : id;
  if (aliasName.startsWith("alias/")) {
    const target = w.keyOfAlias(aliasName);
    return target === undefined ? undefined : arn(w, "kms", `key/${target}`);
  }
  return arn(w, "kms", `key/${id}`);
}
/** The key policy KMS gives a key created without one: the account's IAM policies decide. */
const DEFAULT_KEY_POLICY = (w: Where) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:${w.partition}:iam::${w.account}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
});

/** A check on a key, with its key policy; none when the alias names no key (AWS: NotFound). */
function onKey(action: string, id: string, w: Where): Check[] {
  const k = key(id, w);
  return k === undefined ? [] : [{ action, resource: k, resourcePolicy: w.keyPolicy(k) }];
}
const kms =
  (action: string, field = "KeyId"): Rule =>
  (i, w) =>
    onKey(action, str(i, field), w);
const kmsAlias = (i: Input, w: Where) => arn(w, "kms", str(i, "AliasName"));

/**
 * API Gateway's REST API calls are HTTP verbs on paths (apigateway:GET on
 * arn:aws:apigateway:region::/restapis/id…): the path each operation addresses.
 */
function apiGatewayPath(op: string, i: Input): string {
  const api = () => `/restapis/${str(i, "restApiId")}`;
  const plan = () => `/usageplans/${str(i, "usagePlanId")}`;
  const paths: Record<string, () => string> = {
    GetRestApis: () => "/restapis",
    CreateRestApi: () => "/restapis",
    GetRestApi: api,
    UpdateRestApi: api,
    DeleteRestApi: api,
    GetResources: () => `${api()}/resources`,
    // The reference gives POST the collection (Resources), not the parent resource.
    CreateResource: () => `${api()}/resources`,
    DeleteResource: () => `${api()}/resources/${str(i, "resourceId")}`,
    // The reference gives PUT no Method or Integration type (AWS checks the request path, which
    // a grant on /restapis/* covers): simulated on the API itself.
    PutMethod: api,
    DeleteMethod: () =>
      `${api()}/resources/${str(i, "resourceId")}/methods/${str(i, "httpMethod")}`,
    PutIntegration: api,
    GetDeployments: () => `${api()}/deployments`,
    // The simulator reads only the first of the two ARN forms the reference gives Deployments,
    // Stages and Authorizers (/apis/…, HTTP APIs'): a POST to one of these collections of a
    // REST API is simulated on its Resources collection, the same API, tag and grant.
    CreateDeployment: () => `${api()}/resources`,
    GetAuthorizers: () => `${api()}/authorizers`,
    CreateAuthorizer: () => `${api()}/resources`,
    DeleteAuthorizer: () => `${api()}/authorizers/${str(i, "authorizerId")}`,
    GetStages: () => `${api()}/stages`,
    CreateStage: () => `${api()}/resources`,
    GetStage: () => `${api()}/stages/${str(i, "stageName")}`,
    UpdateStage: () => `${api()}/stages/${str(i, "stageName")}`,
    DeleteStage: () => `${api()}/stages/${str(i, "stageName")}`,
    GetAccount: () => "/account",
    UpdateAccount: () => "/account",
    GetApiKeys: () => "/apikeys",
    CreateApiKey: () => "/apikeys",
    GetApiKey: () => `/apikeys/${str(i, "apiKey")}`,
    UpdateApiKey: () => `/apikeys/${str(i, "apiKey")}`,
    DeleteApiKey: () => `/apikeys/${str(i, "apiKey")}`,
    GetUsagePlans: () => "/usageplans",
    CreateUsagePlan: () => "/usageplans",
    GetUsagePlan: plan,
    UpdateUsagePlan: plan,
    DeleteUsagePlan: plan,
    GetUsagePlanKeys: () => `${plan()}/keys`,
    CreateUsagePlanKey: () => `${plan()}/keys`,
    DeleteUsagePlanKey: () => `${plan()}/keys/${str(i, "keyId")}`,
    TagResource: () => `/tags/${encodeURIComponent(str(i, "resourceArn"))}`,
    // Custom domains: named by the domain, not a random id.
    CreateDomainName: () => "/domainnames",
    GetDomainName: () => `/domainnames/${str(i, "domainName")}`,
    UpdateDomainName: () => `/domainnames/${str(i, "domainName")}`,
    DeleteDomainName: () => `/domainnames/${str(i, "domainName")}`,
    GetBasePathMappings: () => `/domainnames/${str(i, "domainName")}/basepathmappings`,
    CreateBasePathMapping: () => `/domainnames/${str(i, "domainName")}/basepathmappings`,
    GetBasePathMapping: () =>
      `/domainnames/${str(i, "domainName")}/basepathmappings/${str(i, "basePath")}`,
    UpdateBasePathMapping: () =>
      `/domainnames/${str(i, "domainName")}/basepathmappings/${str(i, "basePath")}`,
    DeleteBasePathMapping: () =>
      `/domainnames/${str(i, "domainName")}/basepathmappings/${str(i, "basePath")}`,
  };
  const path = paths[op];
  if (!path) throw new Error(`no API Gateway path for ${op}`);
  return path();
}

const VERB: [RegExp, string][] = [
  [/^Get/, "GET"],
  [/^Create/, "POST"],
  [/^Put|^TagResource$/, "PUT"],
  [/^Update/, "PATCH"],
  [/^Delete/, "DELETE"],
];

function apiGateway(op: string): Rule {
  const verb = VERB.find(([re]) => re.test(op))?.[1];
  if (!verb) throw new Error(`no API Gateway verb for ${op}`);
  return (i, w) => {
    const checks: Check[] = [
      {
        action: `apigateway:${verb}`,
        resource: `arn:${w.partition}:apigateway:${w.region}::${apiGatewayPath(op, i)}`,
      },
    ];
    if (op === "UpdateAccount") {
      // Setting the account's logging role passes that role to API Gateway.
      const ops = (i.patchOperations ?? []) as { path?: string; value?: string }[];
      for (const p of ops.filter((o) => o.path === "/cloudwatchRoleArn" && o.value)) {
        checks.push(passRole(p.value as string, "apigateway.amazonaws.com"));
      }
    }
    return checks;
  };
}

const webAcl = (i: Input, w: Where) =>
  has(i, "WebACLArn")
    ? str(i, "WebACLArn")
    : arn(w, "wafv2", `regional/webacl/${str(i, "Name")}/${has(i, "Id") ? str(i, "Id") : "*"}`);
const waf =
  (action: string): Rule =>
  (i, w) => [{ action, resource: webAcl(i, w) }];

/** A secret by name (its ARN ends in six random characters) or by ARN. */
const secret = (id: string, w: Where) =>
  id.startsWith("arn:") ? id : arn(w, "secretsmanager", `secret:${id}-Ab12Cd`);

const acm =
  (action: string): Rule =>
  (i) => [{ action, resource: str(i, "CertificateArn") }];

const zone = (id: string, w: Where) =>
  `arn:${w.partition}:route53:::hostedzone/${id.replace(/^\/?hostedzone\//, "")}`;

/**
 * As Route 53 gives the condition key: lower case, without the final dot (and characters other
 * than letters, digits, - and _ escaped, which the tool's names do not have).
 */
const normalizedName = (name: string) => name.toLowerCase().replace(/\.$/, "");

/** Tag-on-create: a create call that carries tags is also checked for the tagging action. */
const tagged = (tags: unknown, check: Check): Check[] =>
  tags === undefined || (Array.isArray(tags) && tags.length === 0) ? [] : [check];

export const OPERATIONS: Readonly<Record<string, Rule>> = {
  // No permission is needed to learn one's own identity.
  "STS.GetCallerIdentity": () => [],

  "S3.CreateBucket": (i, w) => [
    { action: "s3:CreateBucket", resource: bucket(i, w) },
    ...(has(i, "ObjectOwnership")
      ? [{ action: "s3:PutBucketOwnershipControls", resource: bucket(i, w) }]
      : []),
    ...tagged((i.CreateBucketConfiguration as Input | undefined)?.Tags, {
      action: "s3:TagResource",
      resource: bucket(i, w),
    }),
  ],
  "S3.HeadBucket": s3b("s3:ListBucket"),
  "S3.GetBucketEncryption": s3b("s3:GetEncryptionConfiguration"),
  "S3.PutBucketEncryption": s3b("s3:PutEncryptionConfiguration"),
  "S3.GetPublicAccessBlock": s3b("s3:GetBucketPublicAccessBlock"),
  "S3.PutPublicAccessBlock": s3b("s3:PutBucketPublicAccessBlock"),
  "S3.GetBucketOwnershipControls": s3b("s3:GetBucketOwnershipControls"),
  "S3.PutBucketOwnershipControls": s3b("s3:PutBucketOwnershipControls"),
  "S3.GetBucketPolicy": s3b("s3:GetBucketPolicy"),
  "S3.PutBucketPolicy": s3b("s3:PutBucketPolicy"),
  "S3.GetBucketVersioning": s3b("s3:GetBucketVersioning"),
  "S3.PutBucketVersioning": s3b("s3:PutBucketVersioning"),
  "S3.GetBucketLifecycleConfiguration": s3b("s3:GetLifecycleConfiguration"),
  "S3.PutBucketLifecycleConfiguration": s3b("s3:PutLifecycleConfiguration"),
  "S3.GetBucketTagging": s3b("s3:GetBucketTagging"),
  "S3.PutBucketTagging": s3b("s3:PutBucketTagging"),
  "S3.ListObjectVersions": s3b("s3:ListBucketVersions"),
  "S3.DeleteBucket": s3b("s3:DeleteBucket"),
  "S3.HeadObject": (i, w) => [
    {
      action: has(i, "VersionId") ? "s3:GetObjectVersion" : "s3:GetObject",
      resource: object(i, w),
    },
  ],
  "S3.GetObject": (i, w) => [
    {
      action: has(i, "VersionId") ? "s3:GetObjectVersion" : "s3:GetObject",
      resource: object(i, w),
    },
  ],
  "S3.PutObject": (i, w) => [{ action: "s3:PutObject", resource: object(i, w) }],
  "S3.DeleteObject": (i, w) => [
    {
      action: has(i, "VersionId") ? "s3:DeleteObjectVersion" : "s3:DeleteObject",
      resource: object(i, w),
    },
  ],
  "S3.DeleteObjects": (i, w) =>
    (((i.Delete as Input).Objects ?? []) as { Key: string; VersionId?: string }[]).map((o) => ({
      action: o.VersionId ? "s3:DeleteObjectVersion" : "s3:DeleteObject",
      resource: `${bucket(i, w)}/${o.Key}`,
    })),

  "DynamoDB.CreateTable": (i, w) => [
    { action: "dynamodb:CreateTable", resource: table(i, w) },
    ...tagged(i.Tags, { action: "dynamodb:TagResource", resource: table(i, w) }),
  ],
  "DynamoDB.DescribeTable": ddb("dynamodb:DescribeTable"),
  "DynamoDB.UpdateTable": ddb("dynamodb:UpdateTable"),
  "DynamoDB.DeleteTable": ddb("dynamodb:DeleteTable"),
  "DynamoDB.DescribeContinuousBackups": ddb("dynamodb:DescribeContinuousBackups"),
  "DynamoDB.UpdateContinuousBackups": ddb("dynamodb:UpdateContinuousBackups"),
  "DynamoDB.ListTagsOfResource": ddb("dynamodb:ListTagsOfResource"),
  "DynamoDB.TagResource": ddb("dynamodb:TagResource"),
  "DynamoDB.UntagResource": ddb("dynamodb:UntagResource"),

  "IAM.CreateRole": (i, w) => [
    { action: "iam:CreateRole", resource: role(i, w) },
    ...tagged(i.Tags, { action: "iam:TagRole", resource: role(i, w) }),
  ],
  "IAM.GetRole": iam("iam:GetRole"),
  "IAM.DeleteRole": iam("iam:DeleteRole"),
  "IAM.ListRolePolicies": iam("iam:ListRolePolicies"),
  "IAM.ListAttachedRolePolicies": iam("iam:ListAttachedRolePolicies"),
  "IAM.GetRolePolicy": iam("iam:GetRolePolicy"),
  "IAM.PutRolePolicy": iam("iam:PutRolePolicy"),
  "IAM.DeleteRolePolicy": iam("iam:DeleteRolePolicy"),
  "IAM.AttachRolePolicy": iam("iam:AttachRolePolicy", policyArn),
  "IAM.DetachRolePolicy": iam("iam:DetachRolePolicy", policyArn),
  "IAM.UpdateAssumeRolePolicy": iam("iam:UpdateAssumeRolePolicy"),
  "IAM.TagRole": iam("iam:TagRole"),
  "IAM.UntagRole": iam("iam:UntagRole"),

  "Lambda.CreateFunction": (i, w) => {
    const code = i.Code as Input;
    return [
      { action: "lambda:CreateFunction", resource: fn(i, w) },
      ...tagged(i.Tags, { action: "lambda:TagResource", resource: fn(i, w) }),
      passRole(str(i, "Role"), "lambda.amazonaws.com"),
      // Lambda reads the code from S3 as the caller.
      ...(has(code, "S3Bucket")
        ? [
            {
              action: "s3:GetObject",
              resource: `arn:${w.partition}:s3:::${str(code, "S3Bucket")}/${str(code, "S3Key")}`,
            },
          ]
        : []),
    ];
  },
  "Lambda.UpdateFunctionCode": (i, w) => [
    { action: "lambda:UpdateFunctionCode", resource: fn(i, w) },
    ...(has(i, "S3Bucket")
      ? [
          {
            action: "s3:GetObject",
            resource: `arn:${w.partition}:s3:::${str(i, "S3Bucket")}/${str(i, "S3Key")}`,
          },
        ]
      : []),
  ],
  "Lambda.UpdateFunctionConfiguration": (i, w) => [
    { action: "lambda:UpdateFunctionConfiguration", resource: fn(i, w) },
    ...(has(i, "Role") ? [passRole(str(i, "Role"), "lambda.amazonaws.com")] : []),
  ],
  "Lambda.GetFunction": lambda("lambda:GetFunction"),
  "Lambda.GetFunctionConfiguration": lambda("lambda:GetFunctionConfiguration"),
  "Lambda.ListVersionsByFunction": lambda("lambda:ListVersionsByFunction"),
  "Lambda.PublishVersion": lambda("lambda:PublishVersion"),
  "Lambda.DeleteFunction": lambda("lambda:DeleteFunction"),
  "Lambda.PutFunctionConcurrency": lambda("lambda:PutFunctionConcurrency"),
  "Lambda.DeleteFunctionConcurrency": lambda("lambda:DeleteFunctionConcurrency"),
  "Lambda.GetPolicy": lambda("lambda:GetPolicy"),
  "Lambda.AddPermission": (i, w) => [
    {
      action: "lambda:AddPermission",
      resource: fn(i, w),
      context: { "lambda:Principal": str(i, "Principal") },
    },
  ],
  "Lambda.RemovePermission": lambda("lambda:RemovePermission"),
  "Lambda.GetAlias": alias("lambda:GetAlias"),
  "Lambda.CreateAlias": alias("lambda:CreateAlias"),
  "Lambda.UpdateAlias": alias("lambda:UpdateAlias"),
  "Lambda.DeleteAlias": alias("lambda:DeleteAlias"),
  "Lambda.TagResource": (i, w) => [
    { action: "lambda:TagResource", resource: fn(i, w, "Resource") },
  ],
  "Lambda.UntagResource": (i, w) => [
    { action: "lambda:UntagResource", resource: fn(i, w, "Resource") },
  ],
  "Lambda.ListTags": (i, w) => [{ action: "lambda:ListTags", resource: fn(i, w, "Resource") }],

  "CloudWatchLogs.CreateLogGroup": (i, w) => [
    { action: "logs:CreateLogGroup", resource: logGroup(i, w) },
    ...tagged(i.tags, { action: "logs:TagResource", resource: logGroup(i, w).replace(/:\*$/, "") }),
  ],
  "CloudWatchLogs.PutRetentionPolicy": logs("logs:PutRetentionPolicy"),
  "CloudWatchLogs.DeleteLogGroup": logs("logs:DeleteLogGroup"),
  "CloudWatchLogs.FilterLogEvents": logs("logs:FilterLogEvents"),
  "CloudWatchLogs.DescribeLogGroups": () => [{ action: "logs:DescribeLogGroups", resource: "*" }],
  "CloudWatchLogs.ListTagsForResource": logsTagged("logs:ListTagsForResource"),
  "CloudWatchLogs.TagResource": logsTagged("logs:TagResource"),
  "CloudWatchLogs.UntagResource": logsTagged("logs:UntagResource"),

  "CloudWatch.PutMetricAlarm": (i, w) => [
    { action: "cloudwatch:PutMetricAlarm", resource: alarm(w, str(i, "AlarmName")) },
    ...tagged(i.Tags, {
      action: "cloudwatch:TagResource",
      resource: alarm(w, str(i, "AlarmName")),
    }),
  ],
  "CloudWatch.DescribeAlarms": (i, w) =>
    ((i.AlarmNames ?? []) as string[]).map((n) => ({
      action: "cloudwatch:DescribeAlarms",
      resource: alarm(w, n),
    })),
  "CloudWatch.DeleteAlarms": (i, w) =>
    ((i.AlarmNames ?? []) as string[]).map((n) => ({
      action: "cloudwatch:DeleteAlarms",
      resource: alarm(w, n),
    })),
  "CloudWatch.ListTagsForResource": (i) => [
    { action: "cloudwatch:ListTagsForResource", resource: str(i, "ResourceARN") },
  ],
  "CloudWatch.TagResource": (i) => [
    { action: "cloudwatch:TagResource", resource: str(i, "ResourceARN") },
  ],
  "CloudWatch.UntagResource": (i) => [
    { action: "cloudwatch:UntagResource", resource: str(i, "ResourceARN") },
  ],

  "SNS.CreateTopic": (i, w) => [
    { action: "sns:CreateTopic", resource: arn(w, "sns", str(i, "Name")) },
    ...tagged(i.Tags, { action: "sns:TagResource", resource: arn(w, "sns", str(i, "Name")) }),
  ],
  "SNS.GetTopicAttributes": sns("sns:GetTopicAttributes"),
  "SNS.SetTopicAttributes": sns("sns:SetTopicAttributes"),
  "SNS.DeleteTopic": sns("sns:DeleteTopic"),
  "SNS.Subscribe": sns("sns:Subscribe"),
  "SNS.ListSubscriptionsByTopic": sns("sns:ListSubscriptionsByTopic"),
  // Checked on the topic: a subscription's ARN is the topic's and an id.
  "SNS.Unsubscribe": (i) => [
    { action: "sns:Unsubscribe", resource: str(i, "SubscriptionArn").replace(/:[^:]+$/, "") },
  ],
  "SNS.ListTagsForResource": (i) => [
    { action: "sns:ListTagsForResource", resource: str(i, "ResourceArn") },
  ],
  "SNS.TagResource": (i) => [{ action: "sns:TagResource", resource: str(i, "ResourceArn") }],
  "SNS.UntagResource": (i) => [{ action: "sns:UntagResource", resource: str(i, "ResourceArn") }],

  // CreateKey has no resource until it returns: `*`, as the reference says. Its tags need
  // kms:TagResource on (at least) every key of the account and region, the KMS developer guide
  // says (manage-tags-api.html): checked on the key ARN pattern that stands for them.
  "KMS.CreateKey": (i, w) => [
    { action: "kms:CreateKey", resource: "*" },
    ...tagged(i.Tags, {
      action: "kms:TagResource",
      resource: arn(w, "kms", "key/*"),
      // KMS allows nothing its key policy does not: the new key's, as the call gives it.
      resourcePolicy: typeof i.Policy === "string" ? JSON.parse(i.Policy) : DEFAULT_KEY_POLICY(w),
    }),
  ],
  "KMS.DescribeKey": kms("kms:DescribeKey"),
  "KMS.GetKeyPolicy": kms("kms:GetKeyPolicy"),
  "KMS.PutKeyPolicy": kms("kms:PutKeyPolicy"),
  "KMS.GetKeyRotationStatus": kms("kms:GetKeyRotationStatus"),
  "KMS.EnableKeyRotation": kms("kms:EnableKeyRotation"),
  "KMS.ListResourceTags": kms("kms:ListResourceTags"),
  "KMS.TagResource": kms("kms:TagResource"),
  "KMS.UntagResource": kms("kms:UntagResource"),
  "KMS.EnableKey": kms("kms:EnableKey"),
  "KMS.CancelKeyDeletion": kms("kms:CancelKeyDeletion"),
  "KMS.ScheduleKeyDeletion": kms("kms:ScheduleKeyDeletion"),
  // Both the alias and the key it points to are checked.
  "KMS.CreateAlias": (i, w) => [
    { action: "kms:CreateAlias", resource: kmsAlias(i, w) },
    ...onKey("kms:CreateAlias", str(i, "TargetKeyId"), w),
  ],
  "KMS.DeleteAlias": (i, w) => [
    { action: "kms:DeleteAlias", resource: kmsAlias(i, w) },
    ...onKey("kms:DeleteAlias", str(i, "AliasName"), w),
  ],

  "WAFV2.ListWebACLs": () => [{ action: "wafv2:ListWebACLs", resource: "*" }],
  "WAFV2.CreateWebACL": (i, w) => [
    { action: "wafv2:CreateWebACL", resource: webAcl(i, w) },
    ...tagged(i.Tags, { action: "wafv2:TagResource", resource: webAcl(i, w) }),
  ],
  "WAFV2.GetWebACL": waf("wafv2:GetWebACL"),
  "WAFV2.UpdateWebACL": waf("wafv2:UpdateWebACL"),
  "WAFV2.DeleteWebACL": waf("wafv2:DeleteWebACL"),
  "WAFV2.ListTagsForResource": (i) => [
    { action: "wafv2:ListTagsForResource", resource: str(i, "ResourceARN") },
  ],
  "WAFV2.TagResource": (i) => [{ action: "wafv2:TagResource", resource: str(i, "ResourceARN") }],
  // An association is checked on the web ACL and on the stage; API Gateway's SetWebACL on the
  // stage too, which the policy grants with the API's other actions (ApiGatewayOwn) but the
  // simulator cannot check: it reads no REST API stage ARN for SetWebACL.
  "WAFV2.AssociateWebACL": (i, w) => [
    { action: "wafv2:AssociateWebACL", resource: webAcl(i, w) },
    { action: "wafv2:AssociateWebACL", resource: str(i, "ResourceArn") },
  ],
  "WAFV2.DisassociateWebACL": (i) => [
    { action: "wafv2:DisassociateWebACL", resource: str(i, "ResourceArn") },
  ],
  "WAFV2.GetWebACLForResource": (i) => [
    { action: "wafv2:GetWebACLForResource", resource: str(i, "ResourceArn") },
  ],

  // Secrets by reference: looked up, never read.
  "SSM.DescribeParameters": () => [{ action: "ssm:DescribeParameters", resource: "*" }],
  "SecretsManager.DescribeSecret": (i, w) => [
    { action: "secretsmanager:DescribeSecret", resource: secret(str(i, "SecretId"), w) },
  ],

  // ACM: a certificate's ARN is a random id; RequestCertificate has no resource type.
  "ACM.RequestCertificate": (i) => [
    {
      action: "acm:RequestCertificate",
      resource: "*",
      context: {
        "acm:DomainNames": [
          str(i, "DomainName"),
          ...((i.SubjectAlternativeNames ?? []) as string[]),
        ],
      },
    },
  ],
  "ACM.ListCertificates": () => [{ action: "acm:ListCertificates", resource: "*" }],
  "ACM.DescribeCertificate": acm("acm:DescribeCertificate"),
  "ACM.ListTagsForCertificate": acm("acm:ListTagsForCertificate"),
  "ACM.AddTagsToCertificate": acm("acm:AddTagsToCertificate"),
  "ACM.DeleteCertificate": acm("acm:DeleteCertificate"),

  // Route 53: the hosted zone; a change also by the names, types and actions it changes.
  "Route53.GetHostedZone": (i, w) => [
    { action: "route53:GetHostedZone", resource: zone(str(i, "Id"), w) },
  ],
  "Route53.ListResourceRecordSets": (i, w) => [
    { action: "route53:ListResourceRecordSets", resource: zone(str(i, "HostedZoneId"), w) },
  ],
  "Route53.ChangeResourceRecordSets": (i, w) => {
    const changes = ((i.ChangeBatch as Input).Changes ?? []) as {
      Action: string;
      ResourceRecordSet: { Name: string; Type: string };
    }[];
    return [
      {
        action: "route53:ChangeResourceRecordSets",
        resource: zone(str(i, "HostedZoneId"), w),
        context: {
          "route53:ChangeResourceRecordSetsNormalizedRecordNames": changes.map((c) =>
            normalizedName(c.ResourceRecordSet.Name),
          ),
          "route53:ChangeResourceRecordSetsRecordTypes": changes.map(
            (c) => c.ResourceRecordSet.Type,
          ),
          "route53:ChangeResourceRecordSetsActions": changes.map((c) => c.Action),
        },
      },
    ];
  },

  ...Object.fromEntries(
    [
      "GetRestApis", "CreateRestApi", "GetRestApi", "UpdateRestApi", "DeleteRestApi",
      "GetResources", "CreateResource", "DeleteResource", "PutMethod", "DeleteMethod",
      "PutIntegration", "GetDeployments", "CreateDeployment", "GetAuthorizers",
      "CreateAuthorizer", "DeleteAuthorizer", "GetStages", "CreateStage", "GetStage",
      "UpdateStage", "DeleteStage", "GetAccount", "UpdateAccount", "GetApiKeys", "CreateApiKey",
      "GetApiKey", "UpdateApiKey", "DeleteApiKey", "GetUsagePlans", "CreateUsagePlan",
      "GetUsagePlan", "UpdateUsagePlan", "DeleteUsagePlan", "GetUsagePlanKeys",
      "CreateUsagePlanKey", "DeleteUsagePlanKey", "TagResource", "CreateDomainName",
      "GetDomainName", "UpdateDomainName", "DeleteDomainName", "GetBasePathMappings",
      "CreateBasePathMapping", "GetBasePathMapping", "UpdateBasePathMapping",
      "DeleteBasePathMapping",
    ].map((op) => [`APIGateway.${op}`, apiGateway(op)]),
  ), // prettier-ignore
};

/** The tags a call's input carries, whatever shape its service gives them. */
export function requestTags(i: Input): Record<string, string> {
  const raw = i.Tags ?? i.tags ?? (i.CreateBucketConfiguration as Input | undefined)?.Tags;
  if (raw === undefined || raw === null) return {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      (raw as Record<string, string>[]).map((t) => [t.Key ?? t.TagKey, t.Value ?? t.TagValue]),
    ) as Record<string, string>;
  }
  return raw as Record<string, string>;
}
