import { describe, expect, it } from "vitest";
import { lifecycle, type Fixer, type Kind } from "../../src/engine/kind.js";
import type { Ctx, Observed, Outputs, StateEntry } from "../../src/engine/types.js";

/**
 * A kind as the engine runs it (create → read back → converge, adoption, fixes per field,
 * not-found-is-done on delete), with a toy kind over an in-memory cloud that records every call
 * it receives.
 */

const CTX = { progress: () => undefined } as unknown as Ctx;

interface ToyProps {
  readonly name: string;
  readonly size: number;
  readonly mode: string;
  readonly tags: string;
  readonly policy: string;
}
type ToyOut = { readonly arn: string; readonly version: string };
interface Current {
  size: number;
  mode: string;
  tags: string;
  policy: string;
  /** Bumped by the fixes AWS versions (reconfigure, putPolicy), not by retag. */
  version: number;
}
type Field = "size" | "mode" | "tags" | "policy";
type ToyKind = Kind<ToyProps, ToyOut, Current, Field>;
type ToyFixer = Fixer<ToyProps, ToyOut, Current, Field>;

/** The order diff names fields in: the reverse of the fix table's. */
const DIFF_ORDER: readonly Field[] = ["policy", "tags", "mode", "size"];

function named(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

/** An in-memory cloud of one resource kind, recording every call the kind receives. */
class ToyCloud {
  readonly items = new Map<string, Current>();
  readonly calls: string[] = [];
  /** Resources whose delete fails with this error. */
  readonly failDelete = new Map<string, unknown>();
  /** Resources delete deliberately keeps. */
  readonly kept = new Set<string>();

  observed(name: string): Observed<ToyOut, Current> | undefined {
    const c = this.items.get(name);
    return (
      c && {
        id: name,
        outputs: { arn: `arn:toy:${name}`, version: String(c.version) },
        current: { ...c },
      }
    );
  }

  /** What a fresh create makes: the size asked for, everything else by default. */
  make(p: ToyProps, version = 1): void {
    this.items.set(p.name, { size: p.size, mode: "standard", tags: "", policy: "", version });
  }
}

const INITIAL = { mode: "standard", tags: "", policy: "" } as const;

function toyKind(cloud: ToyCloud): ToyKind {
  const item = (name: string): Current => {
    const c = cloud.items.get(name);
    if (!c) throw named("ResourceNotFoundException");
    return c;
  };
  // What each fixer was given: which fields, and the observed (id, outputs) it saw.
  const saw = (fixer: string, o: Observed<ToyOut, Current>, fields: ReadonlySet<Field>) =>
    cloud.calls.push(`${fixer} ${[...fields].join(",")} (${o.id} v${o.outputs.version})`);
  // One call sets size and mode together, and makes a new version.
  const reconfigure: ToyFixer = (_ctx, p, o, fields) => {
    saw("reconfigure", o, fields);
    const c = item(p.name);
    c.size = p.size;
    c.mode = p.mode;
    c.version += 1;
    return Promise.resolve({ version: String(c.version) });
  };
  // Changes no output.
  const retag: ToyFixer = (_ctx, p, o, fields) => {
    saw("retag", o, fields);
    item(p.name).tags = p.tags;
    return Promise.resolve();
  };
  const putPolicy: ToyFixer = (_ctx, p, o, fields) => {
    saw("putPolicy", o, fields);
    const c = item(p.name);
    c.policy = p.policy;
    c.version += 1;
    return Promise.resolve({ version: String(c.version) });
  };
  return {
    kind: "toy",
    label: "Toy thing",
    clients: [],
    displayId: (p) => `toy/${p.name}`,
    read(_ctx, p, recorded) {
      cloud.calls.push(recorded ? `read ${p.name} (recorded ${recorded.id})` : `read ${p.name}`);
      return Promise.resolve(cloud.observed(p.name));
    },
    diff: (p, o) => DIFF_ORDER.filter((f) => p[f] !== o.current[f]),
    values: (p, o) =>
      Object.fromEntries(DIFF_ORDER.map((f) => [f, { observed: o.current[f], desired: p[f] }])) as {
        [K in Field]: { observed: unknown; desired: unknown };
      },
    fix: { size: reconfigure, tags: retag, mode: reconfigure, policy: putPolicy },
    beforeFix(_ctx, _p, o) {
      cloud.calls.push(`beforeFix (${o.id} v${o.outputs.version})`);
      return Promise.resolve();
    },
    create(_ctx, p) {
      cloud.calls.push(`create ${p.name}`);
      if (cloud.items.has(p.name)) return Promise.reject(named("ToyAlreadyExists"));
      cloud.make(p);
      return Promise.resolve();
    },
    alreadyExists: (err) => (err as Error).name === "ToyAlreadyExists",
    delete(_ctx, entry) {
      cloud.calls.push(`delete ${entry.id}`);
      if (cloud.failDelete.has(entry.id)) return Promise.reject(cloud.failDelete.get(entry.id));
      if (!cloud.items.has(entry.id)) return Promise.reject(named("ResourceNotFoundException"));
      if (cloud.kept.has(entry.id)) return Promise.resolve({ kept: "shared with other stacks" });
      cloud.items.delete(entry.id);
      return Promise.resolve();
    },
    gone: (err) => (err as Error).name === "ToyGone",
  };
}

function props(over: Partial<ToyProps> = {}): ToyProps {
  return { name: "a", size: 1, ...INITIAL, ...over };
}

const ENTRY: StateEntry = { kind: "toy", id: "a", outputs: { arn: "arn:toy:a", version: "1" } };

describe("lifecycle: what a kind is, seen as a handler", () => {
  it("kind, label and displayId come from the kind; observe is its read, given the record", async () => {
    const cloud = new ToyCloud();
    const h = lifecycle(toyKind(cloud));
    expect(h.kind).toBe("toy");
    expect(h.label).toBe("Toy thing");
    expect(h.displayId(props({ name: "b" }))).toBe("toy/b");
    expect(await h.observe(CTX, props(), ENTRY)).toBeUndefined();
    cloud.make(props());
    expect(await h.observe(CTX, props(), undefined)).toEqual(cloud.observed("a"));
    expect(cloud.calls).toEqual(["read a (recorded a)", "read a"]);
  });

  it("diff is the kind's fields, as a change (no replace)", () => {
    const cloud = new ToyCloud();
    cloud.make(props());
    const h = lifecycle(toyKind(cloud));
    const o = cloud.observed("a")!;
    expect(h.diff(props({ size: 2, tags: "t" }), o)).toStrictEqual({ fields: ["tags", "size"] });
    expect(h.diff(props(), o)).toStrictEqual({ fields: [] });
    expect(cloud.calls).toEqual([]);
  });

  it("the optional parts are there only when the kind has them", () => {
    const h = lifecycle(toyKind(new ToyCloud()));
    expect(Object.keys(h).sort()).toEqual([
      "clients",
      "create",
      "destroy",
      "diff",
      "displayId",
      "kind",
      "label",
      "observe",
      "update",
      "values",
    ]);
    expect("exists" in h || "keeps" in h || "superseded" in h || "shared" in h).toBe(false);
  });

  it("values are the kind's, field by field", () => {
    const cloud = new ToyCloud();
    cloud.make(props());
    const h = lifecycle(toyKind(cloud));
    const o = cloud.observed("a");
    if (!o) throw new Error("not made");
    expect(h.values?.({ ...props(), size: 9 }, o)).toEqual({
      policy: { observed: o.current.policy, desired: props().policy },
      tags: { observed: o.current.tags, desired: props().tags },
      mode: { observed: o.current.mode, desired: props().mode },
      size: { observed: o.current.size, desired: 9 },
    });
  });

  it("exists and keeps are the kind's own (called on the kind); superseded and shared pass through", async () => {
    const cloud = new ToyCloud();
    cloud.make(props());
    const k: ToyKind = {
      ...toyKind(cloud),
      exists(_ctx, entry) {
        return Promise.resolve(`${this.kind}:${entry.id}` === "toy:a");
      },
      keeps(_ctx, entry) {
        return Promise.resolve(`${this.label} ${entry.id} is shared`);
      },
      superseded: "forget",
      shared: true,
    };
    const { exists, keeps, superseded, shared } = lifecycle(k);
    expect(await exists?.(CTX, ENTRY)).toBe(true);
    expect(await exists?.(CTX, { ...ENTRY, id: "b" })).toBe(false);
    expect(await keeps?.(CTX, ENTRY)).toBe("Toy thing a is shared");
    expect(superseded).toBe("forget");
    expect(shared).toBe(true);
    expect(lifecycle({ ...k, superseded: "orphan" }).superseded).toBe("orphan");
  });
});

describe("lifecycle: create", () => {
  it("made without a result: read back, then each differing field fixed, in the fix table's order", async () => {
    const cloud = new ToyCloud();
    const h = lifecycle(toyKind(cloud));
    const made = await h.create(CTX, props({ size: 2, mode: "fast", tags: "team=x", policy: "p" }));
    // diff named policy, tags, mode; the table lists size, tags, mode, policy.
    expect(cloud.calls).toEqual([
      "create a",
      "read a",
      "beforeFix (a v1)",
      "retag tags (a v1)",
      "reconfigure mode (a v1)",
      // It sees the version reconfigure returned.
      "putPolicy policy (a v2)",
    ]);
    // Outputs as the last fix left them; current as it was read.
    expect(made).toStrictEqual({
      id: "a",
      outputs: { arn: "arn:toy:a", version: "3" },
      current: { size: 2, ...INITIAL, version: 1 },
    });
    expect(cloud.items.get("a")).toEqual({
      size: 2,
      mode: "fast",
      tags: "team=x",
      policy: "p",
      version: 3,
    });
  });

  it("made in sync: read back, nothing fixed, beforeFix not called", async () => {
    const cloud = new ToyCloud();
    const h = lifecycle(toyKind(cloud));
    const made = await h.create(CTX, props({ size: 4 }));
    expect(cloud.calls).toEqual(["create a", "read a"]);
    expect(made).toStrictEqual(cloud.observed("a"));
  });

  it("create returns what it made: no read; in sync, that very result is returned", async () => {
    const cloud = new ToyCloud();
    const base = toyKind(cloud);
    let returned: Observed<ToyOut, Current> | undefined;
    const k: ToyKind = {
      ...base,
      async create(ctx, p) {
        await base.create(ctx, p);
        returned = cloud.observed(p.name);
        return returned;
      },
    };
    const made = await lifecycle(k).create(CTX, props());
    expect(cloud.calls).toEqual(["create a"]);
    expect(made).toBe(returned);
  });

  it("create returns what it made, with differences: fixed from that, still without a read", async () => {
    const cloud = new ToyCloud();
    const base = toyKind(cloud);
    const k: ToyKind = {
      ...base,
      async create(ctx, p) {
        await base.create(ctx, p);
        return cloud.observed(p.name);
      },
    };
    const made = await lifecycle(k).create(CTX, props({ size: 3, mode: "fast", tags: "t" }));
    expect(cloud.calls).toEqual([
      "create a",
      "beforeFix (a v1)",
      "retag tags (a v1)",
      "reconfigure mode (a v1)",
    ]);
    expect(made.outputs).toStrictEqual({ arn: "arn:toy:a", version: "2" });
  });

  it("not readable right after it was made: says so, by label and display id", async () => {
    const cloud = new ToyCloud();
    const k: ToyKind = { ...toyKind(cloud), read: () => Promise.resolve(undefined) };
    await expect(lifecycle(k).create(CTX, props())).rejects.toThrow(
      new Error("the Toy thing toy/a is not readable right after it was made"),
    );
    expect(cloud.items.has("a")).toBe(true);
  });

  it("already there (an earlier run made it): adopted, read and converged", async () => {
    const cloud = new ToyCloud();
    cloud.make(props(), 5);
    const base = toyKind(cloud);
    const asked: unknown[] = [];
    const k: ToyKind = {
      ...base,
      alreadyExists: (err) => {
        asked.push(err);
        return base.alreadyExists!(err);
      },
    };
    const made = await lifecycle(k).create(CTX, props({ size: 2 }));
    expect(cloud.calls).toEqual([
      "create a",
      "read a",
      "beforeFix (a v5)",
      "reconfigure size (a v5)",
    ]);
    expect(asked).toHaveLength(1);
    expect((asked[0] as Error).name).toBe("ToyAlreadyExists");
    expect(made).toStrictEqual({
      id: "a",
      outputs: { arn: "arn:toy:a", version: "6" },
      current: { size: 1, ...INITIAL, version: 5 },
    });
  });

  it("already there and in sync: adopted as it is", async () => {
    const cloud = new ToyCloud();
    cloud.make(props(), 5);
    const made = await lifecycle(toyKind(cloud)).create(CTX, props());
    expect(cloud.calls).toEqual(["create a", "read a"]);
    expect(made).toStrictEqual(cloud.observed("a"));
  });

  it("any other error of create is rethrown as it is, and nothing is read", async () => {
    const cloud = new ToyCloud();
    const busy = named("Throttled", "slow down");
    const k: ToyKind = {
      ...toyKind(cloud),
      create: (_ctx, p) => {
        cloud.calls.push(`create ${p.name}`);
        return Promise.reject(busy);
      },
    };
    await expect(lifecycle(k).create(CTX, props())).rejects.toBe(busy);
    // A kind that adopts nothing rethrows every error, its "already exists" too.
    const { alreadyExists: _a, ...adoptsNothing } = toyKind(cloud);
    cloud.make(props());
    const h = lifecycle(adoptsNothing);
    const err = await h.create(CTX, props()).catch((e: unknown) => e);
    expect((err as Error).name).toBe("ToyAlreadyExists");
    expect(cloud.calls).toEqual(["create a", "create a"]);
  });
});

describe("lifecycle: update (the fix table)", () => {
  function setUp() {
    const cloud = new ToyCloud();
    cloud.make(props(), 7);
    return { cloud, o: cloud.observed("a")! };
  }

  it("fields sharing a fixer: one run of it, given all of them, in table order", async () => {
    const { cloud, o } = setUp();
    const h = lifecycle(toyKind(cloud));
    const r = await h.update(CTX, props({ size: 9, mode: "fast" }), o, {
      fields: ["mode", "size"],
    });
    expect(cloud.calls).toEqual(["beforeFix (a v7)", "reconfigure size,mode (a v7)"]);
    expect(r).toStrictEqual({ ...o, outputs: { arn: "arn:toy:a", version: "8" } });
    expect(cloud.items.get("a")).toMatchObject({ size: 9, mode: "fast" });
  });

  it("every field: each fixer once, in the table's order whatever the change's order", async () => {
    const { cloud, o } = setUp();
    const h = lifecycle(toyKind(cloud));
    const p = props({ size: 9, mode: "fast", tags: "t", policy: "p" });
    const r = await h.update(CTX, p, o, { fields: ["policy", "tags", "mode", "size"] });
    expect(cloud.calls).toEqual([
      "beforeFix (a v7)",
      "reconfigure size,mode (a v7)",
      "retag tags (a v8)",
      "putPolicy policy (a v8)",
    ]);
    expect(r.outputs).toStrictEqual({ arn: "arn:toy:a", version: "9" });
    // Everything else as observed.
    expect(r.id).toBe("a");
    expect(r.current).toBe(o.current);
  });

  it("only the fixers of the fields named run", async () => {
    const { cloud, o } = setUp();
    const h = lifecycle(toyKind(cloud));
    await h.update(CTX, props({ policy: "p", size: 9 }), o, { fields: ["policy"] });
    expect(cloud.calls).toEqual(["beforeFix (a v7)", "putPolicy policy (a v7)"]);
    // size differs too but was not named: left alone.
    expect(cloud.items.get("a")).toMatchObject({ size: 1, policy: "p" });
  });

  it("fixers that return nothing leave the outputs as observed", async () => {
    const { cloud, o } = setUp();
    const r = await lifecycle(toyKind(cloud)).update(CTX, props({ tags: "t" }), o, {
      fields: ["tags"],
    });
    expect(cloud.calls).toEqual(["beforeFix (a v7)", "retag tags (a v7)"]);
    expect(r).toStrictEqual(o);
    expect(r.outputs).toBe(o.outputs);
  });

  it("a kind without beforeFix is fixed all the same", async () => {
    const { cloud, o } = setUp();
    const { beforeFix: _b, ...noBefore } = toyKind(cloud);
    const r = await lifecycle(noBefore).update(CTX, props({ mode: "fast" }), o, {
      fields: ["mode"],
    });
    expect(cloud.calls).toEqual(["reconfigure mode (a v7)"]);
    expect(r.outputs.version).toBe("8");
  });

  it("a fixer that fails stops the fixes after it, and its error is the update's", async () => {
    const { cloud, o } = setUp();
    const base = toyKind(cloud);
    const denied = named("AccessDenied");
    const k: ToyKind = {
      ...base,
      fix: { ...base.fix, tags: () => Promise.reject(denied) },
    };
    await expect(
      lifecycle(k).update(CTX, props({ tags: "t", policy: "p" }), o, {
        fields: ["tags", "policy"],
      }),
    ).rejects.toBe(denied);
    expect(cloud.calls).toEqual(["beforeFix (a v7)"]);
  });
});

describe("lifecycle: a kind whose fields are open-ended (one fixer)", () => {
  // Parts named by the props (like invoke permissions' statement ids): the diff names the
  // parts that differ, and one fixer is given all of them.
  type Parts = Readonly<Record<string, string>>;
  function partsKind(
    cloud: Map<string, string>,
    calls: string[],
  ): Kind<Parts, Outputs, Parts, string> {
    const current = (): Parts => Object.fromEntries(cloud);
    return {
      kind: "parts",
      label: "Parts",
      clients: [],
      displayId: () => "parts",
      read: () =>
        Promise.resolve(cloud.size ? { id: "parts", outputs: {}, current: current() } : undefined),
      values: (p, o) =>
        Object.fromEntries(
          [...new Set([...Object.keys(p), ...Object.keys(o.current)])].map((k) => [
            k,
            { observed: o.current[k], desired: p[k] },
          ]),
        ),
      diff: (p, o) =>
        [...new Set([...Object.keys(p), ...Object.keys(o.current)])]
          .filter((k) => p[k] !== o.current[k])
          .sort(),
      fix(_ctx, p, _o, fields) {
        calls.push(`fix ${[...fields].join(",")}`);
        for (const f of fields) {
          const want = p[f];
          if (want === undefined) cloud.delete(f);
          else cloud.set(f, want);
        }
        return Promise.resolve();
      },
      create(_ctx, p) {
        calls.push("create");
        cloud.set(Object.keys(p)[0] ?? "", Object.values(p)[0] ?? "");
        return Promise.resolve();
      },
      delete: () => Promise.resolve(),
    };
  }

  it("diff names the parts themselves: status and up show them as the fields that differ", () => {
    const cloud = new Map([
      ["a", "1"],
      ["c", "3"],
    ]);
    const h = lifecycle(partsKind(cloud, []));
    const o = { id: "parts", outputs: {}, current: { a: "1", c: "3" } };
    expect(h.diff({ a: "1", b: "2", c: "x" }, o)).toStrictEqual({ fields: ["b", "c"] });
    expect(h.diff({ a: "1", c: "3" }, o)).toStrictEqual({ fields: [] });
  });

  it("update: the one fixer runs once, given exactly the parts named", async () => {
    const cloud = new Map([
      ["a", "1"],
      ["gone", "9"],
    ]);
    const calls: string[] = [];
    const h = lifecycle(partsKind(cloud, calls));
    const o = { id: "parts", outputs: {}, current: { a: "1", gone: "9" } };
    await h.update(CTX, { a: "1", b: "2" }, o, { fields: ["b", "gone"] });
    expect(calls).toEqual(["fix b,gone"]);
    expect(Object.fromEntries(cloud)).toStrictEqual({ a: "1", b: "2" });
  });

  it("create: made, read back, and the parts still missing fixed in one run", async () => {
    const cloud = new Map<string, string>();
    const calls: string[] = [];
    await lifecycle(partsKind(cloud, calls)).create(CTX, { a: "1", b: "2", c: "3" });
    expect(calls).toEqual(["create", "fix b,c"]);
    expect(Object.fromEntries(cloud)).toStrictEqual({ a: "1", b: "2", c: "3" });
  });

  it("nothing named: the fixer does not run", async () => {
    const cloud = new Map([["a", "1"]]);
    const calls: string[] = [];
    const o = { id: "parts", outputs: {}, current: { a: "1" } };
    await lifecycle(partsKind(cloud, calls)).update(CTX, { a: "1" }, o, { fields: [] });
    expect(calls).toEqual([]);
  });
});

describe("lifecycle: destroy", () => {
  it("deletes it", async () => {
    const cloud = new ToyCloud();
    cloud.make(props());
    await expect(lifecycle(toyKind(cloud)).destroy(CTX, ENTRY)).resolves.toBeUndefined();
    expect(cloud.items.has("a")).toBe(false);
    expect(cloud.calls).toEqual(["delete a"]);
  });

  it("not found: done", async () => {
    const cloud = new ToyCloud();
    await expect(lifecycle(toyKind(cloud)).destroy(CTX, ENTRY)).resolves.toBeUndefined();
    // Also for a kind with no errors of its own that mean gone.
    const { gone: _g, ...noGone } = toyKind(cloud);
    await expect(lifecycle(noGone).destroy(CTX, ENTRY)).resolves.toBeUndefined();
    expect(cloud.calls).toEqual(["delete a", "delete a"]);
  });

  it("an error the kind says means gone: done; without gone, the same error is rethrown", async () => {
    const cloud = new ToyCloud();
    cloud.make(props());
    const gone = named("ToyGone");
    cloud.failDelete.set("a", gone);
    await expect(lifecycle(toyKind(cloud)).destroy(CTX, ENTRY)).resolves.toBeUndefined();
    const { gone: _g, ...noGone } = toyKind(cloud);
    await expect(lifecycle(noGone).destroy(CTX, ENTRY)).rejects.toBe(gone);
  });

  it("any other error is rethrown as it is", async () => {
    const cloud = new ToyCloud();
    cloud.make(props());
    const busy = named("Throttled");
    cloud.failDelete.set("a", busy);
    await expect(lifecycle(toyKind(cloud)).destroy(CTX, ENTRY)).rejects.toBe(busy);
    const { gone: _g, ...noGone } = toyKind(cloud);
    await expect(lifecycle(noGone).destroy(CTX, ENTRY)).rejects.toBe(busy);
    expect(cloud.items.has("a")).toBe(true);
  });

  it("kept on purpose: the reason is returned", async () => {
    const cloud = new ToyCloud();
    cloud.make(props());
    cloud.kept.add("a");
    await expect(lifecycle(toyKind(cloud)).destroy(CTX, ENTRY)).resolves.toStrictEqual({
      kept: "shared with other stacks",
    });
    expect(cloud.items.has("a")).toBe(true);
  });
});
