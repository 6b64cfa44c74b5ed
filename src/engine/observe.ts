import { networkHint } from "../aws/errors.js";
import { ResourceError, UserError } from "../errors.js";
import type { StepReporter } from "../report/reporter.js";
import { topoOrder, walk } from "./graph.js";
import type { Limiter } from "./limit.js";
import { foreignOwner, notOurs, type Foreign } from "./owner.js";
import type { AnyHandler, AnySpec, Ctx, Observed, Outputs, StateEntry } from "./types.js";

/** What observation found for one resource. */
export interface Observation {
  readonly spec: AnySpec;
  /** Desired props; undefined when they need a dependency that does not exist yet. */
  readonly props: unknown;
  /**
   * When props are undefined but the resource is the same one whatever the missing dependency
   * turns out to be: its props with stand-ins for the missing outputs. Its id is known from
   * them, and what differs against them (when it was read) is what apply will update.
   */
  readonly standIn?: unknown;
  readonly observed: Observed | undefined;
  readonly recorded: StateEntry | undefined;
  /** Found by name, not recorded, and its tags say it is not this stack's. */
  readonly foreign?: Foreign | undefined;
}

/**
 * Whether what was read under a stack's name is another's: only a resource the state does not
 * record is in question (one the state records was made by this stack).
 */
function foreignOf(
  ctx: Ctx,
  h: AnyHandler,
  observed: Observed | undefined,
  rec: StateEntry | undefined,
): Foreign | undefined {
  if (!observed || h.shared || !h.tagsOf) return undefined;
  if (rec && rec.kind === h.kind && rec.id === observed.id) return undefined;
  const why = foreignOwner(ctx, h.tagsOf(observed));
  return why === undefined ? undefined : { label: h.label, id: observed.id, why };
}

/**
 * Stops a plan before any change when a resource found by name is not this stack's, naming
 * every one of them. Waits for every observation; read errors are the plan's to report.
 */
export async function refuseForeign(
  ctx: Ctx,
  observations: ReadonlyMap<string, Promise<Observation>>,
): Promise<void> {
  const found = await Promise.all(
    [...observations.values()].map((p) =>
      p.then(
        (o) => o.foreign,
        () => undefined,
      ),
    ),
  );
  const foreign = found.filter((f): f is Foreign => f !== undefined);
  if (foreign.length) throw notOurs(ctx, foreign);
}

/** Resolves props from the outputs they read, and only those. undefined = one is missing. */
export async function resolveProps(
  spec: AnySpec,
  outputsOf: (key: string) => Promise<Outputs | undefined>,
): Promise<unknown> {
  const outputs = new Map(
    await Promise.all(spec.needs.map(async (k) => [k, await outputsOf(k)] as const)),
  );
  return spec.props((key) => outputs.get(key));
}

/** The context a step's handler calls get: its progress goes to the step's line. */
export function nodeCtx(ctx: Ctx, step: StepReporter | undefined): Ctx {
  return { ...ctx, progress: (m) => step?.progress(m) };
}

/** A handler's error as the user reads it: what failed, on which resource, and a hint. */
export function wrap(ctx: Ctx, verb: string, handler: AnyHandler, id: string, err: unknown): Error {
  if (err instanceof UserError || err instanceof ResourceError) return err;
  // Any call can meet a network that went away, not only the first one.
  return new ResourceError(verb, handler.label, id, err, networkHint(err, ctx.endpoint));
}

/**
 * Observes every resource, read-only and concurrently: each waits only for the dependencies
 * whose outputs its props read.
 */
export function observeAll(
  ctx: Ctx,
  specs: readonly AnySpec[],
  recorded: Readonly<Record<string, StateEntry>>,
  limiter: Limiter,
): Map<string, Promise<Observation>> {
  topoOrder(specs);
  const byKey = new Map(specs.map((s) => [s.key, s]));
  const specOf = (key: string) => byKey.get(key) as AnySpec;
  return walk<Observation>(
    specs.map((s) => s.key),
    (key) => specOf(key).needs,
    async (key, dep) => {
      const spec = specOf(key);
      const outputsOf = (k: string) => Promise.resolve(dep(k).observed?.outputs);
      const props = await resolveProps(spec, outputsOf);
      const rec = recorded[key];
      const read = (with_: unknown) =>
        limiter.reads.run(async () => {
          const start = Date.now();
          const o = await spec.handler.observe(nodeCtx(ctx, undefined), with_, rec);
          ctx.trace?.({ key, phase: "observe", start, end: Date.now() });
          return o;
        });
      if (props === undefined) {
        if (await idDependsOnMissing(spec, outputsOf)) {
          return { spec: spec, props, observed: undefined, recorded: rec };
        }
        // Its id is known all the same. One recorded here stays (e.g. the invoke permissions of
        // an API made again): it is read with stand-ins, so that it shows as out of date rather
        // than missing. A stand-in the service refuses leaves it unread.
        const standIn = await resolveProps(spec, async (k) => (await outputsOf(k)) ?? STAND_IN);
        const observed = rec ? await read(standIn).catch(() => undefined) : undefined;
        return { spec: spec, props, standIn, observed, recorded: rec };
      }
      const id = spec.handler.displayId(props);
      try {
        const observed = await read(props);
        const foreign = foreignOf(ctx, spec.handler, observed, rec);
        return { spec: spec, props, observed, recorded: rec, ...(foreign ? { foreign } : {}) };
      } catch (err) {
        throw wrap(ctx, "reading", spec.handler, id, err);
      }
    },
  );
}

/** Outputs of a dependency not made yet: every one reads as this. */
const STAND_IN = new Proxy({}, { get: () => "(pending)" }) as Outputs;

/**
 * For props that need a dependency that does not exist yet: whether the resource's id depends
 * on that dependency's outputs (then whatever is recorded is not what the stack will make).
 * Pure: the props are computed twice with different stand-ins for the missing outputs.
 */
export async function idDependsOnMissing(
  spec: AnySpec,
  outputsOf: (key: string) => Promise<Outputs | undefined>,
): Promise<boolean> {
  const idWith = async (standIn: string): Promise<string> => {
    const missing = new Proxy({}, { get: () => standIn }) as Outputs;
    const props = await resolveProps(spec, async (k) => (await outputsOf(k)) ?? missing);
    return spec.handler.displayId(props) as string;
  };
  try {
    return (await idWith("\u0000a")) !== (await idWith("\u0000b"));
  } catch {
    return true;
  }
}

export async function stillExists(
  ctx: Ctx,
  h: AnyHandler,
  entry: StateEntry,
  limiter: Limiter,
): Promise<boolean> {
  const exists = h.exists;
  if (!exists) return true;
  try {
    return await limiter.reads.run(() => exists.call(h, nodeCtx(ctx, undefined), entry));
  } catch (err) {
    throw wrap(ctx, "reading", h, entry.id, err);
  }
}
