import { promises as fs } from "node:fs";
import path from "node:path";
import { isValidStage, PROJECT, STAGE_RULE, type Origins, type Settings } from "./config.js";
import { UserError } from "./errors.js";
import { fileSystemReason } from "./state/fs-errors.js";
import {
  checkAcross,
  checkValues,
  FILE_KEYS,
  fileKey,
  flagName,
  SCHEMA,
  SETTING_KEYS,
  type Field,
  type LocationKey,
  type SettingKey,
} from "./settings.js";
import {
  describeValue,
  didYouMean,
  INVALID,
  Problems,
  settingsError,
  unknownField,
} from "./value-types.js";

type SchemaKey = keyof typeof SCHEMA;

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
  /** Where in the file each of `settings` is written, for messages: `stages.dev.memoryMb`. */
  origins: Origins;
}

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
  /** The settings flags give: a bad one is reported with the file's problems. */
  flags?: Partial<Settings>,
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
    const why =
      (err as NodeJS.ErrnoException).code === "ENOENT"
        ? "there is no such file"
        : fileSystemReason(err);
    throw new UserError(`Cannot read the config file ${file}: ${why}.`, {
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
  const parsed = parseConfig(raw, stage, path.basename(file), flags);
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

const FIELDS_HINT =
  'The Configuration section of the README lists every field; "stages.<name>" takes the same ones per stage.';

/** One level of the file (the top, or a stage's) as read: its good values and where each is. */
interface Level {
  readonly values: Partial<Record<SchemaKey, unknown>>;
  readonly origins: Partial<Record<SchemaKey, string>>;
}

/**
 * Validates a parsed config file and returns the settings for one stage (stage over top level).
 * Reports every problem at once: each level's values checked where they are written
 * (`stages.dev.memoryMb`), the rules between fields on the stage's merged settings.
 */
export function parseConfig(
  raw: unknown,
  stage: string,
  name = CONFIG_FILE_NAME,
  flags: Partial<Settings> = {},
): FileSettings {
  const problems = new Problems();
  if (!isObject(raw)) {
    throw new UserError(`Invalid ${name}: the file must hold a JSON object.`, {
      hint: 'Write the settings as one object, e.g. { "memoryMb": 512, "stages": { "dev": {} } }.',
    });
  }
  const top = readLevel(raw, "", problems);
  const stages = raw.stages;
  if (stages !== undefined && !isObject(stages)) {
    problems.add("stages", `must be an object of stage names, got ${describeValue(stages)}`);
  }
  // A key no stage can have would be ignored on every run: most likely a typo.
  for (const key of Object.keys(isObject(stages) ? stages : {})) {
    if (!isValidStage(key)) {
      problems.add(
        `stages.${key}`,
        `can never apply: "${key}" is not a valid stage name`,
        `Rename it: a stage is ${STAGE_RULE}.`,
      );
    }
  }
  const perStage = isObject(stages) ? stages[stage] : undefined;
  if (perStage !== undefined && !isObject(perStage)) {
    problems.add(`stages.${stage}`, `must be an object, got ${describeValue(perStage)}`);
  }
  const own = isObject(perStage)
    ? readLevel(perStage, `stages.${stage}.`, problems)
    : { values: {}, origins: {} };
  const merged = mergeLevels(top, own);
  const settings: Record<string, unknown> = {};
  const origins: Origins = {};
  for (const key of SETTING_KEYS) {
    if (merged.values[key] === undefined) continue;
    settings[key] = merged.values[key];
    origins[key] = merged.origins[key];
  }
  // The rules between fields hold for what the stage gets, whichever level says what, and a
  // flag's value over the file's (flag > file): `--auth iam` needs no cognitoUserPoolArn.
  const named = (key: SettingKey) => origins[key] ?? fileKey(key);
  const checked = checkValues(settings, named, problems);
  const given = definedOnly(flags);
  const byWhom = (key: SettingKey) => (key in given ? flagName(key) : named(key));
  // A bad flag's value is reported below (or by the caller): this pass only feeds the rules.
  const run =
    Object.keys(given).length === 0
      ? checked
      : checkValues({ ...settings, ...given }, byWhom, new Problems());
  checkAcross(run, byWhom, problems);
  if (problems.size > 0) {
    // The flags' values too, each named as the flag: else fixing the file only reveals them.
    checkValues(given, flagName, problems);
    throw settingsError(problems, name);
  }
  const at = merged.values as Partial<Record<LocationKey, string>>;
  return {
    ...(at.name !== undefined ? { name: at.name } : {}),
    region: at.region,
    ...(at.state !== undefined ? { state: at.state } : {}),
    // The owner goes with the state it is written next to: a stage's own state does not take
    // the top level's owner.
    ...stateBucketOwnerOf(top, own),
    settings: settings as Partial<Settings>,
    origins,
  };
}

/** A level's fields: unknown ones and wrong values reported, the good ones kept as written. */
function readLevel(o: Record<string, unknown>, where: string, problems: Problems): Level {
  const values: Partial<Record<SchemaKey, unknown>> = {};
  const origins: Partial<Record<SchemaKey, string>> = {};
  const known = [...FILE_KEYS.keys(), ...(where === "" ? ["stages"] : [])];
  for (const [k, v] of Object.entries(o)) {
    if (k === "$schema" || (k === "stages" && where === "")) continue;
    const key = FILE_KEYS.get(k);
    if (key === undefined) {
      const far = didYouMean(k, known) === undefined;
      problems.add(`${where}${k}`, unknownField(k, known), far ? FIELDS_HINT : undefined);
      continue;
    }
    const field: Field<unknown> = SCHEMA[key];
    if (field.inherit === "top" && where !== "") {
      problems.add(`${where}${k}`, "is set once, at the top level (a project has one name)");
      continue;
    }
    if (field.type.check(v, `${where}${k}`, problems) === INVALID) continue;
    values[key] = v;
    origins[key] = `${where}${k}`;
  }
  return { values, origins };
}

/** What the stage gets: each field inherited from the top level as its row says. */
function mergeLevels(top: Level, own: Level): Level {
  const values: Partial<Record<SchemaKey, unknown>> = {};
  const origins: Partial<Record<SchemaKey, string>> = {};
  for (const key of Object.keys(SCHEMA) as SchemaKey[]) {
    const [t, o] = [top.values[key], own.values[key]];
    if (t === undefined && o === undefined) continue;
    values[key] = SCHEMA[key].inherit === "merge" ? { ...(t ?? {}), ...(o ?? {}) } : (o ?? t);
    origins[key] = own.origins[key] ?? top.origins[key];
  }
  return { values, origins };
}

function stateBucketOwnerOf(top: Level, own: Level): { stateBucketOwner?: string } {
  const owner =
    own.values.stateBucketOwner ??
    (own.values.state === undefined ? top.values.stateBucketOwner : undefined);
  return typeof owner === "string" ? { stateBucketOwner: owner } : {};
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function definedOnly(o: Partial<Settings>): Partial<Record<SettingKey, unknown>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
