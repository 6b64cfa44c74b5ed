import type { APIGatewayProxyResult } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createHandler } from "../../handler/index.js";
import { apiEvent, jsonEvent, lambdaContext } from "./helpers.js";

/**
 * What a client gets on the paths a table never produces on its own: items edited by hand,
 * conditional failures, errors, a function without its configuration. DynamoDB is a stand-in
 * that answers each command as told.
 */

type Answer = (command: { constructor: { name: string }; input: unknown }) => Promise<unknown>;

function handlerWith(answer: Answer, env: Record<string, string> = { TABLE_NAME: "t" }) {
  const logs: Record<string, unknown>[] = [];
  const handler = createHandler({
    client: { send: answer as never },
    env,
    log: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
    now: () => new Date("2026-02-03T04:05:06.000Z"),
    newId: () => "new-id",
  });
  return { handler, logs };
}

function body(res: APIGatewayProxyResult): { error: { code: string; message: string } } {
  return JSON.parse(res.body) as { error: { code: string; message: string } };
}

const never: Answer = () => Promise.reject(new Error("not expected"));

describe("answers", () => {
  it("an unknown path: 404 no such resource", async () => {
    const { handler } = handlerWith(never);
    const res = await handler(apiEvent("GET", "/a/b"), lambdaContext());
    expect(res.statusCode).toBe(404);
    expect(body(res).error).toEqual({ code: "NotFound", message: "no such resource" });
  });

  it("a method the resource does not have: 405 with Allow", async () => {
    const { handler } = handlerWith(never);
    const res = await handler(apiEvent("PATCH", "/"), lambdaContext());
    expect(res.statusCode).toBe(405);
    expect(res.headers?.Allow).toBe("GET, POST, OPTIONS");
    expect(body(res).error).toEqual({
      code: "MethodNotAllowed",
      message: "method not allowed on this resource",
    });
    const item = await handler(apiEvent("POST", "/x"), lambdaContext());
    expect(item.headers?.Allow).toBe("GET, PUT, DELETE, OPTIONS");
  });

  it("a missing item: 404 naming it", async () => {
    const { handler } = handlerWith(() => Promise.resolve({}));
    const res = await handler(apiEvent("GET", "/x1"), lambdaContext());
    expect(res.statusCode).toBe(404);
    expect(body(res).error).toEqual({ code: "NotFound", message: "no item with id 'x1'" });
  });

  it("a taken id: 409 naming it; any other write failure is a 500", async () => {
    const taken = Object.assign(new Error("The conditional request failed"), {
      name: "ConditionalCheckFailedException",
    });
    const { handler } = handlerWith(() => Promise.reject(taken));
    const res = await handler(jsonEvent("POST", "/", { id: "x1", data: {} }), lambdaContext());
    expect(res.statusCode).toBe(409);
    expect(body(res).error).toEqual({
      code: "Conflict",
      message: "an item with id 'x1' already exists",
    });
    const other = handlerWith(() => Promise.reject(new Error("throttled")));
    const failed = await other.handler(jsonEvent("POST", "/", { data: {} }), lambdaContext());
    expect(failed.statusCode).toBe(500);
    const notAnError = handlerWith(() =>
      Promise.reject({ name: "ConditionalCheckFailedException" } as unknown as Error),
    );
    const odd = await notAnError.handler(jsonEvent("POST", "/", { data: {} }), lambdaContext());
    expect(odd.statusCode).toBe(500);
  });

  it("an item written by hand without stamps or data reads back with empty ones", async () => {
    const { handler } = handlerWith((command) =>
      Promise.resolve(
        command.constructor.name === "GetItemCommand" ? { Item: { id: { S: "h" } } } : {},
      ),
    );
    const res = await handler(apiEvent("GET", "/h"), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ id: "h", data: {}, createdAt: "", updatedAt: "" });
  });

  it("PUT over an item without createdAt: it gets one now, and 200", async () => {
    const { handler } = handlerWith(() => Promise.resolve({ Attributes: { id: { S: "h" } } }));
    const res = await handler(jsonEvent("PUT", "/h", { data: { a: 1 } }), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      id: "h",
      data: { a: 1 },
      createdAt: "2026-02-03T04:05:06.000Z",
      updatedAt: "2026-02-03T04:05:06.000Z",
    });
  });
});

describe("a function without its configuration", () => {
  it("answers 500 with the configured origin, or *", async () => {
    const configured = handlerWith(never, { CORS_ORIGIN: "https://app.example" });
    const res = await configured.handler(apiEvent("GET", "/"), lambdaContext());
    expect(res.statusCode).toBe(500);
    expect(res.headers?.["Access-Control-Allow-Origin"]).toBe("https://app.example");
    const bare = handlerWith(never, {});
    const plain = await bare.handler(apiEvent("GET", "/"), lambdaContext());
    expect(plain.headers?.["Access-Control-Allow-Origin"]).toBe("*");
  });
});

describe("log lines", () => {
  it("an unhandled error is logged at error level, then the request; duration in ms", async () => {
    const { handler, logs } = handlerWith(() => Promise.reject(new Error("boom")));
    const context = lambdaContext();
    await handler(apiEvent("GET", "/x"), context);
    expect(logs.map((l) => [l.level, l.msg])).toEqual([
      ["error", "unhandled error"],
      ["error", "request"],
    ]);
    expect(logs[0]).toMatchObject({ requestId: context.awsRequestId, apiRequestId: "api-req-1" });
    expect(logs[1]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(logs[1]!.durationMs).toBeLessThan(60_000);
  });

  it("an event without a request context is still answered and logged", async () => {
    const { handler, logs } = handlerWith(() => Promise.reject(new Error("boom")));
    const event = { ...apiEvent("GET", "/x"), requestContext: undefined as never };
    const res = await handler(event, lambdaContext());
    expect(res.statusCode).toBe(500);
    expect(logs.map((l) => l.msg)).toEqual(["unhandled error", "request"]);
    expect(logs[1]!.apiRequestId).toBeUndefined();
  });
});
