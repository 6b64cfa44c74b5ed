import type { Outcome, Reporter, StepReporter } from "../report/reporter.js";
import { deepEqual } from "./equal.js";
import { topoOrder, walk } from "./graph.js";
import { Interrupted } from "./interrupted.js";
import type { Limiter } from "./limit.js";
import { nodeCtx, resolveProps, wrap, type Observation } from "./observe.js";
import {
  entryOf,
  isDisplaceable,
  orphanKey,
  stillThere,
  sweepTargets,
  type Action,
  type DestroyTarget,
  type Orphan,
  type Plan,
  type PlanRun,
} from "./plan.js";
import type { AnySpec, Ctx, Observed, Outputs, StateEntry } from "./types.js";

export { Interrupted };

/**
 * Where apply records what exists, as it goes: the state store satisfies it, and the engine
 * needs to know no more of the state than this.
 */
export interface Recorder {
  readonly resources: Readonly<Record<string, StateEntry>>;
  /** Records what exists under key; with `aside`, what was there stays under that key. */
  record(key: string, entry: StateEntry, aside?: string): Promise<void>;
  forget(key: string): Promise<void>;
}

export interface Outcomes {
  readonly outcomes: ReadonlyMap<string, { action: Action; fields: readonly string[] }>;
  readonly outputs: ReadonlyMap<string, Outputs>;
  readonly errors: readonly Error[];
}

export interface DestroyResult {
  readonly deleted: readonly DestroyTarget[];
  readonly kept: readonly { key: string; id: string; label: string; reason: string }[];
  readonly errors: readonly Error[];
}

export type ApplyResult = Outcomes & { readonly sweep: DestroyResult };

function checkInterrupt(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Interrupted();
}

/** What one step of apply did to its resource. */
interface Done {
  readonly result: Observed;
  readonly action: Action;
  readonly fields: readonly string[];
  readonly step: StepReporter | undefined;
}

/**
 * Runs a resource's step: what the plan read of it, or what it reads now when the props changed
 * because a dependency was made or changed in this run. Records the result before anything else
 * can go wrong: what exists is never forgotten.
 */
async function runStep(
  ctx: Ctx,
  spec: AnySpec,
  props: unknown,
  seen: Observation,
  store: Recorder,
  reporter: Reporter,
  onStep: (step: StepReporter, verb: string) => void,
): Promise<Done> {
  const h = spec.handler;
  const key = spec.key;
  const recorded = store.resources[key];
  const observed =
    seen.props !== undefined && deepEqual(seen.props, props)
      ? seen.observed
      : await h.observe(nodeCtx(ctx, undefined), props, recorded);
  let done: Done;
  if (!observed) {
    const step = reporter.step("creating", h.label, h.displayId(props));
    onStep(step, "creating");
    done = {
      result: await h.create(nodeCtx(ctx, step), props),
      action: "create",
      fields: [],
      step,
    };
  } else {
    const fields = h.diff(props, observed).fields;
    if (fields.length) {
      const step = reporter.step("updating", h.label, observed.id);
      onStep(step, "updating");
      const result = await h.update(nodeCtx(ctx, step), props, observed, { fields });
      done = { result, action: "update", fields, step };
    } else {
      done = { result: observed, action: "noop", fields, step: undefined };
    }
  }
  const entry = entryOf(h, done.result);
  const before = store.resources[key];
  // Another resource than the one recorded here: the recorded one is kept, under a key of its
  // own, for the sweep; never dropped while it may exist.
  const aside =
    before === recorded && recorded && isDisplaceable(h, recorded) && recorded.id !== entry.id
      ? orphanKey(key, recorded.id)
      : undefined;
  if (aside) await store.record(key, entry, aside);
  else if (!deepEqual(before, entry)) await store.record(key, entry);
  return done;
}

/**
 * Runs the plan: creates or updates every resource over the dependency graph, concurrently
 * where the graph allows, recording each result in the state file as soon as it exists; then,
 * when all of them converged, its deletions (the sweep). A failure stops its dependents;
 * independent branches finish, so the state records everything that was made.
 */
export async function apply(
  ctx: Ctx,
  plan: Plan,
  store: Recorder,
  reporter: Reporter,
  limiter: Limiter,
  signal?: AbortSignal,
): Promise<ApplyResult> {
  const run = plan.run;
  const r = await converge(ctx, run, store, reporter, limiter, signal);
  const none: DestroyResult = { deleted: [], kept: [], errors: [] };
  if (r.errors.length) return { ...r, sweep: none };
  if (run.sweepError) return { ...r, sweep: { ...none, errors: [run.sweepError] } };
  let late: Pick<PlanRun, "deletes" | "forget">;
  try {
    late = await setAsideInRun(ctx, run, store, limiter);
  } catch (err) {
    return { ...r, sweep: { ...none, errors: [err as Error] } };
  }
  const sweep = await destroy(
    ctx,
    { deletes: [...run.deletes, ...late.deletes], forget: [...run.forget, ...late.forget] },
    store,
    reporter,
    limiter,
    signal,
  );
  return { ...r, sweep };
}

/**
 * Resources this run set aside that the plan could not foresee: one recorded under a key whose
 * parent this run made again (its id hangs on the parent's new outputs). Still there: deleted
 * with the sweep; gone: forgotten. Read-only.
 */
async function setAsideInRun(
  ctx: Ctx,
  plan: PlanRun,
  store: Recorder,
  limiter: Limiter,
): Promise<Pick<PlanRun, "deletes" | "forget">> {
  const planned = new Set([...plan.deletes.map((t) => t.key), ...plan.forget]);
  const aside: Orphan[] = [];
  for (const [key, entry] of Object.entries(store.resources)) {
    const spec = plan.specs.find((x) => key.startsWith(`${x.key}@`));
    if (spec && !planned.has(key)) aside.push({ key, handler: spec.handler, entry });
  }
  const there = await stillThere(ctx, aside, limiter);
  return {
    deletes: sweepTargets(there),
    forget: aside.filter((a) => !there.includes(a)).map((a) => a.key),
  };
}

async function converge(
  ctx: Ctx,
  plan: PlanRun,
  store: Recorder,
  reporter: Reporter,
  limiter: Limiter,
  signal: AbortSignal | undefined,
): Promise<Outcomes> {
  const byKey = new Map(plan.specs.map((s) => [s.key, s]));
  const outcomes = new Map<string, { action: Action; fields: readonly string[] }>();
  const outputs = new Map<string, Outputs>();
  const errors: Error[] = [];

  const nodes = walk<Outputs>(
    topoOrder(plan.specs),
    (key) => (byKey.get(key) as AnySpec).dependsOn,
    async (key, dep) => {
      const spec = byKey.get(key) as AnySpec;
      const h = spec.handler;
      const props = await resolveProps(spec, (k) => Promise.resolve(dep(k)));
      let step: StepReporter | undefined;
      let verb = "reading";
      try {
        const seen = await (plan.observations.get(key) as Promise<Observation>);
        const done = await limiter.run(async () => {
          // A step in flight finishes and is recorded; no new one starts after an interrupt.
          checkInterrupt(signal);
          const start = Date.now();
          const d = await runStep(ctx, spec, props, seen, store, reporter, (s, v) => {
            step = s;
            verb = v;
          });
          ctx.trace?.({ key, phase: "change", start, end: Date.now() });
          return d;
        });
        outcomes.set(key, { action: done.action, fields: done.fields });
        outputs.set(key, done.result.outputs);
        // A create has no changed fields, and reporters show an empty detail as none.
        done.step?.done(`${done.action}d` as Outcome, done.fields.join(", ") || undefined);
        return done.result.outputs;
      } catch (err) {
        if (err instanceof Interrupted) {
          // A wait cut short mid-step; a step never started has no line to end.
          step?.fail(err.message);
          throw err;
        }
        const e = wrap(ctx, verb, h, h.displayId(props), err);
        errors.push(e);
        step?.fail(e.message);
        throw e;
      }
    },
  );

  await Promise.allSettled(nodes.values());
  if (signal?.aborted) errors.push(new Interrupted());
  // Observation failures of nodes never reached are already reported through their dependents.
  return { outcomes, outputs, errors };
}

/**
 * Runs the plan's deletions in reverse dependency order, concurrently where possible,
 * forgetting each in the state file once it is gone, and forgets what the plan found already
 * gone. A failure keeps what depends on it in place.
 */
export async function destroy(
  ctx: Ctx,
  plan: Pick<PlanRun, "deletes" | "forget">,
  store: Recorder | undefined,
  reporter: Reporter,
  limiter: Limiter,
  signal?: AbortSignal,
): Promise<DestroyResult> {
  for (const key of plan.forget) if (store?.resources[key]) await store.forget(key);
  if (!plan.deletes.length) return { deleted: [], kept: [], errors: [] };
  const targets = plan.deletes;
  const byKey = new Map(targets.map((t) => [t.key, t]));
  const deleted: DestroyTarget[] = [];
  const kept: { key: string; id: string; label: string; reason: string }[] = [];
  const errors: Error[] = [];
  const nodes = walk<void>(
    targets.map((t) => t.key),
    (key) => (byKey.get(key) as DestroyTarget).after.filter((k) => byKey.has(k)),
    async (key) => {
      const t = byKey.get(key) as DestroyTarget;
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
          deleted.push(t);
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
    },
  );
  await Promise.allSettled(nodes.values());
  if (signal?.aborted) errors.push(new Interrupted());
  return { deleted, kept, errors };
}
