import { describe, expect, it, vi } from "vitest";
import { node, StackBuilder, type Ref } from "../../src/engine/builder.js";
import type { Outputs, ResourceHandler, StateEntry } from "../../src/engine/types.js";

/** The typed wiring a stack is built with: nodes, dependencies, props resolution. */
type Named = { readonly arn: string; readonly name: string };

/** A handler the builder only carries around: none of its calls is made. */
function stub<O extends Outputs>(kind: string): ResourceHandler<unknown, O, unknown> {
  const no = (): never => {
    throw new Error("not called");
  };
  return {
    kind,
    label: kind,
    displayId: no,
    observe: no,
    diff: no,
    create: no,
    update: no,
    destroy: no,
  };
}

function nodes() {
  return {
    a: node("a", stub<Named>("a")),
    b: node("b", stub<Named>("b")),
    c: node("c", stub<Named>("c")),
    d: node("d", stub<Named>("d")),
    z: node("z", stub<Named>("z")),
  };
}

const OUTPUTS: Record<string, Named> = {
  a: { arn: "arn:a", name: "ay" },
  b: { arn: "arn:b", name: "bee" },
  c: { arn: "arn:c", name: "cee" },
};

/** outputsOf over OUTPUTS without some keys, recording the keys asked for. */
function outputsOf(...without: string[]) {
  const asked: string[] = [];
  const of = (key: string): Outputs | undefined => {
    asked.push(key);
    return without.includes(key) ? undefined : OUTPUTS[key];
  };
  return { of, asked };
}

describe("node", () => {
  it("carries its key and handler", () => {
    const h = stub<Named>("a");
    const a = node("a", h);
    expect(a.key).toBe("a");
    expect(a.handler).toBe(h);
  });

  it("recorded: its entry in the state, by key", () => {
    const { a } = nodes();
    const entry: StateEntry = { kind: "a", id: "ay", outputs: OUTPUTS.a! };
    expect(a.recorded({ b: { ...entry, id: "bee" }, a: entry })).toBe(entry);
    expect(a.recorded({ b: entry })).toBeUndefined();
  });

  it("outputsIn: its outputs among a run's, by key", () => {
    const { a } = nodes();
    const out = new Map<string, Outputs>([
      ["b", OUTPUTS.b!],
      ["a", OUTPUTS.a!],
    ]);
    expect(a.outputsIn(out)).toBe(OUTPUTS.a);
    expect(a.outputsIn(new Map([["b", OUTPUTS.a!]]))).toBeUndefined();
  });
});

describe("StackBuilder: dependencies", () => {
  it("dependsOn: every node read, in walk order, then `after`, each once; needs: only those whose outputs are read", () => {
    const { a, b, c, d, z } = nodes();
    const [spec, ...rest] = new StackBuilder()
      .add(
        z,
        {
          first: c.out.arn,
          nested: { list: [a.out.name, c.ahead("arn:c")] },
          known: b.ahead("arn:b"),
          again: a.out.arn,
        },
        { after: [d, a, d] },
      )
      .build();
    expect(rest).toEqual([]);
    expect(spec!.key).toBe("z");
    expect(spec!.handler).toBe(z.handler);
    expect(spec!.dependsOn).toEqual(["c", "a", "b", "d"]);
    expect(spec!.needs).toEqual(["c", "a"]);
  });

  it("a Ref anywhere (top level, in arrays, in a null-prototype object, through map) is a dependency", () => {
    const { a, b, c, d, z } = nodes();
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, {
      x: d.out.arn,
    });
    const specs = new StackBuilder()
      .add(a, b.out.arn)
      .add(b, [[c.out.name.map((n) => n.length)]])
      .add(c, bare)
      .add(d, { x: a.ahead("y").map((s) => `${s}!`) })
      .add(z, "plain")
      .build();
    expect(specs.map((s) => [s.key, s.dependsOn, s.needs])).toEqual([
      ["a", ["b"], ["b"]],
      ["b", ["c"], ["c"]],
      ["c", ["d"], ["d"]],
      ["d", ["a"], []],
      ["z", [], []],
    ]);
  });

  it("nothing read, nothing after: no dependency; after alone: dependsOn without needs", () => {
    const { a, b, z } = nodes();
    const specs = new StackBuilder()
      .add(z, { n: 1, s: "x", none: null, gone: undefined, on: true })
      .add(a, { n: 2 }, { after: [b, b] })
      .add(b, { n: 3 }, {})
      .build();
    expect(specs.map((s) => [s.key, s.dependsOn, s.needs])).toEqual([
      ["z", [], []],
      ["a", ["b"], []],
      ["b", [], []],
    ]);
  });

  it("class instances are values, not walked: a Ref inside one is no dependency", () => {
    const { a, z } = nodes();
    class Holder {
      constructor(readonly inner: unknown) {}
    }
    const spec = new StackBuilder().add(z, { h: new Holder(a.out.arn) }).build()[0]!;
    expect(spec.dependsOn).toEqual([]);
    expect(spec.needs).toEqual([]);
  });

  it("build: the specs in the order added, as a new list each time", () => {
    const { a, b } = nodes();
    expect(new StackBuilder().build()).toEqual([]);
    const builder = new StackBuilder();
    expect(builder.add(a, {})).toBe(builder);
    builder.add(b, {});
    const one = builder.build();
    expect(one.map((s) => s.key)).toEqual(["a", "b"]);
    one.pop();
    expect(builder.build().map((s) => s.key)).toEqual(["a", "b"]);
  });
});

describe("StackBuilder: props", () => {
  function propsOf(input: unknown, ...without: string[]) {
    const { z } = nodes();
    const spec = new StackBuilder().add(z, input).build()[0]!;
    const { of, asked } = outputsOf(...without);
    return { value: spec.props(of) as unknown, asked };
  }

  it("every Ref replaced by its value, through nested objects and arrays; other values as they are", () => {
    const { a, b, c } = nodes();
    const fn = (): string => "f";
    const { value, asked } = propsOf({
      name: "z",
      arn: a.out.arn,
      n: 0,
      flag: false,
      none: null,
      gone: undefined,
      fn,
      nested: { list: [a.out.name, "x", { deep: [c.out.arn, b.ahead("b-id")] }], empty: [] },
      known: b.ahead({ id: 1 }),
    });
    expect(value).toStrictEqual({
      name: "z",
      arn: "arn:a",
      n: 0,
      flag: false,
      none: null,
      gone: undefined,
      fn,
      nested: { list: ["ay", "x", { deep: ["arn:c", "b-id"] }], empty: [] },
      known: { id: 1 },
    });
    // A key whose value is undefined is kept.
    expect(Object.keys(value as object)).toContain("gone");
    // Known-ahead values need no outputs: only a and c were asked for.
    expect([...new Set(asked)].sort()).toEqual(["a", "c"]);
  });

  it("a Ref as the whole props, and in a null-prototype object", () => {
    const { a } = nodes();
    expect(propsOf(a.out.arn).value).toBe("arn:a");
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, {
      x: a.out.name,
    });
    expect(propsOf(bare).value).toEqual({ x: "ay" });
    expect(propsOf([a.out.arn, [a.out.name]]).value).toStrictEqual(["arn:a", ["ay"]]);
  });

  it("map chains apply in order; on a known-ahead value too", () => {
    const { a, b } = nodes();
    const { value, asked } = propsOf({
      upper: a.out.name.map((s) => s.toUpperCase()),
      length: a.out.arn.map((s) => s.toUpperCase()).map((s) => s.length),
      ahead: b
        .ahead("b")
        .map((s) => `${s}!`)
        .map((s) => [s, s]),
    });
    expect(value).toStrictEqual({ upper: "AY", length: 5, ahead: ["b!", "b!"] });
    expect(asked).not.toContain("b");
  });

  it("undefined when any needed output is missing, wherever its Ref is", () => {
    const { a, b } = nodes();
    expect(propsOf(a.out.arn, "a").value).toBeUndefined();
    expect(propsOf({ ok: b.out.arn, missing: a.out.arn }, "a").value).toBeUndefined();
    expect(propsOf({ missing: a.out.arn, ok: b.out.arn }, "a").value).toBeUndefined();
    expect(propsOf({ x: { y: [1, a.out.name] } }, "a").value).toBeUndefined();
    expect(propsOf([b.out.arn, a.out.name], "a").value).toBeUndefined();
    expect(propsOf([[a.out.name]], "a").value).toBeUndefined();
    // A known-ahead value of a node without outputs is still known.
    expect(propsOf({ x: a.ahead("k") }, "a").value).toStrictEqual({ x: "k" });
  });

  it("a map over a missing output is not applied, and the props are undefined", () => {
    const { a } = nodes();
    const f = vi.fn((s: string) => s.length);
    expect(propsOf({ n: a.out.arn.map(f) }, "a").value).toBeUndefined();
    expect(f).not.toHaveBeenCalled();
  });

  it("an output the node has but not under that name: the key is kept, undefined", () => {
    const { a } = nodes();
    const other = (a.out as unknown as Record<string, Ref<string>>)["missing"]!;
    expect(propsOf({ x: other, y: 1 }).value).toStrictEqual({ x: undefined, y: 1 });
  });

  it("an output named by a symbol is never there", () => {
    const { a } = nodes();
    const bySymbol = (a.out as unknown as Record<symbol, Ref<string>>)[Symbol.iterator]!;
    expect(propsOf({ x: bySymbol }).value).toBeUndefined();
  });

  it("class instances, Buffers and Dates are left as they are, not walked", () => {
    const { a } = nodes();
    class Holder {
      constructor(readonly inner: unknown) {}
    }
    const holder = new Holder(a.out.arn);
    const body = Buffer.from("zip");
    const when = new Date(0);
    const { value } = propsOf({ holder, body, when, arn: a.out.arn });
    const v = value as { holder: Holder; body: Buffer; when: Date; arn: string };
    expect(v.holder).toBe(holder);
    expect(v.body).toBe(body);
    expect(v.when).toBe(when);
    expect(v.arn).toBe("arn:a");
    // Even when the Ref inside it is missing, the instance is no reason to wait.
    expect(propsOf({ holder }, "a").value).toStrictEqual({ holder });
  });

  it("each call resolves afresh: props are a function of the outputs given", () => {
    const { a, z } = nodes();
    const spec = new StackBuilder().add(z, { arn: a.out.arn }).build()[0]!;
    expect(spec.props(() => undefined)).toBeUndefined();
    expect(spec.props((k) => (k === "a" ? { arn: "arn:one" } : undefined))).toStrictEqual({
      arn: "arn:one",
    });
    expect(spec.props(() => ({ arn: "arn:two" }))).toStrictEqual({ arn: "arn:two" });
  });
});
