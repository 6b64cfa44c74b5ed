import { describe, expect, it } from "vitest";
import { fromKeyValueList, toKeyValueList } from "../../src/resources/tags.js";

/** Tags between the map the stack writes and the key/value lists some services take. */

describe("tags", () => {
  it("to AWS's list: sorted by key", () => {
    expect(toKeyValueList({ b: "2", a: "1", C: "3" })).toEqual([
      { Key: "a", Value: "1" },
      { Key: "b", Value: "2" },
      { Key: "C", Value: "3" },
    ]);
  });

  it("from AWS's list: keyless entries dropped, a missing value is empty", () => {
    expect(fromKeyValueList([{ Key: "a", Value: "1" }, { Value: "orphan" }, { Key: "b" }])).toEqual(
      { a: "1", b: "" },
    );
    expect(fromKeyValueList(undefined)).toEqual({});
  });
});
