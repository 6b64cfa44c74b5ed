import type { APIGatewayProxyResult } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../handler/index.js";
import { MAX_BODY_BYTES, MAX_DATA_DEPTH } from "../../handler/validate.js";
import { ensureTable, startLocalDynamo, type LocalDynamo } from "../../src/dev/dynalite.js";
import { apiEvent, jsonEvent, lambdaContext } from "./helpers.js";

/*
 * Whatever JSON object a client stores comes back exactly: through the handler, the SDK and the
 * local DynamoDB, for POST and PUT, and in listings. What DynamoDB cannot hold is refused with a
 * 400 that says where; nothing valid is ever a 500.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

let dynamo: LocalDynamo;
let handler: ReturnType<typeof createHandler>;
const TABLE = "roundtrip-items";

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await ensureTable(dynamo.clientConfig, TABLE);
  handler = createHandler({
    clientConfig: dynamo.clientConfig,
    env: { TABLE_NAME: TABLE },
    log: () => undefined,
  });
});
afterAll(async () => {
  await dynamo.close();
});

async function call(event: Parameters<typeof handler>[0]) {
  const res: APIGatewayProxyResult = await handler(event, lambdaContext());
  return { res, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined };
}

let counter = 0;
const freshId = () => `rt-${(counter += 1)}`;

/** What the client sent, as JSON sees it (-0 is 0 once serialized). */
const asSent = (data: unknown): unknown => JSON.parse(JSON.stringify(data));

// Keys that break code treating a parsed object as a plain JS object, or DynamoDB's type tags.
const TRICKY_KEYS = [
  "constructor",
  "__proto__",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "name",
  "length",
  "then",
  "0",
  "M",
  "S",
  "N",
  "L",
  "B",
  "SS",
  "NULL",
  "BOOL",
  "id",
  "data",
];

// The largest double below DynamoDB's 1e126 bound that prints below it, too.
const DYNAMO_MAX = 9.99999999999999e125;
/** What handler/validate.ts documents as storable: 0, or 1e-130 <= |n| < 1e126. */
const storableNumber = (n: number) => n === 0 || (Math.abs(n) >= 1e-130 && Math.abs(n) < 1e126);

const number = fc.oneof(
  fc.integer(),
  fc.double({ min: -DYNAMO_MAX, max: DYNAMO_MAX, noNaN: true }).filter(storableNumber),
  fc.constantFrom(
    0,
    -0,
    1e-130,
    -1e-130,
    DYNAMO_MAX,
    -DYNAMO_MAX,
    2 ** 53 + 2,
    0.1,
    1e21,
    1e-7,
    -2.5,
  ),
);
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom("", "é", "👍🏽", "\u0000", '"\\', "\n", "[object Object]"),
);
const key = fc.oneof(
  fc.constantFrom(...TRICKY_KEYS),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }),
);

const arbs = fc.letrec<{ value: Json; array: Json[]; object: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 5 },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    tie("array"),
    tie("object"),
  ),
  array: fc.array(tie("value"), { maxLength: 4 }),
  // Object.fromEntries defines own properties, so "__proto__" is a key like JSON.parse makes it.
  object: fc
    .uniqueArray(fc.tuple(key, tie("value")), { selector: ([k]) => k, maxLength: 5 })
    .map((entries) => Object.fromEntries(entries) as JsonObject),
}));

/** The shapes issue reports named, plus one the SDK's marshaller silently turned into a string. */
const EXAMPLES: [JsonObject][] = [
  '{"constructor":"x"}',
  '{"__proto__":{"x":1}}',
  '{"a":[{"constructor":{}}]}',
  '{"constructor":{"name":"String"}}',
  '{"constructor":{"name":"Set"}}',
  '{"constructor":{"name":"Map"}}',
  '{"constructor":{"name":"Number"}}',
  '{"constructor":{"name":"Uint8Array"}}',
  '{"__proto__":{"__proto__":[{"__proto__":null}]},"toString":"x","valueOf":1}',
].map((s) => [JSON.parse(s) as JsonObject]);

describe("any JSON object round-trips exactly", () => {
  it("through POST / then GET /{id}", async () => {
    await fc.assert(
      fc.asyncProperty(arbs.object, async (data) => {
        const id = freshId();
        const created = await call(jsonEvent("POST", "/", { id, data }));
        expect(created.res.statusCode, created.res.body).toBe(201);
        expect(created.body?.data).toEqual(asSent(data));
        const got = await call(apiEvent("GET", `/${id}`));
        expect(got.res.statusCode, got.res.body).toBe(200);
        expect(got.body?.data).toEqual(asSent(data));
      }),
      { numRuns: 150, examples: EXAMPLES },
    );
  });

  it("through PUT /{id} (create, then replace) and GET /{id}", async () => {
    await fc.assert(
      fc.asyncProperty(arbs.object, arbs.object, async (first, second) => {
        const id = freshId();
        const created = await call(jsonEvent("PUT", `/${id}`, { data: first }));
        expect(created.res.statusCode, created.res.body).toBe(201);
        expect(created.body?.data).toEqual(asSent(first));
        expect((await call(apiEvent("GET", `/${id}`))).body?.data).toEqual(asSent(first));

        const replaced = await call(jsonEvent("PUT", `/${id}`, { id, data: second }));
        expect(replaced.res.statusCode, replaced.res.body).toBe(200);
        expect(replaced.body?.data).toEqual(asSent(second));
        const got = await call(apiEvent("GET", `/${id}`));
        expect(got.body?.data).toEqual(asSent(second));
        expect(got.body?.createdAt).toBe(created.body?.createdAt);
      }),
      { numRuns: 75, examples: EXAMPLES.map(([d]) => [d, d]) },
    );
  });

  it("in GET / listings", async () => {
    const table = "roundtrip-list";
    await ensureTable(dynamo.clientConfig, table);
    const lister = createHandler({
      clientConfig: dynamo.clientConfig,
      env: { TABLE_NAME: table },
      log: () => undefined,
    });
    const sent = new Map<string, unknown>();
    for (const [data] of EXAMPLES) {
      const id = freshId();
      const res = await lister(jsonEvent("POST", "/", { id, data }), lambdaContext());
      expect(res.statusCode, res.body).toBe(201);
      sent.set(id, asSent(data));
    }
    const res = await lister(apiEvent("GET", "/", { query: { limit: "100" } }), lambdaContext());
    expect(res.statusCode, res.body).toBe(200);
    const { items } = JSON.parse(res.body) as { items: { id: string; data: unknown }[] };
    expect(new Map(items.map((i) => [i.id, i.data]))).toEqual(sent);
  });
});

describe("never a 500 for valid JSON", () => {
  it("stores arbitrary JSON (any numbers, any strings, any keys) or refuses it with a 400 that says why", async () => {
    const data = fc.dictionary(
      fc.oneof(fc.constantFrom("", ...TRICKY_KEYS), fc.string({ unit: "binary", maxLength: 6 })),
      fc.jsonValue({ stringUnit: "binary", maxDepth: 4 }),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(data, async (d) => {
        const id = freshId();
        const res = await call(apiEvent("POST", "/", { body: JSON.stringify({ id, data: d }) }));
        expect([201, 400], res.res.body).toContain(res.res.statusCode);
        if (res.res.statusCode === 400) {
          const error = res.body?.error as { code: string; message: string };
          expect(error.code).toBe("InvalidBody");
          expect(error.message).toMatch(/\bdata\b/);
          return;
        }
        const got = await call(apiEvent("GET", `/${id}`));
        expect(got.body?.data).toEqual(asSent(d));
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ['{"":1}', 'data[""]'],
    ['{"a":{"b":[{"":true}]}}', 'data.a.b[0][""]'],
    ['{"\\ud800":1}', 'data["\\ud800"]'],
    ['{"a":["ok","\\udc00"]}', "data.a[1]"],
    ['{"x":1e200}', "data.x"],
    ['{"x":[1,-1e-200]}', "data.x[1]"],
  ])("refuses %s with a 400 naming %s, for POST and PUT", async (json, where) => {
    for (const event of [
      apiEvent("POST", "/", { body: `{"data":${json}}` }),
      apiEvent("PUT", `/${freshId()}`, { body: `{"data":${json}}` }),
    ]) {
      const { res, body } = await call(event);
      expect(res.statusCode, res.body).toBe(400);
      const error = body?.error as { code: string; message: string };
      expect(error.code).toBe("InvalidBody");
      expect(error.message).toContain(where);
    }
  });

  it("refuses a key longer than DynamoDB's 64 KB attribute names", async () => {
    const long = "k".repeat(65536);
    const { res, body } = await call(
      apiEvent("POST", "/", { body: JSON.stringify({ data: { a: { [long]: 1 } } }) }),
    );
    expect(res.statusCode).toBe(400);
    expect((body?.error as { message: string }).message).toContain("data.a");
    const ok = await call(
      apiEvent("POST", "/", { body: JSON.stringify({ data: { [long.slice(1)]: 1 } }) }),
    );
    expect(ok.res.statusCode, ok.res.body).toBe(201);
  });
});

describe("limits stay where DynamoDB puts them", () => {
  /** `levels` nested containers, data itself being the first, alternating objects and arrays. */
  function nested(levels: number): JsonObject {
    let inner: Json = "bottom";
    for (let level = levels; level > 1; level--) inner = level % 2 ? { d: inner } : [inner];
    return { d: inner };
  }

  it(`stores data nested ${MAX_DATA_DEPTH} levels deep and refuses one more`, async () => {
    const deepest = nested(MAX_DATA_DEPTH);
    const id = freshId();
    const ok = await call(jsonEvent("POST", "/", { id, data: deepest }));
    expect(ok.res.statusCode, ok.res.body).toBe(201);
    expect((await call(apiEvent("GET", `/${id}`))).body?.data).toEqual(deepest);

    for (const event of [
      jsonEvent("POST", "/", { data: nested(MAX_DATA_DEPTH + 1) }),
      jsonEvent("PUT", `/${freshId()}`, { data: nested(MAX_DATA_DEPTH + 1) }),
    ]) {
      const { res, body } = await call(event);
      expect(res.statusCode).toBe(400);
      expect((body?.error as { message: string }).message).toContain(
        `nested deeper than ${MAX_DATA_DEPTH} levels`,
      );
    }
  });

  it("stores the largest body in the form DynamoDB counts most expensively", async () => {
    // A list of 1s costs 3 bytes per element in DynamoDB for 2 in JSON: the worst ratio, still
    // under the 400 KB item limit at the 256 KB body limit.
    const frame = JSON.stringify({ id: "ones", data: { a: [] } });
    const count = Math.floor((MAX_BODY_BYTES - Buffer.byteLength(frame) + 1) / 2);
    const data = { a: new Array<number>(count).fill(1) };
    const body = JSON.stringify({ id: "ones", data });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_BODY_BYTES - 2);
    const { res } = await call(apiEvent("POST", "/", { body }));
    expect(res.statusCode, res.body.slice(0, 200)).toBe(201);
    expect((await call(apiEvent("GET", "/ones"))).body?.data).toEqual(data);
  });
});
