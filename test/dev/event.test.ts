import { describe, expect, it } from "vitest";
import { fromProxyResult, isTextual, toProxyEvent } from "../../src/dev/event.js";
import { BUILTIN_ROUTES, matchRoute, parseRoutes, routeSpecs } from "../../src/routes.js";

const builtin = routeSpecs(parseRoutes(BUILTIN_ROUTES));
const routeOf = (p: string) => {
  const m = matchRoute(builtin, p);
  return m && { resource: m.resource, pathParameters: m.pathParameters };
};

const base = {
  sourceIp: "127.0.0.1",
  requestId: "req-1",
  now: new Date("2030-01-01T00:00:00Z"),
  stage: "dev",
};

describe("request → API Gateway proxy event", () => {
  it("maps the two resources and nothing else", () => {
    expect(routeOf("/")).toEqual({ resource: "/", pathParameters: null });
    expect(routeOf("/a%20b")).toEqual({ resource: "/{id}", pathParameters: { id: "a b" } });
    expect(routeOf("/a/b")).toBeUndefined();
    expect(routeOf("/%E0%A4%A")).toBeUndefined();
  });

  it("keeps repeated query parameters and headers the way API Gateway does", () => {
    const event = toProxyEvent(
      {
        ...base,
        method: "GET",
        url: "/x?tag=a&tag=b&limit=5",
        rawHeaders: ["Accept", "application/json", "X-Multi", "1", "X-Multi", "2"],
        body: Buffer.alloc(0),
      },
      { resource: "/{id}", pathParameters: { id: "x" } },
    );
    expect(event.queryStringParameters).toEqual({ tag: "b", limit: "5" });
    expect(event.multiValueQueryStringParameters).toEqual({ tag: ["a", "b"], limit: ["5"] });
    expect(event.headers).toEqual({ Accept: "application/json", "X-Multi": "2" });
    expect(event.multiValueHeaders["X-Multi"]).toEqual(["1", "2"]);
    expect(event.pathParameters).toEqual({ id: "x" });
    expect(event.body).toBeNull();
    expect(event.requestContext).toMatchObject({
      requestId: "req-1",
      stage: "dev",
      resourcePath: "/{id}",
    });
    expect(event.requestContext.identity.sourceIp).toBe("127.0.0.1");
  });

  it("base64-encodes binary bodies only", () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7f]);
    const binary = toProxyEvent(
      { ...base, method: "POST", url: "/", rawHeaders: ["Content-Type", "image/png"], body: bytes },
      { resource: "/", pathParameters: null },
    );
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body!, "base64")).toEqual(bytes);
    const text = toProxyEvent(
      {
        ...base,
        method: "POST",
        url: "/",
        rawHeaders: ["content-type", "application/json"],
        body: Buffer.from("{}"),
      },
      { resource: "/", pathParameters: null },
    );
    expect(text).toMatchObject({ isBase64Encoded: false, body: "{}", queryStringParameters: null });
    expect(isTextual("application/problem+json; charset=utf-8")).toBe(true);
  });
});

describe("proxy result → HTTP response", () => {
  it("merges multi-value headers and decodes base64 bodies", () => {
    const out = fromProxyResult({
      statusCode: 200,
      headers: { "Content-Type": "image/png", "Set-Cookie": "a=1" },
      multiValueHeaders: { "Set-Cookie": ["a=1", "b=2"] },
      body: Buffer.from([1, 2, 3]).toString("base64"),
      isBase64Encoded: true,
    });
    expect(out.status).toBe(200);
    expect(out.headers["Set-Cookie"]).toEqual(["a=1", "b=2"]);
    expect(out.headers["Content-Type"]).toEqual(["image/png"]);
    expect([...out.body]).toEqual([1, 2, 3]);
  });
});
