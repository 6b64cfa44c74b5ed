import { promises as fs } from "node:fs";
import type { Clients } from "../aws/clients.js";
import { configFileArg, loadConfigFile } from "../config-file.js";
import {
  legacyStateLocation,
  resolveName,
  resolveStage,
  stateLocation,
  type ConfigInput,
} from "../config.js";
import { UserError } from "../errors.js";
import {
  formerLocations,
  stateBackend,
  stateToMove,
  type StateBackend,
  type StateToMove,
} from "../state/backend.js";
import {
  isRemoteState,
  legacyStatePath,
  stateBucketOwnerFor,
  stateDir,
} from "../state/location.js";

/**
 * The stage and its state, found as up finds them (flag, config file, default) for commands
 * that need no session: with a local state file, no AWS call; with a state in S3, the read (and
 * the caller's account first, the bucket's expected owner, unless stateBucketOwner names it).
 */
export async function stateWithoutSession(
  input: ConfigInput,
  e: {
    readonly cwd: string;
    readonly env: Record<string, string | undefined>;
    readonly clients?: Clients | undefined;
  },
  command: string,
): Promise<{
  stage: string;
  name: string;
  location: string;
  backend: StateBackend;
  /** The stack's state where it was before, when there is none at location yet. */
  formerState(): Promise<StateToMove | undefined>;
}> {
  const stage = resolveStage(input, e.env);
  const file = await loadConfigFile(e.cwd, configFileArg(input.config, e.env), stage);
  const name = resolveName(file?.name, file?.settings ?? {});
  const given = input.state ?? file?.state;
  const region =
    input.region ??
    (e.env.AWS_REGION || e.env.AWS_DEFAULT_REGION || file?.region || undefined) ??
    (given === undefined ? await onlyLocalRegion(stage, e.cwd) : undefined);
  if (region === undefined && given !== undefined && isRemoteState(given)) {
    const full = stateLocation(given, { name, stage, region: "x" }, e.cwd);
    if (full !== stateLocation(given, { name, stage, region: "y" }, e.cwd)) {
      throw new UserError(`No AWS region is set, and the state's key in ${given} names one.`, {
        hint: "Pass --region (e.g. --region eu-west-1) or set AWS_REGION.",
      });
    }
  }
  const location =
    region === undefined && given === undefined
      ? legacyStatePath(stage, e.cwd)
      : stateLocation(given, { name, stage, region: region ?? "us-east-1" }, e.cwd);
  const options = {
    name,
    stage,
    cwd: e.cwd,
    env: e.env,
    command,
    s3: e.clients?.s3,
    region: region ?? "us-east-1",
    profile: input.profile ?? (e.env.AWS_PROFILE || undefined),
    endpoint: e.env.AWS_ENDPOINT_URL || undefined,
    // A state in S3 is read with its bucket's expected owner: this one, or the caller's account
    // (one STS call first).
    stateBucketOwner: stateBucketOwnerFor(
      { state: input.state, owner: input.stateBucketOwner },
      { state: file?.state, owner: file?.stateBucketOwner },
    ),
    sts: e.clients?.sts,
  };
  const backend = await stateBackend(location, options);
  const former =
    region === undefined
      ? []
      : formerLocations(backend, legacyStateLocation(given, stage, e.cwd), {
          stage,
          region,
          cwd: e.cwd,
        });
  return { stage, name, location, backend, formerState: () => stateToMove(former, options) };
}

/**
 * With no region given: the one region the stage has a default state file for, if it has
 * exactly one; several is a question only --region answers.
 */
async function onlyLocalRegion(stage: string, cwd: string): Promise<string | undefined> {
  const regions = await localRegions(stage, cwd);
  if (regions.length > 1) {
    throw new UserError(
      `The stage ${stage} has state files for ${regions.length} regions (${regions.join(", ")}).`,
      {
        hint: `Pass --region to say which, e.g. --region ${regions[0] ?? "us-east-1"}.`,
      },
    );
  }
  return regions[0];
}

/** The regions the stage has default state files for in this directory. */
export async function localRegions(stage: string, cwd: string): Promise<string[]> {
  let files: string[];
  try {
    files = await fs.readdir(stateDir(cwd));
  } catch {
    return [];
  }
  const prefix = `${stage}.`;
  return files
    .filter((f) => f.startsWith(prefix) && f.endsWith(".json"))
    .map((f) => f.slice(prefix.length, -".json".length))
    .filter((r) => /^[a-z]{2}(-[a-z]+)+-\d$/.test(r))
    .sort();
}
