import { describe, expect, it, vi } from "vitest";
import {
  fromAttributeMap,
  fromAttributeValue,
  toAttributeValue,
} from "../../handler/attribute-value.js";
import { parseLogLevel, readConfig } from "../../handler/config.js";
import {
  ALLOWED_REQUEST_HEADERS,
  ApiError,
  corsHeaders,
  empty,
  errorResponse,
  header,
  internalError,
  json,
  preflight,
} from "../../handler/http.js";
import { createLogger, describeError, stdoutSink } from "../../handler/log.js";
import { locationOf, locationOfPut, matchRoute } from "../../handler/route.js";
import {
  bodyText,
  checkContentType,
  decodeCursor,
  encodeCursor,
  MAX_BODY_BYTES,
  MAX_KEY_BYTES,
  parseId,
  parseLimit,
  parseJsonObject,
  storableProblem,
  validateCreate,
  validateReplace,
} from "../../handler/validate.js";

/**
 * The handler's building blocks, each with the exact answer a client or an operator gets: the
 * status, the error code and message, the headers, the log line.
 */

/** The ApiError fn throws. */
function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected an ApiError");
}

describe("configuration from the environment", () => {
  it("TABLE_NAME is required; the rest have defaults", () => {
    expect(readConfig({})).toEqual({ ok: false, problem: "TABLE_NAME is not set" });
    expect(readConfig({ TABLE_NAME: "  " })).toEqual({
      ok: false,
      problem: "TABLE_NAME is not set",
    });
    expect(readConfig({ TABLE_NAME: " items " })).toEqual({
      ok: true,
      config: { tableName: "items", environment: undefined, logLevel: "info", corsOrigin: "*" },
    });
    expect(
      readConfig({
        TABLE_NAME: "t",
        ENVIRONMENT: "prod",
        LOG_LEVEL: "WARN",
        CORS_ORIGIN: " https://a.example ",
      }),
    ).toEqual({
      ok: true,
      config: {
        tableName: "t",
        environment: "prod",
        logLevel: "warn",
        corsOrigin: "https://a.example",
      },
    });
    expect(readConfig({ TABLE_NAME: "t", ENVIRONMENT: "", CORS_ORIGIN: " " })).toMatchObject({
      config: { environment: undefined, corsOrigin: "*" },
    });
  });

  it("log levels: case and spaces ignored, an unknown one is info", () => {
    expect(parseLogLevel(" Debug ")).toBe("debug");
    expect(parseLogLevel("error")).toBe("error");
    expect(parseLogLevel("warn")).toBe("warn");
    expect(parseLogLevel("verbose")).toBe("info");
    expect(parseLogLevel(undefined)).toBe("info");
  });
});

describe("logging", () => {
  it("one JSON object per line, level and time first; below the minimum level nothing", () => {
    const lines: string[] = [];
    const log = createLogger("warn", (l) => lines.push(l));
    log.log("debug", { msg: "d" });
    log.log("info", { msg: "i" });
    log.log("warn", { msg: "w" });
    log.log("error", { msg: "e" });
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["w", "e"]);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(["level", "time", "msg"]);
    expect(first.level).toBe("warn");
    expect(Date.parse(first.time as string)).not.toBeNaN();
    const all: string[] = [];
    const debug = createLogger("debug", (l) => all.push(l));
    debug.log("debug", {});
    expect(all).toHaveLength(1);
    const errorOnly: string[] = [];
    createLogger("error", (l) => errorOnly.push(l)).log("warn", {});
    expect(errorOnly).toEqual([]);
  });

  it("stdout: the line and a newline, nothing else", () => {
    const write = vi.spyOn(process.stdout, "write").mockReturnValue(true);
    stdoutSink('{"a":1}');
    expect(write).toHaveBeenCalledWith('{"a":1}\n');
    write.mockRestore();
  });

  it("errors are described with name, message and stack; anything else as text", () => {
    const e = new TypeError("bad");
    expect(describeError(e)).toEqual({ name: "TypeError", message: "bad", stack: e.stack });
    expect(describeError("text")).toEqual({ message: "text" });
    expect(describeError(42)).toEqual({ message: "42" });
  });
});

describe("HTTP answers", () => {
  it("CORS: a specific origin varies the response, * does not; Location readable", () => {
    expect(corsHeaders("*")).toEqual({
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Expose-Headers": "Location",
    });
    expect(corsHeaders("https://a.example")).toEqual({
      "Access-Control-Allow-Origin": "https://a.example",
      "Access-Control-Expose-Headers": "Location",
      Vary: "Origin",
    });
  });

  it("preflight: 204 with the methods, headers and a 10-minute cache", () => {
    expect(preflight("*", ["GET", "POST"])).toEqual({
      statusCode: 204,
      headers: {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "Location",
        "Access-Control-Allow-Methods": "GET,POST",
        "Access-Control-Allow-Headers":
          "Content-Type,Authorization,X-Amz-Date,X-Api-Key,X-Amz-Security-Token",
        "Access-Control-Max-Age": "600",
      },
      body: "",
    });
    expect(ALLOWED_REQUEST_HEADERS).toBe(
      "Content-Type,Authorization,X-Amz-Date,X-Api-Key,X-Amz-Security-Token",
    );
  });

  it("json, empty, errors: status, CORS, content type and the documented error shape", () => {
    expect(json(200, { a: 1 }, "*", { Location: "/x" })).toEqual({
      statusCode: 200,
      headers: {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "Location",
        "Content-Type": "application/json; charset=utf-8",
        Location: "/x",
      },
      body: '{"a":1}',
    });
    expect(empty(204, "*")).toEqual({
      statusCode: 204,
      headers: { "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Location" },
      body: "",
    });
    const err = new ApiError(405, "MethodNotAllowed", "no", { Allow: "GET" });
    expect(err.name).toBe("ApiError");
    expect(err.headers).toEqual({ Allow: "GET" });
    expect(new ApiError(400, "X", "m").headers).toEqual({});
    const res = errorResponse(err, "*");
    expect(res.statusCode).toBe(405);
    expect(res.headers?.Allow).toBe("GET");
    expect(JSON.parse(res.body)).toEqual({ error: { code: "MethodNotAllowed", message: "no" } });
    const internal = internalError("req-1", "*");
    expect(internal.statusCode).toBe(500);
    expect(JSON.parse(internal.body)).toEqual({
      error: {
        code: "InternalError",
        message: "Internal server error (request id req-1)",
        requestId: "req-1",
      },
    });
  });

  it("header lookup ignores case; none when absent", () => {
    expect(header({ "content-TYPE": "a" }, "Content-Type")).toBe("a");
    expect(header({ Other: "b" }, "Content-Type")).toBeUndefined();
    expect(header(null, "Content-Type")).toBeUndefined();
    expect(header(undefined, "x")).toBeUndefined();
  });
});

describe("routes and locations", () => {
  it("API Gateway's resource decides; the raw path otherwise", () => {
    expect(matchRoute({ resource: "/", path: "/anything", pathParameters: null })).toEqual({
      kind: "collection",
    });
    expect(matchRoute({ resource: "/{id}", path: "/x", pathParameters: { id: "a b" } })).toEqual({
      kind: "item",
      rawId: "a b",
    });
    expect(matchRoute({ resource: "/{id}", path: "/x", pathParameters: null })).toEqual({
      kind: "item",
      rawId: undefined,
    });
    const raw = (p: string | undefined) =>
      matchRoute({ resource: undefined as never, path: p as never, pathParameters: null });
    expect(raw("/")).toEqual({ kind: "collection" });
    expect(raw(undefined)).toEqual({ kind: "collection" });
    expect(raw("//a%20b/")).toEqual({ kind: "item", rawId: "a b" });
    expect(raw("/%E0%A4%A")).toEqual({ kind: "item", rawId: undefined });
    expect(raw("/a/b")).toEqual({ kind: "unknown" });
  });

  it("locationOf: absolute behind API Gateway's domain, relative otherwise, the id escaped", () => {
    expect(locationOf("a b", undefined, "/")).toBe("/a%20b");
    expect(locationOf("x", undefined, "/items//")).toBe("/items/x");
    expect(locationOf("x", { path: "/prod/" }, "/")).toBe("/prod/x");
    expect(locationOf("x", { domainName: "api.example", path: "/prod/" }, "/")).toBe(
      "https://api.example/prod/x",
    );
    expect(locationOf("x", { domainName: "", path: "/p" }, "/")).toBe("/p/x");
  });

  it("locationOfPut: the URL PUT was called with, in POST's form", () => {
    expect(locationOfPut("x", undefined, "/x")).toBe("/x");
    expect(locationOfPut("x", { domainName: "api.example", path: "/prod/x" }, "/x")).toBe(
      "https://api.example/prod/x",
    );
    expect(locationOfPut("x y", { path: "/prod/x%20y/" }, "/x y")).toBe("/prod/x%20y");
    expect(locationOfPut("x", { domainName: "d.example" }, "/base/x")).toBe(
      "https://d.example/base/x",
    );
  });
});

describe("what a request may carry", () => {
  it("ids: 1-128 of the allowed characters, not . or ..", () => {
    expect(parseId("a-B_9.z")).toBe("a-B_9.z");
    expect(parseId("x".repeat(128))).toBe("x".repeat(128));
    for (const bad of [undefined, "", "x".repeat(129), "a b", "a/b", ".", "..", "é"]) {
      const e = apiError(() => parseId(bad));
      expect([e.status, e.code, e.message]).toEqual([
        400,
        "InvalidId",
        "id must be 1-128 characters of A-Z a-z 0-9 . _ - (and not '.' or '..')",
      ]);
    }
    expect(parseId("...")).toBe("...");
  });

  it("limit: 50 by default, an integer from 1 to 100", () => {
    expect(parseLimit(undefined)).toBe(50);
    expect(parseLimit("1")).toBe(1);
    expect(parseLimit("100")).toBe(100);
    expect(parseLimit("0050")).toBe(50);
    for (const bad of ["0", "101", "00000", "10000", "1.0", " 5", "5 ", ""]) {
      const e = apiError(() => parseLimit(bad));
      expect([e.status, e.code, e.message]).toEqual([
        400,
        "InvalidLimit",
        "limit must be an integer from 1 to 100",
      ]);
    }
  });

  it("cursor: only one this API returned", () => {
    const c = encodeCursor({ id: "abc" });
    expect(c).toBe(Buffer.from('{"id":"abc"}').toString("base64url"));
    expect(decodeCursor(c)).toEqual({ id: "abc" });
    expect(decodeCursor(undefined)).toBeUndefined();
    const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    for (const bad of [
      "",
      "a+b",
      "x".repeat(1025),
      Buffer.from("not json").toString("base64url"),
      forged(null),
      forged([{ id: "a" }]),
      forged("a"),
      forged({}),
      forged({ id: "a", other: 1 }),
      forged({ id: 1 }),
      forged({ id: "a b" }),
      forged({ other: "a" }),
      // Characters base64url decoding would skip are refused, not skipped.
      `${c}!`,
      `!${c}`,
    ]) {
      const e = apiError(() => decodeCursor(bad));
      expect([e.status, e.code, e.message]).toEqual([
        400,
        "InvalidCursor",
        "cursor is not one this API returned",
      ]);
    }
    // The longest cursor accepted.
    expect(decodeCursor(forged({ id: "y".repeat(128) }))).toEqual({ id: "y".repeat(128) });
  });

  it("content type: none, JSON or a +json type; anything else 415", () => {
    for (const ok of [
      undefined,
      "",
      "  ",
      "application/json",
      "Application/JSON; charset=utf-8",
      " application/vnd.api+json ",
    ]) {
      expect(() => checkContentType(ok)).not.toThrow();
    }
    for (const bad of [
      "text/plain",
      "application/jsonx",
      "application/+json",
      "xapplication/json",
      "application/x+jsonp",
      "xapplication/a+json",
    ]) {
      const e = apiError(() => checkContentType(bad));
      expect([e.status, e.code, e.message]).toEqual([
        415,
        "UnsupportedMediaType",
        "Content-Type must be application/json",
      ]);
    }
  });

  it("body: required, at most 256 KiB decoded, base64 decoded", () => {
    expect(MAX_BODY_BYTES).toBe(262144);
    for (const missing of [null, undefined, ""]) {
      const e = apiError(() => bodyText(missing, false));
      expect([e.status, e.code, e.message]).toEqual([
        400,
        "InvalidBody",
        "request body is required",
      ]);
    }
    expect(bodyText('{"a":1}', false)).toBe('{"a":1}');
    expect(bodyText(Buffer.from('{"é":1}').toString("base64"), true)).toBe('{"é":1}');
    expect(bodyText("é".repeat(MAX_BODY_BYTES / 2), false)).toHaveLength(MAX_BODY_BYTES / 2);
    const tooBig = apiError(() => bodyText("é".repeat(MAX_BODY_BYTES / 2) + "x", false));
    expect([tooBig.status, tooBig.code, tooBig.message]).toEqual([
      413,
      "PayloadTooLarge",
      "request body exceeds 262144 bytes",
    ]);
    const exact = Buffer.alloc(MAX_BODY_BYTES, "a").toString("base64");
    expect(bodyText(exact, true)).toHaveLength(MAX_BODY_BYTES);
    const over = Buffer.alloc(MAX_BODY_BYTES + 1, "a").toString("base64");
    expect(apiError(() => bodyText(over, true)).status).toBe(413);
  });

  it("JSON object bodies only", () => {
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
    const invalid = apiError(() => parseJsonObject("{"));
    expect([invalid.status, invalid.code, invalid.message]).toEqual([
      400,
      "InvalidJson",
      "request body is not valid JSON",
    ]);
    for (const notObject of ["[]", "null", "1", '"s"']) {
      const e = apiError(() => parseJsonObject(notObject));
      expect([e.status, e.code, e.message]).toEqual([
        400,
        "InvalidBody",
        "request body must be a JSON object",
      ]);
    }
  });

  it("POST and PUT bodies: id and data only, data an object, ids that agree", () => {
    expect(validateCreate({ data: { a: 1 } })).toEqual({ id: undefined, data: { a: 1 } });
    expect(validateCreate({ id: "x", data: {} })).toEqual({ id: "x", data: {} });
    expect(apiError(() => validateCreate({ id: 5, data: {} })).code).toBe("InvalidId");
    const unknown = apiError(() => validateCreate({ data: {}, extra: 1, more: 2 }));
    expect([unknown.status, unknown.code, unknown.message]).toEqual([
      400,
      "InvalidBody",
      "unknown field(s): extra, more",
    ]);
    for (const data of [undefined, null, [], "x", 1]) {
      const e = apiError(() => validateCreate({ data }));
      expect([e.code, e.message]).toEqual(["InvalidBody", '"data" must be a JSON object']);
    }
    expect(validateReplace({ data: { a: 1 } }, "p")).toEqual({ a: 1 });
    expect(validateReplace({ id: "p", data: {} }, "p")).toEqual({});
    const mismatch = apiError(() => validateReplace({ id: "q", data: {} }, "p"));
    expect([mismatch.status, mismatch.code, mismatch.message]).toEqual([
      400,
      "InvalidBody",
      "id in the body does not match the id in the path",
    ]);
    expect(apiError(() => validateReplace({ data: {}, x: 1 }, "p")).message).toBe(
      "unknown field(s): x",
    );
    expect(apiError(() => validateCreate({ data: { "": 1 } })).message).toBe(
      'data[""] is an empty key, which DynamoDB cannot store: give it a name',
    );
  });
});

describe("what DynamoDB can store", () => {
  it("numbers: 0, or a magnitude from 1e-130 to below 1e126", () => {
    for (const ok of [0, -0, 1e-130, -1e-130, 9.99e125, -9.99e125, 1, -1]) {
      expect(storableProblem(ok, "data.n", 1)).toBeUndefined();
    }
    for (const bad of [1e-131, -1e-131, 1e126, -1e126, 5e-324]) {
      expect(storableProblem(bad, "data.n", 1)).toBe(
        "data.n is a number DynamoDB cannot store: use 0 or a magnitude from 1e-130 to below 1e126, or send it as a string",
      );
    }
  });

  it("strings and keys: no lone surrogates; keys not empty, at most 65535 bytes", () => {
    expect(storableProblem("ok \u{1F600}", "data.s", 1)).toBeUndefined();
    expect(storableProblem("\uD800x", "data.s", 1)).toBe(
      "data.s is not valid Unicode (it holds a lone surrogate, which UTF-8 cannot encode)",
    );
    expect(storableProblem({ ["\uDC00"]: 1 }, "data", 1)).toBe(
      'data["\\udc00"] is a key that is not valid Unicode (it holds a lone surrogate, which UTF-8 cannot encode)',
    );
    expect(MAX_KEY_BYTES).toBe(65535);
    expect(storableProblem({ ["k".repeat(65535)]: 1 }, "data", 1)).toBeUndefined();
    expect(storableProblem({ ["k".repeat(65536)]: 1 }, "data", 1)).toBe(
      "data has a key longer than 65535 bytes, DynamoDB's limit for a name",
    );
    expect(storableProblem({ a: { "": 1 } }, "data", 1)).toBe(
      'data.a[""] is an empty key, which DynamoDB cannot store: give it a name',
    );
  });

  it("the path names where: identifiers with a dot, anything else quoted, list items by index", () => {
    expect(storableProblem({ a: { b_1: { $c: [0, 1e200] } } }, "data", 1)).toMatch(
      /^data\.a\.b_1\.\$c\[1\] is a number/,
    );
    expect(storableProblem({ "b c": [1e200] }, "data", 1)).toMatch(
      /^data\["b c"\]\[0\] is a number/,
    );
    expect(storableProblem({ "1a": 1e200 }, "data", 1)).toMatch(/^data\["1a"\] is a number/);
    expect(storableProblem([[1, [1e-200]]], "data", 1)).toMatch(/^data\[0\]\[1\]\[0\] is a number/);
    expect(
      storableProblem({ a: 1, b: "x", c: null, d: true, e: [1, "y"] }, "data", 1),
    ).toBeUndefined();
  });

  it("depth: 31 levels of data, not 32", () => {
    const nest = (levels: number, list: boolean): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < levels; i++) v = list ? [v] : { k: v };
      return v;
    };
    for (const list of [false, true]) {
      // The data object itself is the first level.
      expect(storableProblem(nest(31, list), "data", 1)).toBeUndefined();
      expect(storableProblem(nest(32, list), "data", 1)).toBe(
        '"data" is nested deeper than 31 levels',
      );
    }
    expect(storableProblem({}, "data", 31)).toBeUndefined();
    expect(storableProblem({}, "data", 32)).toBe('"data" is nested deeper than 31 levels');
  });
});

describe("DynamoDB attribute values", () => {
  it("JSON to DynamoDB, every kind", () => {
    expect(
      toAttributeValue({ s: "x", n: 1.5, b: false, z: null, l: [1, "a"], m: { __proto__: 1 } }),
    ).toEqual({
      M: {
        s: { S: "x" },
        n: { N: "1.5" },
        b: { BOOL: false },
        z: { NULL: true },
        l: { L: [{ N: "1" }, { S: "a" }] },
        m: { M: {} },
      },
    });
    expect(toAttributeValue(1e21)).toEqual({ N: "1e+21" });
    expect(() => toAttributeValue(undefined)).toThrow("not a JSON value: undefined");
    expect(() => toAttributeValue(() => 1)).toThrow("not a JSON value: function");
  });

  it("DynamoDB to JSON, every kind, sets and binaries included", () => {
    expect(fromAttributeValue({ S: "" })).toBe("");
    expect(fromAttributeValue({ N: "0" })).toBe(0);
    expect(fromAttributeValue({ BOOL: false })).toBe(false);
    expect(fromAttributeValue({ NULL: true })).toBeNull();
    expect(fromAttributeValue({ M: { a: { N: "2" } } })).toEqual({ a: 2 });
    expect(fromAttributeValue({ L: [{ S: "a" }, { N: "3" }] })).toEqual(["a", 3]);
    expect(fromAttributeValue({ SS: ["a", "b"] })).toEqual(["a", "b"]);
    expect(fromAttributeValue({ NS: ["1", "2.5"] })).toEqual([1, 2.5]);
    expect(fromAttributeValue({ B: Buffer.from("hi") })).toBe("aGk=");
    expect(fromAttributeValue({ BS: [Buffer.from("hi"), Buffer.from("yo")] })).toEqual([
      "aGk=",
      "eW8=",
    ]);
    expect(() => fromAttributeValue({ $unknown: ["X", 1] } as never)).toThrow(
      "unknown DynamoDB attribute type: $unknown",
    );
    expect(() => fromAttributeValue({} as never)).toThrow("unknown DynamoDB attribute type: ");
    expect(() => fromAttributeValue({ X: 1, Y: 2 } as never)).toThrow(
      "unknown DynamoDB attribute type: X, Y",
    );
    const proto = JSON.parse('{"__proto__":{"S":"v"}}') as Record<string, never>;
    expect(Object.keys(fromAttributeMap(proto))).toEqual(["__proto__"]);
  });
});
