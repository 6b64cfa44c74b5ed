import type { TableAccess } from "../config.js";

/**
 * Every IAM document the stack uses, built in one place (least privilege: AWS-NOTES.md).
 */

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: { Service: string };
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
  }[];
}

/**
 * The DynamoDB item actions the handler calls (handler/items.ts: Scan, GetItem, PutItem,
 * UpdateItem, DeleteItem) — no more. A test keeps this list and the handler in step.
 */
export const HANDLER_DYNAMODB_ACTIONS = [
  "dynamodb:DeleteItem",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:Scan",
  "dynamodb:UpdateItem",
] as const;

/** A role only this AWS service can assume. */
export function trustPolicy(service: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  };
}

/** What each access level allows a handler of your own, on the table and its indexes. */
export const TABLE_ACCESS_ACTIONS: Record<TableAccess, readonly string[]> = {
  "read-write": [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
  ],
  "read-only": [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
  ],
  none: [],
};

export interface FunctionPolicyInput {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly functionLogGroup: string;
  readonly tableArn: string;
  /** What the function may do with the table (default read-write). */
  readonly access?: TableAccess;
  /**
   * A handler of your own: the access level's actions, on the table and its indexes. The
   * built-in one: only the actions it calls, on the table alone.
   */
  readonly customHandler?: boolean;
  /** Secrets the function reads: the ARN each read is granted on, and its customer key if any. */
  readonly secrets?: readonly {
    readonly service: "ssm" | "secretsmanager";
    readonly arn: string;
    readonly kmsKeyArn: string | undefined;
  }[];
  /** Extra statements from the config file's `permissions`, checked before any AWS call. */
  readonly extra?: readonly {
    readonly actions: readonly string[];
    readonly resources: readonly string[];
  }[];
}

type Statement = PolicyDocument["Statement"][number];

/** IAM's limit on a role's inline policies, in characters without whitespace (IAM quotas). */
export const ROLE_POLICY_MAX_CHARS = 10_240;

/** The read each service's secrets need: exactly those ARNs, and their keys through the service. */
const SECRET_READS = {
  ssm: { sid: "Parameters", action: "ssm:GetParameter" },
  secretsmanager: { sid: "Secrets", action: "secretsmanager:GetSecretValue" },
} as const;

function secretStatements(i: FunctionPolicyInput): Statement[] {
  const out: Statement[] = [];
  for (const service of ["ssm", "secretsmanager"] as const) {
    const mine = (i.secrets ?? []).filter((s) => s.service === service);
    if (mine.length === 0) continue;
    const { sid, action } = SECRET_READS[service];
    const arns = [...new Set(mine.map((s) => s.arn))].sort();
    out.push({
      Sid: `Read${sid}`,
      Effect: "Allow",
      Action: action,
      Resource: arns.length === 1 ? arns[0]! : arns,
    });
    const keys = [...new Set(mine.flatMap((s) => (s.kmsKeyArn ? [s.kmsKeyArn] : [])))].sort();
    if (keys.length > 0) {
      out.push({
        Sid: `Decrypt${sid}`,
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: keys.length === 1 ? keys[0]! : keys,
        // Only as the service decrypts the secret for the function, never directly.
        Condition: { StringEquals: { "kms:ViaService": `${service}.${i.region}.amazonaws.com` } },
      });
    }
  }
  (i.extra ?? []).forEach((e, n) => {
    out.push({
      Sid: `Extra${n + 1}`,
      Effect: "Allow",
      Action: [...e.actions],
      Resource: e.resources.length === 1 ? e.resources[0]! : [...e.resources],
    });
  });
  return out;
}

/**
 * The function's one inline policy: write to its own (pre-created) log group, send traces,
 * and the handler's item actions on its table. No CreateLogGroup: a deleted group is not
 * silently re-created outside the tool's control.
 */
export function functionRolePolicy(i: FunctionPolicyInput): PolicyDocument {
  const allowed = TABLE_ACCESS_ACTIONS[i.access ?? "read-write"];
  const actions = i.customHandler
    ? [...allowed]
    : HANDLER_DYNAMODB_ACTIONS.filter((a) => allowed.includes(a));
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `arn:${i.partition}:logs:${i.region}:${i.account}:log-group:${i.functionLogGroup}:*`,
      },
      {
        // X-Ray has no resource-level permissions: "*" is the only resource it accepts.
        Sid: "WriteTraces",
        Effect: "Allow",
        Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        Resource: "*",
      },
      ...(actions.length
        ? [
            {
              Sid: "ItemsTable",
              Effect: "Allow" as const,
              Action: actions,
              Resource: i.customHandler ? [i.tableArn, `${i.tableArn}/index/*`] : i.tableArn,
            },
          ]
        : []),
      ...secretStatements(i),
    ],
  };
}

export const API_GATEWAY_LOGS_MANAGED_POLICY = (partition: string) =>
  `arn:${partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`;
