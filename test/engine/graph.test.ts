import { describe, expect, it } from "vitest";
import { dependents, topoOrder } from "../../src/engine/graph.js";
import type { AnySpec } from "../../src/engine/types.js";

describe("entryOf, graph", () => {
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
