import { describe, expect, it, vi } from "vitest";
import { Limiter } from "../../src/engine/limit.js";
import { Interrupted } from "../../src/engine/apply.js";
import { orphanKey, sweepTargets, type DestroyTarget, type Orphan } from "../../src/engine/plan.js";
import type { Ctx } from "../../src/engine/types.js";
import { ResourceError } from "../../src/errors.js";
import type { StateStore } from "../../src/state/store.js";
import { apply, destroyAll, ToyCloud, ctx, recordingReporter, newStore, stack } from "./toy.js";

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

describe("engine edge cases", () => {
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
});

describe("engine extras", () => {
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
});
