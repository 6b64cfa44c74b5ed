import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { deepEqual, hasTags, sameJson } from "../../src/engine/equal.js";
import { dependents, topoOrder } from "../../src/engine/graph.js";
import { Limiter } from "../../src/engine/limit.js";
import { apply as applyPlan, destroy, Interrupted } from "../../src/engine/apply.js";
import {
  entryOf,
  orphanKey,
  plan as makePlan,
  sweepTargets,
  type DestroyTarget,
  type HandlerOf,
  type Orphan,
} from "../../src/engine/plan.js";
import { backoff, pause, retryWhile, waitFor } from "../../src/engine/retry.js";
import {
  DEFAULT_TIMING,
  scaleTiming,
  type AnySpec,
  type Change,
  type Ctx,
  type Observed,
  type ResourceHandler,
  type Timing,
} from "../../src/engine/types.js";
import { ResourceError } from "../../src/errors.js";
import type { Reporter } from "../../src/report/reporter.js";
import { emptyState, StateStore, type StackState } from "../../src/state/store.js";

/** The plan's steps (what status and --dry-run print). */
async function plan(
  c: Ctx,
  specs: readonly AnySpec[],
  recorded: Parameters<typeof makePlan>[2],
  limiter: Limiter,
  handlerOf: HandlerOf,
) {
  return (await makePlan(c, specs, recorded, limiter, handlerOf)).steps;
}

/** up: the plan made from the store, then applied. */
async function apply(
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
async function destroyAll(
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

const TIMING: Timing = { minDelayMs: 1, maxDelayMs: 4, maxWaitMs: 200, iamPropagationMs: 0 };

interface Props {
  name: string;
  value: string;
  shape?: string;
  parentArn?: string;
}

/** An in-memory cloud of one resource kind, recording every call. */
class ToyCloud {
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

function ctx(signal?: AbortSignal): Ctx {
  return {
    timing: TIMING,
    progress: () => undefined,
    signal,
  } as unknown as Ctx;
}

/** Every step the user would see: "creating Toy thing a", "done a created", "fail a …". */
function recordingReporter(): Reporter & { lines: string[] } {
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

function newStore(state?: StackState): { store: StateStore; onDisk: () => StackState } {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "sa-engine-")), "s.json");
  const store = new StateStore(
    file,
    state ?? emptyState({ stage: "s", account: "1", region: "r" }),
  );
  return { store, onDisk: () => JSON.parse(readFileSync(file, "utf8")) as StackState };
}

/** a ← b (b reads a's arn) and an independent c. */
function stack(
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

describe("apply", () => {
  it("creates in dependency order, records each resource, reports each step", async () => {
    const cloud = new ToyCloud();
    const { store, onDisk } = newStore();
    const reporter = recordingReporter();
    const r = await apply(ctx(), stack(cloud), store, reporter, new Limiter(1));
    expect(r.errors).toEqual([]);
    expect(Object.fromEntries(r.outcomes)).toEqual({
      a: { action: "create", fields: [] },
      b: { action: "create", fields: [] },
      c: { action: "create", fields: [] },
    });
    expect(Object.fromEntries(r.outputs)).toEqual({
      a: { arn: "arn:toy:ay" },
      b: { arn: "arn:toy:bee" },
      c: { arn: "arn:toy:cee" },
    });
    const creates = cloud.calls.filter((c) => c.startsWith("create"));
    expect(creates.indexOf("create ay")).toBeLessThan(creates.indexOf("create bee"));
    expect(cloud.items.get("bee")?.parentArn).toBe("arn:toy:ay");
    expect(onDisk().resources).toEqual({
      a: { kind: "toy", id: "ay", outputs: { arn: "arn:toy:ay" } },
      b: { kind: "toy", id: "bee", outputs: { arn: "arn:toy:bee" } },
      c: { kind: "toy", id: "cee", outputs: { arn: "arn:toy:cee" } },
    });
    expect(reporter.lines).toContain("creating Toy thing ay");
    // What a long step waits for is shown next to it.
    expect(reporter.lines).toContain("progress ay making ay");
    expect(reporter.lines).toContain("done ay created");
    expect(reporter.lines.filter((l) => l.startsWith("done"))).toHaveLength(3);
  });

  it("a second run changes nothing, writes nothing and reports no step", async () => {
    const cloud = new ToyCloud();
    const { store } = newStore();
    await apply(ctx(), stack(cloud), store, recordingReporter(), new Limiter(2));
    cloud.calls.length = 0;
    const record = vi.spyOn(store, "record");
    const reporter = recordingReporter();
    const r = await apply(ctx(), stack(cloud), store, reporter, new Limiter(2));
    expect(r.errors).toEqual([]);
    expect([...r.outcomes.values()].map((o) => o.action)).toEqual(["noop", "noop", "noop"]);
    expect(cloud.calls.filter((c) => !c.startsWith("observe"))).toEqual([]);
    expect(record).not.toHaveBeenCalled();
    expect(reporter.lines).toEqual([]);
    // Each resource read once: nothing it depends on changed.
    expect(cloud.calls.sort()).toEqual(["observe ay", "observe bee", "observe cee"]);
  });

  it("a dependency made again under a new name: its dependent is read again and updated", async () => {
    const cloud = new ToyCloud();
    const { store } = newStore();
    await apply(ctx(), stack(cloud), store, recordingReporter(), new Limiter(1));
    cloud.calls.length = 0;
    const r = await apply(
      ctx(),
      stack(cloud, { a: { name: "ay2" } }),
      store,
      recordingReporter(),
      new Limiter(1),
    );
    expect(r.errors).toEqual([]);
    expect(r.outcomes.get("b")).toEqual({ action: "update", fields: ["parentArn"] });
    // The plan finds the old one still there; the sweep deletes it once everything converged.
    expect(cloud.calls.filter((c) => !c.startsWith("observe"))).toEqual([
      "exists ay",
      "create ay2",
      "update bee",
      "destroy ay",
    ]);
    expect(r.sweep.deleted.map((t) => t.key)).toEqual(["a@ay"]);
    expect(cloud.items.get("bee")?.parentArn).toBe("arn:toy:ay2");
    expect(Object.keys(store.resources).sort()).toEqual(["a", "b", "c"]);
  });

  it("a changed field is updated in place, and named", async () => {
    const cloud = new ToyCloud();
    const { store } = newStore();
    await apply(ctx(), stack(cloud), store, recordingReporter(), new Limiter(1));
    cloud.calls.length = 0;
    const reporter = recordingReporter();
    const r = await apply(
      ctx(),
      stack(cloud, { c: { value: "2" } }),
      store,
      reporter,
      new Limiter(1),
    );
    expect(r.outcomes.get("c")).toEqual({ action: "update", fields: ["value"] });
    expect(cloud.calls.filter((c) => !c.startsWith("observe"))).toEqual(["update cee"]);
    expect(reporter.lines).toEqual(["updating Toy thing cee", "done cee updated (value)"]);
    expect(cloud.items.get("cee")?.value).toBe("2");
  });

  it("a resource whose id changed: the new one is made, the old one kept recorded aside until the sweep", async () => {
    const cloud = new ToyCloud();
    const { store, onDisk } = newStore();
    await apply(ctx(), stack(cloud), store, recordingReporter(), new Limiter(1));
    // Another resource fails: no sweep, so the old one stays recorded, aside.
    cloud.failOn.add("update ay");
    const r = await apply(
      ctx(),
      stack(cloud, { a: { value: "2" }, c: { name: "sea" } }),
      store,
      recordingReporter(),
      new Limiter(1),
    );
    expect(r.outcomes.get("c")).toEqual({ action: "create", fields: [] });
    expect(r.sweep.deleted).toEqual([]);
    expect(onDisk().resources).toMatchObject({
      c: { kind: "toy", id: "sea" },
      [orphanKey("c", "cee")]: { kind: "toy", id: "cee" },
    });
    expect(orphanKey("c", "cee")).toBe("c@cee");
    // The next run deletes it, after everything else converged, and forgets it.
    cloud.failOn.clear();
    cloud.calls.length = 0;
    const again = await apply(
      ctx(),
      stack(cloud, { a: { value: "2" }, c: { name: "sea" } }),
      store,
      recordingReporter(),
      new Limiter(1),
      undefined,
      (kind) => (kind === "toy" ? cloud.handler() : undefined),
    );
    expect(again.errors).toEqual([]);
    expect(cloud.calls.filter((c) => !c.startsWith("observe"))).toEqual([
      "exists cee",
      "update ay",
      "destroy cee",
    ]);
    expect(cloud.items.has("cee")).toBe(false);
    expect(Object.keys(onDisk().resources).sort()).toEqual(["a", "b", "c"]);
  });

  it("a failure stops the resources that depend on it, names the step; the rest finish", async () => {
    const cloud = new ToyCloud();
    cloud.failOn.add("create ay");
    const { store, onDisk } = newStore();
    const reporter = recordingReporter();
    const r = await apply(ctx(), stack(cloud), store, reporter, new Limiter(1));
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0] as ResourceError;
    expect(e).toBeInstanceOf(ResourceError);
    expect(e.message).toBe("creating Toy thing (ay): Throttled: no capacity");
    expect(cloud.calls).not.toContain("create bee");
    expect(cloud.calls).toContain("create cee");
    expect(Object.keys(onDisk().resources)).toEqual(["c"]);
    expect(reporter.lines).toContain("fail ay creating Toy thing (ay): Throttled: no capacity");
    expect(r.outcomes.has("b")).toBe(false);
  });

  it("a failed read is reported as reading, and nothing is made", async () => {
    const cloud = new ToyCloud();
    cloud.failOn.add("observe cee");
    const { store } = newStore();
    const r = await apply(ctx(), stack(cloud), store, recordingReporter(), new Limiter(1));
    expect(r.errors.map((e) => e.message)).toEqual([
      "reading Toy thing (cee): Throttled: no capacity",
    ]);
    expect(cloud.calls).not.toContain("create cee");
  });

  it("interrupted before it starts: nothing is made, and the run says so", async () => {
    const cloud = new ToyCloud();
    const { store } = newStore();
    const abort = new AbortController();
    abort.abort();
    const r = await apply(
      ctx(abort.signal),
      stack(cloud),
      store,
      recordingReporter(),
      new Limiter(1),
      abort.signal,
    );
    expect(cloud.calls.filter((c) => !c.startsWith("observe"))).toEqual([]);
    expect(r.errors.some((e) => e instanceof Interrupted)).toBe(true);
    expect(r.errors.every((e) => e instanceof Interrupted)).toBe(true);
  });
});

describe("plan", () => {
  it("says what up would do, without doing it", async () => {
    const cloud = new ToyCloud();
    const { store } = newStore();
    await apply(ctx(), stack(cloud), store, recordingReporter(), new Limiter(1));
    cloud.items.delete("cee");
    cloud.calls.length = 0;
    const rows = await plan(
      ctx(),
      stack(cloud, { a: { value: "9" }, b: { shape: "x" } }),
      store.resources,
      new Limiter(1),
      () => undefined,
    );
    expect(rows).toEqual([
      {
        key: "a",
        kind: "toy",
        label: "Toy thing",
        id: "ay",
        action: "update",
        fields: ["value"],
        missing: false,
      },
      {
        key: "b",
        kind: "toy",
        label: "Toy thing",
        id: "bee",
        action: "update",
        fields: ["shape"],
        missing: false,
      },
      // Recorded, gone from AWS.
      {
        key: "c",
        kind: "toy",
        label: "Toy thing",
        id: "cee",
        action: "create",
        fields: [],
        missing: true,
      },
    ]);
    expect(cloud.calls.filter((c) => !c.startsWith("observe") && !c.startsWith("exists"))).toEqual(
      [],
    );
  });

  it("a resource waiting for a dependency that does not exist yet: its id, known without the dependency", async () => {
    const cloud = new ToyCloud();
    const rows = await plan(ctx(), stack(cloud), {}, new Limiter(1), () => undefined);
    // b's name does not hang on a's outputs (a's ARN is only one of its fields).
    expect(rows.map((r) => [r.key, r.id, r.action, r.missing])).toEqual([
      ["a", "ay", "create", false],
      ["b", "bee", "create", false],
      ["c", "cee", "create", false],
    ]);
    expect(cloud.calls).not.toContain("observe bee");
    const recorded = { b: { kind: "toy", id: "old-bee", outputs: {} } };
    const again = await plan(ctx(), stack(cloud), recorded, new Limiter(1), () => undefined);
    expect(again.find((r) => r.key === "b")).toMatchObject({ id: "bee", missing: true });
  });

  it("recorded resources the stack has no place for are deleted if they still exist", async () => {
    const cloud = new ToyCloud();
    const h = cloud.handler();
    cloud.items.set("old", { name: "old", value: "1" });
    const recorded = {
      gone: { kind: "toy", id: "vanished", outputs: {} },
      extra: { kind: "toy", id: "old", outputs: {} },
      unknownKind: { kind: "other", id: "x", outputs: {} },
    };
    const rows = await plan(ctx(), stack(cloud), recorded, new Limiter(1), (k) =>
      k === "toy" ? h : undefined,
    );
    expect(rows.slice(3)).toEqual([
      {
        key: "extra",
        kind: "toy",
        label: "Toy thing",
        id: "old",
        action: "delete",
        fields: [],
        missing: false,
      },
    ]);
  });

  it("a resource observed under another id than recorded: the recorded one is swept", async () => {
    const cloud = new ToyCloud();
    cloud.items.set("cee", { name: "cee", value: "1" });
    cloud.items.set("cee-old", { name: "cee-old", value: "1" });
    const recorded = { c: { kind: "toy", id: "cee-old", outputs: {} } };
    const rows = await plan(ctx(), stack(cloud), recorded, new Limiter(1), () => undefined);
    expect(rows.find((r) => r.key === "c")).toMatchObject({ action: "noop", id: "cee" });
    expect(rows.at(-1)).toMatchObject({ key: "c@cee-old", id: "cee-old", action: "delete" });
    // Gone already: nothing to sweep.
    cloud.items.delete("cee-old");
    const again = await plan(ctx(), stack(cloud), recorded, new Limiter(1), () => undefined);
    expect(again.map((r) => r.action)).toEqual(["create", "create", "noop"]);
  });
});

describe("destroyAll", () => {
  function targets(cloud: ToyCloud): DestroyTarget[] {
    const h = cloud.handler();
    const t = (key: string, id: string, after: string[]): DestroyTarget => ({
      key,
      handler: h,
      entry: { kind: "toy", id, outputs: {} },
      after,
    });
    // "a" goes after "b" (b depends on it); "c" on its own.
    return [t("a", "ay", ["b"]), t("b", "bee", []), t("c", "cee", [])];
  }

  async function filled(cloud: ToyCloud): Promise<StateStore> {
    const { store } = newStore();
    await apply(ctx(), stack(cloud), store, recordingReporter(), new Limiter(1));
    cloud.calls.length = 0;
    return store;
  }

  it("deletes dependents first, forgets each, reports each", async () => {
    const cloud = new ToyCloud();
    const store = await filled(cloud);
    const reporter = recordingReporter();
    const r = await destroyAll(ctx(), targets(cloud), store, reporter, new Limiter(1));
    expect(r.errors).toEqual([]);
    expect([...r.deleted].sort()).toEqual(["a", "b", "c"]);
    expect(cloud.calls.indexOf("destroy bee")).toBeLessThan(cloud.calls.indexOf("destroy ay"));
    expect(store.resources).toEqual({});
    expect(reporter.lines).toContain("deleting Toy thing ay");
    expect(reporter.lines).toContain("done ay deleted");
  });

  it("a kept resource is reported with its reason and forgotten", async () => {
    const cloud = new ToyCloud();
    const store = await filled(cloud);
    cloud.kept.add("cee");
    const reporter = recordingReporter();
    const r = await destroyAll(ctx(), targets(cloud), store, reporter, new Limiter(1));
    expect(r.kept).toEqual([
      { key: "c", id: "cee", label: "Toy thing", reason: "shared with others" },
    ]);
    expect(r.deleted).not.toContain("c");
    expect(reporter.lines).toContain("done cee kept (shared with others)");
    expect(store.resources.c).toBeUndefined();
  });

  it("a failure keeps what it depends on, names the step, and the rest go", async () => {
    const cloud = new ToyCloud();
    const store = await filled(cloud);
    cloud.failOn.add("destroy bee");
    const reporter = recordingReporter();
    const r = await destroyAll(ctx(), targets(cloud), store, reporter, new Limiter(1));
    expect(r.errors.map((e) => e.message)).toEqual([
      "deleting Toy thing (bee): Throttled: no capacity",
    ]);
    expect(cloud.calls).not.toContain("destroy ay");
    expect(r.deleted).toEqual(["c"]);
    expect(Object.keys(store.resources).sort()).toEqual(["a", "b"]);
    expect(reporter.lines).toContain("fail bee deleting Toy thing (bee): Throttled: no capacity");
  });

  it("without a state file, and interrupted: nothing is deleted", async () => {
    const cloud = new ToyCloud();
    await filled(cloud);
    const r = await destroyAll(
      ctx(),
      targets(cloud),
      undefined,
      recordingReporter(),
      new Limiter(1),
    );
    expect([...r.deleted].sort()).toEqual(["a", "b", "c"]);
    const again = new ToyCloud();
    await filled(again);
    const abort = new AbortController();
    abort.abort();
    const stopped = await destroyAll(
      ctx(abort.signal),
      targets(again),
      undefined,
      recordingReporter(),
      new Limiter(1),
      abort.signal,
    );
    expect(again.calls).toEqual([]);
    expect(stopped.deleted).toEqual([]);
    expect(stopped.errors.length).toBeGreaterThan(0);
    expect(stopped.errors.every((e) => e instanceof Interrupted)).toBe(true);
  });

  it("sweepTargets: an orphan whose outputs name another is deleted first", () => {
    const h = new ToyCloud().handler();
    const o = (key: string, id: string, outputs: Record<string, string>): Orphan => ({
      key,
      handler: h,
      entry: { kind: "toy", id, outputs },
    });
    const topic = o("topic", "t", { arn: "arn:topic" });
    const sub = o("sub", "s", { topicArn: "arn:topic" });
    const key = o("key", "k", { aliasArn: "arn:alias" });
    const byAlias = o("user", "u", { keyRef: "arn:alias" });
    const byId = o("user2", "u2", { ref: "k" });
    const lone = o("lone", "l", { arn: "" });
    const t = sweepTargets([topic, sub, key, byAlias, byId, lone]);
    expect(Object.fromEntries(t.map((x) => [x.key, [...x.after].sort()]))).toEqual({
      topic: ["sub"],
      sub: [],
      key: ["user", "user2"],
      user: [],
      user2: [],
      lone: [],
    });
  });
});

describe("entryOf, graph", () => {
  it("entryOf records kind, id and outputs only", () => {
    const h = new ToyCloud().handler("toy-kind");
    expect(entryOf(h, { id: "i", outputs: { arn: "a" }, current: { secret: 1 } })).toEqual({
      kind: "toy-kind",
      id: "i",
      outputs: { arn: "a" },
    });
  });

  const node = (key: string, dependsOn: string[]): AnySpec =>
    ({ key, dependsOn, needs: [], handler: {} as never, props: () => ({}) }) as AnySpec;

  it("topoOrder: dependencies first, in the order given otherwise", () => {
    expect(topoOrder([node("c", ["b"]), node("b", ["a"]), node("a", []), node("d", [])])).toEqual([
      "a",
      "b",
      "c",
      "d",
    ]);
    expect(topoOrder([node("x", []), node("y", ["x"]), node("z", ["x", "y"])])).toEqual([
      "x",
      "y",
      "z",
    ]);
  });

  it("topoOrder refuses duplicates, cycles and unknown keys, naming them", () => {
    expect(() => topoOrder([node("a", []), node("a", [])])).toThrow(
      "duplicate resource keys in the stack",
    );
    expect(() => topoOrder([node("a", ["b"]), node("b", ["c"]), node("c", ["a"])])).toThrow(
      "dependency cycle: a -> b -> c -> a",
    );
    expect(() => topoOrder([node("a", ["a"])])).toThrow("dependency cycle: a -> a");
    expect(() => topoOrder([node("a", []), node("b", ["a", "zz"])])).toThrow(
      "b depends on unknown resource zz",
    );
  });

  it("dependents / reverseEdges: who depends on each key", () => {
    const specs = [node("a", []), node("b", ["a"]), node("c", ["a", "b"]), node("d", ["nope"])];
    const expected = { a: ["b", "c"], b: ["c"], c: [], d: [] };
    expect(Object.fromEntries(dependents(specs))).toEqual(expected);
    expect(Object.fromEntries(dependents(specs))).toEqual(expected);
  });
});

describe("Limiter", () => {
  it("refuses a size below 1", () => {
    expect(() => new Limiter(0)).toThrow("concurrency must be at least 1");
    expect(() => new Limiter(Number.NaN)).toThrow("concurrency must be at least 1");
    expect(new Limiter(1).size).toBe(1);
  });

  it("runs at most size tasks at once, the rest in order", async () => {
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (n: number) => async () => {
      started.push(n);
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      return n;
    };
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => limiter.run(task(n))));
    expect(results).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("a failing task frees its place", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("x")))).rejects.toThrow("x");
    await expect(limiter.run(() => Promise.resolve(7))).resolves.toBe(7);
  });

  it("reads: four times as wide, the same one each time; serial stays serial", async () => {
    const limiter = new Limiter(3);
    expect(limiter.reads.size).toBe(12);
    expect(limiter.reads).toBe(limiter.reads);
    const serial = new Limiter(1);
    expect(serial.reads).toBe(serial);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limiter.reads.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 2));
          active--;
        }),
      ),
    );
    expect(peak).toBe(12);
  });
});

describe("waiting and retrying", () => {
  const quiet = (progress: string[] = [], signal?: AbortSignal) => ({
    timing: TIMING,
    progress: (m: string) => progress.push(m),
    signal,
  });

  it("backoff: full jitter between the smallest delay and a ceiling that doubles", () => {
    const t = { minDelayMs: 10, maxDelayMs: 100, maxWaitMs: 1, iamPropagationMs: 0 };
    vi.spyOn(Math, "random").mockReturnValue(1);
    expect([0, 1, 2, 3, 4, 5].map((a) => backoff(t, a))).toEqual([10, 20, 40, 80, 100, 100]);
    vi.spyOn(Math, "random").mockReturnValue(0);
    expect(backoff(t, 3)).toBe(10);
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    expect(backoff(t, 2)).toBe(25);
    // A smallest delay above the largest: the smallest.
    expect(backoff({ ...t, minDelayMs: 200 }, 0)).toBe(200);
    vi.restoreAllMocks();
  });

  it("retryWhile: retries what is named transient, saying why, then succeeds", async () => {
    const progress: string[] = [];
    let n = 0;
    const value = await retryWhile(
      quiet(progress),
      () => (++n < 3 ? Promise.reject(new Error("busy")) : Promise.resolve("ok")),
      (err) => ((err as Error).message === "busy" ? "waiting: busy" : undefined),
    );
    expect(value).toBe("ok");
    expect(n).toBe(3);
    expect(progress).toEqual(["waiting: busy", "waiting: busy"]);
  });

  it("retryWhile: anything else fails at once; a transient one fails after maxWaitMs", async () => {
    let n = 0;
    const other = new Error("other");
    await expect(
      retryWhile(
        quiet(),
        () => (n++, Promise.reject(other)),
        () => undefined,
      ),
    ).rejects.toBe(other);
    expect(n).toBe(1);
    const busy = new Error("busy");
    const started = Date.now();
    await expect(
      retryWhile(
        quiet(),
        () => Promise.reject(busy),
        () => "busy",
      ),
    ).rejects.toBe(busy);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMING.maxWaitMs - 5);
  });

  it("waitFor: polls until done, says what it waits for once", async () => {
    const progress: string[] = [];
    let n = 0;
    const v = await waitFor(
      quiet(progress),
      "waiting for the toy",
      () => Promise.resolve(++n),
      (x) => (x >= 4 ? "done" : "pending"),
    );
    expect(v).toBe(4);
    expect(progress).toEqual(["waiting for the toy"]);
    const first = await waitFor(
      quiet(progress),
      "x",
      () => Promise.resolve(1),
      () => "done",
    );
    expect(first).toBe(1);
  });

  it("waitFor: a failure state and a timeout are errors that say what", async () => {
    await expect(
      waitFor(
        quiet(),
        "waiting for the toy",
        () => Promise.resolve(0),
        () => ({ failed: "it broke" }),
      ),
    ).rejects.toThrow("waiting for the toy failed: it broke");
    const slow = { ...quiet(), timing: { ...TIMING, maxWaitMs: 1600 } };
    const started = Date.now();
    await expect(
      waitFor(
        slow,
        "waiting for the toy",
        () => Promise.resolve(0),
        () => "pending",
      ),
    ).rejects.toThrow("timed out after 2 s waiting for the toy");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1600);
  });

  it("pause: waits, or stops at once with Interrupted when the run is interrupted", async () => {
    const started = Date.now();
    await pause({}, 20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const before = new AbortController();
    before.abort();
    await expect(pause({ signal: before.signal }, 10_000)).rejects.toThrow(Interrupted);
    await expect(pause({ signal: before.signal }, 10_000)).rejects.toThrow(
      "interrupted while waiting",
    );
    const during = new AbortController();
    const t0 = Date.now();
    setTimeout(() => during.abort(), 10);
    await expect(pause({ signal: during.signal }, 10_000)).rejects.toThrow(
      "interrupted while waiting",
    );
    expect(Date.now() - t0).toBeLessThan(5_000);
    // With a signal that is not aborted, it waits.
    await pause({ signal: new AbortController().signal }, 1);
  });

  it("an interrupted wait inside retryWhile stops it", async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(
      retryWhile(
        quiet([], abort.signal),
        () => Promise.reject(new Error("busy")),
        () => "busy",
      ),
    ).rejects.toBeInstanceOf(Interrupted);
  });
});

describe("equality", () => {
  it("deepEqual: plain data by structure, undefined fields ignored, the rest by identity", () => {
    expect(deepEqual({ a: 1, b: [1, { c: "x" }] }, { b: [1, { c: "x" }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, u: undefined })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(deepEqual({ a: 1 }, { b: 1 })).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(deepEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual([1], { 0: 1 })).toBe(false);
    expect(deepEqual({ 0: 1 }, [1])).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
    expect(deepEqual({}, null)).toBe(false);
    expect(deepEqual(1, "1")).toBe(false);
    expect(deepEqual(NaN, NaN)).toBe(true);
    expect(deepEqual(Object.create(null), {})).toBe(true);
    expect(deepEqual(Buffer.from("a"), Buffer.from("a"))).toBe(false);
    expect(deepEqual(new Date(0), {})).toBe(false);
    expect(deepEqual({}, new Date(0))).toBe(false);
  });

  it("sameJson: by meaning; undefined only equals undefined; unparsable compared as text", () => {
    expect(sameJson(undefined, undefined)).toBe(true);
    expect(sameJson(undefined, "{}")).toBe(false);
    expect(sameJson("{}", undefined)).toBe(false);
    expect(sameJson('{"a": 1}', '{ "a":1 }')).toBe(true);
    expect(sameJson("not json", "not json")).toBe(true);
    expect(sameJson("not json", "not  json")).toBe(false);
    // Lists of values: any order, duplicates ignored, one value the same as the value.
    expect(sameJson('{"a":["x","y","x"]}', '{"a":["y","x"]}')).toBe(true);
    expect(sameJson('{"a":["x"]}', '{"a":"x"}')).toBe(true);
    expect(sameJson('{"a":["x","z"]}', '{"a":["y","x"]}')).toBe(false);
    // Lists of objects keep their order.
    expect(sameJson('[{"a":1},{"b":2}]', '[{"b":2},{"a":1}]')).toBe(false);
    expect(sameJson('[{"a":1},{"b":2}]', '[{"a":1},{"b":2}]')).toBe(true);
    // URL-encoded, as IAM returns documents.
    expect(sameJson(encodeURIComponent('{"a":"b c"}'), '{"a":"b c"}')).toBe(true);
    expect(sameJson(`  ${encodeURIComponent('{"a":1}')}`, '{"a":1}')).toBe(true);
    expect(sameJson('{"a":"100%"}', '{"a":"100%"}')).toBe(true);
  });

  it("hasTags: every desired tag with its value; others' tags are fine", () => {
    expect(hasTags({ a: "1", other: "x" }, { a: "1" })).toBe(true);
    expect(hasTags({ a: "2" }, { a: "1" })).toBe(false);
    expect(hasTags({}, { a: "1" })).toBe(false);
    expect(hasTags(undefined, { a: "1" })).toBe(false);
    expect(hasTags(undefined, {})).toBe(true);
  });
});

describe("engine edge cases", () => {
  it("props that fail for another reason than a missing dependency fail the plan", async () => {
    const cloud = new ToyCloud();
    const bad: AnySpec = {
      key: "bad",
      handler: cloud.handler(),
      dependsOn: [],
      needs: [],
      props: () => {
        throw new Error("bad props");
      },
    };
    await expect(plan(ctx(), [bad], {}, new Limiter(1), () => undefined)).rejects.toThrow(
      "bad props",
    );
    const stray: AnySpec = {
      key: "s",
      handler: cloud.handler(),
      dependsOn: [],
      needs: ["nope"],
      props: (outputsOf) => ({ name: outputsOf("nope")?.arn ?? "", value: "1" }),
    };
    await expect(plan(ctx(), [stray], {}, new Limiter(1), () => undefined)).rejects.toThrow(
      "unknown resource nope",
    );
  });

  it("orphans are deleted once each, the one naming another first; wanted keys are not orphans", async () => {
    const cloud = new ToyCloud();
    const h = cloud.handler();
    for (const n of ["topic", "sub", "cee"]) cloud.items.set(n, { name: n, value: "1" });
    const recorded = {
      // The topic is listed first, but its subscription names it: the subscription goes first.
      t: { kind: "toy", id: "topic", outputs: { arn: "arn:topic" } },
      s: { kind: "toy", id: "sub", outputs: { topicArn: "arn:topic", other: "x" } },
      c: { kind: "toy", id: "cee", outputs: { arn: "arn:toy:cee" } },
    };
    const rows = await plan(ctx(), stack(cloud), recorded, new Limiter(1), (k) =>
      k === "toy" ? h : undefined,
    );
    expect(rows.filter((r) => r.action === "delete").map((r) => r.key)).toEqual(["s", "t"]);
  });

  it("sweepTargets: an empty output names nothing; one matching output is enough", () => {
    const h = new ToyCloud().handler();
    const o = (key: string, id: string, outputs: Record<string, string>): Orphan => ({
      key,
      handler: h,
      entry: { kind: "toy", id, outputs },
    });
    const t = sweepTargets([
      o("a", "a", { arn: "" }),
      o("b", "b", { note: "" }),
      o("c", "c", { x: "a", y: "zz" }),
    ]);
    expect(Object.fromEntries(t.map((x) => [x.key, x.after]))).toEqual({ a: ["c"], b: [], c: [] });
  });

  it("a destroy target waiting on a key that is not a target is still deleted", async () => {
    const cloud = new ToyCloud();
    cloud.items.set("x", { name: "x", value: "1" });
    const target: DestroyTarget = {
      key: "x",
      handler: cloud.handler(),
      entry: { kind: "toy", id: "x", outputs: {} },
      after: ["elsewhere"],
    };
    const r = await destroyAll(ctx(), [target], undefined, recordingReporter(), new Limiter(1));
    expect(r.deleted).toEqual(["x"]);
  });

  it("a wait cut short while deleting is an interrupt, not a failed resource", async () => {
    const cloud = new ToyCloud();
    cloud.items.set("x", { name: "x", value: "1" });
    cloud.interruptOn.add("x");
    const reporter = recordingReporter();
    const target: DestroyTarget = {
      key: "x",
      handler: cloud.handler(),
      entry: { kind: "toy", id: "x", outputs: {} },
      after: [],
    };
    const r = await destroyAll(ctx(), [target], undefined, reporter, new Limiter(1));
    expect(r.errors).toEqual([]);
    expect(reporter.lines).toEqual(["deleting Toy thing x", "fail x interrupted while waiting"]);
  });

  it("displaced resources: only of the same kind, not forgotten ones, found without exists too", async () => {
    const cloud = new ToyCloud();
    cloud.items.set("cee", { name: "cee", value: "1" });
    cloud.items.set("cee-old", { name: "cee-old", value: "1" });
    const withHandler = (h: ResourceHandler<Props, { arn: string }, Props>): AnySpec[] => [
      {
        key: "c",
        handler: h,
        dependsOn: [],
        needs: [],
        props: () => ({ name: "cee", value: "1" }),
      },
    ];
    const deletes = async (h: ResourceHandler<Props, { arn: string }, Props>, kind = "toy") =>
      (
        await plan(
          ctx(),
          withHandler(h),
          { c: { kind, id: "cee-old", outputs: {} } },
          new Limiter(1),
          () => undefined,
        )
      )
        .filter((r) => r.action === "delete")
        .map((r) => r.key);
    expect(await deletes(cloud.handler())).toEqual(["c@cee-old"]);
    expect(await deletes(cloud.handler(), "other")).toEqual([]);
    expect(await deletes(cloud.handler("toy", "forget"))).toEqual([]);
    const { exists: _exists, ...noExists } = cloud.handler();
    expect(await deletes(noExists)).toEqual(["c@cee-old"]);
    // Not found where the stack wants it, and no way to tell whether the recorded one is gone.
    cloud.items.delete("cee");
    const rows = await plan(
      ctx(),
      withHandler(noExists),
      { c: { kind: "toy", id: "cee-old", outputs: {} } },
      new Limiter(1),
      () => undefined,
    );
    expect(rows).toEqual([
      {
        key: "c",
        kind: "toy",
        label: "Toy thing",
        id: "cee",
        action: "create",
        fields: [],
        missing: true,
      },
    ]);
  });

  it("a resource named after a missing dependency: what is recorded is swept, the new one pending", async () => {
    const cloud = new ToyCloud();
    const h = cloud.handler();
    cloud.items.set("old-bee", { name: "old-bee", value: "1" });
    const specs: AnySpec[] = [
      { key: "a", handler: h, dependsOn: [], needs: [], props: () => ({ name: "ay", value: "1" }) },
      {
        key: "b",
        handler: h,
        dependsOn: ["a"],
        needs: ["a"],
        props: (outputsOf) => {
          const a = outputsOf("a");
          return a && { name: `bee-${a.arn}`, value: "1" };
        },
      },
    ];
    const recorded = { b: { kind: "toy", id: "old-bee", outputs: {} } };
    const rows = await plan(ctx(), specs, recorded, new Limiter(1), () => undefined);
    expect(rows.map((r) => [r.key, r.id, r.action, r.missing])).toEqual([
      ["a", "ay", "create", false],
      ["b", "(pending)", "create", false],
      ["b@old-bee", "old-bee", "delete", false],
    ]);
    // Gone already: nothing to sweep, and it is not reported missing either.
    cloud.items.delete("old-bee");
    const again = await plan(ctx(), specs, recorded, new Limiter(1), () => undefined);
    expect(again.map((r) => [r.key, r.id, r.action, r.missing])).toEqual([
      ["a", "ay", "create", false],
      ["b", "old-bee", "create", true],
    ]);
  });
});

describe("equality edge cases", () => {
  it("deepEqual of an object and undefined is false", () => {
    expect(deepEqual({}, undefined)).toBe(false);
    expect(deepEqual(undefined, {})).toBe(false);
  });

  it("sameJson: one object in a list is not the object; nulls sort with values; null fields compare", () => {
    expect(sameJson('[{"a":1}]', '{"a":1}')).toBe(false);
    expect(sameJson('["a", null]', '[null, "a"]')).toBe(true);
    expect(sameJson('{"a":null}', '{ "a": null }')).toBe(true);
    expect(sameJson("{%22a%22:1}", '{"a":1}')).toBe(true);
    expect(sameJson("  %5B1%5D", "[1]")).toBe(true);
    expect(sameJson("%5B1%5D", "[1]")).toBe(true);
  });

  it("Interrupted: its name, and the message of a step never started", () => {
    const e = new Interrupted();
    expect(e.name).toBe("Interrupted");
    expect(e.message).toBe("interrupted before this step started");
  });
});

describe("retry timing", () => {
  it("the delay doubles with each attempt (retryWhile and waitFor)", async () => {
    vi.spyOn(Math, "random").mockReturnValue(1);
    const timing = { minDelayMs: 1, maxDelayMs: 1000, maxWaitMs: 5000, iamPropagationMs: 0 };
    const c = { timing, progress: () => undefined };
    let n = 0;
    let started = Date.now();
    await retryWhile(
      c,
      () => (++n < 8 ? Promise.reject(new Error("busy")) : Promise.resolve()),
      () => "busy",
    );
    // 1 + 2 + 4 + … + 64 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    n = 0;
    started = Date.now();
    await waitFor(
      c,
      "x",
      () => Promise.resolve(++n),
      (v) => (v >= 8 ? "done" : "pending"),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    vi.restoreAllMocks();
  });

  it("maxWaitMs 0: the first transient failure, or the first pending look, is the last", async () => {
    vi.spyOn(Date, "now").mockReturnValue(1_000_000);
    const c = { timing: { ...TIMING, maxWaitMs: 0 }, progress: () => undefined };
    let n = 0;
    await expect(
      retryWhile(
        c,
        () => (++n < 2 ? Promise.reject(new Error("busy")) : Promise.resolve("ok")),
        () => "busy",
      ),
    ).rejects.toThrow("busy");
    expect(n).toBe(1);
    let m = 0;
    await expect(
      waitFor(
        c,
        "the toy",
        () => Promise.resolve(++m),
        (v) => (v >= 2 ? "done" : "pending"),
      ),
    ).rejects.toThrow("timed out after 0 s the toy");
    vi.restoreAllMocks();
  });
});

describe("engine extras", () => {
  it("sameJson: a % that is not an escape is text; mixed lists keep their order", () => {
    expect(sameJson('{"a":"100%"}', '{ "a": "100%" }')).toBe(true);
    expect(sameJson('["a", {"b":1}]', '[{"b":1}, "a"]')).toBe(false);
  });

  it("trace: when each resource was read, changed and deleted", async () => {
    const cloud = new ToyCloud();
    const { store } = newStore();
    const events: { key: string; phase: string; start: number; end: number }[] = [];
    const traced = { ...ctx(), trace: (e: (typeof events)[number]) => events.push(e) } as Ctx;
    await apply(traced, stack(cloud), store, recordingReporter(), new Limiter(1));
    const h = cloud.handler();
    const target = (key: string, id: string): DestroyTarget => ({
      key,
      handler: h,
      entry: { kind: "toy", id, outputs: {} },
      after: [],
    });
    await destroyAll(traced, [target("c", "cee")], store, recordingReporter(), new Limiter(1));
    const phases = events.map((e) => `${e.phase} ${e.key}`).sort();
    // b is not read up front: it needs a's outputs, and a does not exist yet.
    expect(phases).toEqual([
      "change a",
      "change b",
      "change c",
      "destroy c",
      "observe a",
      "observe c",
    ]);
    for (const e of events) expect(e.end).toBeGreaterThanOrEqual(e.start);
  });

  it("scaleTiming shortens the pauses, not the deadline", () => {
    expect(
      scaleTiming(
        { minDelayMs: 100, maxDelayMs: 1000, maxWaitMs: 60_000, iamPropagationMs: 10_000 },
        0.5,
      ),
    ).toEqual({
      minDelayMs: 50,
      maxDelayMs: 500,
      maxWaitMs: 60_000,
      iamPropagationMs: 5_000,
    });
    expect(DEFAULT_TIMING).toEqual({
      minDelayMs: 250,
      maxDelayMs: 1000,
      maxWaitMs: 600_000,
      iamPropagationMs: 10_000,
    });
  });
});
