import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureTable,
  escapeKeys,
  startLocalDynamo,
  unescapeKeys,
  type LocalDynamo,
} from "../../src/dev/dynalite.js";

describe("the local DynamoDB", () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await ensureTable(dynamo.clientConfig, "keys");
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('stores a map key "__proto__" like any other, as DynamoDB does', async () => {
    const client = new DynamoDBClient(dynamo.clientConfig);
    try {
      const map = JSON.parse(
        '{"__proto__":{"M":{"__proto__":{"S":"inner"}}},"\\u0000x":{"S":"nul"},"k":{"N":"1"}}',
      ) as Record<string, never>;
      await client.send(
        new PutItemCommand({ TableName: "keys", Item: { id: { S: "p" }, m: { M: map } } }),
      );
      const out = await client.send(
        new GetItemCommand({ TableName: "keys", Key: { id: { S: "p" } } }),
      );
      expect(out.Item?.m?.M).toEqual(map);
      expect(Object.keys(out.Item?.m?.M ?? {}).sort()).toEqual(["\u0000x", "__proto__", "k"]);
    } finally {
      client.destroy();
    }
  });
});

function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...allKeys(v)]);
}

describe("the key escaping in front of dynalite", () => {
  const key = fc.oneof(
    fc.constantFrom("__proto__", "\u0000", "\u0000__proto__", "\u0000\u0000", "constructor", ""),
    fc.string({ unit: "binary", maxLength: 5 }),
  );
  const json = fc.letrec<{ value: unknown; object: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", maxDepth: 4 },
      fc.jsonValue({ maxDepth: 0 }),
      fc.array(tie("value"), { maxLength: 3 }),
      tie("object"),
    ),
    object: fc
      .uniqueArray(fc.tuple(key, tie("value")), { selector: ([k]) => k, maxLength: 4 })
      .map((entries) => Object.fromEntries(entries)),
  }));

  it("gives back every key it was given, and never a __proto__ key to dynalite", () => {
    fc.assert(
      fc.property(json.value, (value) => {
        const escaped = escapeKeys(value);
        expect(allKeys(escaped)).not.toContain("__proto__");
        expect(unescapeKeys(escaped)).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });
});
