import { describe, expect, it } from "vitest";
import type { AnyHandler } from "../src/engine/types.js";
import { HANDLERS, handlersByKind } from "../src/registry.js";
import { NODES } from "../src/stack.js";

/**
 * `down` and the sweep find the handler of a recorded resource by the kind the state file
 * names: every kind a node records must resolve, to that node's own handler.
 */
describe("the handler registry", () => {
  it("every kind recorded by any node resolves to that node's handler", () => {
    for (const n of Object.values(NODES)) {
      expect(HANDLERS.get(n.handler.kind), n.key).toBe(n.handler);
    }
  });

  it("lists exactly the kinds the nodes record, each once", () => {
    const kinds = new Set(Object.values(NODES).map((n) => n.handler.kind));
    expect([...HANDLERS.keys()].sort()).toEqual([...kinds].sort());
    // Several nodes share a kind (log groups, alarms): one handler each.
    expect(HANDLERS.size).toBeLessThan(Object.keys(NODES).length);
    expect(HANDLERS.get("log-group")).toBe(NODES.functionLogGroup.handler);
  });

  it("refuses two different handlers under one kind, naming the kind and the node", () => {
    const a = { kind: "k" } as AnyHandler;
    const b = { kind: "k" } as AnyHandler;
    expect(
      handlersByKind([
        { key: "one", handler: a },
        { key: "two", handler: a },
      ]).get("k"),
    ).toBe(a);
    expect(() =>
      handlersByKind([
        { key: "one", handler: a },
        { key: "two", handler: b },
      ]),
    ).toThrow("two handlers record the kind k (node two)");
  });
});
