import { canonicalJson, plainValue, sha256Hex } from "./canonical.js";
import { topoOrder, dependents } from "./graph.js";
import type { Limiter } from "./limit.js";
import {
  idDependsOnMissing,
  observeAll,
  refuseForeign,
  stillExists,
  wrap,
  type Observation,
} from "./observe.js";
import type { AnyHandler, AnySpec, Ctx, Observed, Outputs, StateEntry } from "./types.js";

/**
 * What a step does: create, update (fields), delete, nothing (noop: in sync) or keep (down
 * leaves a shared resource in place).
 */
export type Action = "create" | "update" | "delete" | "noop" | "keep";

/** One field a step changes: its value in AWS now and the value the stack wants. */
export interface FieldChange {
  readonly field: string;
  readonly observed: unknown;
  readonly desired: unknown;
}

/** One step of a plan: one resource and what apply does to it. Plain data (JSON). */
export interface Step {
  /** Its key in the stack, or in the state file for one the stack has no place for. */
  readonly key: string;
  readonly kind: string;
  readonly label: string;
  /** Physical id, existing or to be. */
  readonly id: string;
  readonly action: Action;
  /** For update: the fields that differ. */
  readonly fields: readonly string[];
  /** For update: each field that differs, observed and desired, in the order of fields. */
  readonly changes: readonly FieldChange[];
  /** Recorded in the state file but gone from AWS. */
  readonly missing: boolean;
  /** For keep: why it stays. */
  readonly reason?: string | undefined;
  /**
   * What the step rests on, as read: a hash of what was found (id, outputs and every compared
   * field as observed; "not found" hashes too). A plan applied later is refused when a fresh
   * read of the resource hashes otherwise.
   */
  readonly fingerprint: string;
}

/** The plan as data: what `status` and `--dry-run` print, and what a plan file holds. */
export interface PlanData {
  /** In the order they are shown: the stack's resources in dependency order, then deletions. */
  readonly steps: readonly Step[];
}

/** What apply needs besides the data: the stack it was made for and what was read. */
export interface PlanRun {
  /** The deletions, each with what must be gone before it. */
  readonly deletes: readonly DestroyTarget[];
  /** Keys the state records whose resources are already gone: apply only forgets them. */
  readonly forget: readonly string[];
  /** The stack it was made for. */
  readonly specs: readonly AnySpec[];
  /** What was read to make it: apply reads a resource again only when a dependency changed. */
  readonly observations: ReadonlyMap<string, Promise<Observation>>;
  /** Why the sweep could not be planned (a read failed): apply reports it in the sweep's place. */
  readonly sweepError?: Error | undefined;
}

/** The plan: its data, which apply runs exactly, and the runtime parts that run it. */
export interface Plan {
  readonly data: PlanData;
  readonly run: PlanRun;
}

/**
 * The fingerprint of a read (see Step.fingerprint). Of what was read, only what the plan
 * compares counts (the fields of the kind's values): a counter that moves on its own (a
 * table's item count) or a token that changes with every read would refuse every plan.
 */
export function fingerprintOf(
  h: AnyHandler,
  props: unknown,
  observed: Observed | undefined,
): string {
  if (!observed) return hashed(null);
  const values = props !== undefined && h.values ? h.values(props, observed) : undefined;
  const current = values
    ? Object.fromEntries(Object.entries(values).map(([f, v]) => [f, v.observed]))
    : observed.current;
  return hashed({ id: observed.id, outputs: observed.outputs, current });
}

function hashed(x: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(x))}`;
}

export interface DestroyTarget {
  readonly key: string;
  readonly handler: AnyHandler;
  readonly entry: StateEntry;
  /** Keys that must be gone before this one is deleted. */
  readonly after: readonly string[];
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

export function isDisplaceable(h: AnyHandler, recorded: StateEntry): boolean {
  return recorded.kind === h.kind && h.superseded !== "forget";
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

function deleteStep(o: Orphan): Step {
  return {
    key: o.key,
    kind: o.handler.kind,
    label: o.handler.label,
    id: o.entry.id,
    action: "delete",
    fields: [],
    changes: [],
    missing: false,
    // Found by its record alone: what the delete rests on is that it is still there.
    fingerprint: hashed({ id: o.entry.id, outputs: o.entry.outputs, exists: true }),
  };
}

export function stepOf(o: Observation, displacedOne = false): Step {
  const h = o.spec.handler;
  const known = o.props ?? o.standIn;
  const id =
    o.observed?.id ??
    (known !== undefined
      ? h.displayId(known)
      : ((displacedOne ? undefined : o.recorded?.id) ?? "(pending)"));
  if (!o.observed) {
    return {
      key: o.spec.key,
      kind: h.kind,
      label: h.label,
      id,
      action: "create",
      fields: [],
      changes: [],
      missing: !!o.recorded && !displacedOne,
      fingerprint: fingerprintOf(h, known, undefined),
    };
  }
  const change = h.diff(known, o.observed);
  const values = h.values?.(known, o.observed);
  const action: Action = change.fields.length ? "update" : "noop";
  return {
    key: o.spec.key,
    kind: h.kind,
    label: h.label,
    id,
    action,
    fields: change.fields,
    changes: change.fields.map((field) => ({
      field,
      observed: plainValue(values?.[field]?.observed),
      desired: plainValue(values?.[field]?.desired),
    })),
    missing: false,
    fingerprint: fingerprintOf(h, known, o.observed),
  };
}

/** Why apply would refuse the update this observation needs, if it would. Pure. */
function refusalOf(o: Observation): Error | undefined {
  const h = o.spec.handler;
  if (!o.observed || o.props === undefined || !h.refuse) return undefined;
  const change = h.diff(o.props, o.observed);
  return change.fields.length ? h.refuse(o.props, o.observed, change) : undefined;
}

/**
 * Observation + diff for every resource, in dependency order, then a delete for every recorded
 * resource that still exists and that the stack has no place for: exactly what `up` does,
 * sweep included. Read-only.
 */
export async function plan(
  ctx: Ctx,
  specs: readonly AnySpec[],
  recorded: Readonly<Record<string, StateEntry>>,
  limiter: Limiter,
  handlerOf: HandlerOf,
  options: {
    /**
     * For apply: a resource that cannot be read has no step and fails when apply reaches it,
     * while independent ones go ahead. Otherwise (status, --dry-run) the plan fails.
     */
    readErrorsToApply?: boolean;
  } = {},
): Promise<Plan> {
  const observations = observeAll(ctx, specs, recorded, limiter);
  const seen = (key: string) => observations.get(key) as Promise<Observation>;
  const outputsOf = async (key: string) => (await seen(key)).observed?.outputs;
  const rows = await Promise.all(
    topoOrder(specs).map(async (key) => {
      let o: Observation;
      try {
        o = await seen(key);
      } catch (err) {
        if (options.readErrorsToApply) return undefined;
        throw err;
      }
      const old = await displaced(ctx, o, outputsOf, limiter);
      const orphan: Orphan | undefined = old && {
        key: orphanKey(key, old.id),
        handler: o.spec.handler,
        entry: old,
      };
      return { step: stepOf(o, !!old), orphan, refusal: refusalOf(o) };
    }),
  );
  await refuseForeign(ctx, observations);
  const refusal = rows.find((r) => r?.refusal)?.refusal;
  if (refusal) throw refusal;
  const read = rows.flatMap((r) => (r ? [r] : []));
  const candidates = unwanted(specs, recorded, handlerOf);
  let there: Orphan[];
  try {
    there = await stillThere(ctx, candidates, limiter);
  } catch (err) {
    if (!options.readErrorsToApply) throw err;
    const steps = read.map((r) => r.step);
    return {
      data: { steps },
      run: { deletes: [], forget: [], specs, observations, sweepError: err as Error },
    };
  }
  const orphans = inSweepOrder([...read.flatMap((r) => (r.orphan ? [r.orphan] : [])), ...there]);
  return {
    data: { steps: [...read.map((r) => r.step), ...orphans.map(deleteStep)] },
    run: {
      deletes: sweepTargets(orphans),
      forget: candidates.filter((c) => !there.includes(c)).map((c) => c.key),
      specs,
      observations,
    },
  };
}

/**
 * `down`: the plan with nothing desired. Everything the stack's resources are found as, or
 * recorded as, is deleted in reverse dependency order, with what the state records that the
 * stack has no place for; a shared resource stays when its kind says so (keep), and one merely
 * found counts as this stack's only when the stack has something else of its own. Read-only.
 */
export async function teardownPlan(
  ctx: Ctx,
  specs: readonly AnySpec[],
  recorded: Readonly<Record<string, StateEntry>>,
  limiter: Limiter,
  handlerOf: HandlerOf,
  options: {
    /** Recorded resources deleted with something else (code bundles with their bucket). */
    goesWithParent(entry: StateEntry): boolean;
  },
): Promise<Plan> {
  const observations = observeAll(ctx, specs, recorded, limiter);
  const seen = (key: string) => observations.get(key) as Promise<Observation>;
  const outputsOf = async (key: string) => (await seen(key)).observed?.outputs;
  await refuseForeign(ctx, observations);
  const edges = dependents(specs);
  const found: DestroyTarget[] = [];
  const forget: string[] = [];
  for (const spec of specs) {
    const o = await seen(spec.key);
    const h = spec.handler;
    // Found in AWS, or recorded but not findable without a dependency that is gone.
    const entry =
      o.props === undefined ? o.recorded : o.observed ? entryOf(h, o.observed) : undefined;
    if (!entry) {
      if (o.recorded) forget.push(spec.key);
      continue;
    }
    found.push({ key: spec.key, handler: h, entry, after: edges.get(spec.key) ?? [] });
    // What was recorded here before the one found took its place goes too.
    const old = o.observed ? await displaced(ctx, o, outputsOf, limiter) : undefined;
    if (old) found.push({ key: orphanKey(spec.key, old.id), handler: h, entry: old, after: [] });
  }
  const leftovers = unwanted(specs, recorded, handlerOf).filter(
    (o) => !options.goesWithParent(o.entry),
  );
  const there = await stillThere(ctx, leftovers, limiter);
  forget.push(...leftovers.filter((o) => !there.includes(o)).map((o) => o.key));
  found.push(...there.map((o) => ({ ...o, after: [] })));
  // A region's shared thing merely found is not this stack's when it has nothing else.
  const own = found.filter(
    (t) => !t.handler.shared || recorded[t.key] || found.some((x) => !x.handler.shared),
  );
  const deletes: DestroyTarget[] = [];
  const steps: Step[] = [];
  const reasons = await Promise.all(own.map((t) => keptBecause(ctx, t)));
  for (const [n, t] of own.entries()) {
    const reason = reasons[n];
    const step = {
      ...deleteStep(t),
      ...(reason === undefined ? {} : { action: "keep" as const, reason }),
    };
    if (reason === undefined) deletes.push(t);
    // Shared things down leaves in place are not its to report unless it recorded them.
    if (reason === undefined || recorded[t.key]) steps.push(step);
  }
  return { data: { steps }, run: { deletes, forget, specs, observations } };
}

/** Why destroy would leave a target in place; read-only. */
async function keptBecause(ctx: Ctx, t: DestroyTarget): Promise<string | undefined> {
  try {
    return await t.handler.keeps?.(ctx, t.entry);
  } catch (err) {
    throw wrap(ctx, "reading", t.handler, t.entry.id, err);
  }
}

export function entryOf(h: AnyHandler, o: Observed): StateEntry {
  return { kind: h.kind, id: o.id, outputs: o.outputs };
}
