import type { ClientName } from "../aws/clients.js";
import { isNotFound } from "../aws/errors.js";
import { foreignOwner, notOurs } from "./owner.js";
import type {
  Change,
  Ctx,
  FieldValues,
  Observed,
  Outputs,
  ResourceHandler,
  StateEntry,
} from "./types.js";

/**
 * Brings the fields it is listed under to their desired values. Returns the outputs the fix
 * changed (e.g. a new deployment id), if any.
 */
export type Fixer<P, O extends Outputs, C, F extends string> = (
  ctx: Ctx,
  props: P,
  observed: Observed<O, C>,
  fields: ReadonlySet<F>,
) => Promise<Partial<O> | void>;

/** Field → the fixer that brings it to its desired value. */
export type FixTable<P, O extends Outputs, C, F extends string> = {
  readonly [K in F]: Fixer<P, O, C, F>;
};

/**
 * One resource kind, described; the engine runs its lifecycle (see `lifecycle`). Contracts, as
 * Pulumi's dynamic providers state them:
 * - read is read-only and returns undefined when the resource does not exist, never an error;
 * - diff is pure and names only fields the fix fixes;
 * - if create fails, nothing it made is left untracked: it either cleans up or the next read
 *   finds what it made by name;
 * - if delete fails, the resource still exists.
 */
export interface Kind<P, O extends Outputs, C, F extends string> {
  /** Recorded in the state file, e.g. "s3-bucket". */
  readonly kind: string;
  /** Human label, e.g. "DynamoDB table". */
  readonly label: string;
  /** The SDK clients its calls use: a run loads only those of the kinds in its stack. */
  readonly clients: readonly ClientName[];
  /** The physical id a resource with these props has or will have. */
  displayId(props: P): string;
  /** What AWS has now; undefined: not found. Read-only. */
  read(ctx: Ctx, props: P, recorded: StateEntry | undefined): Promise<Observed<O, C> | undefined>;
  /**
   * The fields that differ; empty: in sync. Pure. They are what status and up name, so a kind
   * whose parts are open-ended (the invoke permissions' statement ids) names the parts.
   */
  diff(props: P, observed: Observed<O, C>): readonly F[];
  /**
   * Each field (of the fix table; for an open-ended kind, each part diff may name), with the
   * value AWS has and the one the stack wants, as diff
   * compares them (plain data; never a secret). A plan file shows them to its reviewer, and
   * fingerprints the observed ones: only what the plan rests on, not counters that move on
   * their own (a table's item count). Pure.
   */
  values(props: P, observed: Observed<O, C>): { readonly [K in F]: FieldValues };
  /**
   * How the fields are fixed. A table, field → the call(s) that fix it: fields that share one
   * fixer are fixed by one run of it, given all of them, and fixers run in the order of the
   * table. For a kind whose fields are not known ahead (F is string): one fixer, given every
   * field that differs.
   */
  readonly fix: string extends F ? Fixer<P, O, C, F> : FixTable<P, O, C, F>;
  /** See ResourceHandler.refuse: given the fields that differ. */
  refuse?(props: P, observed: Observed<O, C>, fields: readonly F[]): Error | undefined;
  /** Runs once before any fixer (e.g. waits until an update started elsewhere is done). */
  beforeFix?(ctx: Ctx, props: P, observed: Observed<O, C>): Promise<void>;
  /**
   * Makes it and waits until it is usable. Returns what it made when that is known without a
   * read; otherwise the engine reads it back. Whatever still differs is then fixed.
   */
  create(ctx: Ctx, props: P): Promise<Observed<O, C> | void>;
  /**
   * Errors of create that mean it exists already (made by an earlier run that stopped before
   * recording it): the engine adopts it, reads it and fixes what differs.
   */
  alreadyExists?(err: unknown): boolean;
  /**
   * Deletes it. A not-found error means done (the engine's rule); `gone` names errors of this
   * kind that mean the same. Returns a reason when it deliberately keeps the resource.
   */
  delete(ctx: Ctx, entry: StateEntry): Promise<{ kept: string } | void>;
  gone?(err: unknown): boolean;
  /** The tags read (see ResourceHandler.tagsOf); kinds without tags leave it out. */
  tagsOf?(current: C): Readonly<Record<string, string>> | undefined;
  /** See ResourceHandler. */
  exists?(ctx: Ctx, entry: StateEntry): Promise<boolean>;
  keeps?(ctx: Ctx, entry: StateEntry): Promise<string | undefined>;
  readonly superseded?: "orphan" | "forget";
  readonly shared?: boolean;
}

/** Each fixer to run with the fields it is given, in the order they run. */
function fixersFor<P, O extends Outputs, C, F extends string>(
  fix: FixTable<P, O, C, F> | Fixer<P, O, C, F>,
  fields: readonly F[],
): Map<Fixer<P, O, C, F>, Set<F>> {
  if (typeof fix === "function") return new Map(fields.length ? [[fix, new Set(fields)]] : []);
  const wanted = new Set(fields);
  const byFixer = new Map<Fixer<P, O, C, F>, Set<F>>();
  for (const f of Object.keys(fix) as F[]) {
    if (!wanted.has(f)) continue;
    const fixer = fix[f];
    const set = byFixer.get(fixer) ?? new Set<F>();
    set.add(f);
    byFixer.set(fixer, set);
  }
  return byFixer;
}

/** Runs the fixers of the fields that differ, each fixer once, in the order of the table. */
async function fixFields<P, O extends Outputs, C, F extends string>(
  k: Kind<P, O, C, F>,
  ctx: Ctx,
  props: P,
  observed: Observed<O, C>,
  fields: readonly F[],
): Promise<Observed<O, C>> {
  const byFixer = fixersFor(k.fix, fields);
  await k.beforeFix?.(ctx, props, observed);
  let outputs: O = observed.outputs;
  for (const [fixer, set] of byFixer) {
    const changed = await fixer(ctx, props, { ...observed, outputs }, set);
    if (changed) outputs = { ...outputs, ...changed };
  }
  return { ...observed, outputs };
}

/**
 * The lifecycle every kind shares, owned here once: create → read back → converge, adoption of
 * what an earlier run made, fixes per field, and not-found-is-done on delete.
 */
export function lifecycle<P, O extends Outputs, C, F extends string>(
  k: Kind<P, O, C, F>,
): ResourceHandler<P, O, C> {
  const handler: ResourceHandler<P, O, C> = {
    kind: k.kind,
    label: k.label,
    clients: k.clients,
    displayId: (p) => k.displayId(p),
    observe: (ctx, p, recorded) => k.read(ctx, p, recorded),
    diff: (p, o): Change => ({ fields: k.diff(p, o) }),
    values: (p, o) => k.values(p, o),

    async create(ctx, p) {
      let made: Observed<O, C> | void = undefined;
      let adopted = false;
      try {
        made = await k.create(ctx, p);
      } catch (err) {
        if (!k.alreadyExists?.(err)) throw err;
        adopted = true;
      }
      const observed = made ?? (await k.read(ctx, p, undefined));
      if (!observed) {
        throw new Error(`the ${k.label} ${k.displayId(p)} is not readable right after it was made`);
      }
      // Made in the meantime by someone else: never adopted unless it is this stack's.
      const owner = adopted && k.tagsOf ? foreignOwner(ctx, k.tagsOf(observed.current)) : undefined;
      if (owner !== undefined)
        throw notOurs(ctx, [{ label: k.label, id: observed.id, why: owner }]);
      const fields = k.diff(p, observed);
      return fields.length ? fixFields(k, ctx, p, observed, fields) : observed;
    },

    update: (ctx, p, o, change) => fixFields(k, ctx, p, o, change.fields as readonly F[]),

    async destroy(ctx, entry) {
      try {
        return await k.delete(ctx, entry);
      } catch (err) {
        if (isNotFound(err) || k.gone?.(err)) return;
        throw err;
      }
    },
  };
  const { exists, keeps, superseded, shared, tagsOf, refuse } = k;
  return {
    ...handler,
    ...(refuse
      ? { refuse: (p: P, o: Observed<O, C>, c: Change) => refuse.call(k, p, o, c.fields as F[]) }
      : {}),
    ...(tagsOf ? { tagsOf: (o: Observed<O, C>) => tagsOf.call(k, o.current) } : {}),
    ...(exists ? { exists: exists.bind(k) } : {}),
    ...(keeps ? { keeps: keeps.bind(k) } : {}),
    ...(superseded ? { superseded } : {}),
    ...(shared ? { shared } : {}),
  };
}
