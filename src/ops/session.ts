import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { createClients, type Clients } from "../aws/clients.js";
import { isCredentialsError, networkHint } from "../aws/errors.js";
import { loadConfigFile } from "../config-file.js";
import {
  alarmEmailSetting,
  keySchemaString,
  resolveConfig,
  resolveStage,
  resolveWaitScale,
  resourceNames,
  stackTags,
  type Config,
  type ConfigInput,
  type Names,
  type RecordedAlarmEmail,
} from "../config.js";
import { UserError } from "../errors.js";
import { Limiter } from "../engine/limit.js";
import { DEFAULT_TIMING, scaleTiming, type Ctx, type Timing } from "../engine/types.js";
import { bundleHandler, checkArtifactSize, DEFAULT_HANDLER_ENTRY } from "../package/bundle.js";
import { KEY_SCHEMA_HINT } from "../resources/table.js";
import { deterministicZip, type Artifact } from "../package/zip.js";
import type { Reporter } from "../report/reporter.js";
import { desiredStack } from "../stack.js";
import type { AnySpec } from "../engine/types.js";
import {
  acquireLock,
  checkIdentity,
  emptyState,
  readState,
  StateStore,
  type Lock,
  type StackState,
} from "../state/store.js";

/** What the CLI hands every command; tests inject clients and timing here. */
export interface Environment {
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly reporter: Reporter;
  /** Pre-built clients (tests); otherwise built from the config. */
  readonly clients?: Clients | undefined;
  readonly timing?: Timing | undefined;
  /** Resources worked on at once. */
  readonly concurrency?: number | undefined;
  /** The handler entry to bundle (tests); otherwise the packaged handler/. */
  readonly handlerEntry?: string | undefined;
  /** Aborted on Ctrl-C: calls in flight finish and are recorded, waits end, no step starts. */
  readonly signal?: AbortSignal | undefined;
  /** Per-resource timings (benchmarks). */
  readonly trace?: Ctx["trace"];
}

export const DEFAULT_CONCURRENCY = 8;

export interface Session {
  readonly config: Config;
  readonly names: Names;
  readonly ctx: Ctx;
  readonly specs: AnySpec[];
  readonly artifact: Artifact | undefined;
  readonly limiter: Limiter;
  /** The state as read from disk (undefined: no state file). */
  readonly stored: StackState | undefined;
  /** The alarm address in effect and where it came from: what `up` records. */
  readonly alarmEmail: RecordedAlarmEmail | undefined;
  readonly stackName: string;
}

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export async function buildArtifact(
  handlerEntry: string,
  runtime: string,
  custom = false,
  cwd = process.cwd(),
): Promise<Artifact> {
  const code = await bundleHandler(handlerEntry, runtime, custom, cwd);
  const artifact = await deterministicZip({ "index.mjs": code });
  checkArtifactSize(handlerEntry, code.byteLength, artifact.zip.byteLength);
  return artifact;
}

/**
 * The key schema the state file records for the table, against the config: a change would need
 * a new table (and the data moved), so it is refused before any AWS call.
 */
function refuseKeySchemaChange(stored: StackState | undefined, config: Config): void {
  const recorded = stored?.resources.table?.outputs.keySchema;
  const wanted = keySchemaString(config.settings.table);
  if (recorded !== undefined && recorded !== wanted) {
    throw new UserError(
      `The table's key schema would change from ${recorded} to ${wanted}; nothing was changed.`,
      { hint: KEY_SCHEMA_HINT },
    );
  }
}

/**
 * Everything a command needs, in the order that keeps bad input cheap: validate config, build
 * the bundle, then the first AWS call (STS) to learn the account.
 */
export async function openSession(
  input: ConfigInput,
  e: Environment,
  options: { artifact: boolean; refuseKeySchemaChange?: boolean },
): Promise<Session> {
  const stage = resolveStage(input, e.env);
  const file = await loadConfigFile(
    e.cwd,
    input.config ?? (e.env.SERVERLESS_AUTOMATION_CONFIG || undefined),
    stage,
  );
  const given = resolveConfig(input, e.env, e.cwd, file);
  const stored = await readState(given.statePath);
  if (options.refuseKeySchemaChange) refuseKeySchemaChange(stored, given);
  const artifact = options.artifact
    ? await buildArtifact(
        given.settings.handler ?? e.handlerEntry ?? DEFAULT_HANDLER_ENTRY,
        given.settings.runtime,
        given.settings.handler !== undefined,
        e.cwd,
      )
    : undefined;
  const clients =
    e.clients ??
    createClients({ region: given.region, profile: given.profile, endpoint: given.endpoint });
  const account = await accountId(clients, given);
  if (stored)
    checkIdentity(given.statePath, stored, {
      account,
      region: given.region,
      stage: given.stage,
    });
  // The stack keeps the alarm address it was given until it is removed explicitly.
  const alarmEmail = alarmEmailSetting(given, stored?.settings?.alarmEmail);
  const config: Config = {
    ...given,
    settings: { ...given.settings, alarmEmail: alarmEmail?.address },
  };
  const names = resourceNames(config.stage, account, config.region);
  const partition = partitionOf(config.region);
  const tags = stackTags(config.stage, config.settings.extraTags);
  const ctx: Ctx = {
    clients,
    account,
    region: config.region,
    partition,
    config,
    names,
    tags,
    timing: e.timing ?? scaleTiming(DEFAULT_TIMING, resolveWaitScale(e.env)),
    progress: () => undefined,
    signal: e.signal,
    trace: e.trace,
  };
  const specs = desiredStack({
    config,
    names,
    account,
    region: config.region,
    partition,
    tags,
    artifact,
  });
  return {
    config,
    names,
    ctx,
    specs,
    artifact,
    limiter: new Limiter(e.concurrency ?? DEFAULT_CONCURRENCY),
    stored,
    alarmEmail,
    stackName: names.stack,
  };
}

async function accountId(clients: Clients, config: Config): Promise<string> {
  try {
    const id = await clients.sts.send(new GetCallerIdentityCommand({}));
    if (!id.Account) throw new Error("STS returned no account id");
    return id.Account;
  } catch (err) {
    if (isCredentialsError(err)) {
      const profile = config.profile ? ` (profile "${config.profile}")` : "";
      throw new UserError(`No usable AWS credentials${profile}: ${firstLine(err)}`, {
        cause: err,
        hint: "Set AWS_PROFILE (or pass --profile) to a configured profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `aws sso login` if you use SSO.",
      });
    }
    const unreachable = networkHint(err, config.endpoint);
    if (unreachable) {
      throw new UserError(
        `Cannot reach AWS${config.endpoint ? ` at ${config.endpoint}` : ""}: ${firstLine(err)}`,
        { cause: err, hint: unreachable },
      );
    }
    throw err;
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}

/** Takes the stack's lock and opens (or starts) its state. */
export async function openState(
  s: Session,
  command: string,
  reporter: Reporter,
): Promise<{ store: StateStore; lock: Lock }> {
  const lock = await acquireLock(s.config.statePath, command);
  if (lock.staleWarning) reporter.warn(lock.staleWarning);
  try {
    // Re-read under the lock: another run may have finished in between.
    const stored = await readState(s.config.statePath);
    const ident = { account: s.ctx.account, region: s.config.region, stage: s.config.stage };
    if (stored) checkIdentity(s.config.statePath, stored, ident);
    return { store: new StateStore(s.config.statePath, stored ?? emptyState(ident)), lock };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
