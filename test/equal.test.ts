import { describe, expect, it } from "vitest";
import { deepEqual, sameJson } from "../src/engine/equal.js";

describe("comparing what AWS returns with what the stack wants", () => {
  it("a policy is the same whether a single value is a string or a one-element list", () => {
    const want = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole"], Principal: { Service: "x" } }],
    });
    const got = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: ["x"] } }],
    });
    expect(sameJson(got, want)).toBe(true);
  });

  it("a policy's lists of values compare in any order, URL-encoded or not", () => {
    const a = JSON.stringify({ Statement: [{ Action: ["b:Y", "a:X"], Resource: "r" }] });
    const b = JSON.stringify({ Statement: [{ Action: ["a:X", "b:Y"], Resource: ["r"] }] });
    expect(sameJson(encodeURIComponent(a), b)).toBe(true);
  });

  it("a policy that differs in a value, an effect or a statement is different", () => {
    const base = { Statement: [{ Effect: "Allow", Action: ["a:X"], Resource: "r" }] };
    const s = (v: unknown) => JSON.stringify(v);
    expect(sameJson(s(base), s({ Statement: [{ ...base.Statement[0], Action: ["a:*"] }] }))).toBe(
      false,
    );
    expect(sameJson(s(base), s({ Statement: [{ ...base.Statement[0], Effect: "Deny" }] }))).toBe(
      false,
    );
    expect(sameJson(s(base), s({ Statement: [...base.Statement, ...base.Statement] }))).toBe(false);
    expect(sameJson(s(base), undefined)).toBe(false);
  });

  it("an absent field equals an undefined one, but not an empty list", () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: [] }, {})).toBe(false);
  });
});
