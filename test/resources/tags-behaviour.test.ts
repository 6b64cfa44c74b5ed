import { describe, expect, it } from "vitest";
import { allItems } from "../../src/resources/api-common.js";
import { fromKeyValueList, toKeyValueList } from "../../src/resources/tags.js";

/** The stack's tags in each service's shape, and API Gateway's paged lists read to the end. */

describe("tags as [{Key, Value}]", () => {
  it("sorted by key, whatever order they were written in", () => {
    expect(toKeyValueList({ stage: "prod", app: "shop", owner: "team" })).toEqual([
      { Key: "app", Value: "shop" },
      { Key: "owner", Value: "team" },
      { Key: "stage", Value: "prod" },
    ]);
    expect(toKeyValueList({})).toEqual([]);
  });

  it("read back: a tag without a key is dropped, one without a value is empty", () => {
    expect(
      fromKeyValueList([{ Key: "app", Value: "shop" }, { Value: "orphan" }, { Key: "empty" }]),
    ).toEqual({ app: "shop", empty: "" });
    expect(fromKeyValueList(undefined)).toEqual({});
  });
});

describe("API Gateway paginators", () => {
  it("every page's items, pages without items included", async () => {
    async function* pages() {
      yield { items: [1, 2] };
      yield {};
      yield { items: [3] };
    }
    expect(await allItems(pages())).toEqual([1, 2, 3]);
  });
});
