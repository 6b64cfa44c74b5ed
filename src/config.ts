import path from "node:path";
import { UserError } from "./errors.js";
import { DEFAULT_NAME, PROJECT, PROJECT_TAG_KEY, STACK_TAG_KEY } from "./project.js";
import {
  checkAcross,
  checkValues,
  fileKey,
  NAME_RULE,
  flagName,
  type KeyAttribute,
  type KeyType,
  type SettingKey,
  type Settings,
  type TableSettings,
} from "./settings.js";
import {
  defaultStatePath,
  isRemoteState,
  legacyS3Location,
  legacyStatePath,
  parseS3Location,
  stateBucketOwnerFor,
} from "./state/location.js";
import type { RecordedAlarmEmail } from "./state/store.js";
import { Problems, settingsError } from "./value-types.js";

// Declared in the modules below config (project.ts, settings.ts, state/), and exported here
// too, for the modules that take everything about the configuration from config.ts.
export { PROJECT, STACK_TAG_KEY } from "./project.js";
export { AUTH_MODES, DEFAULT_SETTINGS, SUPPORTED_RUNTIMES } from "./settings.js";
export type { AuthMode, Settings, TableAccess, TableSettings } from "./settings.js";
export type { RecordedAlarmEmail } from "./state/store.js";

export const API_STAGE_NAME = "prod";

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
  /** Where in the file each of `settings` is written (see Origins). */
  origins?: Origins | undefined;
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

/** Where each setting's value came from, as the user wrote it: `stages.dev.memoryMb`, `--auth`. */
export type Origins = Partial<Record<SettingKey, string>>;

/**
 * The settings checked, every problem at once: each value against its type (named by
 * `origins`, else by its key), then the rules between fields on the whole. Unset ones take
 * their defaults.
 */
export function validateSettings(input: Partial<Settings>, origins: Origins = {}): Settings {
  const problems = new Problems();
  const name = (key: SettingKey) => origins[key] ?? key;
  const s = checkValues(dropUndefined(input), name, problems);
  checkAcross(s, name, problems);
  if (problems.size > 0) throw settingsError(problems, "settings");
  return s;
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
    settingOrigins(file, Object.keys(flags) as SettingKey[]),
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

/**
 * How the user wrote each setting: a flag by its name, one from the file where the file has it
 * (`stages.dev.auth`), else by its key in the file.
 */
function settingOrigins(file: FileInput, fromFlags: readonly SettingKey[]): Origins {
  const origins: Origins = {};
  for (const key of Object.keys(file.settings) as SettingKey[]) {
    origins[key] = file.origins?.[key] ?? fileKey(key);
  }
  for (const key of fromFlags) {
    origins[key] = flagName(key);
  }
  return origins;
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
  /** The error rate of the version the live alias is shifting to. */
  versionErrorsAlarm: string;
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
    versionErrorsAlarm: `${stack}-version-errors`,
    alarmTopic: `${stack}-alarms`,
    apiKey: `${stack}-key`,
    usagePlan: `${stack}-plan`,
    apiGatewayCloudWatchRole: apiGatewayCloudWatchRoleName(region),
    webAcl: `${stack}-waf`,
  };
}

/** The alarms' names, each of which the alarm topic and its key accept exactly. */
export function alarmNames(n: Names): string[] {
  return [
    n.errorRateAlarm,
    n.throttlesAlarm,
    n.api5xxAlarm,
    n.apiRequestsAlarm,
    n.versionErrorsAlarm,
  ];
}

const NAME_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
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
  /** Where each secret is (NAME_PARAM: the parameter's name, NAME_SECRET_ARN: the ARN); `dev` gives values instead. */
  secrets: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    ...settings.environment,
    ...secrets,
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

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
