import { networkHint } from "../aws/errors.js";
import type { Outcome, Reporter, StepReporter } from "../report/reporter.js";
import type { StateStore } from "../state/store.js";
import { deepEqual } from "./equal.js";
import { Interrupted, ResourceError, UserError } from "./errors.js";
import { dependents, topoOrder } from "./graph.js";
import type { Limiter } from "./limit.js";
import type { AnyHandler, AnySpec, Change, Ctx, Observed, Outputs, StateEntry } from "./types.js";

/** What observation found for one resource. */
export interface Observation {
  readonly spec: AnySpec;
  /** Desired props; undefined when they need a dependency that does not exist yet. */
  readonly props: unknown;
  readonly observed: Observed | undefined;
  readonly recorded: StateEntry | undefined;
}

export type Action = "create" | "update" | "replace" | "noop";

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

class NeedRef {
  constructor(readonly key: string) {}
}
class MissingRef {
  constructor(readonly key: string) {}
}

/** Resolves props, asking only for the dependencies they read. undefined = a dependency is missing. */
async function resolveProps(
  spec: AnySpec,
  outputsOf: (key: string) => Promise<Outputs | undefined>,
): Promise<unknown> {
  const known = new Map<string, Outputs | undefined>();
  for (;;) {
    try {
      return spec.props((key) => {
        if (!known.has(key)) throw new NeedRef(key);
        const out = known.get(key);
        if (!out) throw new MissingRef(key);
        return out;
      });
    } catch (err) {
      if (err instanceof NeedRef) {
        known.set(err.key, await outputsOf(err.key));
        continue;
      }
      if (err instanceof MissingRef) return undefined;
      throw err;
    }
  }
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
      const props = await resolveProps(spec, async (k) => (await observe(k)).observed?.outputs);
      const rec = recorded[key];
      if (props === undefined) return { spec, props, observed: undefined, recorded: rec };
      const id = spec.handler.displayId(props);
      try {
        const observed = await limiter.reads.run(async () => {
          const start = Date.now();
          const o = await spec.handler.observe(nodeCtx(ctx, undefined), props, rec);
          ctx.trace?.({ key, phase: "observe", start, end: Date.now() });
          return o;
        });
        return { spec, props, observed, recorded: rec };
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

export function planItem(o: Observation): PlanItem {
  const h = o.spec.handler;
  const id =
    o.observed?.id ??
    (o.props !== undefined ? h.displayId(o.props) : (o.recorded?.id ?? "(pending)"));
  if (!o.observed) {
    return {
      key: o.spec.key,
      kind: h.kind,
      label: h.label,
      id,
      action: "create",
      fields: [],
      missing: !!o.recorded,
    };
  }
  const change: Change = h.diff(o.props, o.observed);
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

/** Observation + diff for every resource, in dependency order. Read-only. */
export async function plan(
  ctx: Ctx,
  specs: readonly AnySpec[],
  recorded: Readonly<Record<string, StateEntry>>,
  limiter: Limiter,
): Promise<PlanItem[]> {
  const obs = observeAll(ctx, specs, recorded, limiter);
  const items: PlanItem[] = [];
  for (const key of topoOrder(specs))
    items.push(planItem(await (obs.get(key) as Promise<Observation>)));
  return items;
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
              await store.forget(key);
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
          if (!deepEqual(recorded, entry)) await store.record(key, entry);
          ctx.trace?.({ key, phase: "change", start, end: Date.now() });
          outcomes.set(key, { action, fields });
          outputs.set(key, result.outputs);
          if (action !== "noop") {
            step?.done(
              `${action}d` as Outcome,
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
