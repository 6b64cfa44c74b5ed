import type { Clients } from "../aws/clients.js";
import { loadConfigFile } from "../config-file.js";
import { PROJECT, resolveStage, stateLocation, type ConfigInput } from "../config.js";
import { UserError } from "../errors.js";
import { stateBackend } from "../state/backend.js";
import type { RemoteLockInfo } from "../state/remote.js";

export interface UnlockResult {
  readonly state: string;
  /** The lock removed. */
  readonly lock: RemoteLockInfo;
}

/**
 * Removes the lock a run left on the state in S3 when it died (killed, its machine lost): only
 * the lock with this id, so a lock taken since by a live run is never removed by mistake.
 */
export async function unlock(
  input: ConfigInput,
  e: {
    readonly cwd: string;
    readonly env: Record<string, string | undefined>;
    readonly clients?: Clients | undefined;
  },
  id: string,
): Promise<UnlockResult> {
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
    command: "unlock",
    s3: e.clients?.s3,
    region:
      input.region ?? (e.env.AWS_REGION || e.env.AWS_DEFAULT_REGION || file?.region || "us-east-1"),
    profile: input.profile ?? (e.env.AWS_PROFILE || undefined),
    endpoint: e.env.AWS_ENDPOINT_URL || undefined,
  });
  if (!backend.remote) {
    throw new UserError(`unlock works on a state in S3; ${location} is a local file.`, {
      hint: `A local lock left by a process that is gone is replaced by the next run on its own. If one is in the way, delete ${location}.lock. For the state in S3, pass --state s3://… (or set "state" in ${PROJECT}.config.json).`,
    });
  }
  return { state: backend.location, lock: await backend.remote.unlock(id) };
}
