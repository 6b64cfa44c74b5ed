import {
  createClients,
  loadClients,
  onlyClients,
  type ClientName,
  type Clients,
} from "../aws/clients.js";
import { callerAccount, once } from "../aws/account.js";
import { configFileArg, loadConfigFile } from "../config-file.js";
import {
  alarmEmailSetting,
  keySchemaString,
  resolveConfig,
  resolveStage,
  resolveWaitScale,
  ownerTags,
  resourceNames,
  stackTags,
  type Config,
  type ConfigInput,
  type Names,
  type RecordedAlarmEmail,
} from "../config.js";
import { checkDomain, type DomainCheck } from "../domain.js";
import { UserError } from "../errors.js";
import { Limiter } from "../engine/limit.js";
import { DEFAULT_TIMING, scaleTiming, type Ctx, type Timing } from "../engine/types.js";
import { bundleHandler, checkArtifactSize, DEFAULT_HANDLER_ENTRY } from "../package/bundle.js";
import { KEY_SCHEMA_HINT } from "../resources/table.js";
import { cacheDir, readCachedZip, writeCachedZip } from "../package/bundle-cache.js";
import { artifactOf, deterministicZip, type Artifact } from "../package/zip.js";
import type { Reporter } from "../report/reporter.js";
import { HANDLERS } from "../registry.js";
import type { ResolvedSecret } from "../secrets.js";
import { desiredStack, NODES } from "../stack.js";
import type { AnySpec } from "../engine/types.js";
import {
  formerLocations,
  sameStack,
  stateToMove,
  type StateToMove,
  stateBackend,
  warnUnversioned,
  type StateBackend,
} from "../state/backend.js";
import { isRemoteState } from "../state/location.js";
import {
  checkIdentity,
  emptyState,
  removeState,
  tightenExposedState,
  type Lock,
  type StackState,
  type StateStore,
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
  /** How long to wait for the stack's lock when another run holds it (--lock-timeout); 0: refuse. */
  readonly lockTimeoutMs?: number | undefined;
}

export const DEFAULT_CONCURRENCY = 8;

export interface Session {
  readonly config: Config;
  readonly names: Names;
  readonly ctx: Ctx;
  readonly specs: AnySpec[];
  readonly artifact: Artifact | undefined;
  readonly limiter: Limiter;
  /** The state as read from disk or S3 (undefined: no state). */
  readonly stored: StackState | undefined;
  /** Where the state lives. */
  readonly backend: StateBackend;
  /** The stack's state where it was before (see formerLocations), read again. */
  formerState(): Promise<StateToMove | undefined>;
  /** The alarm address in effect and where it came from: what `up` records. */
  readonly alarmEmail: RecordedAlarmEmail | undefined;
  readonly stackName: string;
  /** What the secrets' look-up found worth saying (a plain String parameter). */
  readonly secretWarnings: readonly string[];
  /** With a custom domain, deploying: what its read-only checks found. */
  readonly domain: DomainCheck | undefined;
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
  const dir = cacheDir(process.env);
  const cached = await readCachedZip(dir, code);
  const artifact = cached ? artifactOf(cached) : await deterministicZip({ "index.mjs": code });
  checkArtifactSize(handlerEntry, code.byteLength, artifact.zip.byteLength);
  if (!cached) await writeCachedZip(dir, code, artifact.zip);
  return artifact;
}

/**
 * The key schema the state file records for the table, against the config: a change would need
 * a new table (and the data moved), so it is refused before any AWS call.
 */
function refuseKeySchemaChange(stored: StackState | undefined, config: Config): void {
  const recorded = stored && NODES.table.recorded(stored.resources)?.outputs.keySchema;
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
 * the bundle, then the first AWS call (STS) to learn the account. A state in S3 is read before
 * the bundle, with the account as the bucket's expected owner: STS then the read (the same two
 * round trips as before, in the other order), or both at once when stateBucketOwner names it.
 */
export async function openSession(
  input: ConfigInput,
  e: Environment,
  options: {
    artifact: boolean;
    command: string;
    refuseKeySchemaChange?: boolean;
    /** --no-bake: a new version takes all the traffic at once, whatever `deploy` says. */
    noBake?: boolean;
  },
): Promise<Session> {
  const stage = resolveStage(input, e.env);
  const file = await loadConfigFile(
    e.cwd,
    configFileArg(input.config, e.env),
    stage,
    input.settings,
  );
  const given = resolveConfig(input, e.env, e.cwd, file);
  const clients =
    e.clients ??
    createClients({ region: given.region, profile: given.profile, endpoint: given.endpoint });
  // STS's package loads while the state is read and the handler bundled.
  const stsLoaded = e.clients ? undefined : loadClients(["sts"]);
  stsLoaded?.catch(() => undefined);
  // Asked once: the state bucket's expected owner is the caller's account unless
  // stateBucketOwner names another, and every command needs it anyway.
  const callerId = once(async () => {
    await stsLoaded;
    return callerAccount(clients.sts, given);
  });
  const found = await readState(given, e, options.command, callerId);
  if (options.refuseKeySchemaChange) refuseKeySchemaChange(found.stored, given);
  const artifact = options.artifact
    ? await buildArtifact(
        given.settings.handler ?? e.handlerEntry ?? DEFAULT_HANDLER_ENTRY,
        given.settings.runtime,
        given.settings.handler !== undefined,
        e.cwd,
      )
    : undefined;
  // The stack's kinds do not depend on the account: the clients they call (and those of the
  // kinds its state records, which it may delete) load while STS answers, so that the account
  // costs no round trip of its own before the reads.
  const needs = clientsOf(
    desiredStack({
      ...stackShape(given, found.stored, options.noBake, UNKNOWN_ACCOUNT),
      waitScale: resolveWaitScale(e.env),
      ...(artifact ? { purpose: "deploy", artifact } : { purpose: "teardown" }),
    }),
    found.stored,
    [
      // Looked up before the plan (below), not by a kind.
      ...(artifact && Object.keys(given.settings.secrets).length > 0 ? SECRETS_CLIENTS : []),
      ...(artifact && given.settings.domain ? DOMAIN_CLIENTS : []),
    ],
  );
  const [account] = await Promise.all([callerId(), e.clients ? undefined : loadClients(needs)]);
  const stored = checkedState(found, given, account, options.command, e.reporter);
  // The stack keeps the alarm address it was given until it is removed explicitly.
  const alarmEmail = alarmEmailSetting(given, stored?.settings?.alarmEmail);
  const { config, names, partition, tags } = stackShape(given, stored, options.noBake, account);
  const waitScale = resolveWaitScale(e.env);
  const ctx: Ctx = {
    clients: onlyClients(clients, needs),
    account,
    region: config.region,
    partition,
    endpoint: config.endpoint,
    tags,
    owner: ownerTags(config),
    timing: e.timing ?? scaleTiming(DEFAULT_TIMING, waitScale),
    progress: () => undefined,
    signal: e.signal,
    trace: e.trace,
  };
  // Read-only and before the plan: a secret that is missing stops the run before any change.
  // Teardown grants nothing, so it looks nothing up.
  // Loaded only then: the look-up's SSM and Secrets Manager commands are a fifth of the rest.
  const secretsModule =
    artifact && Object.keys(config.settings.secrets).length > 0
      ? await import("../secrets.js")
      : undefined;
  const secrets: readonly ResolvedSecret[] = secretsModule
    ? await secretsModule.lookUpSecrets(ctx.clients, config.settings.secrets, {
        partition,
        region: config.region,
        account,
      })
    : [];
  // Before anything is planned: a domain that cannot work fails here, having changed nothing.
  const domainSetting = config.settings.domain;
  const domain =
    artifact && domainSetting
      ? await checkDomain(ctx, domainSetting, names.stack, {
          certificate: stored && NODES.certificate.recorded(stored.resources),
          records: stored && NODES.domainRecords.recorded(stored.resources),
        })
      : undefined;
  const specs = desiredStack({
    config,
    names,
    account,
    region: config.region,
    partition,
    tags,
    waitScale,
    rolledBack: stored?.rolledBack,
    secrets,
    domainReady: domain?.ready,
    // With the code, the stack the options ask for; without it (down, logs) nothing can be
    // made, and the stack is looked for whole so that `down` leaves nothing behind.
    ...(artifact ? { purpose: "deploy", artifact } : { purpose: "teardown" }),
  });
  return {
    config,
    names,
    ctx,
    specs,
    artifact,
    limiter: new Limiter(e.concurrency ?? DEFAULT_CONCURRENCY),
    stored,
    backend: found.backend,
    formerState: () => stateToMove(found.former, found.backendOptions),
    alarmEmail,
    stackName: names.stack,
    secretWarnings: secretsModule?.secretWarnings(secrets) ?? [],
    domain,
  };
}

/** The state where the config puts it, or (until the first run moves it) at a former place. */
interface FoundState {
  readonly backend: StateBackend;
  readonly backendOptions: Parameters<typeof stateToMove>[1];
  readonly stored: StackState | undefined;
  readonly former: ReturnType<typeof formerLocations>;
  readonly moving: StateToMove | undefined;
}

async function readState(
  given: Config,
  e: Environment,
  command: string,
  callerId: () => Promise<string>,
): Promise<FoundState> {
  const backendOptions = {
    name: given.name,
    stage: given.stage,
    cwd: e.cwd,
    env: e.env,
    command,
    s3: e.clients?.s3,
    region: given.region,
    profile: given.profile,
    endpoint: given.endpoint,
    stateBucketOwner: given.stateBucketOwner,
    account: callerId,
  };
  const backend = await stateBackend(given.statePath, backendOptions);
  // With the state in S3, STS is asked while the state is read (before it, when the read
  // waits for the account as the bucket's expected owner); its error, if any, is the read's.
  if (backend.remote) callerId().catch(() => undefined);
  const stored = await backend.read();
  // A stack moving to S3, or a state at a former default location: until the first run moves
  // it here, what is there is its state.
  const former = formerLocations(backend, given.legacyStatePath, { ...given, cwd: e.cwd });
  const moving = stored ? undefined : await stateToMove(former, backendOptions);
  return { backend, backendOptions, stored: stored ?? moving?.state, former, moving };
}

/**
 * The config a run works with (the alarm address the stack keeps, --no-bake's deploy), and the
 * names, partition and tags it gives in this account.
 */
function stackShape(
  given: Config,
  stored: StackState | undefined,
  noBake: boolean | undefined,
  account: string,
) {
  const alarmEmail = alarmEmailSetting(given, stored?.settings?.alarmEmail);
  const config: Config = {
    ...given,
    settings: {
      ...given.settings,
      alarmEmail: alarmEmail?.address,
      ...(noBake ? { deploy: "all-at-once" as const } : {}),
    },
  };
  const partition = partitionOf(config.region);
  return {
    config,
    names: resourceNames({ ...config, account }),
    account,
    region: config.region,
    partition,
    tags: stackTags(config, config.settings.extraTags),
    rolledBack: stored?.rolledBack,
  };
}

/** What the secrets' look-up and the domain's check call before the plan. */
const SECRETS_CLIENTS: readonly ClientName[] = ["ssm", "secretsmanager", "kms"];
const DOMAIN_CLIENTS: readonly ClientName[] = ["acm", "route53", "apigateway"];

/** Stands for the account where only the stack's shape is wanted (which never depends on it). */
const UNKNOWN_ACCOUNT = "000000000000";

/**
 * The clients a run uses: STS (the account), those the stack's kinds call, and those of the
 * kinds its state records (a resource the stack no longer wants is deleted by its own kind).
 */
export function clientsOf(
  specs: readonly AnySpec[],
  stored: StackState | undefined,
  more: readonly ClientName[] = [],
): ClientName[] {
  const names = new Set<ClientName>(["sts", ...more]);
  const handlers = [
    ...specs.map((s) => s.handler),
    ...Object.values(stored?.resources ?? {}).map((r) => HANDLERS.get(r.kind)),
  ];
  for (const h of handlers) for (const c of h?.clients ?? []) names.add(c);
  return [...names];
}

/** The state found, once it is known to be this stack's (one about to move may be another's). */
function checkedState(
  found: FoundState,
  given: Config,
  account: string,
  command: string,
  reporter: Reporter,
): StackState | undefined {
  const { moving, stored, backend } = found;
  const ident = { name: given.name, account, region: given.region, stage: given.stage };
  if (moving && !sameStack(moving.state, ident)) return undefined;
  if (moving && command !== "up" && command !== "down") {
    reporter.info(
      `There is no state at ${backend.location} yet: using ${moving.file}, which the next up or down copies there.`,
    );
  } else if (stored) checkIdentity(backend.location, stored, ident);
  return stored;
}

/**
 * After the state was written to its new place: a local file that only moved within the state
 * directory goes (nothing else reads it); anything else stays for the user to delete.
 */
async function moved(from: string, to: StateBackend): Promise<string> {
  if (!to.remote && !isRemoteState(from)) {
    await removeState(from);
    return `Moved the state file ${from} to ${to.location}: a default state file now names the region, so one stage can run in several regions side by side.`;
  }
  return `Copied the state ${isRemoteState(from) ? "" : "file "}${from} to ${to.location}: the state lives there from now on. The old one was left as it was; delete it once you no longer need it.`;
}

/**
 * Takes the stack's lock and opens (or starts) its state. With the state in S3: a local state
 * file of the same stack is copied there when there is none yet, and an unversioned bucket is
 * warned about.
 */
export async function openState(
  s: Session,
  command: string,
  reporter: Reporter,
  e: Pick<Environment, "cwd" | "signal" | "lockTimeoutMs">,
): Promise<{ store: StateStore; lock: Lock }> {
  // Stopped while the run was getting ready: there is nothing to finish.
  if (e.signal?.aborted) {
    throw new UserError("Stopped before the run took the lock; nothing was changed.", {
      exitCode: 130,
    });
  }
  const lock = await s.backend.lock(command, {
    timeoutMs: e.lockTimeoutMs ?? 0,
    signal: e.signal,
    reporter,
  });
  if (lock.staleWarning) reporter.warn(lock.staleWarning);
  try {
    const ident = {
      name: s.config.name,
      account: s.ctx.account,
      region: s.config.region,
      stage: s.config.stage,
    };
    // Re-read under the lock: another run may have finished in between.
    const [stored] = await Promise.all([
      s.backend.read(),
      warnUnversioned(s.backend, reporter),
      s.backend.remote
        ? undefined
        : tightenExposedState(s.backend.location).then((ws) => ws.forEach((m) => reporter.warn(m))),
    ]);
    if (stored) {
      checkIdentity(s.backend.location, stored, ident);
      return { store: s.backend.open(stored), lock };
    }
    const moving = await s.formerState();
    if (moving && sameStack(moving.state, ident)) {
      const store = s.backend.open(moving.state);
      await store.flush();
      reporter.warn(await moved(moving.file, s.backend));
      return { store, lock };
    }
    return { store: s.backend.open(emptyState(ident)), lock };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
