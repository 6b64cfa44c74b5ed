import { describe, expect, it } from "vitest";
import { walk } from "../src/engine/graph.js";
import { canonicalJson, plainValue } from "../src/engine/canonical.js";

describe("walk: the one graph walk of observe, apply and destroy", () => {
  const graph: Record<string, string[]> = { a: [], b: ["a"], c: ["a"], d: ["b", "c"] };

  it("visits each key once, after its dependencies, with their results", async () => {
    const order: string[] = [];
    const nodes = walk(
      Object.keys(graph),
      (k) => graph[k] ?? [],
      async (key, dep) => {
        order.push(key);
        return [key, ...(graph[key] ?? []).map((d) => dep(d))].join("+");
      },
    );
    expect(await nodes.get("d")).toBe("d+b+a+c+a");
    expect(order).toEqual(["a", "b", "c", "d"]);
  });

  it("does not visit what depends on a failure: it fails with that failure", async () => {
    const visited: string[] = [];
    const boom = new Error("b failed");
    const nodes = walk(
      Object.keys(graph),
      (k) => graph[k] ?? [],
      async (key) => {
        visited.push(key);
        if (key === "b") throw boom;
        return key;
      },
    );
    const results = await Promise.allSettled(nodes.values());
    expect(visited.sort()).toEqual(["a", "b", "c"]);
    expect(results.map((r) => (r.status === "rejected" ? r.reason : r.value))).toEqual([
      "a",
      boom,
      "c",
      boom,
    ]);
  });

  it("refuses a cycle and an unknown dependency before visiting anything", () => {
    const visit = () => Promise.resolve(0);
    expect(() => walk(["x", "y"], (k) => (k === "x" ? ["y"] : ["x"]), visit)).toThrow(
      "dependency cycle through x",
    );
    expect(() => walk(["x"], () => ["z"], visit)).toThrow("x depends on unknown resource z");
  });
});

describe("plain values: what a plan file holds", () => {
  it("sorts keys, shows absent as null, and turns Maps and Sets into JSON", () => {
    expect(
      canonicalJson({ b: 1, a: undefined, m: new Map([["k", new Set([1, 2])]]), n: NaN }),
    ).toBe('{"a":null,"b":1,"m":{"k":[1,2]},"n":null}');
    expect(plainValue(Buffer.from("abc"))).toBe("(3 bytes)");
  });
});
