import { describeValue, INVALID, isObject, unknownField, type ValueType } from "./value-types.js";

/** An extra statement for the function's role, as the config file's `permissions` writes it. */
export interface PermissionStatement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** IAM actions and sts:AssumeRole: refused unless this says the statement means it. */
  readonly allowPrivileged?: boolean | undefined;
  /** `"*"` as a resource for actions that support resources: refused unless this says so. */
  readonly allowAnyResource?: boolean | undefined;
}

/**
 * Actions that support no resource-level permissions, so `"*"` is the only resource they take
 * (the Service Authorization Reference lists no resource type for them). A table, not the whole
 * reference: an action missing here needs `"allowAnyResource": true` with `"*"`.
 */
export const ONLY_ANY_RESOURCE: readonly string[] = [
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
  "s3:ListAllMyBuckets",
  "cloudwatch:PutMetricData",
  "cloudwatch:GetMetricData",
  "cloudwatch:ListMetrics",
  "ec2:DescribeInstances",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSubnets",
  "ec2:DescribeVpcs",
  "ec2:Describe*",
  "sts:GetCallerIdentity",
  "ssm:DescribeParameters",
  "secretsmanager:GetRandomPassword",
  "secretsmanager:ListSecrets",
  "kms:ListKeys",
  "kms:GenerateRandom",
  "sqs:ListQueues",
  "sns:ListTopics",
  "dynamodb:ListTables",
  "lambda:ListFunctions",
  "translate:TranslateText",
  "comprehend:DetectSentiment",
  "comprehend:DetectEntities",
  "rekognition:DetectLabels",
  "textract:DetectDocumentText",
];

const onlyAny = new Set(ONLY_ANY_RESOURCE.map((a) => a.toLowerCase()));

/** `service:Action`, the action part possibly with `*` and `?` wildcards. */
const ACTION_RE = /^([a-z0-9-]+):([A-Za-z0-9*?]+)$/;

/** A pattern with IAM's wildcards (`*`, `?`) as a case-insensitive regular expression. */
function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

/** Whether an action (maybe with wildcards) can grant IAM or sts:AssumeRole. */
export function isPrivileged(action: string): boolean {
  const m = ACTION_RE.exec(action);
  if (!m) return false;
  const [, service, name] = m as unknown as [string, string, string];
  if (service === "iam") return true;
  return service === "sts" && wildcard(name).test("AssumeRole");
}

/** Services whose ARNs have no region (global), and those whose ARNs have no account either. */
const NO_REGION = new Set(["iam", "s3", "cloudfront", "route53", "waf", "organizations", "sts"]);
const NO_ACCOUNT = new Set(["s3", "route53"]);
const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"];

/**
 * What is wrong with an ARN as an IAM resource, or undefined: `arn:partition:service:region:
 * account:resource`, a known partition, the region empty for global services and present for
 * the others, the account empty for S3 and Route 53, else 12 digits (`aws` for IAM's managed
 * policies); `*` and `?` allowed where IAM allows them.
 */
export function arnProblem(arn: string): string | undefined {
  const parts = arn.split(":");
  if (parts[0] !== "arn" || parts.length < 6) {
    return "is not an ARN (arn:partition:service:region:account:resource)";
  }
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  const resource = parts.slice(5).join(":");
  if (!PARTITIONS.includes(partition) && partition !== "*") {
    return `has an unknown partition "${partition}" (${PARTITIONS.join(", ")})`;
  }
  if (!/^[a-z0-9-]+$/.test(service)) return "has no service";
  if (resource === "") return "names no resource";
  if (NO_REGION.has(service)) {
    if (region !== "") return `has a region, but ${service} ARNs have none`;
  } else if (!/^([a-z]{2}(-gov)?-[a-z]+-\d|\*)$/.test(region)) {
    return `needs a region (e.g. us-east-1 or *) for ${service}`;
  }
  if (NO_ACCOUNT.has(service)) {
    if (account !== "") return `has an account, but ${service} ARNs have none`;
  } else if (!/^(\d{12}|\*)$/.test(account) && !(service === "iam" && account === "aws")) {
    return "needs a 12-digit account id (or *)";
  }
  return undefined;
}

const FIELDS = ["actions", "resources", "allowPrivileged", "allowAnyResource"];

function stringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string");
}

/** The `permissions` setting: every refusal is a problem, named by statement and member. */
export const permissions: ValueType<readonly PermissionStatement[]> = {
  expected:
    'a list of statements such as [{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::my-inbox/*"]}]',
  allowed:
    "statements `{actions, resources, allowPrivileged?, allowAnyResource?}`; no `*` or `service:*` actions; IAM actions and `sts:AssumeRole` only with `allowPrivileged`; resource `*` only for actions that support no other, or with `allowAnyResource`",
  check: (v, at, problems) => {
    if (!Array.isArray(v)) {
      problems.add(at, `must be ${permissions.expected}, got ${describeValue(v)}`);
      return INVALID;
    }
    const before = problems.size;
    v.forEach((s: unknown, i) => {
      const here = `${at}[${i}]`;
      if (!isObject(s)) {
        problems.add(
          here,
          `must be {"actions": [...], "resources": [...]}, got ${describeValue(s)}`,
        );
        return;
      }
      for (const extra of Object.keys(s).filter((k) => !FIELDS.includes(k))) {
        problems.add(`${here}.${extra}`, unknownField(extra, FIELDS));
      }
      for (const flag of ["allowPrivileged", "allowAnyResource"] as const) {
        if (s[flag] !== undefined && typeof s[flag] !== "boolean") {
          problems.add(`${here}.${flag}`, `must be true or false, got ${describeValue(s[flag])}`);
        }
      }
      const { actions, resources } = s;
      if (!stringList(actions)) {
        problems.add(
          `${here}.actions`,
          'must be a non-empty list of actions such as "s3:GetObject"',
        );
      } else {
        checkActions(actions, s.allowPrivileged === true, `${here}.actions`, problems);
      }
      if (!stringList(resources)) {
        problems.add(`${here}.resources`, "must be a non-empty list of ARNs");
      } else {
        resources.forEach((r, j) => {
          const rAt = `${here}.resources[${j}]`;
          if (r === "*") {
            const need = stringList(actions)
              ? actions.filter((a) => !onlyAny.has(a.toLowerCase()))
              : [];
            if (need.length > 0 && s.allowAnyResource !== true) {
              problems.add(
                rAt,
                `is "*", but ${need.join(", ")} ${need.length === 1 ? "supports" : "support"} resource-level permissions`,
                'Name the ARNs the function needs; "allowAnyResource": true in the statement if it really needs every one.',
              );
            }
          } else {
            const wrong = arnProblem(r);
            if (wrong) problems.add(rAt, wrong);
          }
        });
      }
    });
    return problems.size === before ? (v as PermissionStatement[]) : INVALID;
  },
};

function checkActions(
  actions: readonly string[],
  privileged: boolean,
  at: string,
  problems: { add(at: string, what: string, hint?: string): void },
): void {
  actions.forEach((a, i) => {
    const here = `${at}[${i}]`;
    const m = ACTION_RE.exec(a);
    if (a === "*" || (m && /^\*+$/.test(m[2]!))) {
      problems.add(
        here,
        `is refused: "${a}" allows every action${a === "*" ? " of every service" : ` of ${m![1]!}`} (Security Hub IAM.1, IAM.21)`,
        "Name each action the function calls, e.g. s3:GetObject.",
      );
    } else if (!m) {
      problems.add(here, `is not an action (service:Action, e.g. s3:GetObject), got "${a}"`);
    } else if (isPrivileged(a) && !privileged) {
      problems.add(
        here,
        `is refused: ${a} lets the function change or take on IAM permissions`,
        'Add "allowPrivileged": true to the statement if the function really must.',
      );
    }
  });
}
