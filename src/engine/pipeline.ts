import { networkHint } from "../aws/errors.js";
import { ResourceError, UserError } from "../errors.js";
import type { Outcome, Reporter, StepReporter } from "../report/reporter.js";
import type { StateStore } from "../state/store.js";
import { deepEqual } from "./equal.js";
import { Interrupted } from "./interrupted.js";
import { dependents, topoOrder } from "./graph.js";
import type { Limiter } from "./limit.js";
import type { AnyHandler, AnySpec, Change, Ctx, Observed, Outputs, StateEntry } from "./types.js";

/** What observation found for one resource. */
export interface Observation {
  readonly spec: AnySpec;
  /** Desired props; undefined when they need a dependency that does not exist yet. */
  readonly props: unknown;
  /**
   * When props are undefined but the resource recorded here is the same one whatever the
   * missing dependency turns out to be: the props it was read with, stand-ins for the missing
   * outputs. What differs against them is what apply will update.
   */
  readonly standIn?: unknown;
  readonly observed: Observed | undefined;
  readonly recorded: StateEntry | undefined;
}

export type Action = "create" | "update" | "replace" | "delete" | "noop";

/** One row of a plan. */
export interface PlanItem {
  readonly key: string;
  readonly kind: string;
  readonly label: string;
  /** Physical id, existing or to be. */
  readonly id: string;
  readonly action: Action;
  readonly fields: readonly string[];
  /** Recorded in the state file but gone from AWS. */
  readonly missing: boolean;
}

/**
 * A resource the state file records that the stack has no place for any more: its option was
 * removed, or the stack now has another one under its key (its id derives from a parent that
 * was replaced). It stays recorded until it is deleted: `up` sweeps it, `down` deletes it.
 */
export interface Orphan {
  /** Its key in the state file. */
  readonly key: string;
  readonly handler: AnyHandler;
  readonly entry: StateEntry;
}

/** Finds the handler of a recorded kind, for resources the stack no longer describes. */
export type HandlerOf = (kind: string) => AnyHandler | undefined;

/** The key a displaced resource is recorded under once another one has taken its own key. */
export function orphanKey(key: string, id: string): string {
  return `${key}@${id}`;
}

/** Resolves props from the outputs they read, and only those. undefined = one is missing. */
async function resolveProps(
  spec: AnySpec,
  outputsOf: (key: string) => Promise<Outputs | undefined>,
): Promise<unknown> {
  const outputs = new Map(
    await Promise.all(spec.needs.map(async (k) => [k, await outputsOf(k)] as const)),
  );
  return spec.props((key) => outputs.get(key));
}

function nodeCtx(ctx: Ctx, step: StepReporter | undefined): Ctx {
  return { ...ctx, progress: (m) => step?.progress(m) };
}

function wrap(ctx: Ctx, verb: string, handler: AnyHandler, id: string, err: unknown): Error {
  if (err instanceof UserError || err instanceof ResourceError) return err;
  // Any call can meet a network that went away, not only the first one.
  return new ResourceError(verb, handler.label, id, err, networkHint(err, ctx.config.endpoint));
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
  const results = new Map<string, Promise<Observation>>();
  const observe = (key: string): Promise<Observation> => {
    let p = results.get(key);
    if (p) return p;
    const spec = byKey.get(key);
    if (!spec) throw new Error(`unknown resource ${key}`);
    p = (async () => {
      const outputsOf = async (k: string) => (await observe(k)).observed?.outputs;
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
        if (!rec || (await idDependsOnMissing(spec, outputsOf))) {
          return { spec, props, observed: undefined, recorded: rec };
        }
        // The resource recorded here stays (e.g. the invoke permissions of an API made again):
        // read it with stand-ins, so that it shows as out of date rather than missing. A
        // stand-in the service refuses leaves it unread, as before.
        const standIn = await resolveProps(spec, async (k) => (await outputsOf(k)) ?? STAND_IN);
        const observed = await read(standIn).catch(() => undefined);
        return { spec, props, standIn, observed, recorded: rec };
      }
      const id = spec.handler.displayId(props);
      try {
        return { spec, props, observed: await read(props), recorded: rec };
      } catch (err) {
        throw wrap(ctx, "reading", spec.handler, id, err);
      }
    })();
    results.set(key, p);
    return p;
  };
  for (const s of specs) void observe(s.key).catch(() => undefined);
  return results;
}

/**
 * Whether the resource recorded under an observation's key is no longer the one the stack has
 * there: observed under another id, or not found where the stack wants it while the recorded
 * one still exists (e.g. an execution-log group named after a REST API deleted by hand).
 * Returns the recorded entry when it still exists, so it can be swept; read-only.
 */
export async function displaced(
  ctx: Ctx,
  o: Observation,
  outputsOf: (key: string) => Promise<Outputs | undefined>,
  limiter: Limiter,
): Promise<StateEntry | undefined> {
  const r = o.recorded;
  const h = o.spec.handler;
  if (!r || !isDisplaceable(h, r)) return undefined;
  if (o.observed) {
    if (o.observed.id === r.id) return undefined;
  } else if (!h.exists) {
    // Cannot tell a resource gone from one displaced: reported missing, as before.
    return undefined;
  } else if (o.props === undefined && !(await idDependsOnMissing(o.spec, outputsOf))) {
    // Its identity does not hang on the missing dependency: the same resource, updated later.
    return undefined;
  }
  return (await stillExists(ctx, h, r, limiter)) ? r : undefined;
}

function isDisplaceable(h: AnyHandler, recorded: StateEntry): boolean {
  return recorded.kind === h.kind && h.superseded !== "forget";
}

/** Outputs of a dependency not made yet: every one reads as this. */
const STAND_IN = new Proxy({}, { get: () => "(pending)" }) as Outputs;

/**
 * For props that need a dependency that does not exist yet: whether the resource's id depends
 * on that dependency's outputs (then whatever is recorded is not what the stack will make).
 * Pure: the props are computed twice with different stand-ins for the missing outputs.
 */
async function idDependsOnMissing(
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

async function stillExists(
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

/** Recorded resources whose keys the stack does not have (a removed option, or moved aside). */
export function unwanted(
  specs: readonly AnySpec[],
  recorded: Readonly<Record<string, StateEntry>>,
  handlerOf: HandlerOf,
): Orphan[] {
  const wanted = new Set(specs.map((x) => x.key));
  return Object.entries(recorded).flatMap(([key, entry]) => {
    const handler = wanted.has(key) ? undefined : handlerOf(entry.kind);
    return handler ? [{ key, handler, entry }] : [];
  });
}

/** The orphans that still exist; read-only. */
export async function stillThere(
  ctx: Ctx,
  orphans: readonly Orphan[],
  limiter: Limiter,
): Promise<Orphan[]> {
  const there = await Promise.all(
    orphans.map((o) => stillExists(ctx, o.handler, o.entry, limiter)),
  );
  return orphans.filter((_o, n) => there[n]);
}

/**
 * Orphans as destroy targets: one whose outputs name another (a subscription its topic, a topic
 * its key) is deleted first, as the stack's dependencies would order them.
 */
export function sweepTargets(orphans: readonly Orphan[]): DestroyTarget[] {
  const names = (a: StateEntry, b: StateEntry) => {
    const ids = new Set([b.id, b.outputs.arn, b.outputs.aliasArn].filter((x) => !!x));
    return Object.values(a.outputs).some((v) => ids.has(v));
  };
  return orphans.map((o) => ({
    ...o,
    after: orphans.filter((x) => x !== o && names(x.entry, o.entry)).map((x) => x.key),
  }));
}

/** Orphans in the order the sweep deletes them. */
function inSweepOrder(orphans: readonly Orphan[]): Orphan[] {
  const targets = sweepTargets(orphans);
  const byKey = new Map(targets.map((t) => [t.key, t]));
  const seen = new Set<string>();
  const out: Orphan[] = [];
  const visit = (t: DestroyTarget | undefined): void => {
    if (!t || seen.has(t.key)) return;
    seen.add(t.key);
    for (const k of t.after) visit(byKey.get(k));
    out.push({ key: t.key, handler: t.handler, entry: t.entry });
  };
  targets.forEach(visit);
  return out;
}

function deleteItem(o: Orphan): PlanItem {
  return {
    key: o.key,
    kind: o.handler.kind,
    label: o.handler.label,
    id: o.entry.id,
    action: "delete",
    fields: [],
    missing: false,
  };
}

export function planItem(o: Observation, displacedOne = false): PlanItem {
  const h = o.spec.handler;
  const id =
    o.observed?.id ??
    (o.props !== undefined
      ? h.displayId(o.props)
      : ((displacedOne ? undefined : o.recorded?.id) ?? "(pending)"));
  if (!o.observed) {
    return {
      key: o.spec.key,
      kind: h.kind,
      label: h.label,
      id,
      action: "create",
      fields: [],
      missing: !!o.recorded && !displacedOne,
    };
  }
  const change: Change = h.diff(o.props === undefined ? o.standIn : o.props, o.observed);
  const action: Action = change.replace ? "replace" : change.fields.length ? "update" : "noop";
  return {
    key: o.spec.key,
    kind: h.kind,
    label: h.label,
    id,
    action,
    fields: change.fields,
    missing: false,
  };
}

/**
 * Observation + diff for every resource, in dependency order, then a delete for every recorded
 * resource that still exists and that the stack has no place for: exactly what `up` would do,
 * sweep included. Read-only.
 */
export async function plan(
  ctx: Ctx,
  specs: readonly AnySpec[],
  recorded: Readonly<Record<string, StateEntry>>,
  limiter: Limiter,
  handlerOf: HandlerOf,
): Promise<PlanItem[]> {
  const obs = observeAll(ctx, specs, recorded, limiter);
  const seen = (key: string) => obs.get(key) as Promise<Observation>;
  const outputsOf = async (key: string) => (await seen(key)).observed?.outputs;
  const rows = await Promise.all(
    topoOrder(specs).map(async (key) => {
      const o = await seen(key);
      const old = await displaced(ctx, o, outputsOf, limiter);
      const orphan: Orphan | undefined = old && {
        key: orphanKey(key, old.id),
        handler: o.spec.handler,
        entry: old,
      };
      return { item: planItem(o, !!old), orphan };
    }),
  );
  const orphans = [
    ...rows.flatMap((r) => (r.orphan ? [r.orphan] : [])),
    ...(await stillThere(ctx, unwanted(specs, recorded, handlerOf), limiter)),
  ];
  return [...rows.map((r) => r.item), ...inSweepOrder(orphans).map(deleteItem)];
}

export interface ApplyResult {
  readonly outcomes: ReadonlyMap<string, { action: Action; fields: readonly string[] }>;
  readonly outputs: ReadonlyMap<string, Outputs>;
  readonly errors: readonly Error[];
}

class Skipped extends Error {}

export { Interrupted };

function checkInterrupt(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Interrupted();
}

/**
 * Creates or updates every resource over the dependency graph, concurrently where the graph
 * allows, and records each result in the state file as soon as it exists. A failure stops its
 * dependents; independent branches finish, so the state records everything that was made.
 */
export async function apply(
  ctx: Ctx,
  specs: readonly AnySpec[],
  store: StateStore,
  reporter: Reporter,
  limiter: Limiter,
  signal?: AbortSignal,
): Promise<ApplyResult> {
  const byKey = new Map(specs.map((s) => [s.key, s]));
  const observations = observeAll(ctx, specs, store.resources, limiter);
  const outcomes = new Map<string, { action: Action; fields: readonly string[] }>();
  const outputs = new Map<string, Outputs>();
  const errors: Error[] = [];
  const nodes = new Map<string, Promise<Outputs>>();

  const node = (key: string): Promise<Outputs> => {
    let p = nodes.get(key);
    if (p) return p;
    const spec = byKey.get(key) as AnySpec;
    p = (async () => {
      try {
        await Promise.all(spec.dependsOn.map(node));
      } catch {
        throw new Skipped(key);
      }
      const h = spec.handler;
      const props = await resolveProps(spec, async (k) => node(k));
      const id = h.displayId(props);
      let step: StepReporter | undefined;
      let verb = "reading";
      try {
        const seen = await (observations.get(key) as Promise<Observation>);
        return await limiter.run(async () => {
          // A step in flight finishes and is recorded; no new one starts after an interrupt.
          checkInterrupt(signal);
          const start = Date.now();
          const recorded = store.resources[key];
          // Another resource than the one recorded here: the recorded one is kept, under a key
          // of its own, for the sweep; never dropped while it may exist.
          const supersedes = (id: string) =>
            recorded && isDisplaceable(h, recorded) && recorded.id !== id
              ? orphanKey(key, recorded.id)
              : undefined;
          // Dependencies created or changed in this run invalidate what was observed.
          const observed =
            seen.props !== undefined && deepEqual(seen.props, props)
              ? seen.observed
              : await h.observe(nodeCtx(ctx, undefined), props, recorded);
          let result: Observed;
          let action: Action;
          let fields: readonly string[] = [];
          if (!observed) {
            verb = "creating";
            step = reporter.step(verb, h.label, id);
            result = await h.create(nodeCtx(ctx, step), props);
            action = "create";
          } else {
            const change = h.diff(props, observed);
            fields = change.fields;
            if (change.replace) {
              verb = "replacing";
              step = reporter.step(verb, h.label, observed.id);
              await h.destroy(nodeCtx(ctx, step), entryOf(h, observed));
              const aside = supersedes(observed.id);
              await (aside ? store.move(key, aside) : store.forget(key));
              result = await h.create(nodeCtx(ctx, step), props);
              action = "replace";
            } else if (fields.length) {
              verb = "updating";
              step = reporter.step(verb, h.label, observed.id);
              result = await h.update(nodeCtx(ctx, step), props, observed, change);
              action = "update";
            } else {
              result = observed;
              action = "noop";
            }
          }
          // Recorded before anything else can go wrong: what exists is never forgotten.
          const entry = entryOf(h, result);
          const before = store.resources[key];
          const aside = before === recorded ? supersedes(entry.id) : undefined;
          if (aside) await store.record(key, entry, aside);
          else if (!deepEqual(before, entry)) await store.record(key, entry);
          ctx.trace?.({ key, phase: "change", start, end: Date.now() });
          outcomes.set(key, { action, fields });
          outputs.set(key, result.outputs);
          // Stryker disable next-line ConditionalExpression,StringLiteral: a noop never made a step, and step?.done does nothing without one
          if (action !== "noop") {
            // Stryker disable next-line OptionalChaining: every action but noop made a step
            step?.done(
              `${action}d` as Outcome,
              // Stryker disable next-line ConditionalExpression: a create has no changed fields, and reporters show an empty detail as none
              action === "create" ? undefined : fields.join(", "),
            );
          }
          return result.outputs;
        });
      } catch (err) {
        if (err instanceof Interrupted) {
          // A wait cut short mid-step; a step never started has no line to end.
          step?.fail(err.message);
          throw err;
        }
        const e = wrap(ctx, verb, h, id, err);
        errors.push(e);
        step?.fail(e.message);
        throw e;
      }
    })();
    nodes.set(key, p);
    return p;
  };

  await Promise.allSettled(topoOrder(specs).map(node));
  if (signal?.aborted) errors.push(new Interrupted());
  // Observation failures of nodes never reached are already reported through their dependents.
  return { outcomes, outputs, errors };
}

export function entryOf(h: AnyHandler, o: Observed): StateEntry {
  return { kind: h.kind, id: o.id, outputs: o.outputs };
}

export interface DestroyTarget {
  readonly key: string;
  readonly handler: AnyHandler;
  readonly entry: StateEntry;
  /** Keys that must be gone before this one is deleted. */
  readonly after: readonly string[];
}

export interface DestroyResult {
  readonly deleted: readonly string[];
  readonly kept: readonly { key: string; id: string; label: string; reason: string }[];
  readonly errors: readonly Error[];
}

/**
 * Deletes targets in reverse dependency order, concurrently where possible, forgetting each in
 * the state file once it is gone. A failure keeps what depends on it in place.
 */
export async function destroyAll(
  ctx: Ctx,
  targets: readonly DestroyTarget[],
  store: StateStore | undefined,
  reporter: Reporter,
  limiter: Limiter,
  signal?: AbortSignal,
): Promise<DestroyResult> {
  const byKey = new Map(targets.map((t) => [t.key, t]));
  const deleted: string[] = [];
  const kept: { key: string; id: string; label: string; reason: string }[] = [];
  const errors: Error[] = [];
  const nodes = new Map<string, Promise<void>>();
  const node = (key: string): Promise<void> => {
    let p = nodes.get(key);
    if (p) return p;
    const t = byKey.get(key) as DestroyTarget;
    p = (async () => {
      try {
        await Promise.all(t.after.filter((k) => byKey.has(k)).map(node));
      } catch {
        throw new Skipped(key);
      }
      checkInterrupt(signal);
      const step = reporter.step("deleting", t.handler.label, t.entry.id);
      try {
        const r = await limiter.run(async () => {
          checkInterrupt(signal);
          const start = Date.now();
          const out = await t.handler.destroy(nodeCtx(ctx, step), t.entry);
          ctx.trace?.({ key, phase: "destroy", start, end: Date.now() });
          return out;
        });
        if (store?.resources[key]) await store.forget(key);
        if (r && "kept" in r) {
          kept.push({ key, id: t.entry.id, label: t.handler.label, reason: r.kept });
          step.done("kept", r.kept);
        } else {
          deleted.push(key);
          step.done("deleted");
        }
      } catch (err) {
        if (err instanceof Interrupted) {
          step.fail(err.message);
          throw err;
        }
        const e = wrap(ctx, "deleting", t.handler, t.entry.id, err);
        errors.push(e);
        step.fail(e.message);
        throw e;
      }
    })();
    nodes.set(key, p);
    return p;
  };
  await Promise.allSettled(targets.map((t) => node(t.key)));
  if (signal?.aborted) errors.push(new Interrupted());
  return { deleted, kept, errors };
}

/** For destroy ordering: key → the keys that depend on it (they go first). */
export function reverseEdges(specs: readonly AnySpec[]): Map<string, string[]> {
  return dependents(specs);
}
