import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Limiter } from "../../src/engine/limit.js";
import { apply as applyPlan, destroy, Interrupted } from "../../src/engine/apply.js";
import { plan as makePlan, type DestroyTarget, type HandlerOf } from "../../src/engine/plan.js";
import {
  type AnySpec,
  type Change,
  type Ctx,
  type Observed,
  type ResourceHandler,
  type Timing,
} from "../../src/engine/types.js";
import type { Reporter } from "../../src/report/reporter.js";
import { emptyState, StateStore, type StackState } from "../../src/state/store.js";

/** The plan's steps (what status and --dry-run print), without what a plan file adds. */
export async function plan(
  c: Ctx,
  specs: readonly AnySpec[],
  recorded: Parameters<typeof makePlan>[2],
  limiter: Limiter,
  handlerOf: HandlerOf,
) {
  const { steps } = (await makePlan(c, specs, recorded, limiter, handlerOf)).data;
  return steps.map(({ changes: _c, fingerprint: _f, ...rest }) => rest);
}

/** up: the plan made from the store, then applied. */
export async function apply(
  c: Ctx,
  specs: readonly AnySpec[],
  store: StateStore,
  reporter: Reporter,
  limiter: Limiter,
  signal?: AbortSignal,
  handlerOf: HandlerOf = () => undefined,
) {
  const p = await makePlan(c, specs, store.resources, limiter, handlerOf, {
    readErrorsToApply: true,
  });
  return applyPlan(c, p, store, reporter, limiter, signal);
}

/** Deletes the targets; the keys deleted. */
export async function destroyAll(
  c: Ctx,
  targets: readonly DestroyTarget[],
  store: StateStore | undefined,
  reporter: Reporter,
  limiter: Limiter,
  signal?: AbortSignal,
) {
  const r = await destroy(c, { deletes: targets, forget: [] }, store, reporter, limiter, signal);
  return { ...r, deleted: r.deleted.map((t) => t.key) };
}

/**
 * The engine on its own, with a toy resource kind over an in-memory cloud: what is created,
 * updated and deleted, in which order, what the state file records after each step,
 * what the user sees for each step, and what a failure or an interrupt leaves.
 */

export const TIMING: Timing = { minDelayMs: 1, maxDelayMs: 4, maxWaitMs: 200, iamPropagationMs: 0 };

export interface Props {
  name: string;
  value: string;
  shape?: string;
  parentArn?: string;
}

/** An in-memory cloud of one resource kind, recording every call. */
export class ToyCloud {
  readonly items = new Map<string, Props>();
  readonly calls: string[] = [];
  failOn = new Set<string>();
  kept = new Set<string>();
  interruptOn = new Set<string>();

  private fail(call: string): void {
    this.calls.push(call);
    if (this.failOn.has(call)) throw Object.assign(new Error("no capacity"), { name: "Throttled" });
  }

  observed(name: string): Observed<{ arn: string }, Props> | undefined {
    const p = this.items.get(name);
    return p && { id: name, outputs: { arn: `arn:toy:${name}` }, current: { ...p } };
  }

  handler(kind = "toy", superseded?: "forget"): ResourceHandler<Props, { arn: string }, Props> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const cloud = this;
    return {
      kind,
      label: "Toy thing",
      ...(superseded ? { superseded } : {}),
      displayId: (p) => p.name,
      observe(_ctx, p) {
        cloud.fail(`observe ${p.name}`);
        return Promise.resolve(cloud.observed(p.name));
      },
      diff(p, o): Change {
        return {
          fields: (["value", "parentArn", "shape"] as const).filter((f) => p[f] !== o.current[f]),
        };
      },
      create(c, p) {
        c.progress(`making ${p.name}`);
        cloud.fail(`create ${p.name}`);
        cloud.items.set(p.name, { ...p });
        return Promise.resolve(cloud.observed(p.name)!);
      },
      update(_ctx, p) {
        cloud.fail(`update ${p.name}`);
        cloud.items.set(p.name, { ...p });
        return Promise.resolve(cloud.observed(p.name)!);
      },
      destroy(_ctx, entry) {
        cloud.fail(`destroy ${entry.id}`);
        if (cloud.interruptOn.has(entry.id)) throw new Interrupted("interrupted while waiting");
        if (cloud.kept.has(entry.id)) return Promise.resolve({ kept: "shared with others" });
        cloud.items.delete(entry.id);
        return Promise.resolve();
      },
      exists(_ctx, entry) {
        cloud.calls.push(`exists ${entry.id}`);
        return Promise.resolve(cloud.items.has(entry.id));
      },
    };
  }
}

export function ctx(signal?: AbortSignal): Ctx {
  return {
    timing: TIMING,
    progress: () => undefined,
    signal,
  } as unknown as Ctx;
}

/** Every step the user would see: "creating Toy thing a", "done a created", "fail a …". */
export function recordingReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    step: (verb, label, id) => {
      lines.push(`${verb} ${label} ${id}`);
      return {
        progress: (m) => lines.push(`progress ${id} ${m}`),
        done: (outcome, detail) =>
          lines.push(`done ${id} ${outcome}${detail ? ` (${detail})` : ""}`),
        fail: (m) => lines.push(`fail ${id} ${m}`),
      };
    },
    info: () => undefined,
    warn: () => undefined,
    close: () => undefined,
  };
}

export function newStore(state?: StackState): { store: StateStore; onDisk: () => StackState } {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "sa-engine-")), "s.json");
  const store = new StateStore(
    file,
    state ?? emptyState({ stage: "s", account: "1", region: "r" }),
  );
  return { store, onDisk: () => JSON.parse(readFileSync(file, "utf8")) as StackState };
}

/** a ← b (b reads a's arn) and an independent c. */
export function stack(
  cloud: ToyCloud,
  over: Partial<Record<"a" | "b" | "c", Partial<Props>>> = {},
): AnySpec[] {
  const h = cloud.handler();
  return [
    {
      key: "b",
      handler: h,
      dependsOn: ["a"],
      needs: ["a"],
      props: (outputsOf) => {
        const a = outputsOf("a");
        return a && { name: "bee", value: "1", parentArn: a.arn, ...over.b };
      },
    },
    {
      key: "a",
      handler: h,
      dependsOn: [],
      needs: [],
      props: () => ({ name: "ay", value: "1", ...over.a }),
    },
    {
      key: "c",
      handler: h,
      dependsOn: [],
      needs: [],
      props: () => ({ name: "cee", value: "1", ...over.c }),
    },
  ];
}
