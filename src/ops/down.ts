import type { ConfigInput } from "../config.js";
import { ResourceError } from "../errors.js";
import {
  destroyAll,
  displaced,
  entryOf,
  Interrupted,
  observeAll,
  orphanKey,
  reverseEdges,
  stillThere,
  unwanted,
  type DestroyTarget,
  type Observation,
} from "../engine/pipeline.js";
import type { Ctx } from "../engine/types.js";
import { artifactHandler } from "../resources/artifact.js";
import { HANDLERS } from "../resources/registry.js";
import { tableHandler } from "../resources/table.js";
import { errorInfo, type ErrorInfo } from "./up.js";
import { openSession, openState, type Environment } from "./session.js";
import { NODES } from "../stack.js";

export interface DownTarget {
  readonly key: string;
  readonly label: string;
  readonly id: string;
  /** Extra facts for the confirmation (e.g. the table's item count). */
  readonly note?: string | undefined;
  /** Deleting it deletes the stack's data (the table's items). */
  readonly holdsData?: boolean | undefined;
}

export interface DownResult {
  readonly ok: boolean;
  readonly stack: string;
  readonly stage: string;
  readonly region: string;
  readonly account: string;
  readonly durationMs: number;
  readonly deleted: readonly DownTarget[];
  readonly kept: readonly (DownTarget & { reason: string })[];
  readonly errors: readonly ErrorInfo[];
  readonly cancelled: boolean;
  /** Stopped by Ctrl-C; what is left is recorded. */
  readonly interrupted: boolean;
}

export interface DownOptions {
  /**
   * Asked with the list of what will really be deleted (shared things it keeps are not on it),
   * and only when there is something; false cancels.
   */
  confirm(targets: readonly DownTarget[]): Promise<boolean>;
}

/** `down` is a plan with nothing desired: everything recorded or found is deleted. */
export async function down(
  input: ConfigInput,
  e: Environment,
  opts: DownOptions,
): Promise<DownResult> {
  const started = Date.now();
  const s = await openSession(input, e, { artifact: false, command: "down" });
  const { store, lock } = await openState(s, "down", e.reporter, e);
  const base = {
    stack: s.stackName,
    stage: s.config.stage,
    region: s.config.region,
    account: s.ctx.account,
  };
  try {
    const observations = observeAll(s.ctx, s.specs, store.resources, s.limiter);
    const seen = (key: string) => observations.get(key) as Promise<Observation>;
    const outputsOf = async (key: string) => (await seen(key)).observed?.outputs;
    const edges = reverseEdges(s.specs);
    const found: DestroyTarget[] = [];
    const described: DownTarget[] = [];
    for (const spec of s.specs) {
      const o = await seen(spec.key);
      const h = spec.handler;
      // Found in AWS, or recorded but not findable without a dependency that is gone.
      const entry =
        o.props === undefined ? o.recorded : o.observed ? entryOf(h, o.observed) : undefined;
      if (!entry) {
        if (o.recorded) await store.forget(spec.key);
        continue;
      }
      found.push({ key: spec.key, handler: h, entry, after: edges.get(spec.key) ?? [] });
      described.push({
        key: spec.key,
        label: h.label,
        id: entry.id,
        note: noteFor(o),
        holdsData: h.kind === tableHandler.kind,
      });
      // What was recorded here before the one found took its place goes too.
      const old = o.observed ? await displaced(s.ctx, o, outputsOf, s.limiter) : undefined;
      if (old) {
        const key = orphanKey(spec.key, old.id);
        found.push({ key, handler: h, entry: old, after: [] });
        described.push({ key, label: h.label, id: old.id });
      }
    }
    // Recorded but no longer part of the stack. Code bundles go with their bucket, every
    // version of them.
    const leftovers = unwanted(s.specs, store.resources, (kind) => HANDLERS.get(kind)).filter(
      (o) => o.entry.kind !== artifactHandler.kind,
    );
    const there = await stillThere(s.ctx, leftovers, s.limiter);
    for (const o of leftovers) {
      if (!there.includes(o)) await store.forget(o.key);
    }
    for (const o of there) {
      found.push({ ...o, after: [] });
      described.push({ key: o.key, label: o.handler.label, id: o.entry.id });
    }
    // A region's shared thing merely found is not this stack's when it has nothing else.
    const own = found.filter(
      (t) => !t.handler.shared || store.resources[t.key] || found.some((x) => !x.handler.shared),
    );
    // Shared things down leaves in place are not deleted, so not asked about either; only
    // what this stack recorded is reported as kept.
    const kept: (DownTarget & { reason: string })[] = [];
    const targets: DestroyTarget[] = [];
    for (const t of own) {
      const reason = await keptBecause(s.ctx, t);
      const d = described.find((x) => x.key === t.key) as DownTarget;
      if (reason === undefined) targets.push(t);
      else if (store.resources[t.key]) kept.push({ ...d, reason });
    }
    const toDelete = described.filter((d) => targets.some((t) => t.key === d.key));
    if (targets.length && !(await opts.confirm(toDelete))) {
      return {
        ...base,
        ok: false,
        cancelled: true,
        interrupted: false,
        durationMs: Date.now() - started,
        deleted: [],
        kept: [],
        errors: [],
      };
    }
    const r = await destroyAll(s.ctx, targets, store, e.reporter, s.limiter, e.signal);
    if (!NODES.bucket.recorded(store.resources)) {
      for (const [key, entry] of Object.entries(store.resources)) {
        if (entry.kind === artifactHandler.kind) await store.forget(key);
      }
    }
    if (r.errors.length === 0) await s.backend.remove();
    const find = (k: string) => described.find((d) => d.key === k) as DownTarget;
    return {
      ...base,
      ok: r.errors.length === 0,
      cancelled: false,
      interrupted: r.errors.some((x) => x instanceof Interrupted),
      durationMs: Date.now() - started,
      deleted: r.deleted.map(find),
      kept: [...kept, ...r.kept.map((k) => ({ ...find(k.key), reason: k.reason }))],
      errors: [...new Set(r.errors)].filter((x) => !(x instanceof Interrupted)).map(errorInfo),
    };
  } finally {
    await lock.release();
  }
}

/** What the confirmation says beside a resource. */
function noteFor(o: Observation): string | undefined {
  const count = (o.observed?.current as { itemCount?: number } | undefined)?.itemCount;
  if (count === undefined) return undefined;
  return count === 0 ? "empty" : `about ${count} item${count === 1 ? "" : "s"}`;
}

/** Why destroy would leave a target in place; read-only. */
async function keptBecause(ctx: Ctx, t: DestroyTarget): Promise<string | undefined> {
  try {
    return await t.handler.keeps?.(ctx, t.entry);
  } catch (err) {
    throw new ResourceError("reading", t.handler.label, t.entry.id, err);
  }
}
