import type { Clients } from "../aws/clients.js";
import { PROJECT, type ConfigInput } from "../config.js";
import { UserError } from "../errors.js";
import type { RemoteLockInfo } from "../state/remote.js";
import { stateWithoutSession } from "./state-only.js";

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
  const { location, backend } = await stateWithoutSession(input, e, "unlock");
  if (!backend.remote) {
    throw new UserError(`unlock works on a state in S3; ${location} is a local file.`, {
      hint: `A local lock left by a process that is gone is replaced by the next run on its own. If one is in the way, delete ${location}.lock. For the state in S3, pass --state s3://… (or set "state" in ${PROJECT}.config.json).`,
    });
  }
  return { state: backend.location, lock: await backend.remote.unlock(id) };
}
