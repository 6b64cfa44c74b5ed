import type { ConfigInput } from "../config.js";
import { destroy, Interrupted } from "../engine/apply.js";
import type { Observation } from "../engine/observe.js";
import { teardownPlan, type Step } from "../engine/plan.js";
import { artifactHandler } from "../resources/artifact.js";
import { HANDLERS } from "../registry.js";
import { tableHandler } from "../resources/table.js";
import { NODES } from "../stack.js";
import { errorInfo, type ErrorInfo } from "./up.js";
import { openSession, openState, type Environment } from "./session.js";

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
    // Code bundles go with their bucket, every version of them.
    const p = await teardownPlan(
      s.ctx,
      s.specs,
      store.resources,
      s.limiter,
      (kind) => HANDLERS.get(kind),
      { goesWithParent: (entry) => entry.kind === artifactHandler.kind },
    );
    const describe = async (step: Step): Promise<DownTarget> => {
      const o = await p.run.observations.get(step.key);
      return {
        key: step.key,
        label: step.label,
        id: step.id,
        note: o && noteFor(o),
        holdsData: step.kind === tableHandler.kind,
      };
    };
    const toDelete = await Promise.all(
      p.data.steps.filter((x) => x.action === "delete").map(describe),
    );
    const kept = await Promise.all(
      p.data.steps
        .filter((x) => x.action === "keep")
        .map(async (x) => ({ ...(await describe(x)), reason: x.reason ?? "" })),
    );
    const targets = p.run.deletes;
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
    const r = await destroy(s.ctx, p.run, store, e.reporter, s.limiter, e.signal);
    if (!NODES.bucket.recorded(store.resources)) {
      for (const [key, entry] of Object.entries(store.resources)) {
        if (entry.kind === artifactHandler.kind) await store.forget(key);
      }
    }
    if (r.errors.length === 0) await s.backend.remove();
    const find = (k: string) => toDelete.find((d) => d.key === k) as DownTarget;
    return {
      ...base,
      ok: r.errors.length === 0,
      cancelled: false,
      interrupted: r.errors.some((x) => x instanceof Interrupted),
      durationMs: Date.now() - started,
      deleted: r.deleted.map((t) => find(t.key)),
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
