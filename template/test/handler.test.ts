import assert from "node:assert/strict";
import { test } from "node:test";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { createHandler, type Db } from "../src/handler.ts";

/** A table in memory, answering the four commands the handler sends. */
function memoryDb(): Db {
  const rows = new Map<string, Record<string, unknown>>();
  return {
    async send(command) {
      const { input } = command as {
        input: { Item?: Record<string, { S: string }>; Key?: { id: { S: string } } };
      };
      switch (command.constructor.name) {
        case "PutItemCommand":
          rows.set(input.Item!.id.S, input.Item!);
          return {};
        case "GetItemCommand":
          return { Item: rows.get(input.Key!.id.S) };
        case "DeleteItemCommand":
          rows.delete(input.Key!.id.S);
          return {};
        case "ScanCommand":
          return { Items: [...rows.values()] };
        default:
          throw new Error(`unexpected ${command.constructor.name}`);
      }
    },
  };
}

const event = (method: string, resource: string, extra: Partial<APIGatewayProxyEvent> = {}) =>
  ({
    httpMethod: method,
    resource,
    pathParameters: null,
    body: null,
    ...extra,
  }) as APIGatewayProxyEvent;

test("creates, reads, lists and deletes an item", async () => {
  const handler = createHandler(memoryDb(), "items");
  const created = await handler(
    event("POST", "/items", { body: JSON.stringify({ text: "hello" }) }),
  );
  assert.equal(created.statusCode, 201);
  const item = JSON.parse(created.body) as { id: string; text: string };
  assert.equal(item.text, "hello");

  const read = await handler(event("GET", "/items/{id}", { pathParameters: { id: item.id } }));
  assert.deepEqual(JSON.parse(read.body), JSON.parse(created.body));

  const list = await handler(event("GET", "/items"));
  assert.equal((JSON.parse(list.body) as { items: unknown[] }).items.length, 1);

  const deleted = await handler(
    event("DELETE", "/items/{id}", { pathParameters: { id: item.id } }),
  );
  assert.equal(deleted.statusCode, 204);
  const gone = await handler(event("GET", "/items/{id}", { pathParameters: { id: item.id } }));
  assert.equal(gone.statusCode, 404);
});

test("refuses a body without text", async () => {
  const handler = createHandler(memoryDb(), "items");
  const res = await handler(event("POST", "/items", { body: "{}" }));
  assert.equal(res.statusCode, 400);
});
