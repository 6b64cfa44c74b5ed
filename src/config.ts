import path from "node:path";
import { UserError } from "./errors.js";
import { parseRoutes } from "./routes.js";
import {
  isRemoteState,
  legacyS3Location,
  parseS3Location,
  stateBucketOwnerFor,
} from "./state/location.js";

/** The tool's own name: its config file, state directory and tag keys. */
export const PROJECT = "serverless-automation";
/**
 * The project name of a stack whose config says none: the built-in items API's, and that of
 * every stack deployed before projects had names, so that those are still found.
 */
export const DEFAULT_NAME = PROJECT;
/** The tag key that marks a resource as belonging to one stack (project + stage). */
export const STACK_TAG_KEY = `${PROJECT}:stack`;
/** The tag that names the project a resource belongs to (with the stack tag: its owner). */
export const PROJECT_TAG_KEY = "project";
export const API_STAGE_NAME = "prod";

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

export const KNOWN_REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2",
  "af-south-1",
  "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
  "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
  "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ca-central-1", "ca-west-1",
  "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
  "eu-south-1", "eu-south-2", "eu-north-1",
  "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
  "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
]; // prettier-ignore

/** Settings a user may change; everything else is derived. */
export interface Settings {
  /** Lambda runtime identifier, e.g. nodejs22.x. */
  runtime: string;
  /** Lambda memory in MB (128–10240). */
  memoryMb: number;
  /** Lambda timeout in seconds (1–900; API Gateway itself gives up after 29 s). */
  timeoutSeconds: number;
  /** Retention of every log group, in days (a CloudWatch Logs allowed value). */
  logRetentionDays: number;
  /** The handler's LOG_LEVEL. */
  logLevel: "debug" | "info" | "warn" | "error";
  /** API Gateway stage throttling: steady requests per second. */
  throttleRateLimit: number;
  /** API Gateway stage throttling: burst. */
  throttleBurstLimit: number;
  /** Access-Control-Allow-Origin the handler sends. */
  corsOrigin: string;
  /** Error-rate alarm threshold, percent of invocations. */
  errorRateThresholdPercent: number;
  /** Throttles alarm threshold, count in five minutes. */
  throttlesThreshold: number;
  /**
   * The table's on-demand maximum read request units per second, past which DynamoDB throttles
   * reads; -1: no maximum of its own (the account's per-table quota still applies).
   */
  tableMaxReadUnits: number;
  /** The same for write request units. */
  tableMaxWriteUnits: number;
  /**
   * Concurrency reserved for the function (also its ceiling); undefined: none, the function
   * shares the account's unreserved pool. 0 stops every invocation.
   */
  reservedConcurrency: number | undefined;
  /** API 5XX-rate alarm threshold, percent of requests in five minutes. */
  api5xxRateThresholdPercent: number;
  /**
   * API request-count alarm threshold, requests in five minutes; undefined: as many as the stage
   * throttle lets through in five minutes (see apiRequestsThreshold()).
   */
  apiRequestsThreshold: number | undefined;
  /** Extra tags on every resource. */
  extraTags: Record<string, string>;
  /** Address subscribed to alarm notifications, if any. */
  alarmEmail: string | undefined;
  /** Who may call the API: signed IAM callers, holders of an API key, or anyone. */
  auth: AuthMode;
  /** api-key: steady requests per second allowed to each key. */
  apiKeyRateLimit: number;
  /** api-key: burst allowed to each key. */
  apiKeyBurstLimit: number;
  /** api-key: requests each key may make per day. */
  apiKeyDailyQuota: number;
  /** cognito: the ARN of the user pool whose ID tokens the API accepts. */
  cognitoUserPoolArn: string | undefined;
  /** A WAF web ACL in front of the API stage: AWS's common rule set and a per-IP rate limit. */
  waf: boolean;
  /** With waf: requests one IP may make in five minutes before WAF blocks it (WAF allows 10–2e9). */
  wafRateLimit: number;
  /**
   * The entry module of your own handler (absolute path; the file gives it relative to itself);
   * undefined: the built-in items API in handler/.
   */
  handler: string | undefined;
  /** The API's routes, "METHOD /path"; undefined: the handler's default (see routes.ts). */
  routes: readonly string[] | undefined;
  /** The table's key schema, and what the function may do with the table. */
  table: TableSettings;
  /** Extra environment variables of the function: configuration, never secrets. */
  environment: Record<string, string>;
}

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

/** DynamoDB's attribute type letter for each key type. */
export const KEY_TYPE_LETTER: Record<KeyType, "S" | "N" | "B"> = {
  string: "S",
  number: "N",
  binary: "B",
};

/** The key schema as the table handler compares it: "id:S:HASH" or "pk:S:HASH,sk:N:RANGE". */
export function keySchemaString(t: Pick<TableSettings, "partitionKey" | "sortKey">): string {
  const key = (k: KeyAttribute, role: string) => `${k.name}:${KEY_TYPE_LETTER[k.type]}:${role}`;
  return [key(t.partitionKey, "HASH"), ...(t.sortKey ? [key(t.sortKey, "RANGE")] : [])].join(",");
}

/** The variables the tool sets itself (see functionEnvironment). */
export const OWN_ENVIRONMENT = ["TABLE_NAME", "ENVIRONMENT", "LOG_LEVEL", "CORS_ORIGIN"];
/** Names that look like they hold a secret: refused in the function's environment. */
const SECRET_NAME_RE =
  /SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL/i;
/** Where a secret is, not what it is: DB_PASSWORD_PARAM, API_KEY_SECRET_ARN. */
const SECRET_REFERENCE_RE = /_(PARAM|PARAMETER|ARN|NAME|PATH|ID)$/i;
/** Lambda reserves these (AWS_*, LAMBDA_*, _HANDLER, _X_AMZN_TRACE_ID, TZ is allowed). */
const LAMBDA_RESERVED_RE = /^(AWS_|LAMBDA_|_)/;
/** Lambda's limit on the total size of a function's environment variables. */
export const ENVIRONMENT_MAX_BYTES = 4096;

/**
 * How callers authenticate. iam: SigV4-signed requests from principals allowed
 * execute-api:Invoke on this API; api-key: an x-api-key header, under a usage plan's rate and
 * quota; cognito: a JWT from the user pool named by cognitoUserPoolArn, in the Authorization
 * header; none: anyone who knows the URL (said on every run).
 */
export type AuthMode = "iam" | "api-key" | "cognito" | "none";
export const AUTH_MODES: readonly AuthMode[] = ["iam", "api-key", "cognito", "none"];

const USER_POOL_ARN_RE =
  /^arn:aws[\w-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/[a-z0-9-]+_[0-9A-Za-z]+$/;

export const DEFAULT_SETTINGS: Settings = {
  runtime: "nodejs24.x",
  memoryMb: 256,
  timeoutSeconds: 30,
  logRetentionDays: 14,
  logLevel: "info",
  throttleRateLimit: 100,
  throttleBurstLimit: 200,
  corsOrigin: "*",
  errorRateThresholdPercent: 5,
  throttlesThreshold: 1,
  // 10 read and 5 write units per request at the default stage throttle (100 requests/s): room
  // for items of a few KB and for bursts, while a runaway client or loop cannot run up an
  // unbounded bill.
  tableMaxReadUnits: 1000,
  tableMaxWriteUnits: 500,
  reservedConcurrency: undefined,
  api5xxRateThresholdPercent: 5,
  apiRequestsThreshold: undefined,
  extraTags: {},
  alarmEmail: undefined,
  auth: "iam",
  apiKeyRateLimit: 10,
  apiKeyBurstLimit: 20,
  apiKeyDailyQuota: 10_000,
  cognitoUserPoolArn: undefined,
  waf: false,
  wafRateLimit: 2000,
  handler: undefined,
  routes: undefined,
  table: { partitionKey: { name: "id", type: "string" }, access: "read-write" },
  environment: {},
};

/** The range WAF accepts for a rate-based rule's limit (RateBasedStatement.Limit). */
export const WAF_RATE_LIMIT_RANGE = { min: 10, max: 2_000_000_000 } as const;

export interface Config {
  /** The project's name: every physical name and the stack tag derive from it. */
  name: string;
  stage: string;
  region: string;
  profile: string | undefined;
  /** A custom endpoint (AWS_ENDPOINT_URL), e.g. LocalStack. */
  endpoint: string | undefined;
  /** Absolute path of the state file, or s3://bucket/key for the state in S3. */
  statePath: string;
  /**
   * Where the same setting put the state before default locations named the project and the
   * region: a state found there is moved to statePath. Undefined when the location was given
   * in full.
   */
  legacyStatePath: string | undefined;
  /** The account that must own the state bucket; undefined: the caller's own. */
  stateBucketOwner: string | undefined;
  settings: Settings;
  /**
   * Who set settings.alarmEmail: the flag, the config file, or "none" for --no-alarm-email;
   * undefined when neither says anything, and the address recorded in the state file applies
   * (see alarmEmailSetting).
   */
  alarmEmailFrom: "flag" | "file" | "none" | undefined;
}

/** The alarm address as the state file records it, with where it came from. */
export interface RecordedAlarmEmail {
  readonly address: string;
  readonly from: "flag" | "file";
}

export interface ConfigInput {
  stage?: string | undefined;
  region?: string | undefined;
  profile?: string | undefined;
  state?: string | undefined;
  /** --state-bucket-owner: the account id that owns the state bucket. */
  stateBucketOwner?: string | undefined;
  /** Path of the config file (--config). */
  config?: string | undefined;
  /** Settings given as flags; they win over the environment and the config file. */
  settings?: Partial<Settings> | undefined;
  /** --no-alarm-email: remove the alarm address, whatever the file or the state file says. */
  noAlarmEmail?: boolean | undefined;
}

/** What the config file says for the stage (see config-file.ts). */
export interface FileInput {
  /** The project's name (top level only). */
  name?: string | undefined;
  region?: string | undefined;
  /** Where the stage's state lives (s3://… or a file). */
  state?: string | undefined;
  stateBucketOwner?: string | undefined;
  settings: Partial<Settings>;
}

const STAGE_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** Keeps the bucket name (the longest derived name) within S3's 63 characters in every region. */
export const MAX_STAGE_LENGTH = 12;

export const STAGE_RULE = `1-${MAX_STAGE_LENGTH} characters: lowercase letters, digits and single hyphens, starting with a letter (e.g. production, dev, staging-2)`;

export function isValidStage(stage: string): boolean {
  return STAGE_RE.test(stage) && stage.length <= MAX_STAGE_LENGTH;
}

export function validateStage(stage: string): string {
  if (!isValidStage(stage)) {
    throw new UserError(`Invalid stage name "${stage}".`, { hint: `A stage is ${STAGE_RULE}.` });
  }
  return stage;
}

export function validateRegion(region: string | undefined): string {
  if (!region) {
    throw new UserError("No AWS region is set.", {
      hint: "Pass --region (e.g. --region eu-west-1) or set AWS_REGION.",
    });
  }
  if (!KNOWN_REGIONS.includes(region)) {
    throw new UserError(`Unknown AWS region "${region}".`, {
      hint: `Use a region code such as us-east-1 or eu-west-1.`,
    });
  }
  return region;
}

/** The settings a command-line flag can set, and the flag. */
const SETTING_FLAGS: Partial<Record<keyof Settings, string>> = {
  alarmEmail: "--alarm-email",
  auth: "--auth",
};

/**
 * `fromFlags`: the settings a flag gave, so that an error names the flag rather than the
 * config file.
 */
export function validateSettings(
  input: Partial<Settings>,
  source = "settings",
  fromFlags: readonly string[] = [],
): Settings {
  const s: Settings = { ...DEFAULT_SETTINGS, ...dropUndefined(input) };
  const bad = (field: string, why: string): never => {
    const top = field.split(".")[0] as keyof Settings;
    const flag = fromFlags.includes(top) ? SETTING_FLAGS[top] : undefined;
    throw new UserError(`Invalid ${source}: ${field} ${why}.`, {
      hint: flag ? `Fix the value of ${flag}.` : `Fix ${field} in ${PROJECT}.config.json.`,
    });
  };
  if (DEPRECATED_RUNTIMES.includes(s.runtime)) {
    throw new UserError(`The Lambda runtime ${s.runtime} is deprecated.`, {
      hint: `Use one of: ${Object.keys(SUPPORTED_RUNTIMES).join(", ")}.`,
    });
  }
  if (!(s.runtime in SUPPORTED_RUNTIMES)) {
    bad(
      "runtime",
      `must be one of ${Object.keys(SUPPORTED_RUNTIMES).join(", ")} (got "${s.runtime}")`,
    );
  }
  if (!isInt(s.memoryMb) || s.memoryMb < 128 || s.memoryMb > 10240) {
    bad("memoryMb", `must be a whole number from 128 to 10240 (got ${String(s.memoryMb)})`);
  }
  if (!isInt(s.timeoutSeconds) || s.timeoutSeconds < 1 || s.timeoutSeconds > 900) {
    bad("timeoutSeconds", `must be a whole number from 1 to 900 (got ${String(s.timeoutSeconds)})`);
  }
  if (!RETENTION_DAYS.includes(s.logRetentionDays)) {
    bad(
      "logRetentionDays",
      `must be one of ${RETENTION_DAYS.join(", ")} (got ${String(s.logRetentionDays)})`,
    );
  }
  if (!["debug", "info", "warn", "error"].includes(s.logLevel)) {
    bad("logLevel", `must be debug, info, warn or error (got "${String(s.logLevel)}")`);
  }
  if (typeof s.throttleRateLimit !== "number" || !(s.throttleRateLimit > 0)) {
    bad("throttleRateLimit", "must be a positive number");
  }
  if (!isInt(s.throttleBurstLimit) || s.throttleBurstLimit < 0) {
    bad("throttleBurstLimit", "must be a whole number, 0 or more");
  }
  if (typeof s.corsOrigin !== "string" || s.corsOrigin.length === 0) {
    bad("corsOrigin", 'must be an origin such as "https://example.com" or "*"');
  }
  if (
    typeof s.errorRateThresholdPercent !== "number" ||
    !(s.errorRateThresholdPercent > 0 && s.errorRateThresholdPercent <= 100)
  ) {
    bad("errorRateThresholdPercent", "must be a number above 0 and at most 100");
  }
  if (!isInt(s.throttlesThreshold) || s.throttlesThreshold < 1) {
    bad("throttlesThreshold", "must be a whole number, 1 or more");
  }
  for (const field of ["tableMaxReadUnits", "tableMaxWriteUnits"] as const) {
    const n = s[field];
    if (!isInt(n) || !(n >= 1 || n === -1)) {
      bad(field, `must be a whole number, 1 or more, or -1 for no maximum (got ${String(n)})`);
    }
  }
  if (
    s.reservedConcurrency !== undefined &&
    (!isInt(s.reservedConcurrency) || s.reservedConcurrency < 0)
  ) {
    bad(
      "reservedConcurrency",
      `must be a whole number, 0 or more (got ${String(s.reservedConcurrency)})`,
    );
  }
  if (
    typeof s.api5xxRateThresholdPercent !== "number" ||
    !(s.api5xxRateThresholdPercent > 0 && s.api5xxRateThresholdPercent <= 100)
  ) {
    bad("api5xxRateThresholdPercent", "must be a number above 0 and at most 100");
  }
  if (
    s.apiRequestsThreshold !== undefined &&
    (!isInt(s.apiRequestsThreshold) || s.apiRequestsThreshold < 1)
  ) {
    bad("apiRequestsThreshold", "must be a whole number, 1 or more");
  }
  if (typeof s.extraTags !== "object" || s.extraTags === null || Array.isArray(s.extraTags)) {
    bad("extraTags", "must be an object of string keys and values");
  }
  for (const [k, v] of Object.entries(s.extraTags)) {
    if (typeof v !== "string" || k.length === 0 || k.length > 128 || v.length > 256) {
      bad(`extraTags.${k}`, "must be a string (keys up to 128 characters, values up to 256)");
    }
    if (k.startsWith("aws:") || k === "project" || k === "environment" || k === STACK_TAG_KEY) {
      bad(`extraTags.${k}`, "is reserved");
    }
  }
  if (s.alarmEmail !== undefined && !isEmailAddress(s.alarmEmail)) {
    bad("alarmEmail", `must be an e-mail address (got "${s.alarmEmail}")`);
  }
  if (!AUTH_MODES.includes(s.auth)) {
    bad(
      "auth",
      `must be ${AUTH_MODES.join(", ").replace(/, (?=[^,]*$)/, " or ")} (got "${String(s.auth)}")`,
    );
  }
  if (typeof s.apiKeyRateLimit !== "number" || !(s.apiKeyRateLimit > 0)) {
    bad("apiKeyRateLimit", "must be a positive number");
  }
  if (!isInt(s.apiKeyBurstLimit) || s.apiKeyBurstLimit < 0) {
    bad("apiKeyBurstLimit", "must be a whole number, 0 or more");
  }
  if (!isInt(s.apiKeyDailyQuota) || s.apiKeyDailyQuota < 1) {
    bad("apiKeyDailyQuota", "must be a whole number, 1 or more");
  }
  if (
    s.cognitoUserPoolArn !== undefined &&
    (typeof s.cognitoUserPoolArn !== "string" || !USER_POOL_ARN_RE.test(s.cognitoUserPoolArn))
  ) {
    bad(
      "cognitoUserPoolArn",
      `must be a user pool ARN such as arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123 (got "${String(s.cognitoUserPoolArn)}")`,
    );
  }
  if (s.auth === "cognito" && s.cognitoUserPoolArn === undefined) {
    bad(
      "cognitoUserPoolArn",
      'is required with "auth": "cognito" (the user pool whose tokens the API accepts)',
    );
  }
  if (typeof s.waf !== "boolean") {
    bad("waf", `must be true or false (got ${JSON.stringify(s.waf)})`);
  }
  const { min, max } = WAF_RATE_LIMIT_RANGE;
  if (!isInt(s.wafRateLimit) || s.wafRateLimit < min || s.wafRateLimit > max) {
    bad(
      "wafRateLimit",
      `must be a whole number of requests per five minutes from ${min} to ${max} (got ${JSON.stringify(s.wafRateLimit)})`,
    );
  }
  if (s.handler !== undefined && (typeof s.handler !== "string" || s.handler.trim() === "")) {
    bad("handler", 'must be the path of your handler\'s entry module, e.g. "src/handler.ts"');
  }
  if (s.routes !== undefined) {
    if (!Array.isArray(s.routes))
      bad("routes", 'must be a list such as ["GET /items", "POST /items"]');
    parseRoutes(s.routes);
    // The built-in API serves its own routes; these would replace them with nothing to answer.
    if (s.handler === undefined)
      bad(
        "routes",
        'is for a handler of your own: set it only with "handler" (the entry module that serves them), or remove routes to keep the built-in items API',
      );
  }
  s.table = validateTable(s.table, bad);
  s.environment = validateEnvironment(s.environment, bad);
  return s;
}

type Bad = (field: string, why: string) => never;

function validateKey(raw: unknown, field: string, bad: Bad): KeyAttribute {
  // "pk" is short for { "name": "pk", "type": "string" }.
  const k = typeof raw === "string" ? { name: raw, type: "string" } : raw;
  if (typeof k !== "object" || k === null || Array.isArray(k)) {
    return bad(field, 'must be an attribute name or { "name": "id", "type": "string" }');
  }
  const { name, type = "string", ...rest } = k as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) bad(`${field}.${extra}`, "is not a known field (name, type)");
  if (typeof name !== "string" || name.length < 1 || name.length > 255) {
    bad(`${field}.name`, "must be an attribute name of 1 to 255 characters");
  }
  if (type !== "string" && type !== "number" && type !== "binary") {
    bad(`${field}.type`, `must be string, number or binary (got ${JSON.stringify(type)})`);
  }
  return { name: name as string, type: type as KeyType };
}

function validateTable(raw: unknown, bad: Bad): TableSettings {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return bad("table", "must be an object with partitionKey, sortKey and access");
  }
  const { partitionKey, sortKey, access, ...rest } = {
    ...DEFAULT_SETTINGS.table,
    ...dropUndefined(raw as Record<string, unknown>),
  } as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined)
    bad(`table.${extra}`, "is not a known field (partitionKey, sortKey, access)");
  const pk = validateKey(partitionKey, "table.partitionKey", bad);
  const sk = sortKey === undefined ? undefined : validateKey(sortKey, "table.sortKey", bad);
  if (sk && sk.name === pk.name) bad("table.sortKey.name", "must differ from the partition key's");
  if (!TABLE_ACCESS.includes(access as TableAccess)) {
    bad("table.access", `must be read-write, read-only or none (got ${JSON.stringify(access)})`);
  }
  return { partitionKey: pk, ...(sk ? { sortKey: sk } : {}), access: access as TableAccess };
}

function validateEnvironment(raw: unknown, bad: Bad): Record<string, string> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return bad("environment", "must be an object of variable names and string values");
  }
  let bytes = 0;
  for (const [name, value] of Object.entries(raw)) {
    const field = `environment.${name}`;
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      bad(field, "is not a valid variable name (a letter, then letters, digits and _)");
    }
    if (OWN_ENVIRONMENT.includes(name)) {
      bad(field, `is set by ${PROJECT} itself and cannot be overridden`);
    }
    if (LAMBDA_RESERVED_RE.test(name)) bad(field, "is reserved by Lambda (AWS_*, LAMBDA_*, _*)");
    if (SECRET_NAME_RE.test(name) && !SECRET_REFERENCE_RE.test(name)) {
      throw new UserError(
        `Refusing environment.${name}: it looks like a secret, and environment variables are readable by anyone who can read the function's configuration.`,
        {
          hint: "Keep secrets in SSM Parameter Store (SecureString) or Secrets Manager, put where it is in the environment instead (a name ending in _PARAM, _ARN, _NAME, _PATH or _ID, e.g. DB_PASSWORD_PARAM), and read it at run time.",
        },
      );
    }
    if (typeof value !== "string") bad(field, `must be a string (got ${JSON.stringify(value)})`);
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value as string);
  }
  if (bytes > ENVIRONMENT_MAX_BYTES) {
    bad("environment", `is ${bytes} bytes; Lambda allows ${ENVIRONMENT_MAX_BYTES} in all`);
  }
  return raw as Record<string, string>;
}

/** The request-count alarm's period, in seconds. */
export const API_REQUESTS_PERIOD_SECONDS = 300;

/**
 * The request-count alarm's threshold: the setting, else what the stage throttle lets through
 * in one period (100 requests/s → 30000 in five minutes), so it fires when callers ask for more
 * than the API is sized for.
 */
export function apiRequestsThreshold(
  s: Pick<Settings, "apiRequestsThreshold" | "throttleRateLimit">,
): number {
  return s.apiRequestsThreshold ?? Math.ceil(s.throttleRateLimit * API_REQUESTS_PERIOD_SECONDS);
}

/** The default state file of a stage in a region: one project runs a stage in several. */
export function defaultStatePath(stage: string, region: string, cwd: string): string {
  return path.join(stateDir(cwd), `${stage}.${region}.json`);
}

/** Where the default state file was before it named the region (moved on the next run). */
export function legacyStatePath(stage: string, cwd: string): string {
  return path.join(stateDir(cwd), `${stage}.json`);
}

export function stateDir(cwd: string): string {
  return path.join(cwd, `.${PROJECT}`);
}

/** --state or the config file's "state": a file (relative to cwd) or s3://bucket/key. */
export function stateLocation(
  given: string | undefined,
  id: StackId & { readonly region: string },
  cwd: string,
): string {
  if (given === undefined) return defaultStatePath(id.stage, id.region, cwd);
  return isRemoteState(given) ? parseS3Location(given, id).url : path.resolve(cwd, given);
}

/** Where the same setting put the state before defaults named the project and region. */
export function legacyStateLocation(
  given: string | undefined,
  stage: string,
  cwd: string,
): string | undefined {
  if (given === undefined) return legacyStatePath(stage, cwd);
  return isRemoteState(given) ? legacyS3Location(given, stage)?.url : undefined;
}

/**
 * SERVERLESS_AUTOMATION_WAIT_SCALE (0–1, default 1) shortens the pauses between polls and the
 * IAM-propagation pause, for AWS-compatible emulators whose resources settle at once. How long
 * the tool keeps waiting before it gives up is not scaled.
 */
export function resolveWaitScale(env: Record<string, string | undefined>): number {
  const raw = env.SERVERLESS_AUTOMATION_WAIT_SCALE;
  if (raw === undefined || raw === "") return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale < 0 || scale > 1) {
    throw new UserError(`SERVERLESS_AUTOMATION_WAIT_SCALE "${raw}" is not a number from 0 to 1.`, {
      hint: "Unset it to wait as long as AWS needs, or set e.g. 0.01 for a local emulator.",
    });
  }
  return scale;
}

/** The stage: --stage, else SERVERLESS_AUTOMATION_STAGE, else production. */
export function resolveStage(input: ConfigInput, env: Record<string, string | undefined>): string {
  return validateStage(input.stage ?? (env.SERVERLESS_AUTOMATION_STAGE || "production"));
}

/**
 * Flags, environment and config file → validated Config; precedence flag > environment >
 * file > default. Makes no AWS call.
 */
export function resolveConfig(
  input: ConfigInput,
  env: Record<string, string | undefined>,
  cwd: string,
  file: FileInput = { settings: {} },
): Config {
  const stage = resolveStage(input, env);
  const region = validateRegion(
    input.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined) ?? file.region,
  );
  const flags = dropUndefined(input.settings ?? {});
  const settings = validateSettings(
    {
      ...file.settings,
      ...flags,
      extraTags: { ...(file.settings.extraTags ?? {}), ...(input.settings?.extraTags ?? {}) },
      alarmEmail: input.noAlarmEmail ? undefined : (flagEmail(input) ?? file.settings.alarmEmail),
    },
    "settings",
    Object.keys(flags),
  );
  const name = resolveName(file.name, settings);
  validateName(name, stage, region);
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new UserError(`AWS_ENDPOINT_URL "${endpoint}" is not a URL.`, {
      hint: "Set it to something like http://localhost:4566, or unset it to use AWS.",
    });
  }
  const email = flagEmail(input);
  return {
    name,
    stage,
    region,
    profile: input.profile ?? (env.AWS_PROFILE || undefined),
    endpoint,
    statePath: stateLocation(input.state ?? file.state, { name, stage, region }, cwd),
    legacyStatePath: legacyStateLocation(input.state ?? file.state, stage, cwd),
    stateBucketOwner: stateBucketOwnerFor(
      { state: input.state, owner: input.stateBucketOwner },
      { state: file.state, owner: file.stateBucketOwner },
    ),
    settings,
    alarmEmailFrom: input.noAlarmEmail
      ? "none"
      : email !== undefined
        ? "flag"
        : file.settings.alarmEmail !== undefined
          ? "file"
          : undefined,
  };
}

function flagEmail(input: ConfigInput): string | undefined {
  return input.noAlarmEmail ? undefined : input.settings?.alarmEmail;
}

/**
 * The project's name: the file's, else the built-in API's. Your own handler needs a name of its
 * own: with the built-in's, two projects in one account would be one stack.
 */
export function resolveName(
  given: string | undefined,
  s: { readonly handler?: string | undefined },
): string {
  if (given !== undefined) return given;
  if (s.handler !== undefined) {
    throw new UserError(`${PROJECT}.config.json brings its own handler but no project "name".`, {
      hint: `Add "name": "<your-project>" (${NAME_RULE}) at the top of the file: every resource's name and the stack tag derive from it, so two projects never share resources. A stack already deployed from this config was deployed as "${DEFAULT_NAME}": set "name": "${DEFAULT_NAME}" to keep working on it (another name deploys a new stack beside it).`,
    });
  }
  return DEFAULT_NAME;
}

/**
 * The stack's alarm address, and what to record of it: --alarm-email / --no-alarm-email > the
 * config file > the address an earlier `up` recorded in the state file. One recorded from a
 * flag stays until --no-alarm-email; one recorded from the file goes when the file no longer
 * sets it. So a teammate's or a CI job's plain `up` keeps the notifications.
 */
export function alarmEmailSetting(
  config: Config,
  recorded: RecordedAlarmEmail | undefined,
): RecordedAlarmEmail | undefined {
  const address = config.settings.alarmEmail;
  switch (config.alarmEmailFrom) {
    case "none":
      return undefined;
    case "flag":
    case "file":
      return address === undefined ? undefined : { address, from: config.alarmEmailFrom };
    default:
      return recorded?.from === "flag" ? recorded : undefined;
  }
}

/** Every physical name of the stack, derived in this one place. */
export interface Names {
  stack: string;
  bucket: string;
  table: string;
  functionName: string;
  role: string;
  rolePolicy: string;
  functionLogGroup: string;
  accessLogGroup: string;
  /** Needs the REST API id, which AWS chooses. */
  executionLogGroup: (apiId: string) => string;
  restApi: string;
  apiStage: string;
  errorRateAlarm: string;
  throttlesAlarm: string;
  api5xxAlarm: string;
  apiRequestsAlarm: string;
  alarmTopic: string;
  /** api-key: the key callers send, and the usage plan that meters it. */
  apiKey: string;
  usagePlan: string;
  /** The region-wide role API Gateway uses to write logs (only created if none is set). */
  apiGatewayCloudWatchRole: string;
  /** The WAF web ACL in front of the API stage (with waf). */
  webAcl: string;
}

export interface StackId {
  /** The project's name. */
  readonly name: string;
  readonly stage: string;
}

/** `<name>-<stage>`: the prefix of every physical name and the stack tag's value. */
export function stackName(id: StackId): string {
  return `${id.name}-${id.stage}`;
}

/**
 * The role API Gateway writes logs with when this tool made it: shared by every stack of the
 * tool in the region, whatever its project, so it derives from the region alone.
 */
export function apiGatewayCloudWatchRoleName(region: string): string {
  return `${PROJECT}-apigateway-cloudwatch-${region}`;
}

export function resourceNames(
  id: StackId & { readonly account: string; readonly region: string },
): Names {
  const { account, region } = id;
  const stack = stackName(id);
  const functionName = `${stack}-api`;
  return {
    stack,
    bucket: `${stack}-${account}-${region}`,
    table: `${stack}-items`,
    functionName,
    // IAM is global: the region keeps one stage's role in two regions apart.
    role: `${stack}-function-${region}`,
    rolePolicy: `${stack}-function-policy`,
    functionLogGroup: `/aws/lambda/${functionName}`,
    accessLogGroup: `/aws/apigateway/${stack}-access`,
    executionLogGroup: (apiId) => `API-Gateway-Execution-Logs_${apiId}/${API_STAGE_NAME}`,
    restApi: stack,
    apiStage: API_STAGE_NAME,
    errorRateAlarm: `${stack}-error-rate`,
    throttlesAlarm: `${stack}-throttles`,
    api5xxAlarm: `${stack}-api-5xx`,
    apiRequestsAlarm: `${stack}-api-requests`,
    alarmTopic: `${stack}-alarms`,
    apiKey: `${stack}-key`,
    usagePlan: `${stack}-plan`,
    apiGatewayCloudWatchRole: apiGatewayCloudWatchRoleName(region),
    webAcl: `${stack}-waf`,
  };
}

/** The alarms' names, each of which the alarm topic and its key accept exactly. */
export function alarmNames(n: Names): string[] {
  return [n.errorRateAlarm, n.throttlesAlarm, n.api5xxAlarm, n.apiRequestsAlarm];
}

const NAME_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const NAME_RULE =
  "lowercase letters, digits and single hyphens, starting with a letter (e.g. orders-api)";

/** AWS's limits on the names a project's name feeds, as [what, the name, its limit]. */
function nameLimits(n: Names): [string, string, number][] {
  return [
    ["S3 bucket names", n.bucket, 63],
    ["IAM role names", n.role, 64],
    ["Lambda function names", n.functionName, 64],
    ["IAM policy names", n.rolePolicy, 128],
    ["WAF web ACL names", n.webAcl, 128],
    ["DynamoDB table names", n.table, 255],
    ["CloudWatch alarm names", n.apiRequestsAlarm, 255],
    ["SNS topic names", n.alarmTopic, 256],
  ];
}

/** An account id as long as every real one, for checking lengths before STS has answered. */
const ANY_ACCOUNT = "123456789012";

/**
 * The project's name, checked before any AWS call: its form, and every AWS name limit it feeds
 * for this stage in this region (the bucket's 63 characters bind first).
 */
export function validateName(name: unknown, stage: string, region: string): string {
  if (typeof name !== "string" || !NAME_RE.test(name)) {
    throw new UserError(`Invalid project name ${JSON.stringify(name)}.`, {
      hint: `"name" in ${PROJECT}.config.json is ${NAME_RULE}.`,
    });
  }
  const names = resourceNames({ name, stage, account: ANY_ACCOUNT, region });
  for (const [what, value, limit] of nameLimits(names)) {
    if (value.length > limit) {
      const room = limit - (value.length - name.length);
      throw new UserError(
        `The project name "${name}" is too long for stage ${stage} in ${region}: ${what} allow ${limit} characters, and ${value.replace(ANY_ACCOUNT, "<account>")} would be ${value.length}.`,
        {
          hint:
            room > 0
              ? `Shorten "name" to at most ${room} characters (or use a shorter stage name).`
              : "Use a shorter stage name.",
        },
      );
    }
  }
  return name;
}

/**
 * The function's environment, as `up` deploys it and `dev` runs it: what handler/config.ts reads.
 * Never secrets (it is visible to anyone who can read the function's configuration).
 */
export function functionEnvironment(
  tableName: string,
  stage: string,
  settings: Pick<Settings, "logLevel" | "corsOrigin"> & Partial<Pick<Settings, "environment">>,
): Record<string, string> {
  return {
    ...settings.environment,
    TABLE_NAME: tableName,
    ENVIRONMENT: stage,
    LOG_LEVEL: settings.logLevel,
    CORS_ORIGIN: settings.corsOrigin,
  };
}

/** The tags every resource carries. */
export function stackTags(id: StackId, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, ...ownerTags(id), environment: id.stage };
}

/**
 * The tags that make a resource this stack's: the stack tag and the project. `<name>-<stage>`
 * alone could be read two ways (project a-b, stage c; or project a, stage b-c); with the project
 * beside it, it cannot.
 */
export function ownerTags(id: StackId): Record<string, string> {
  return { [PROJECT_TAG_KEY]: id.name, [STACK_TAG_KEY]: stackName(id) };
}

export function isEmailAddress(s: unknown): boolean {
  return typeof s === "string" && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s);
}

function isInt(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
