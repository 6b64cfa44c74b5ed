import { describe, expect, it } from "vitest";
import { Limiter } from "../../src/engine/limit.js";
import { entryOf, sweepTargets, type Orphan } from "../../src/engine/plan.js";
import { type AnySpec, type ResourceHandler } from "../../src/engine/types.js";
import {
  plan,
  apply,
  type Props,
  ToyCloud,
  ctx,
  recordingReporter,
  newStore,
  stack,
} from "./toy.js";

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

describe("entryOf, graph", () => {
  it("entryOf records kind, id and outputs only", () => {
    const h = new ToyCloud().handler("toy-kind");
    expect(entryOf(h, { id: "i", outputs: { arn: "a" }, current: { secret: 1 } })).toEqual({
      kind: "toy-kind",
      id: "i",
      outputs: { arn: "a" },
    });
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
