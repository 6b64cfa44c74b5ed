import type { DeployStrategy } from "./deploy/traffic.js";
import { isEmailAddress, PROJECT, PROJECT_TAG_KEY, STACK_TAG_KEY } from "./project.js";
import { routeProblems, ROUTE_SYNTAX_HINT } from "./routes.js";
import { permissions, type PermissionStatement } from "./permissions.js";
import { secretRefusal } from "./secret-filter.js";
import { referenceVariable, secretsType } from "./secret-refs.js";
import { isAccountId } from "./state/location.js";
import {
  decimal,
  describeValue,
  either,
  got,
  INVALID,
  isInt,
  isObject,
  nonEmpty,
  objectOf,
  oneOf,
  optional,
  simple,
  text,
  unknownField,
  wholeNumber,
  type Problems,
  type ValueType,
} from "./value-types.js";

/**
 * The config file's whole schema, one row per field: its key in the file, type and range,
 * default, documentation, how a stage inherits it and its command-line flag. The `Settings`
 * type, the defaults, validation, the file's field names, the flags' help and the README's
 * configuration table are all derived from SCHEMA; adding a row adds the setting.
 */

// ---------------------------------------------------------------------------------------------
// The values of the settings that need more than a range.

/** Lambda runtimes we deploy to, with the date AWS deprecates them (Lambda.2). */
export const SUPPORTED_RUNTIMES: Record<string, string> = {
  "nodejs22.x": "2027-04-30",
  "nodejs24.x": "2028-04-30",
};
const DEPRECATED_RUNTIMES = ["nodejs20.x", "nodejs18.x", "nodejs16.x", "nodejs14.x", "nodejs12.x"];

/** CloudWatch Logs accepts only these retention values. */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

/**
 * How callers authenticate, and what the help says of each. iam: SigV4-signed requests from
 * principals allowed execute-api:Invoke on this API; api-key: an x-api-key header, under a
 * usage plan's rate and quota; cognito: a JWT from the user pool named by cognitoUserPoolArn,
 * in the Authorization header; none: anyone who knows the URL (said on every run).
 */
const AUTH = {
  iam: "signed requests",
  "api-key": "an x-api-key header",
  cognito: "an ID token from a Cognito user pool",
  none: "public",
} as const;
export type AuthMode = keyof typeof AUTH;
export const AUTH_MODES = Object.keys(AUTH) as AuthMode[];

export type KeyType = "string" | "number" | "binary";
export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}
/**
 * read-write: the item and query actions (on the table and its indexes); read-only: the read
 * ones; none: no access to the table at all.
 */
export type TableAccess = "read-write" | "read-only" | "none";
export const TABLE_ACCESS: readonly TableAccess[] = ["read-write", "read-only", "none"];
export interface TableSettings {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute | undefined;
  readonly access: TableAccess;
}
const DEFAULT_TABLE: TableSettings = {
  partitionKey: { name: "id", type: "string" },
  access: "read-write",
};

/** The variables the tool sets itself (see functionEnvironment). */
export const OWN_ENVIRONMENT = ["TABLE_NAME", "ENVIRONMENT", "LOG_LEVEL", "CORS_ORIGIN"];
/** Lambda reserves these (AWS_*, LAMBDA_*, _HANDLER, _X_AMZN_TRACE_ID, TZ is allowed). */
const LAMBDA_RESERVED_RE = /^(AWS_|LAMBDA_|_)/;
/** Lambda's limit on the total size of a function's environment variables. */
export const ENVIRONMENT_MAX_BYTES = 4096;

/** What a project's name may be (config.ts's validateName checks it with its length). */
export const NAME_RULE =
  "lowercase letters, digits and single hyphens, starting with a letter (e.g. orders-api)";

/** The range WAF accepts for a rate-based rule's limit (RateBasedStatement.Limit). */
export const WAF_RATE_LIMIT_RANGE = { min: 10, max: 2_000_000_000 } as const;

const USER_POOL_ARN_RE =
  /^arn:aws[\w-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/[a-z0-9-]+_[0-9A-Za-z]+$/;

const runtime: ValueType<string> = {
  expected: `one of ${Object.keys(SUPPORTED_RUNTIMES).join(", ")}`,
  allowed: `${Object.keys(SUPPORTED_RUNTIMES)
    .reverse()
    .map((r) => `\`${r}\``)
    .join(", ")} (deprecated runtimes are refused)`,
  check: (v, at, problems) => {
    if (typeof v === "string" && v in SUPPORTED_RUNTIMES) return v;
    if (typeof v === "string" && DEPRECATED_RUNTIMES.includes(v)) {
      problems.add(
        at,
        `must be ${runtime.expected}: ${v} is deprecated`,
        `Use one of: ${Object.keys(SUPPORTED_RUNTIMES).join(", ")}.`,
      );
    } else {
      problems.add(at, `must be ${runtime.expected}, got ${got(v, "string")}`);
    }
    return INVALID;
  },
};

const tags = objectOf<Record<string, string>>(
  "an object of string keys and values",
  `keys up to 128 characters, string values up to 256; not \`aws:*\`, \`${PROJECT_TAG_KEY}\`, \`environment\` or \`${STACK_TAG_KEY}\``,
  (k, v, at, problems) => {
    if (typeof v !== "string") {
      problems.add(at, `must be a string, got ${describeValue(v)}`);
    } else if (k.length === 0 || k.length > 128 || v.length > 256) {
      problems.add(at, "is too long (keys up to 128 characters, values up to 256)");
    }
    if (
      k.startsWith("aws:") ||
      k === PROJECT_TAG_KEY ||
      k === "environment" ||
      k === STACK_TAG_KEY
    ) {
      problems.add(at, "is reserved");
    }
  },
);

const SECRET_HINT =
  'Keep the secret in SSM Parameter Store (SecureString) or Secrets Manager and name it under "secrets" instead, e.g. "secrets": {"DB_PASSWORD": "ssm:/my-app/db-password"}: the function gets read access to exactly that secret and where it is, never its value (see Secrets and extra permissions in the README).';

const environment = objectOf<Record<string, string>>(
  "an object of variable names and string values",
  `names and string values, ${ENVIRONMENT_MAX_BYTES} bytes in all; not the tool's own, \`AWS_*\`, \`LAMBDA_*\` or secret-looking names and values`,
  (name, value, at, problems) => {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      problems.add(at, "is not a valid variable name (a letter, then letters, digits and _)");
    }
    if (OWN_ENVIRONMENT.includes(name)) {
      problems.add(at, `is set by ${PROJECT} itself and cannot be overridden`);
    }
    if (LAMBDA_RESERVED_RE.test(name)) {
      problems.add(at, "is reserved by Lambda (AWS_*, LAMBDA_*, _*)");
    }
    if (typeof value !== "string") {
      problems.add(at, `must be a string, got ${describeValue(value)}`);
      return;
    }
    const refused = secretRefusal(name, value);
    if (refused !== undefined) {
      problems.add(
        at,
        `is refused: it looks like a secret (${refused}), and environment variables are readable by anyone who can read the function's configuration`,
        SECRET_HINT,
      );
    }
  },
);

/** A key attribute: "pk" is short for { "name": "pk", "type": "string" }. */
function keyAttribute(raw: unknown, at: string, problems: Problems): KeyAttribute | typeof INVALID {
  const k = typeof raw === "string" ? { name: raw } : raw;
  if (!isObject(k)) {
    problems.add(
      at,
      `must be an attribute name or { "name": "id", "type": "string" }, got ${describeValue(raw)}`,
    );
    return INVALID;
  }
  const before = problems.size;
  const { name, type = "string", ...rest } = k;
  for (const extra of Object.keys(rest)) {
    problems.add(`${at}.${extra}`, unknownField(extra, ["name", "type"]));
  }
  if (typeof name !== "string" || name.length < 1 || name.length > 255) {
    problems.add(
      `${at}.name`,
      `must be an attribute name of 1 to 255 characters, got ${got(name, "string")}`,
    );
  }
  if (type !== "string" && type !== "number" && type !== "binary") {
    problems.add(`${at}.type`, `must be string, number or binary, got ${got(type, "string")}`);
  }
  return problems.size === before ? { name: name as string, type: type as KeyType } : INVALID;
}

const TABLE_FIELDS = ["partitionKey", "sortKey", "access"];

/**
 * The table's key schema and access. A level's table may give some members only (a stage
 * its own sortKey): the defaults fill in the rest after the levels are merged, so here only
 * what is given is checked.
 */
const table: ValueType<TableSettings> = {
  expected: "an object with partitionKey, sortKey and access",
  allowed: "`partitionKey`, `sortKey`, `access` (`read-write`, `read-only`, `none`)",
  check: (v, at, problems) => {
    if (!isObject(v)) {
      problems.add(at, `must be ${table.expected}, got ${describeValue(v)}`);
      return INVALID;
    }
    const before = problems.size;
    const { partitionKey, sortKey, access, ...rest } = v;
    for (const extra of Object.keys(rest)) {
      problems.add(`${at}.${extra}`, unknownField(extra, TABLE_FIELDS));
    }
    const pk =
      partitionKey === undefined
        ? DEFAULT_TABLE.partitionKey
        : keyAttribute(partitionKey, `${at}.partitionKey`, problems);
    const sk = sortKey === undefined ? undefined : keyAttribute(sortKey, `${at}.sortKey`, problems);
    if (access !== undefined && !TABLE_ACCESS.includes(access as TableAccess)) {
      problems.add(`${at}.access`, `must be ${either(TABLE_ACCESS)}, got ${got(access, "string")}`);
    }
    if (problems.size !== before || pk === INVALID || sk === INVALID) return INVALID;
    return {
      partitionKey: pk,
      ...(sk ? { sortKey: sk } : {}),
      access: (access as TableAccess | undefined) ?? DEFAULT_TABLE.access,
    };
  },
};

/** The shapes `deploy` takes, each checked member by member. */
const STRATEGY_SHAPES = {
  canary: { percent: { min: 1, max: 99 }, minutes: { min: 1, max: 120 } },
  linear: { percent: { min: 1, max: 50 }, everyMinutes: { min: 1, max: 60 } },
} as const;

const deployStrategy: ValueType<DeployStrategy> = {
  expected:
    '"all-at-once", {"canary": {"percent": 10, "minutes": 5}} or {"linear": {"percent": 10, "everyMinutes": 1}}',
  allowed:
    '`"all-at-once"`; `{"canary": {"percent": 1–99, "minutes": 1–120}}`; `{"linear": {"percent": 1–50, "everyMinutes": 1–60}}`',
  check: (v, at, problems) => {
    if (v === "all-at-once") return v;
    const kinds = Object.keys(STRATEGY_SHAPES) as (keyof typeof STRATEGY_SHAPES)[];
    const kind = isObject(v) && Object.keys(v).length === 1 ? Object.keys(v)[0] : undefined;
    if (!isObject(v) || kind === undefined || !kinds.includes(kind as never)) {
      problems.add(at, `must be ${deployStrategy.expected}, got ${describeValue(v)}`);
      return INVALID;
    }
    const shape = STRATEGY_SHAPES[kind as keyof typeof STRATEGY_SHAPES];
    const given = v[kind];
    if (!isObject(given)) {
      problems.add(
        `${at}.${kind}`,
        `must be an object with ${Object.keys(shape).join(" and ")}, got ${describeValue(given)}`,
      );
      return INVALID;
    }
    const before = problems.size;
    for (const extra of Object.keys(given).filter((k) => !(k in shape))) {
      problems.add(`${at}.${kind}.${extra}`, unknownField(extra, Object.keys(shape)));
    }
    for (const [member, range] of Object.entries(shape)) {
      const n = given[member];
      if (!isInt(n) || n < range.min || n > range.max) {
        problems.add(
          `${at}.${kind}.${member}`,
          `must be a whole number from ${range.min} to ${range.max}, got ${got(n, "number")}`,
        );
      }
    }
    return problems.size === before ? (v as DeployStrategy) : INVALID;
  },
};

/** A custom domain for the API (config file `domain`). */
export interface DomainSettings {
  /** The host name callers use, e.g. api.example.com (lowercase, no trailing dot). */
  readonly name: string;
  /** The Route 53 public hosted zone the name is in; without it, the records are yours to add. */
  readonly hostedZoneId?: string | undefined;
  /** A certificate of yours (ACM, the stack's region) instead of one the stack requests. */
  readonly certificateArn?: string | undefined;
  /** The path below the domain the API answers at; "" (the default) is the root. */
  readonly basePath: string;
  /** Turns off the execute-api address: every call goes through the domain (and its WAF). */
  readonly disableDefaultEndpoint: boolean;
}

const DOMAIN_FIELDS = [
  "name",
  "hostedZoneId",
  "certificateArn",
  "basePath",
  "disableDefaultEndpoint",
];
/** A DNS host name of two labels or more, each 1–63 letters, digits and inner hyphens. */
const HOST_NAME_RE =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
/** Route 53 zone ids are uppercase letters and digits (AWS gives ones starting with Z). */
const HOSTED_ZONE_ID_RE = /^[A-Z0-9]{1,32}$/;
const CERTIFICATE_ARN_RE = /^arn:aws[\w-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/;
/** What API Gateway accepts as a base path: path segments of letters, digits and . _ - */
const BASE_PATH_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

const domain: ValueType<DomainSettings> = {
  expected: '{"name": "api.example.com", "hostedZoneId": "Z…"}',
  allowed:
    "`name`, `hostedZoneId`, `certificateArn`, `basePath`, `disableDefaultEndpoint` (see [Custom domain](#custom-domain))",
  check: (v, at, problems) => {
    if (!isObject(v)) {
      problems.add(at, `must be ${domain.expected}, got ${describeValue(v)}`);
      return INVALID;
    }
    const before = problems.size;
    const { name, hostedZoneId, certificateArn, basePath, disableDefaultEndpoint, ...rest } = v;
    for (const extra of Object.keys(rest)) {
      problems.add(`${at}.${extra}`, unknownField(extra, DOMAIN_FIELDS));
    }
    if (typeof name !== "string" || !HOST_NAME_RE.test(name)) {
      problems.add(
        `${at}.name`,
        `must be a lowercase host name such as api.example.com, got ${got(name, "string")}`,
      );
    }
    if (
      hostedZoneId !== undefined &&
      (typeof hostedZoneId !== "string" || !HOSTED_ZONE_ID_RE.test(hostedZoneId))
    ) {
      problems.add(
        `${at}.hostedZoneId`,
        `must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ, got ${got(hostedZoneId, "string")}`,
      );
    }
    if (
      certificateArn !== undefined &&
      (typeof certificateArn !== "string" || !CERTIFICATE_ARN_RE.test(certificateArn))
    ) {
      problems.add(
        `${at}.certificateArn`,
        `must be an ACM certificate ARN, got ${got(certificateArn, "string")}`,
      );
    }
    if (
      basePath !== undefined &&
      basePath !== "" &&
      (typeof basePath !== "string" || !BASE_PATH_RE.test(basePath))
    ) {
      problems.add(
        `${at}.basePath`,
        `must be a path such as "v1" (letters, digits, . _ - and inner /), got ${got(basePath, "string")}`,
      );
    }
    if (disableDefaultEndpoint !== undefined && typeof disableDefaultEndpoint !== "boolean") {
      problems.add(
        `${at}.disableDefaultEndpoint`,
        `must be true or false, got ${got(disableDefaultEndpoint, "boolean")}`,
      );
    }
    if (problems.size !== before) return INVALID;
    return {
      name: name as string,
      ...(hostedZoneId !== undefined ? { hostedZoneId: hostedZoneId as string } : {}),
      ...(certificateArn !== undefined ? { certificateArn: certificateArn as string } : {}),
      basePath: (basePath as string | undefined) ?? "",
      disableDefaultEndpoint: disableDefaultEndpoint === true,
    };
  },
};

const routes: ValueType<readonly string[]> = {
  expected: 'a list such as ["GET /items", "POST /items"]',
  allowed: '`"METHOD /path"` routes',
  check: (v, at, problems) => {
    if (!Array.isArray(v)) {
      problems.add(at, `must be ${routes.expected}, got ${describeValue(v)}`);
      return INVALID;
    }
    const found = routeProblems(v);
    for (const p of found) problems.add(`${at}${p.at}`, p.what, ROUTE_SYNTAX_HINT);
    return found.length === 0 ? (v as string[]) : INVALID;
  },
};

// ---------------------------------------------------------------------------------------------
// The table.

/** How a stage's value meets the top level's. */
export type Inherit =
  /** The stage's value replaces the top level's. */
  | "replace"
  /** Objects merge member by member, the stage's members winning (tags, environment, table). */
  | "merge"
  /** Top level only: a stage may not set it. */
  | "top";

export interface Field<T> {
  /** The key in the file when it differs from the key in the code (`tags` for extraTags). */
  readonly key?: string;
  readonly type: ValueType<T>;
  readonly default: NoInfer<T>;
  /** The README's "Default" cell when the default is not shown as it is. */
  readonly defaultText?: string;
  /** One line for the README (markdown). */
  readonly doc: string;
  readonly inherit: Inherit;
  /** The command-line flag that sets it, and what its help adds to the doc line. */
  readonly flag?: { readonly flags: string; readonly note?: string };
  /** Not a setting of the stack but which stack and where (name, region, state…): not in `Settings`. */
  readonly locates?: true;
}

function field<T>(f: Field<T>): Field<T> {
  return f;
}

/** A field that says which stack and where its state is, not how the stack is made. */
function place<T>(f: Field<T>): Field<T> & { readonly locates: true } {
  return { ...f, locates: true };
}

export const SCHEMA = {
  name: place({
    type: optional(nonEmpty("a non-empty string", NAME_RULE)),
    default: undefined,
    defaultText: "see there",
    doc: "the project's name (see [Projects](#projects-stages-and-regions))",
    inherit: "top",
  }),
  region: place({
    type: optional(nonEmpty("a non-empty string", "an AWS region code")),
    default: undefined,
    defaultText: "—",
    doc: "the AWS region; `--region`, `AWS_REGION` and `AWS_DEFAULT_REGION` win over it",
    inherit: "replace",
  }),
  state: place({
    type: optional(
      nonEmpty("a non-empty string", "`s3://bucket[/key]`, or a file relative to the config file"),
    ),
    default: undefined,
    defaultText: "local file",
    doc: "where the state lives (see [Team and CI](#team-and-ci-state-in-s3))",
    inherit: "replace",
  }),
  stateBucketOwner: place({
    type: optional(
      text("a 12-digit AWS account id (a string)", "a 12-digit account id", isAccountId),
    ),
    default: undefined,
    defaultText: "your account",
    doc: "the account that owns the `state` bucket, when it is another account (a stage's own `state` does not take the top level's)",
    inherit: "replace",
  }),
  runtime: field({
    type: runtime,
    default: "nodejs24.x",
    doc: "the function's Lambda runtime",
    inherit: "replace",
  }),
  memoryMb: field({
    type: wholeNumber({ min: 128, max: 10240 }),
    default: 256,
    doc: "the function's memory, in MB",
    inherit: "replace",
  }),
  timeoutSeconds: field({
    type: wholeNumber({ min: 1, max: 900 }),
    default: 30,
    doc: "the function's timeout in seconds (API Gateway itself gives up after 29)",
    inherit: "replace",
  }),
  logRetentionDays: field({
    type: {
      expected: `one of ${RETENTION_DAYS.join(", ")}`,
      allowed: "a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, …)",
      check: (v, at, problems) => {
        if (RETENTION_DAYS.includes(v as number)) return v as number;
        problems.add(at, `must be one of ${RETENTION_DAYS.join(", ")}, got ${got(v, "number")}`);
        return INVALID;
      },
    },
    default: 14,
    doc: "how long every log group keeps its events, in days",
    inherit: "replace",
  }),
  logLevel: field({
    type: oneOf(["debug", "info", "warn", "error"]),
    default: "info",
    doc: "the handler's `LOG_LEVEL`",
    inherit: "replace",
  }),
  throttleRateLimit: field({
    type: decimal({ above: 0 }),
    default: 100,
    doc: "stage throttling: steady requests per second",
    inherit: "replace",
  }),
  throttleBurstLimit: field({
    type: wholeNumber({ min: 0 }),
    default: 200,
    doc: "stage throttling: burst",
    inherit: "replace",
  }),
  corsOrigin: field({
    type: nonEmpty('an origin such as "https://example.com" or "*"', "an origin or `*`"),
    default: "*",
    doc: "the `Access-Control-Allow-Origin` the API sends",
    inherit: "replace",
  }),
  errorRateThresholdPercent: field({
    type: decimal({ above: 0, max: 100 }),
    default: 5,
    doc: "the error-rate alarm's threshold, percent of invocations",
    inherit: "replace",
  }),
  throttlesThreshold: field({
    type: wholeNumber({ min: 1 }),
    default: 1,
    doc: "the throttles alarm's threshold, throttles in five minutes",
    inherit: "replace",
  }),
  // 10 read and 5 write units per request at the default stage throttle (100 requests/s): room
  // for items of a few KB and for bursts, while a runaway client or loop cannot run up an
  // unbounded bill.
  tableMaxReadUnits: field({
    type: wholeNumber({ min: 1, or: { value: -1, means: "for no maximum" } }),
    default: 1000,
    doc: "the table's on-demand maximum read request units per second (the account's per-table quota still applies)",
    inherit: "replace",
  }),
  tableMaxWriteUnits: field({
    type: wholeNumber({ min: 1, or: { value: -1, means: "for no maximum" } }),
    default: 500,
    doc: "the table's on-demand maximum write request units per second",
    inherit: "replace",
  }),
  reservedConcurrency: field({
    type: optional(wholeNumber({ min: 0 })),
    default: undefined,
    defaultText: "none",
    doc: "concurrency reserved for the function, also its ceiling (0 stops every invocation); none: it shares the account's pool",
    inherit: "replace",
  }),
  api5xxRateThresholdPercent: field({
    type: decimal({ above: 0, max: 100 }),
    default: 5,
    doc: "the API 5XX-rate alarm's threshold, percent of requests in five minutes",
    inherit: "replace",
  }),
  apiRequestsThreshold: field({
    type: optional(wholeNumber({ min: 1 })),
    default: undefined,
    defaultText: "rate × 300",
    doc: "the API request alarm's threshold, requests in five minutes; by default what the stage throttle lets through",
    inherit: "replace",
  }),
  deploy: field({
    type: deployStrategy,
    default: "all-at-once" as DeployStrategy,
    defaultText: "`all-at-once`",
    doc: "how a new version of the function takes the traffic, watched by the alarms (see [Safe deploys](#safe-deploys))",
    inherit: "replace",
  }),
  keepVersions: field({
    type: wholeNumber({ min: 1, max: 100 }),
    default: 5,
    doc: "published Lambda versions kept, newest first; those the `live` alias uses always stay",
    inherit: "replace",
  }),
  extraTags: field({
    key: "tags",
    type: tags,
    default: {},
    doc: "extra tags on every resource",
    inherit: "merge",
  }),
  alarmEmail: field({
    type: optional(text("an e-mail address", "an e-mail address", isEmailAddress)),
    default: undefined,
    defaultText: "none",
    doc: "the address alarm notifications go to",
    inherit: "replace",
    flag: { flags: "--alarm-email <address>", note: "remembered for later runs" },
  }),
  auth: field({
    type: oneOf(AUTH_MODES),
    default: "iam",
    doc: "who may call the API (see [Authentication](#authentication))",
    inherit: "replace",
    flag: { flags: "--auth <mode>" },
  }),
  apiKeyRateLimit: field({
    type: decimal({ above: 0 }),
    default: 10,
    doc: "`api-key`: each key's steady requests per second",
    inherit: "replace",
  }),
  apiKeyBurstLimit: field({
    type: wholeNumber({ min: 0 }),
    default: 20,
    doc: "`api-key`: each key's burst",
    inherit: "replace",
  }),
  apiKeyDailyQuota: field({
    type: wholeNumber({ min: 1 }),
    default: 10_000,
    doc: "`api-key`: each key's requests per day",
    inherit: "replace",
  }),
  cognitoUserPoolArn: field({
    type: optional(
      text(
        "a user pool ARN such as arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123",
        "a user pool ARN",
        (s) => USER_POOL_ARN_RE.test(s),
      ),
    ),
    default: undefined,
    defaultText: "none",
    doc: "`cognito`: the user pool whose ID tokens the API accepts (required with it)",
    inherit: "replace",
  }),
  waf: field({
    type: simple<boolean>(
      "true or false",
      "`true`, `false`",
      "boolean",
      (v) => typeof v === "boolean",
    ),
    default: false,
    doc: "`true` puts a WAF web ACL in front of the API: AWS's common rule set and a per-IP rate limit (see [WAF](#waf))",
    inherit: "replace",
  }),
  wafRateLimit: field({
    type: wholeNumber({ ...WAF_RATE_LIMIT_RANGE, of: "requests per five minutes" }),
    default: 2000,
    doc: "with `waf`: requests one IP may make in five minutes before WAF blocks it",
    inherit: "replace",
  }),
  handler: field({
    type: optional(
      text(
        'the path of your handler\'s entry module, e.g. "src/handler.ts"',
        "a path relative to the config file",
        (s) => s.trim() !== "",
      ),
    ),
    default: undefined,
    defaultText: "built-in",
    doc: "your handler's entry module (see [Your own API](#your-own-api)); none: the built-in items API",
    inherit: "replace",
  }),
  routes: field({
    type: optional(routes),
    default: undefined,
    defaultText: "see there",
    doc: "the API's routes, with `handler` only",
    inherit: "replace",
  }),
  table: field({
    type: table,
    default: DEFAULT_TABLE,
    defaultText: "`id`, string",
    doc: "the table's key schema, and what the function may do with the table",
    inherit: "merge",
  }),
  domain: field({
    type: optional(domain),
    default: undefined,
    defaultText: "none",
    doc: "the API's custom domain: certificate, domain name, base path mapping and DNS records (see [Custom domain](#custom-domain))",
    inherit: "replace",
  }),
  environment: field({
    type: environment,
    default: {},
    doc: "extra environment variables of the function: configuration, never secrets",
    inherit: "merge",
  }),
  secrets: field({
    type: secretsType,
    default: {},
    doc: "secrets the function reads at run time, by reference: its role may read exactly these, its environment says where each is (`NAME_PARAM`, `NAME_SECRET_ARN`), never the value (see [Secrets and extra permissions](#secrets-and-extra-permissions))",
    inherit: "merge",
  }),
  permissions: field({
    type: permissions,
    default: [] as readonly PermissionStatement[],
    defaultText: "`[]`",
    doc: "extra statements for the function's role, checked for least privilege (see [Secrets and extra permissions](#secrets-and-extra-permissions))",
    inherit: "replace",
  }),
};

// ---------------------------------------------------------------------------------------------
// What the table gives.

type Schema = typeof SCHEMA;
type ValueOf<F> = F extends Field<infer T> ? T : never;
/** The rows that are settings of the stack (not name, region, state, stateBucketOwner). */
export type SettingKey = {
  [K in keyof Schema]: Schema[K] extends { readonly locates: true } ? never : K;
}[keyof Schema];
export type LocationKey = Exclude<keyof Schema, SettingKey>;

/** Settings a user may change; everything else is derived. */
export type Settings = { -readonly [K in SettingKey]: ValueOf<Schema[K]> };

const ROWS = Object.entries(SCHEMA) as [keyof Schema, Field<unknown>][];
export const SETTING_KEYS = ROWS.filter(([, f]) => !f.locates).map(([k]) => k) as SettingKey[];

export const DEFAULT_SETTINGS = Object.fromEntries(
  SETTING_KEYS.map((k) => [k, SCHEMA[k].default]),
) as Settings;

/** The key as the file writes it. */
export function fileKey(key: keyof Schema): string {
  return (SCHEMA[key] as Field<unknown>).key ?? key;
}

/** File key → key in the code, for every field the file may have. */
export const FILE_KEYS: ReadonlyMap<string, keyof Schema> = new Map(
  ROWS.map(([k]) => [fileKey(k), k]),
);

/**
 * Checks each value given, drops the wrong ones (so that rules across fields see only good
 * values) and fills the rest from the defaults. `name` says how the user wrote a key.
 */
export function checkValues(
  given: Partial<Record<SettingKey, unknown>>,
  name: (key: SettingKey) => string,
  problems: Problems,
): Settings {
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const key of SETTING_KEYS) {
    const v = given[key];
    if (v === undefined) continue;
    const checked = (SCHEMA[key].type as ValueType<unknown>).check(v, name(key), problems);
    if (checked !== INVALID) out[key] = checked;
  }
  return out as Settings;
}

/**
 * The rules between fields, on the stage's merged settings: a stage's `"auth": "cognito"` is
 * met by a top-level cognitoUserPoolArn.
 */
export function checkAcross(
  s: Settings,
  name: (key: SettingKey) => string,
  problems: Problems,
): void {
  if (s.auth === "cognito" && s.cognitoUserPoolArn === undefined) {
    problems.add(
      name("cognitoUserPoolArn"),
      `is required when ${name("auth")} is "cognito" (the user pool whose tokens the API accepts)`,
    );
  }
  if (s.routes !== undefined && s.handler === undefined) {
    // The built-in API serves its own routes; these would replace them with nothing to answer.
    problems.add(
      name("routes"),
      'is for a handler of your own: set it only with "handler" (the entry module that serves them), or remove routes to keep the built-in items API',
    );
  }
  checkSecretNames(s, name, problems);
  // A secret's variable holds the parameter's name or the secret's ARN: counted as written here.
  const bytes = [
    ...Object.entries(s.environment),
    ...Object.entries(s.secrets).map(([k, v]) => [referenceVariable(k, v), v] as const),
  ].reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > ENVIRONMENT_MAX_BYTES) {
    problems.add(
      name("environment"),
      `is ${bytes} bytes; Lambda allows ${ENVIRONMENT_MAX_BYTES} in all`,
    );
  }
  if (s.table.sortKey && s.table.sortKey.name === s.table.partitionKey.name) {
    problems.add(`${name("table")}.sortKey.name`, "must differ from the partition key's");
  }
}

/**
 * A secret's name and the variable that carries where it is (NAME_PARAM, NAME_SECRET_ARN) are
 * the function's: neither may be one of `environment`'s, the tool's own, Lambda's reserved ones
 * or another secret's.
 */
function checkSecretNames(
  s: Settings,
  name: (key: SettingKey) => string,
  problems: Problems,
): void {
  const taken = new Map<string, string>();
  for (const [secret, ref] of Object.entries(s.secrets)) {
    const at = `${name("secrets")}.${secret}`;
    // One problem a secret: its own name's collision says it all.
    const found = [secret, referenceVariable(secret, ref)].flatMap((v) => {
      const what = v === secret ? "" : ` (the variable ${v}, which says where it is)`;
      const other = taken.get(v);
      taken.set(v, secret);
      if (OWN_ENVIRONMENT.includes(v))
        return [`collides${what} with a variable ${PROJECT} sets itself`];
      if (LAMBDA_RESERVED_RE.test(v)) {
        return [`collides${what} with Lambda's reserved variables (AWS_*, LAMBDA_*, _*)`];
      }
      if (v in s.environment) return [`collides${what} with ${name("environment")}.${v}`];
      if (other !== undefined) return [`collides${what} with ${name("secrets")}.${other}`];
      return [];
    });
    if (found[0] !== undefined) problems.add(at, found[0]);
  }
}

// ---------------------------------------------------------------------------------------------
// Help and README.

/** How a user writes the flag that sets a setting, e.g. `--auth`; the key for one with no flag. */
export function flagName(key: SettingKey): string {
  return (SCHEMA[key] as Field<unknown>).flag?.flags.split(" ")[0] ?? key;
}

/** The flag that sets a setting, e.g. `--auth <mode>`, and its help from the setting's row. */
export function settingFlag(key: SettingKey): { flags: string; help: string } {
  const flags = (SCHEMA[key] as Field<unknown>).flag?.flags;
  if (flags === undefined) throw new Error(`${key} has no flag in SCHEMA`);
  return { flags, help: flagHelp(key) };
}

/** A flag's help: the doc line, the allowed values and default, and that it wins. */
function flagHelp(key: SettingKey): string {
  const f = SCHEMA[key] as Field<unknown>;
  const doc = f.doc.replace(/ \(see \[.*?\]\(#.*?\)\)/, "");
  if (key === "auth") {
    const modes = AUTH_MODES.map(
      (m) => `${m} (${AUTH[m]}${m === DEFAULT_SETTINGS.auth ? ", the default" : ""})`,
    );
    return `${doc}: ${either(modes)}; overrides the config file`;
  }
  const note = f.flag?.note ? `; ${f.flag.note}` : "";
  return `${doc}${note}; overrides the config file`;
}

/** "iam, api-key, cognito or none": what a flag that compares with a mode accepts. */
export const AUTH_CHOICES = either(AUTH_MODES);

const INHERIT_TEXT: Record<Inherit, string> = {
  replace: "replaces",
  merge: "merges members",
  top: "top level only",
};

/** The README's configuration table: one row of cells per field, in SCHEMA's order. */
export function configTableRows(): string[][] {
  const header = ["Field", "Default", "Allowed", "A stage's value", "What it sets"];
  const rows = ROWS.map(([key, f]) => [
    `\`${fileKey(key)}\``,
    f.defaultText ?? defaultText(f.default),
    f.type.allowed,
    INHERIT_TEXT[f.inherit],
    f.doc + (f.flag ? `; flag \`${f.flag.flags.split(" ")[0]!}\`` : ""),
  ]);
  return [header, ...rows];
}

function defaultText(v: unknown): string {
  if (typeof v === "number") return String(v);
  return `\`${JSON.stringify(v)}\``.replace(/^`"(.*)"`$/, "`$1`");
}

/** The lines around the README's configuration table, which npm run docs:config rewrites. */
export const README_TABLE_START =
  "<!-- The table below is generated from src/settings.ts: npm run docs:config -->";
export const README_TABLE_END = "<!-- end of the generated table -->";

/** The table as markdown, columns padded as prettier pads them. */
export function configTableMarkdown(): string {
  const rows = configTableRows();
  const widths = rows[0]!.map((_, i) => Math.max(3, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c + " ".repeat(widths[i]! - [...c].length)).join(" | ")} |`;
  return [
    line(rows[0]!),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...rows.slice(1).map(line),
  ].join("\n");
}
