import path from "node:path";
import { UserError } from "../errors.js";
import { PROJECT } from "../project.js";

/** Where a remote state lives: a bucket and the key of the state object in it. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  /** s3://bucket/key, with the default key filled in: how messages name it. */
  readonly url: string;
}

export function isRemoteState(location: string): boolean {
  return /^s3:\/\//i.test(location);
}

/** S3's rules for a general purpose bucket's name. */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** S3's rule for a bucket name (the parts of it that matter here). */
export function isBucketName(name: string): boolean {
  return BUCKET_RE.test(name) && !name.includes("..");
}

/** Which stack a default key is for. */
export interface KeyFor {
  /** The project's name. */
  readonly name: string;
  readonly stage: string;
  readonly region: string;
}

/**
 * s3://bucket/key as given; a bare bucket (s3://bucket) or a prefix ending in "/" gets the
 * stack's file name, so one setting serves every project, stage and region:
 * s3://b → s3://b/<name>/<stage>.<region>.json, s3://b/p/ → s3://b/p/<stage>.<region>.json.
 */
export function parseS3Location(given: string, id: KeyFor): S3Location {
  return s3Location(given, `${id.name}/`, `${id.stage}.${id.region}.json`);
}

/**
 * The key the same setting named before default keys carried the project and the region
 * (s3://b/serverless-automation/<stage>.json); undefined when the key was given in full.
 */
export function legacyS3Location(given: string, stage: string): S3Location | undefined {
  const loc = s3Location(given, "serverless-automation/", `${stage}.json`);
  return loc.url === s3Location(given, "", "x").url ? undefined : loc;
}

function s3Location(given: string, dir: string, file: string): S3Location {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(given.trim());
  const bucket = m?.[1] ?? "";
  if (!m || !isBucketName(bucket)) {
    throw new UserError(`"${given}" is not an S3 location for the state.`, {
      hint: "Write it as s3://<bucket>/<key>, e.g. s3://my-team-state/serverless-automation/production.json (a bucket name is 3-63 lowercase letters, digits, dots and hyphens).",
    });
  }
  const rest = m[2] ?? "";
  const key = rest === "" ? `${dir}${file}` : rest.endsWith("/") ? `${rest}${file}` : rest;
  if (key.endsWith(".lock")) {
    throw new UserError(`The state key "${key}" ends in .lock, which names the state's lock.`, {
      hint: "Choose a key ending in .json, e.g. s3://bucket/production.json.",
    });
  }
  return { bucket, key, url: `s3://${bucket}/${key}` };
}

/** An AWS account id: 12 digits. */
export function isAccountId(v: unknown): v is string {
  return typeof v === "string" && /^\d{12}$/.test(v);
}

/** --state-bucket-owner (or "stateBucketOwner"), checked: a typo would refuse every run. */
export function validateStateBucketOwner(v: string | undefined, where: string): string | undefined {
  if (v === undefined || isAccountId(v)) return v;
  throw new UserError(`${where} "${v}" is not an AWS account id.`, {
    hint: "Give the 12-digit id of the account that owns the state bucket, e.g. 123456789012 (`aws sts get-caller-identity` in that account shows it).",
  });
}

/**
 * The account that must own the state bucket: it goes with the state it is given with. A
 * --state on the command line takes --state-bucket-owner only (not the config file's, which
 * names the owner of the file's bucket); without either, the caller's own account.
 */
export function stateBucketOwnerFor(
  flag: { readonly state?: string | undefined; readonly owner?: string | undefined },
  file: { readonly state?: string | undefined; readonly owner?: string | undefined } | undefined,
): string | undefined {
  const owner = flag.owner ?? (flag.state === undefined ? file?.owner : undefined);
  return validateStateBucketOwner(
    owner,
    flag.owner !== undefined ? "--state-bucket-owner" : "stateBucketOwner",
  );
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
