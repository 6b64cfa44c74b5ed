import type { ClientName, Clients } from "../aws/clients.js";

/** What a resource exposes to resources that depend on it, and to the state file. */
export type Outputs = Readonly<Record<string, string>>;

/** One resource as recorded in the state file. */
export interface StateEntry<O extends Outputs = Outputs> {
  /** The handler kind that made it, e.g. "s3-bucket". */
  readonly kind: string;
  /** The physical id (name, ARN or AWS-chosen id). */
  readonly id: string;
  /** ids/ARNs dependents and users need. */
  readonly outputs: O;
}

/** A resource as it is in AWS now. */
export interface Observed<O extends Outputs = Outputs, C = unknown> {
  /** The physical id. */
  readonly id: string;
  readonly outputs: O;
  /** What the handler read, in the handler's own shape; only diff and update look at it. */
  readonly current: C;
}

/** What differs between desired and observed. */
export interface Change {
  /** Names of the fields that differ; empty means in sync. */
  readonly fields: readonly string[];
  /** The difference cannot be updated in place: the resource must be deleted and created again. */
  readonly replace?: boolean;
}

/** One field of a resource, as AWS has it and as the stack wants it: what a plan's reader reviews. */
export interface FieldValues {
  readonly observed: unknown;
  readonly desired: unknown;
}

/** How long to wait between polls and for how long to retry propagation errors. */
export interface Timing {
  /** Smallest delay between polls/retries, in ms. */
  readonly minDelayMs: number;
  /** Largest delay between polls/retries, in ms. */
  readonly maxDelayMs: number;
  /** Give up waiting for a resource to settle after this long, in ms. */
  readonly maxWaitMs: number;
  /**
   * How long a new IAM role usually takes to reach other services. Only used where an early
   * attempt is costly: API Gateway's UpdateAccount allows one call per 20 s, failed ones included.
   */
  readonly iamPropagationMs: number;
}

/** Polls often enough that a wait overshoots what AWS needs by at most a second. */
export const DEFAULT_TIMING: Timing = {
  minDelayMs: 250,
  maxDelayMs: 1000,
  maxWaitMs: 600_000,
  iamPropagationMs: 10_000,
};

/** Pauses multiplied by scale (0–1); the give-up deadline stays. */
export function scaleTiming(timing: Timing, scale: number): Timing {
  return {
    minDelayMs: timing.minDelayMs * scale,
    maxDelayMs: timing.maxDelayMs * scale,
    maxWaitMs: timing.maxWaitMs,
    iamPropagationMs: timing.iamPropagationMs * scale,
  };
}

export interface Ctx {
  readonly clients: Clients;
  readonly account: string;
  readonly region: string;
  /** aws, aws-cn or aws-us-gov. */
  readonly partition: string;
  /**
   * The custom AWS endpoint the clients talk to (AWS_ENDPOINT_URL, e.g. an emulator), if any:
   * a call that gets no answer names it in its hint.
   */
  readonly endpoint?: string | undefined;
  /** Tags every resource carries. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * The tags that make a resource this stack's: one found by name without them (lost state,
   * `down` without state) is never adopted, updated or deleted.
   */
  readonly owner: Readonly<Record<string, string>>;
  readonly timing: Timing;
  /** Reports what a long step is waiting for ("waiting for the IAM role to propagate…"). */
  progress(message: string): void;
  /** Aborted on Ctrl-C: waits end at once (see pause) instead of running their course. */
  readonly signal?: AbortSignal | undefined;
  /** Receives when each resource's reads and changes started and ended (benchmarks). */
  readonly trace?: ((event: TraceEvent) => void) | undefined;
}

export interface TraceEvent {
  readonly key: string;
  readonly phase: "observe" | "change" | "destroy";
  /** ms epoch. */
  readonly start: number;
  readonly end: number;
}

/**
 * One resource kind. Contracts (as Pulumi's dynamic providers state them):
 * - observe is read-only and returns undefined when the resource does not exist;
 * - diff is pure;
 * - if create fails, nothing it made is left untracked: it either cleans up or the next
 *   observe finds what it made by name;
 * - destroy treats not-found as success; if it fails, the resource still exists.
 */
export interface ResourceHandler<P = unknown, O extends Outputs = Outputs, C = unknown> {
  readonly kind: string;
  /** Human label, e.g. "DynamoDB table". */
  readonly label: string;
  /**
   * The SDK clients its calls use: a run loads the packages of those its stack's kinds list, and
   * no other. Leave it out for a handler that calls none.
   */
  readonly clients?: readonly ClientName[] | undefined;
  /**
   * The physical id a resource with these props has or will have, for display. It changes
   * whenever the physical id would (the engine compares it to tell whether a resource's
   * identity depends on a parent's outputs).
   */
  displayId(props: P): string;
  observe(
    ctx: Ctx,
    props: P,
    recorded: StateEntry | undefined,
  ): Promise<Observed<O, C> | undefined>;
  diff(props: P, observed: Observed<O, C>): Change;
  /**
   * Every field diff may name, with its value observed and desired (plain data, never a
   * secret): what a plan file shows, and what its reads are fingerprinted by. Pure.
   */
  values?(props: P, observed: Observed<O, C>): Readonly<Record<string, FieldValues>>;
  /**
   * A difference apply will not make (e.g. a table's key schema): the plan fails with this
   * error, so that status, --dry-run and up say the same, before anything is changed. Pure.
   */
  refuse?(props: P, observed: Observed<O, C>, change: Change): Error | undefined;
  create(ctx: Ctx, props: P): Promise<Observed<O, C>>;
  update(ctx: Ctx, props: P, observed: Observed<O, C>, change: Change): Promise<Observed<O, C>>;
  /** Returns a reason when it deliberately keeps the resource (e.g. shared by other stacks). */
  destroy(ctx: Ctx, entry: StateEntry): Promise<{ kept: string } | void>;
  /**
   * The tags a resource read carries, for kinds that have tags: what tells whether one found by
   * name is this stack's. undefined: this kind has none, or they could not be read.
   */
  tagsOf?(observed: Observed<O, C>): Readonly<Record<string, string>> | undefined;
  /**
   * Read-only: whether the resource a state entry names still exists, found by that entry
   * alone (its props may be gone with its parent). Without it, a recorded resource is assumed
   * to exist, which is safe: destroy treats not-found as success.
   */
  exists?(ctx: Ctx, entry: StateEntry): Promise<boolean>;
  /**
   * Read-only: why destroy would leave this resource in place (shared with others), or
   * undefined when it would delete it. Lets `down` list only what it will really delete.
   */
  keeps?(ctx: Ctx, entry: StateEntry): Promise<string | undefined>;
  /**
   * What becomes of the resource recorded under a key when the stack now has another one there
   * (its id derives from a parent that was replaced, or it was made again). By default
   * ("orphan") the old one stays recorded under a key of its own until the sweep deletes it.
   * "forget": nothing to sweep, e.g. old code bundles go with their bucket, or the handler's
   * own update already dealt with the old one.
   */
  readonly superseded?: "orphan" | "forget";
  /**
   * One per region, shared by every stack there (the API Gateway account's logging role). Found
   * without a record, it counts as this stack's only when the stack has something else of its
   * own: a stage that was never deployed has nothing to delete.
   */
  readonly shared?: boolean;
}

/** One resource of the desired stack, as the builder (builder.ts) makes it. */
export interface ResourceSpec<P = unknown, O extends Outputs = Outputs, C = unknown> {
  /** Logical id, unique in the stack and stable across runs (the state file's key). */
  readonly key: string;
  readonly handler: ResourceHandler<P, O, C>;
  /** Keys that must exist before this one is created, and be deleted after it. */
  readonly dependsOn: readonly string[];
  /** The keys whose outputs its props read (some of dependsOn). */
  readonly needs: readonly string[];
  /** Desired properties from the outputs of `needs`; undefined when one has none yet. Pure. */
  props(outputsOf: (key: string) => Outputs | undefined): P | undefined;
}

// Specs of different prop types live in one list.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySpec = ResourceSpec<any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler = ResourceHandler<any, any, any>;
