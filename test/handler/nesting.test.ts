import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../handler/index.js";
import { ensureTable, startLocalDynamo, type LocalDynamo } from "../../src/dev/dynalite.js";
import { jsonEvent, lambdaContext } from "./helpers.js";

/**
 * DynamoDB stores documents nested at most 32 levels deep, the item's own map being the first
 * (the DynamoDB developer guide, "Nested attribute depth"): `data` may therefore hold maps and
 * lists 31 levels deep, counting itself, and one more is the client's error (400), not a 500.
 */
const DEEPEST_DATA = 31;

/** `levels` maps or lists nested in one another, `data` itself being the first. */
function nested(levels: number, list = false): unknown {
  let v: unknown = list ? [] : {};
  for (let i = 1; i < levels; i++) v = list ? [v] : { d: v };
  return v;
}

let dynamo: LocalDynamo;
let handler: ReturnType<typeof createHandler>;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await ensureTable(dynamo.clientConfig, "nesting");
  handler = createHandler({
    clientConfig: dynamo.clientConfig,
    env: { TABLE_NAME: "nesting", CORS_ORIGIN: "*", LOG_LEVEL: "error" },
    log: () => {},
  });
});
afterAll(async () => {
  await dynamo.close();
});

describe("how deep data may be nested", () => {
  it.each([false, true])("%s: 31 levels are stored and read back whole", async (list) => {
    const data = list ? { l: nested(DEEPEST_DATA - 1, true) } : nested(DEEPEST_DATA);
    const id = `deep-${String(list)}`;
    const put = await handler(jsonEvent("POST", "/", { id, data }), lambdaContext());
    expect(put.statusCode, put.body).toBe(201);
    const got = await handler(jsonEvent("GET", `/${id}`, undefined), lambdaContext());
    expect(got.statusCode).toBe(200);
    expect((JSON.parse(got.body) as { data: unknown }).data).toEqual(data);
  });

  it.each([false, true])("%s: 32 levels are refused with 400 InvalidBody", async (list) => {
    const data = list ? { l: nested(DEEPEST_DATA, true) } : nested(DEEPEST_DATA + 1);
    const res = await handler(jsonEvent("POST", "/", { data }), lambdaContext());
    expect(res.statusCode).toBe(400);
    expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe("InvalidBody");
  });
});
