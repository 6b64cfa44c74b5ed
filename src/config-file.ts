import { promises as fs } from "node:fs";
import path from "node:path";
import { isValidStage, PROJECT, STAGE_RULE, validateSettings, type Settings } from "./config.js";
import { UserError } from "./errors.js";
import { isAccountId } from "./state/location.js";

export const CONFIG_FILE_NAME = `${PROJECT}.config.json`;

/** What a config file may set, per stage or for every stage. */
export interface FileSettings {
  /** The project's name (top level only). */
  name?: string;
  region?: string;
  /** Where the state lives: s3://bucket/key, or a file relative to the config file. */
  state?: string;
  /** The account that owns the state bucket, when it is not the caller's. */
  stateBucketOwner?: string;
  settings: Partial<Settings>;
}

/** File field → Settings field (the file says `tags`, the code says extraTags). */
const FIELDS: Record<string, keyof Settings | "name" | "region" | "state" | "stateBucketOwner"> = {
  name: "name",
  region: "region",
  state: "state",
  stateBucketOwner: "stateBucketOwner",
  runtime: "runtime",
  memoryMb: "memoryMb",
  timeoutSeconds: "timeoutSeconds",
  logRetentionDays: "logRetentionDays",
  logLevel: "logLevel",
  throttleRateLimit: "throttleRateLimit",
  throttleBurstLimit: "throttleBurstLimit",
  corsOrigin: "corsOrigin",
  errorRateThresholdPercent: "errorRateThresholdPercent",
  throttlesThreshold: "throttlesThreshold",
  tableMaxReadUnits: "tableMaxReadUnits",
  tableMaxWriteUnits: "tableMaxWriteUnits",
  reservedConcurrency: "reservedConcurrency",
  api5xxRateThresholdPercent: "api5xxRateThresholdPercent",
  apiRequestsThreshold: "apiRequestsThreshold",
  tags: "extraTags",
  alarmEmail: "alarmEmail",
  auth: "auth",
  apiKeyRateLimit: "apiKeyRateLimit",
  apiKeyBurstLimit: "apiKeyBurstLimit",
  apiKeyDailyQuota: "apiKeyDailyQuota",
  cognitoUserPoolArn: "cognitoUserPoolArn",
  waf: "waf",
  wafRateLimit: "wafRateLimit",
  handler: "handler",
  routes: "routes",
  table: "table",
  environment: "environment",
};

/** The environment variable that names the config file when --config does not. */
export const CONFIG_ENV = "SERVERLESS_AUTOMATION_CONFIG";

/** A config file named explicitly, and by what: --config or SERVERLESS_AUTOMATION_CONFIG. */
export interface ConfigFileArg {
  readonly path: string;
  readonly from: "--config" | typeof CONFIG_ENV;
}

/** The config file --config names, else SERVERLESS_AUTOMATION_CONFIG; undefined for neither. */
export function configFileArg(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): ConfigFileArg | undefined {
  if (flag !== undefined) return { path: flag, from: "--config" };
  const fromEnv = env[CONFIG_ENV] || undefined;
  return fromEnv === undefined ? undefined : { path: fromEnv, from: CONFIG_ENV };
}

/**
 * Finds the config file: an explicit path (must exist; a string is --config's), else
 * serverless-automation.config.json in the working directory (optional).
 */
export async function loadConfigFile(
  cwd: string,
  given: string | ConfigFileArg | undefined,
  stage: string,
): Promise<(FileSettings & { file: string }) | undefined> {
  const explicit: ConfigFileArg | undefined =
    typeof given === "string" ? { path: given, from: "--config" } : given;
  const file = path.resolve(cwd, explicit?.path ?? CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && explicit === undefined)
      return undefined;
    throw new UserError(`Cannot read the config file ${file}: ${(err as Error).message}`, {
      hint:
        explicit?.from === CONFIG_ENV
          ? `Check the path ${CONFIG_ENV} gives (${explicit.path}), or unset it to use ./${CONFIG_FILE_NAME}.`
          : "Check the path given with --config.",
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`The config file ${file} is not valid JSON: ${(err as Error).message}`, {
      hint: "Fix the JSON (a trailing comma or a missing quote is the usual cause).",
    });
  }
  const parsed = parseConfig(raw, stage, path.basename(file));
  // The handler is named relative to the file that names it, wherever the command runs.
  const handler = parsed.settings.handler;
  if (typeof handler === "string") {
    parsed.settings.handler = path.resolve(path.dirname(file), handler);
  }
  // So is a state file; an S3 location is used as written.
  if (parsed.state !== undefined && !/^s3:\/\//i.test(parsed.state)) {
    parsed.state = path.resolve(path.dirname(file), parsed.state);
  }
  return { file, ...parsed };
}

/** Validates a parsed config file and returns the settings for one stage (stage over top level). */
export function parseConfig(raw: unknown, stage: string, name = CONFIG_FILE_NAME): FileSettings {
  const fail = (where: string, why: string): never => {
    throw new UserError(`Invalid ${name}: ${where} ${why}.`, {
      hint: `Known fields: ${Object.keys(FIELDS).join(", ")}, and "stages" with the same fields per stage.`,
    });
  };
  if (!isObject(raw)) return fail("the file", "must hold a JSON object");
  const pick = (o: Record<string, unknown>, where: string): FileSettings => {
    const out: FileSettings = { settings: {} };
    for (const [k, v] of Object.entries(o)) {
      if (k === "$schema" || (k === "stages" && where === "")) continue;
      const target = FIELDS[k];
      if (!target) fail(`${where}${k}`, "is not a known field");
      if (target === "name" && where !== "") {
        fail(`${where}${k}`, "is set once, at the top level (a project has one name)");
      }
      if (target === "name" || target === "region" || target === "state") {
        if (typeof v !== "string" || v === "") fail(`${where}${k}`, "must be a string");
        out[target] = v as string;
      } else if (target === "stateBucketOwner") {
        if (!isAccountId(v)) fail(`${where}${k}`, "must be a 12-digit AWS account id (a string)");
        out[target] = v as string;
      } else {
        (out.settings as Record<string, unknown>)[target as string] = v;
      }
    }
    // Type and range checks, naming the field as it is written in the file.
    try {
      validateSettings(out.settings);
    } catch (err) {
      const m = /^Invalid settings: (\w+)(\.\S+)? (.*)\.$/.exec((err as Error).message);
      if (m) {
        const field = Object.entries(FIELDS).find(([, t]) => t === m[1])?.[0] ?? m[1];
        fail(`${where}${field}${m[2] ?? ""}`, m[3] ?? "");
      }
      throw err;
    }
    return out;
  };
  const top = pick(raw, "");
  const stages = raw.stages;
  if (stages !== undefined && !isObject(stages)) fail("stages", "must be an object of stage names");
  // A key no stage can have would be ignored on every run: most likely a typo.
  for (const key of Object.keys(isObject(stages) ? stages : {})) {
    if (!isValidStage(key)) {
      throw new UserError(
        `Invalid ${name}: stages.${key} can never apply: "${key}" is not a valid stage name.`,
        { hint: `Rename it: a stage is ${STAGE_RULE}.` },
      );
    }
  }
  const perStage = isObject(stages) ? stages[stage] : undefined;
  if (perStage !== undefined && !isObject(perStage)) fail(`stages.${stage}`, "must be an object");
  const own = isObject(perStage) ? pick(perStage, `stages.${stage}.`) : { settings: {} };
  return {
    ...(top.name !== undefined ? { name: top.name } : {}),
    region: own.region ?? top.region,
    ...(own.state !== undefined || top.state !== undefined
      ? { state: own.state ?? top.state }
      : {}),
    // The owner goes with the state it is written next to: a stage's own state does not take
    // the top level's owner.
    ...stateBucketOwnerOf(top, own),
    settings: {
      ...top.settings,
      ...own.settings,
      extraTags: { ...(top.settings.extraTags ?? {}), ...(own.settings.extraTags ?? {}) },
      ...merged(top.settings, own.settings, "environment"),
      ...merged(top.settings, own.settings, "table"),
    },
  };
}

function stateBucketOwnerOf(top: FileSettings, own: FileSettings): Partial<FileSettings> {
  const owner =
    own.stateBucketOwner ?? (own.state === undefined ? top.stateBucketOwner : undefined);
  return owner !== undefined ? { stateBucketOwner: owner } : {};
}

/** A stage's object field adds to (and overrides members of) the top level's. */
function merged<K extends "environment" | "table">(
  top: Partial<Settings>,
  own: Partial<Settings>,
  key: K,
): Partial<Settings> {
  if (top[key] === undefined && own[key] === undefined) return {};
  return { [key]: { ...(top[key] ?? {}), ...(own[key] ?? {}) } };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
