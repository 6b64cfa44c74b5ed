/**
 * The stack as the reference design and AWS's documents describe it, written out by hand:
 * not derived from the tool's own code, so a regression in the code cannot move the target.
 * (README "What it provisions"; shared AWS-NOTES "Least privilege", "UpdateStage patch paths",
 * "Security Hub Foundational Security Best Practices".)
 */

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

/** The names of a stack, written out by hand: the built-in API's project in REGION by default. */
export function names(stage: string, o: { readonly name?: string; readonly region?: string } = {}) {
  const region = o.region ?? REGION;
  const stack = `${o.name ?? "serverless-automation"}-${stage}`;
  return {
    stack,
    bucket: `${stack}-${ACCOUNT}-${region}`,
    table: `${stack}-items`,
    role: `${stack}-function-${region}`,
    functionName: `${stack}-api`,
    functionLogGroup: `/aws/lambda/${stack}-api`,
    accessLogGroup: `/aws/apigateway/${stack}-access`,
    restApi: stack,
    errorRateAlarm: `${stack}-error-rate`,
    throttlesAlarm: `${stack}-throttles`,
    api5xxAlarm: `${stack}-api-5xx`,
    apiRequestsAlarm: `${stack}-api-requests`,
    versionErrorsAlarm: `${stack}-version-errors`,
    alarmTopic: `${stack}-alarms`,
    apiKey: `${stack}-key`,
    usagePlan: `${stack}-plan`,
    loggingRole: `serverless-automation-apigateway-cloudwatch-${region}`,
  };
}

export function tags(stage: string, name = "serverless-automation"): Record<string, string> {
  return {
    project: name,
    environment: stage,
    "serverless-automation:stack": `${name}-${stage}`,
  };
}

/** The function role's one inline policy, as a set of (effect, actions, resources) statements. */
export function functionPolicy(stage: string) {
  const n = names(stage);
  return [
    {
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${n.functionLogGroup}:*`],
    },
    {
      Effect: "Allow",
      Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
      Resource: ["*"],
    },
    {
      Effect: "Allow",
      Action: [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Scan",
        "dynamodb:UpdateItem",
      ],
      Resource: [`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${n.table}`],
    },
  ];
}

export const LAMBDA_TRUST = [
  { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: ["sts:AssumeRole"] },
];
export const APIGATEWAY_TRUST = [
  {
    Effect: "Allow",
    Principal: { Service: "apigateway.amazonaws.com" },
    Action: ["sts:AssumeRole"],
  },
];
export const APIGATEWAY_LOGS_POLICY =
  "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs";

/**
 * The built-in API's routes: method → resource path. OPTIONS goes to the function too, which
 * answers CORS preflight itself.
 */
export const ROUTES = [
  ["GET", "/"],
  ["POST", "/"],
  ["OPTIONS", "/"],
  ["GET", "/{id}"],
  ["PUT", "/{id}"],
  ["DELETE", "/{id}"],
  ["OPTIONS", "/{id}"],
] as const;

export type Auth = "iam" | "api-key" | "cognito" | "none";

/**
 * What each method asks of its caller. iam (the default): a SigV4 signature from a principal
 * allowed execute-api:Invoke; api-key: the x-api-key header; none: nothing. The CORS preflight
 * (OPTIONS) is open in every mode: browsers send it without credentials.
 */
export function methodAuth(auth: Auth, method: string) {
  if (method === "OPTIONS" || auth === "none")
    return { authorizationType: "NONE", apiKeyRequired: false };
  if (auth === "iam") return { authorizationType: "AWS_IAM", apiKeyRequired: false };
  if (auth === "cognito") return { authorizationType: "COGNITO_USER_POOLS", apiKeyRequired: false };
  return { authorizationType: "NONE", apiKeyRequired: true };
}

/** api-key mode: the usage plan's per-key ceilings (the documented defaults). */
export const USAGE_PLAN = { rateLimit: 10, burstLimit: 20, quota: { limit: 10000, period: "DAY" } };

/** Each route's invoke permission: this API, stage, method and path ({id} as *), this account. */
export function permissionSourceArns(apiId: string): string[] {
  return ROUTES.map(
    ([method, p]) =>
      `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/prod/${method}${p.replace("{id}", "*")}`,
  ).sort();
}

/**
 * The alarm topic's key policy (with an alarm address): the account administers the key, and
 * CloudWatch may make and read data keys only for the stack's four alarms, each by its exact ARN
 * (a prefix with a wildcard would also match a stage named `<stage>-x`). AWS's documents for an encrypted topic that alarms publish to: the key policy grants
 * `cloudwatch.amazonaws.com` `kms:Decrypt` and `kms:GenerateDataKey*` on `*`
 * (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "compatibility with AWS services";
 * repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger), and service principals
 * are scoped with `aws:SourceAccount` and `aws:SourceArn`, an alarm ARN
 * `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME` (IAM User Guide, "The confused deputy problem";
 * a list of values in one condition key matches any of them).
 */
export function alarmKeyPolicy(stage: string) {
  return [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: ["kms:*"],
      Resource: ["*"],
    },
    {
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: ["*"],
      Condition: {
        StringEquals: { "aws:SourceAccount": ACCOUNT },
        ArnEquals: { "aws:SourceArn": alarmArns(stage) },
      },
    },
  ];
}

/** The stack's five alarms' ARNs, in the order the tool lists them. */
export function alarmArns(stage: string): string[] {
  const n = names(stage);
  return [
    n.errorRateAlarm,
    n.throttlesAlarm,
    n.api5xxAlarm,
    n.apiRequestsAlarm,
    n.versionErrorsAlarm,
  ].map((a) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${a}`);
}

/** The bucket policy: deny every request that is not over TLS (S3.5). */
export function bucketPolicy(stage: string) {
  const b = names(stage).bucket;
  return [
    {
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:*"],
      Resource: [`arn:aws:s3:::${b}`, `arn:aws:s3:::${b}/*`].sort(),
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ];
}

/** Stage settings (APIGateway.1, .3; no data trace in production). */
export const STAGE = {
  stageName: "prod",
  tracingEnabled: true,
  loggingLevel: "INFO",
  dataTraceEnabled: false,
  metricsEnabled: true,
};

/** The CDK's standard JSON access-log fields. */
export const ACCESS_LOG_FIELDS = [
  "caller",
  "httpMethod",
  "ip",
  "protocol",
  "requestId",
  "requestTime",
  "resourcePath",
  "responseLength",
  "status",
  "user",
];

export function functionConfig(stage: string) {
  const n = names(stage);
  return {
    Runtime: "nodejs24.x",
    MemorySize: 256,
    Timeout: 30,
    TracingMode: "Active",
    LogFormat: "JSON",
    LogGroup: n.functionLogGroup,
    Role: `arn:aws:iam::${ACCOUNT}:role/${n.role}`,
    EnvironmentKeys: ["CORS_ORIGIN", "ENVIRONMENT", "LOG_LEVEL", "TABLE_NAME"],
    TABLE_NAME: n.table,
  };
}

/**
 * The table's on-demand maxima (DynamoDB API reference, OnDemandThroughput; README
 * "Configuration"): 1000 read and 500 write request units per second.
 */
export const TABLE_ON_DEMAND_THROUGHPUT = { MaxReadRequestUnits: 1000, MaxWriteRequestUnits: 500 };

/**
 * Error rate above 5 % for 2 of 2 five-minute periods; any throttle in five minutes. On the API
 * (API Gateway developer guide, "Amazon API Gateway dimensions and metrics": metrics by ApiName,
 * the REST API's name, and Stage): the Average of 5XXError is the share of requests answered
 * 5xx, so 5 % is 0.05; Count's requests are counted by its SampleCount, and the default stage
 * throttle (100 requests/s) lets 30000 through in five minutes.
 */
export function alarms(stage: string) {
  const fn = names(stage).functionName;
  const api = [
    { Name: "ApiName", Value: names(stage).restApi },
    { Name: "Stage", Value: "prod" },
  ];
  return {
    errorRate: {
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 5,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: "notBreaching",
      Expression: "100 * errors / invocations",
      Metrics: [
        { Id: "errors", MetricName: "Errors", FunctionName: fn, Period: 300, Stat: "Sum" },
        {
          Id: "invocations",
          MetricName: "Invocations",
          FunctionName: fn,
          Period: 300,
          Stat: "Sum",
        },
      ],
    },
    throttles: {
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
      EvaluationPeriods: 1,
      Namespace: "AWS/Lambda",
      MetricName: "Throttles",
      Statistic: "Sum",
      Period: 300,
      FunctionName: fn,
      TreatMissingData: "notBreaching",
    },
    api5xx: {
      Namespace: "AWS/ApiGateway",
      MetricName: "5XXError",
      Dimensions: api,
      Statistic: "Average",
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0.05,
      TreatMissingData: "notBreaching",
    },
    apiRequests: {
      Namespace: "AWS/ApiGateway",
      MetricName: "Count",
      Dimensions: api,
      Statistic: "SampleCount",
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 30000,
      TreatMissingData: "notBreaching",
    },
  };
}

export const LOG_RETENTION_DAYS = 14;

/**
 * With `waf`: a regional web ACL that allows what no rule blocks; a rate-based rule blocking an
 * IP that sends more than the limit (default 2,000) in five minutes, evaluated before AWS's
 * managed common rule set, which keeps its own rule actions (override action None); CloudWatch
 * metrics and sampled requests for the ACL and each rule. It protects the API's stage `prod`.
 * (WAFv2 API reference: CreateWebACL, Rule, RateBasedStatement, ManagedRuleGroupStatement,
 * OverrideAction, VisibilityConfig; AWS WAF Developer Guide, "Baseline rule groups".)
 */
export function webAcl(stage: string, rateLimit = 2000) {
  const name = `serverless-automation-${stage}-waf`;
  const visible = (metric: string) => ({
    SampledRequestsEnabled: true,
    CloudWatchMetricsEnabled: true,
    MetricName: metric,
  });
  return {
    Name: name,
    Description: `Protects the REST API of serverless-automation-${stage}`,
    DefaultAction: { Allow: {} },
    VisibilityConfig: visible(name),
    Rules: [
      {
        Name: "rate-limit-per-ip",
        Priority: 0,
        Statement: {
          RateBasedStatement: {
            Limit: rateLimit,
            AggregateKeyType: "IP",
            EvaluationWindowSec: 300,
          },
        },
        Action: { Block: {} },
        VisibilityConfig: visible(`${name}-rate-limit-per-ip`),
      },
      {
        Name: "AWSManagedRulesCommonRuleSet",
        Priority: 1,
        Statement: {
          ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesCommonRuleSet" },
        },
        OverrideAction: { None: {} },
        VisibilityConfig: visible(`${name}-common-rule-set`),
      },
    ],
  };
}

/** The ARN of an API's stage as WAF associates it (AssociateWebACL, ResourceArn). */
export function stageArn(apiId: string): string {
  return `arn:aws:apigateway:${REGION}::/restapis/${apiId}/stages/prod`;
}
