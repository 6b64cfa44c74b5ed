import type { Clients } from "../aws/clients.js";
import { loadConfigFile } from "../config-file.js";
import { resolveStage, stateLocation, type ConfigInput } from "../config.js";
import { stateBucketOwnerFor } from "../state/location.js";
import { stateBackend, type StateBackend } from "../state/backend.js";

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
): Promise<{ stage: string; location: string; backend: StateBackend }> {
  const stage = resolveStage(input, e.env);
  const file = await loadConfigFile(
    e.cwd,
    input.config ?? (e.env.SERVERLESS_AUTOMATION_CONFIG || undefined),
    stage,
  );
  const location = stateLocation(input.state ?? file?.state, stage, e.cwd);
  const backend = stateBackend(location, {
    stage,
    cwd: e.cwd,
    env: e.env,
    command,
    s3: e.clients?.s3,
    region:
      input.region ?? (e.env.AWS_REGION || e.env.AWS_DEFAULT_REGION || file?.region || "us-east-1"),
    profile: input.profile ?? (e.env.AWS_PROFILE || undefined),
    endpoint: e.env.AWS_ENDPOINT_URL || undefined,
    // A state in S3 is read with its bucket's expected owner: this one, or the caller's account
    // (one STS call first).
    stateBucketOwner: stateBucketOwnerFor(
      { state: input.state, owner: input.stateBucketOwner },
      { state: file?.state, owner: file?.stateBucketOwner },
    ),
    sts: e.clients?.sts,
  });
  return { stage, location, backend };
}
