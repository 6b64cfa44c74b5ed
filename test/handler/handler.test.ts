import type { APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHandler } from "../../handler/index.js";
import { ensureTable, startLocalDynamo, type LocalDynamo } from "../../src/dev/dynalite.js";
import { apiEvent, jsonEvent, lambdaContext } from "./helpers.js";

let dynamo: LocalDynamo;
let table = "";
let tableCount = 0;
let logs: string[] = [];
let handler: ReturnType<typeof createHandler>;
let env: Record<string, string>;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

// A fresh table per test keeps list/pagination assertions independent of test order.
beforeEach(async () => {
  tableCount += 1;
  table = `items-${tableCount}`;
  await ensureTable(dynamo.clientConfig, table);
  logs = [];
  env = { TABLE_NAME: table, CORS_ORIGIN: "https://app.example.com", LOG_LEVEL: "info" };
  handler = createHandler({
    clientConfig: dynamo.clientConfig,
    env,
    log: (line) => logs.push(line),
  });
});

async function call(event: Parameters<typeof handler>[0]) {
  const context = lambdaContext();
  const res = await handler(event, context);
  return { res, body: parse(res), requestId: context.awsRequestId };
}

function parse(res: APIGatewayProxyResult): unknown {
  return res.body ? JSON.parse(res.body) : undefined;
}

function errorCode(body: unknown): string {
  return (body as { error: { code: string } }).error.code;
}

async function create(id: string, data: object = { n: 1 }) {
  const { res } = await call(jsonEvent("POST", "/", { id, data }));
  expect(res.statusCode).toBe(201);
}

describe("POST /", () => {
  it("creates an item with stamps, a Location and CORS headers", async () => {
    const { res, body } = await call(jsonEvent("POST", "/", { id: "item-1", data: { a: [1, 2] } }));
    expect(res.statusCode).toBe(201);
    const item = body as Record<string, unknown>;
    expect(item).toMatchObject({ id: "item-1", data: { a: [1, 2] } });
    expect(item.createdAt).toBe(item.updatedAt);
    expect(new Date(item.createdAt as string).toISOString()).toBe(item.createdAt);
    expect(res.headers?.Location).toBe("/item-1");
    expect(res.headers?.["Access-Control-Allow-Origin"]).toBe("https://app.example.com");
    expect(res.headers?.Vary).toBe("Origin");
    expect(res.headers?.["Content-Type"]).toMatch(/^application\/json/);

    const got = await call(apiEvent("GET", "/item-1"));
    expect(got.res.statusCode).toBe(200);
    expect(got.body).toEqual(body);
  });

  it("generates a UUID when no id is given", async () => {
    const { res, body } = await call(jsonEvent("POST", "/", { data: {} }));
    expect(res.statusCode).toBe(201);
    const id = (body as { id: string }).id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.headers?.Location).toBe(`/${id}`);
  });

  it("builds an absolute Location from the API's domain and the path the client called", async () => {
    const event = jsonEvent(
      "POST",
      "/",
      { id: "abs", data: {} },
      { requestContext: { domainName: "abc.execute-api.eu-west-1.amazonaws.com", path: "/prod/" } },
    );
    const { res } = await call(event);
    expect(res.headers?.Location).toBe("https://abc.execute-api.eu-west-1.amazonaws.com/prod/abs");
  });

  it("refuses a duplicate id with 409 and leaves the original untouched", async () => {
    await create("dup", { v: 1 });
    const { res, body } = await call(jsonEvent("POST", "/", { id: "dup", data: { v: 2 } }));
    expect(res.statusCode).toBe(409);
    expect(errorCode(body)).toBe("Conflict");
    const got = await call(apiEvent("GET", "/dup"));
    expect((got.body as { data: unknown }).data).toEqual({ v: 1 });
  });

  it("accepts a base64-encoded body", async () => {
    const raw = Buffer.from(JSON.stringify({ id: "b64", data: { ok: true } })).toString("base64");
    const { res } = await call(
      apiEvent("POST", "/", {
        body: raw,
        isBase64Encoded: true,
        headers: { "content-type": "application/json" },
      }),
    );
    expect(res.statusCode).toBe(201);
    const got = await call(apiEvent("GET", "/b64"));
    expect((got.body as { data: unknown }).data).toEqual({ ok: true });
  });

  it("round-trips numbers JSON allows but DynamoDB's JS mapping dislikes", async () => {
    const data = { big: 1e21, tiny: 1e-7, huge: 2 ** 64 + 4096, neg: -2.5 };
    await create("nums", data);
    const got = await call(apiEvent("GET", "/nums"));
    expect((got.body as { data: unknown }).data).toEqual(data);
  });

  it.each([
    ["malformed JSON", { body: "{not json", headers: {} }, 400, "InvalidJson"],
    ["a JSON array", { body: "[1,2]", headers: {} }, 400, "InvalidBody"],
    ["a JSON string", { body: '"x"', headers: {} }, 400, "InvalidBody"],
    ["no body", { body: null, headers: {} }, 400, "InvalidBody"],
    ["data missing", { body: '{"id":"x"}', headers: {} }, 400, "InvalidBody"],
    ["data not an object", { body: '{"data":[1]}', headers: {} }, 400, "InvalidBody"],
    ["data null", { body: '{"data":null}', headers: {} }, 400, "InvalidBody"],
    ["an unknown field", { body: '{"data":{},"extra":1}', headers: {} }, 400, "InvalidBody"],
    ["a numeric id", { body: '{"id":5,"data":{}}', headers: {} }, 400, "InvalidId"],
    ["an id with a slash", { body: '{"id":"a/b","data":{}}', headers: {} }, 400, "InvalidId"],
    [
      "an id of 129 chars",
      { body: `{"id":"${"a".repeat(129)}","data":{}}`, headers: {} },
      400,
      "InvalidId",
    ],
    ["the id '..'", { body: '{"id":"..","data":{}}', headers: {} }, 400, "InvalidId"],
    ["an empty id", { body: '{"id":"","data":{}}', headers: {} }, 400, "InvalidId"],
    [
      "a number DynamoDB cannot hold",
      { body: '{"data":{"x":1e200}}', headers: {} },
      400,
      "InvalidBody",
    ],
    [
      "a text/plain content type",
      { body: '{"data":{}}', headers: { "Content-Type": "text/plain" } },
      415,
      "UnsupportedMediaType",
    ],
  ])("answers %s with a 4xx JSON error", async (_name, init, status, code) => {
    const { res, body } = await call(apiEvent("POST", "/", init));
    expect(res.statusCode).toBe(status);
    expect(errorCode(body)).toBe(code);
    expect(typeof (body as { error: { message: string } }).error.message).toBe("string");
    expect(res.headers?.["Access-Control-Allow-Origin"]).toBe("https://app.example.com");
    const list = await call(apiEvent("GET", "/"));
    expect((list.body as { items: unknown[] }).items).toHaveLength(0);
  });

  it("refuses data nested deeper than DynamoDB allows", async () => {
    let deep: object = {};
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const { res, body } = await call(jsonEvent("POST", "/", { data: deep }));
    expect(res.statusCode).toBe(400);
    expect(errorCode(body)).toBe("InvalidBody");
  });

  it("accepts 256 KB and refuses one byte more with 413, plain or base64", async () => {
    const frame = JSON.stringify({ id: "big", data: { s: "" } });
    const fill = 256 * 1024 - Buffer.byteLength(frame);
    const exact = JSON.stringify({ id: "big", data: { s: "x".repeat(fill) } });
    expect(Buffer.byteLength(exact)).toBe(256 * 1024);
    const over = JSON.stringify({ id: "big2", data: { s: "x".repeat(fill + 1) } });

    const tooBig = await call(apiEvent("POST", "/", { body: over }));
    expect(tooBig.res.statusCode).toBe(413);
    expect(errorCode(tooBig.body)).toBe("PayloadTooLarge");

    const tooBig64 = await call(
      apiEvent("POST", "/", { body: Buffer.from(over).toString("base64"), isBase64Encoded: true }),
    );
    expect(tooBig64.res.statusCode).toBe(413);

    const ok = await call(
      apiEvent("POST", "/", { body: Buffer.from(exact).toString("base64"), isBase64Encoded: true }),
    );
    expect(ok.res.statusCode).toBe(201);
  });
});

describe("GET /", () => {
  it("pages through every item exactly once with the cursor", async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `p${i}`);
    for (const id of ids) await create(id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: "3", ...(cursor ? { cursor } : {}) };
      const { res, body } = await call(apiEvent("GET", "/", { query }));
      expect(res.statusCode).toBe(200);
      const page = body as { items: { id: string }[]; cursor?: string };
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.cursor;
      pages += 1;
      expect(pages).toBeLessThan(10);
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.sort()).toEqual(ids.sort());
  });

  it("defaults to 50 items per page and allows at most 100", async () => {
    for (let i = 0; i < 60; i++) await create(`d${String(i).padStart(2, "0")}`);
    const def = await call(apiEvent("GET", "/"));
    const page = def.body as { items: unknown[]; cursor?: string };
    expect(page.items).toHaveLength(50);
    expect(page.cursor).toEqual(expect.any(String));

    const max = await call(apiEvent("GET", "/", { query: { limit: "100" } }));
    expect((max.body as { items: unknown[] }).items).toHaveLength(60);
    expect((max.body as { cursor?: string }).cursor).toBeUndefined();
  });

  it.each(["0", "101", "-1", "1.5", "abc", "", "1e2"])(
    "refuses limit=%j with 400",
    async (limit) => {
      const { res, body } = await call(apiEvent("GET", "/", { query: { limit } }));
      expect(res.statusCode).toBe(400);
      expect(errorCode(body)).toBe("InvalidLimit");
    },
  );

  it.each([
    ["not base64url", "***"],
    ["not JSON", Buffer.from("nope").toString("base64url")],
    ["another key shape", Buffer.from('{"pk":"x"}').toString("base64url")],
    ["an extra attribute", Buffer.from('{"id":"x","secret":1}').toString("base64url")],
    ["an invalid id", Buffer.from('{"id":"a/b"}').toString("base64url")],
  ])("refuses a cursor that is %s with 400", async (_name, cursor) => {
    const { res, body } = await call(apiEvent("GET", "/", { query: { cursor } }));
    expect(res.statusCode).toBe(400);
    expect(errorCode(body)).toBe("InvalidCursor");
  });
});

describe("GET /{id}, PUT /{id}, DELETE /{id}", () => {
  it("returns 404 for a missing item and 400 for an invalid id", async () => {
    const missing = await call(apiEvent("GET", "/nope"));
    expect(missing.res.statusCode).toBe(404);
    expect(errorCode(missing.body)).toBe("NotFound");
    const bad = await call(apiEvent("GET", `/${"z".repeat(129)}`));
    expect(bad.res.statusCode).toBe(400);
    expect(errorCode(bad.body)).toBe("InvalidId");
  });

  it("PUT creates with 201, then replaces with 200 keeping createdAt", async () => {
    let clock = Date.parse("2030-01-01T00:00:00.000Z");
    const timed = createHandler({
      clientConfig: dynamo.clientConfig,
      env,
      log: () => undefined,
      now: () => new Date(clock),
    });
    const first = await timed(jsonEvent("PUT", "/put-1", { data: { v: 1 } }), lambdaContext());
    expect(first.statusCode).toBe(201);
    expect(first.headers?.Location).toBe("/put-1");
    clock += 60_000;
    const second = await timed(
      jsonEvent("PUT", "/put-1", { id: "put-1", data: { w: 2 } }),
      lambdaContext(),
    );
    expect(second.statusCode).toBe(200);
    expect(second.headers?.Location).toBeUndefined();
    const item = JSON.parse(second.body) as Record<string, unknown>;
    expect(item).toEqual({
      id: "put-1",
      data: { w: 2 },
      createdAt: "2030-01-01T00:00:00.000Z",
      updatedAt: "2030-01-01T00:01:00.000Z",
    });
    const got = await call(apiEvent("GET", "/put-1"));
    expect(got.body).toEqual(item);
  });

  it("PUT that creates gives the Location POST would, absolute behind API Gateway's domain", async () => {
    const event = jsonEvent(
      "PUT",
      "/put.2",
      { data: {} },
      {
        requestContext: {
          domainName: "abc.execute-api.eu-west-1.amazonaws.com",
          path: "/prod/put.2",
        },
      },
    );
    const { res } = await call(event);
    expect(res.statusCode).toBe(201);
    expect(res.headers?.Location).toBe(
      "https://abc.execute-api.eu-west-1.amazonaws.com/prod/put.2",
    );
    expect(res.headers?.["Access-Control-Expose-Headers"]).toContain("Location");
    const posted = await call(
      jsonEvent(
        "POST",
        "/",
        { id: "put.3", data: {} },
        {
          requestContext: { domainName: "abc.execute-api.eu-west-1.amazonaws.com", path: "/prod/" },
        },
      ),
    );
    const put = await call(
      jsonEvent(
        "PUT",
        "/put.4",
        { data: {} },
        {
          requestContext: {
            domainName: "abc.execute-api.eu-west-1.amazonaws.com",
            path: "/prod/put.4",
          },
        },
      ),
    );
    expect(String(put.res.headers?.Location).replace("put.4", "put.3")).toBe(
      posted.res.headers?.Location,
    );
  });

  it("PUT refuses a body id that differs from the path and bad bodies", async () => {
    const mismatch = await call(jsonEvent("PUT", "/a", { id: "b", data: {} }));
    expect(mismatch.res.statusCode).toBe(400);
    const notObject = await call(jsonEvent("PUT", "/a", { data: "x" }));
    expect(notObject.res.statusCode).toBe(400);
    const badId = await call(jsonEvent("PUT", "/a%20b", { data: {} }));
    expect(badId.res.statusCode).toBe(400);
    expect((await call(apiEvent("GET", "/a"))).res.statusCode).toBe(404);
  });

  it("DELETE answers 204 once, then 404", async () => {
    await create("del");
    const first = await call(apiEvent("DELETE", "/del"));
    expect(first.res.statusCode).toBe(204);
    expect(first.res.body).toBe("");
    expect(first.res.headers?.["Access-Control-Allow-Origin"]).toBe("https://app.example.com");
    const second = await call(apiEvent("DELETE", "/del"));
    expect(second.res.statusCode).toBe(404);
    expect((await call(apiEvent("GET", "/del"))).res.statusCode).toBe(404);
  });

  it("routes from the path when API Gateway's resource is absent", async () => {
    await create("bare");
    const got = await call(apiEvent("GET", "/bare", { noResource: true }));
    expect(got.res.statusCode).toBe(200);
    const list = await call(apiEvent("GET", "/", { noResource: true }));
    expect((list.body as { items: unknown[] }).items).toHaveLength(1);
    const deep = await call(apiEvent("GET", "/a/b", { noResource: true }));
    expect(deep.res.statusCode).toBe(404);
  });
});

describe("methods and CORS", () => {
  it.each([
    ["PATCH", "/", "GET, POST, OPTIONS"],
    ["DELETE", "/", "GET, POST, OPTIONS"],
    ["POST", "/x", "GET, PUT, DELETE, OPTIONS"],
    ["PATCH", "/x", "GET, PUT, DELETE, OPTIONS"],
  ])("answers %s %s with 405 and Allow", async (method, path, allow) => {
    const { res, body } = await call(apiEvent(method, path));
    expect(res.statusCode).toBe(405);
    expect(res.headers?.Allow).toBe(allow);
    expect(errorCode(body)).toBe("MethodNotAllowed");
    expect(res.headers?.["Access-Control-Allow-Origin"]).toBe("https://app.example.com");
  });

  it.each([
    ["/", "GET,POST,OPTIONS"],
    ["/x", "GET,PUT,DELETE,OPTIONS"],
  ])("answers OPTIONS %s as a CORS preflight", async (path, methods) => {
    const { res } = await call(apiEvent("OPTIONS", path));
    expect(res.statusCode).toBe(204);
    expect(res.headers?.["Access-Control-Allow-Methods"]).toBe(methods);
    expect(res.headers?.["Access-Control-Allow-Headers"]).toContain("Content-Type");
    expect(res.headers?.["Access-Control-Allow-Origin"]).toBe("https://app.example.com");
  });

  it("defaults the allowed origin to *", async () => {
    delete env.CORS_ORIGIN;
    const { res } = await call(apiEvent("GET", "/"));
    expect(res.headers?.["Access-Control-Allow-Origin"]).toBe("*");
    expect(res.headers?.Vary).toBeUndefined();
  });
});

describe("logging and failures", () => {
  it("writes one JSON line per request with the documented fields", async () => {
    await call(apiEvent("GET", "/missing"));
    expect(logs).toHaveLength(1);
    const line = JSON.parse(logs[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "info", method: "GET", path: "/missing", status: 404 });
    expect(line.requestId).toMatch(/^lambda-req-/);
    expect(line.durationMs).toEqual(expect.any(Number));
  });

  it("honours LOG_LEVEL", async () => {
    env.LOG_LEVEL = "warn";
    await call(apiEvent("GET", "/"));
    expect(logs).toHaveLength(0);
  });

  it("hides internal errors behind a generic 500 and logs them with the request id", async () => {
    const failing = createHandler({
      client: { send: () => Promise.reject(new Error("secret-table-arn exploded")) },
      env,
      log: (line) => logs.push(line),
    });
    const context = lambdaContext();
    const res = await failing(apiEvent("GET", "/x"), context);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain("secret");
    const body = JSON.parse(res.body) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe("InternalError");
    expect(body.error.requestId).toBe(context.awsRequestId);
    expect(res.headers?.["Access-Control-Allow-Origin"]).toBe("https://app.example.com");
    const logged = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const errorLine = logged.find((l) => l.msg === "unhandled error");
    expect(errorLine?.requestId).toBe(context.awsRequestId);
    expect(JSON.stringify(errorLine)).toContain("secret-table-arn exploded");
    expect(logged.find((l) => l.msg === "request")).toMatchObject({ status: 500, level: "error" });
  });

  it("answers 500 without TABLE_NAME rather than crashing", async () => {
    delete env.TABLE_NAME;
    const { res, body } = await call(apiEvent("GET", "/"));
    expect(res.statusCode).toBe(500);
    expect(errorCode(body)).toBe("InternalError");
    expect(res.body).not.toContain("TABLE_NAME");
    expect(logs.join("\n")).toContain("TABLE_NAME");
  });
});
