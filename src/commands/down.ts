import type { ConfigInput } from "../config.js";
import {
  destroyAll,
  entryOf,
  Interrupted,
  observeAll,
  reverseEdges,
  type DestroyTarget,
  type Observation,
} from "../engine/pipeline.js";
import { artifactHandler } from "../resources/artifact.js";
import { HANDLERS } from "../resources/registry.js";
import { removeState } from "../state/store.js";
import { errorInfo, type ErrorInfo } from "./up.js";
import { openSession, openState, type Environment } from "./session.js";

export interface DownTarget {
  readonly key: string;
  readonly label: string;
  readonly id: string;
  /** Extra facts for the confirmation (e.g. the table's item count). */
  readonly note?: string | undefined;
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
  /** Asked with the list of what will be deleted; false cancels. */
  confirm(targets: readonly DownTarget[]): Promise<boolean>;
}

/** `down` is a plan with nothing desired: everything recorded or found is deleted. */
export async function down(
  input: ConfigInput,
  e: Environment,
  opts: DownOptions,
): Promise<DownResult> {
  const started = Date.now();
  const s = await openSession(input, e, { artifact: false });
  const { store, lock } = await openState(s, "down", e.reporter);
  const base = {
    stack: s.stackName,
    stage: s.config.stage,
    region: s.config.region,
    account: s.ctx.account,
  };
  try {
    const observations = observeAll(s.ctx, s.specs, store.resources, s.limiter);
    const edges = reverseEdges(s.specs);
    const targets: DestroyTarget[] = [];
    const described: DownTarget[] = [];
    for (const spec of s.specs) {
      const o: Observation = await (observations.get(spec.key) as Promise<Observation>);
      const h = spec.handler;
      // Found in AWS, or recorded but not findable without a dependency that is gone.
      const entry = o.observed
        ? entryOf(h, o.observed)
        : o.props === undefined
          ? o.recorded
          : undefined;
      if (!entry) {
        if (o.recorded) await store.forget(spec.key);
        continue;
      }
      targets.push({ key: spec.key, handler: h, entry, after: edges.get(spec.key) ?? [] });
      described.push({ key: spec.key, label: h.label, id: entry.id, note: noteFor(spec.key, o) });
    }
    const wanted = new Set(s.specs.map((x) => x.key));
    for (const [key, entry] of Object.entries(store.resources)) {
      const handler = HANDLERS.get(entry.kind);
      // Code bundles go with their bucket, every version of them.
      if (wanted.has(key) || !handler || entry.kind === artifactHandler.kind) continue;
      targets.push({ key, handler, entry, after: [] });
      described.push({ key, label: handler.label, id: entry.id });
    }
    if (targets.length && !(await opts.confirm(described))) {
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
    if (!store.resources.bucket) {
      for (const [key, entry] of Object.entries(store.resources)) {
        if (entry.kind === artifactHandler.kind) await store.forget(key);
      }
    }
    if (r.errors.length === 0) await removeState(s.config.statePath);
    const find = (k: string) => described.find((d) => d.key === k) as DownTarget;
    return {
      ...base,
      ok: r.errors.length === 0,
      cancelled: false,
      interrupted: r.errors.some((x) => x instanceof Interrupted),
      durationMs: Date.now() - started,
      deleted: r.deleted.map(find),
      kept: r.kept.map((k) => ({ ...find(k.key), reason: k.reason })),
      errors: r.errors.filter((x) => !(x instanceof Interrupted)).map(errorInfo),
    };
  } finally {
    await lock.release();
  }
}

/** What the confirmation says beside a resource. */
function noteFor(key: string, o: Observation): string | undefined {
  const count = (o.observed?.current as { itemCount?: number } | undefined)?.itemCount;
  if (count !== undefined) {
    return count === 0 ? "empty" : `about ${count} item${count === 1 ? "" : "s"}`;
  }
  if (key === "apiGatewayAccount") return "kept if other REST APIs in the region may use it";
  return undefined;
}
