import { randomUUID } from "node:crypto";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { readConfig, type HandlerConfig } from "./config.js";
import { ApiError, empty, errorResponse, header, internalError, json, preflight } from "./http.js";
import { ItemStore, type DynamoClient } from "./items.js";
import { createLogger, describeError, stdoutSink, type LogSink } from "./log.js";
import {
  COLLECTION_METHODS,
  ITEM_METHODS,
  locationOf,
  locationOfPut,
  matchRoute,
} from "./route.js";
import {
  bodyText,
  checkContentType,
  decodeCursor,
  encodeCursor,
  parseId,
  parseJsonObject,
  parseLimit,
  validateCreate,
  validateReplace,
} from "./validate.js";

export type { Item } from "./items.js";

export interface HandlerDeps {
  /** Replaces the DynamoDB client (tests inject failures with it). */
  readonly client?: DynamoClient;
  /** Used when no client is given; empty = the SDK's default chain (region, AWS_ENDPOINT_URL…). */
  readonly clientConfig?: DynamoDBClientConfig;
  /** Defaults to process.env, read on every request. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the JSON log lines go; stdout by default. */
  readonly log?: LogSink;
  readonly now?: () => Date;
  readonly newId?: () => string;
}

/*
 * X-Ray subsegments for DynamoDB calls when the function runs with Active tracing. The tracer turns
 * itself off outside Lambda (no AWS_EXECUTION_ENV: dev server, tests), under SAM local, and with
 * POWERTOOLS_TRACE_ENABLED=false; captureAWSv3Client then returns the client untouched.
 * captureHTTPsRequests is off because DynamoDB is the only thing this function calls: patching
 * http/https/fetch globally would only add a second, "remote" subsegment for each DynamoDB request.
 */
const tracer = new Tracer({ captureHTTPsRequests: false });

type LambdaHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

interface RequestScope {
  readonly event: APIGatewayProxyEvent;
  readonly config: HandlerConfig;
  readonly store: ItemStore;
  readonly now: () => Date;
  readonly newId: () => string;
}

export function createHandler(deps: HandlerDeps = {}): LambdaHandler {
  const sink = deps.log ?? stdoutSink;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  let client = deps.client;

  // Built on first use, then reused across warm invocations: connection reuse is most of
  // DynamoDB latency from Lambda.
  const getClient = (): DynamoClient => {
    client ??= tracer.captureAWSv3Client(new DynamoDBClient(deps.clientConfig ?? {}));
    return client;
  };

  return async (event, context) => {
    const started = Date.now();
    const env = deps.env ?? process.env;
    const requestId = context.awsRequestId;
    const read = readConfig(env);
    const corsOrigin = read.ok ? read.config.corsOrigin : env.CORS_ORIGIN || "*";
    const logger = createLogger(read.ok ? read.config.logLevel : "info", sink);

    let result: APIGatewayProxyResult;
    try {
      if (!read.ok) throw new Error(`misconfigured function: ${read.problem}`);
      const store = new ItemStore(getClient(), read.config.tableName);
      result = await route({ event, config: read.config, store, now, newId });
    } catch (err) {
      if (err instanceof ApiError) {
        result = errorResponse(err, corsOrigin);
      } else {
        logger.log("error", {
          msg: "unhandled error",
          requestId,
          apiRequestId: event.requestContext?.requestId,
          error: describeError(err),
        });
        result = internalError(requestId, corsOrigin);
      }
    }

    logger.log(result.statusCode >= 500 ? "error" : "info", {
      msg: "request",
      requestId,
      apiRequestId: event.requestContext?.requestId,
      environment: read.ok ? read.config.environment : undefined,
      method: event.httpMethod,
      path: event.path,
      status: result.statusCode,
      durationMs: Date.now() - started,
    });
    return result;
  };
}

async function route(scope: RequestScope): Promise<APIGatewayProxyResult> {
  const { event, config } = scope;
  const origin = config.corsOrigin;
  const method = (event.httpMethod ?? "").toUpperCase();
  const match = matchRoute(event);

  if (match.kind === "unknown") throw new ApiError(404, "NotFound", "no such resource");

  if (match.kind === "collection") {
    if (method === "OPTIONS") return preflight(origin, COLLECTION_METHODS);
    if (method === "GET") return listItems(scope);
    if (method === "POST") return createItem(scope);
    throw methodNotAllowed(COLLECTION_METHODS);
  }

  if (method === "OPTIONS") return preflight(origin, ITEM_METHODS);
  if (!(ITEM_METHODS as readonly string[]).includes(method)) throw methodNotAllowed(ITEM_METHODS);
  const id = parseId(match.rawId);
  if (method === "GET") {
    const item = await scope.store.get(id);
    if (!item) throw notFound(id);
    return json(200, item, origin);
  }
  if (method === "PUT") return replaceItem(scope, id);
  if (!(await scope.store.delete(id))) throw notFound(id);
  return empty(204, origin);
}

async function listItems({ event, config, store }: RequestScope): Promise<APIGatewayProxyResult> {
  const query = event.queryStringParameters ?? {};
  const limit = parseLimit(query.limit);
  const startKey = decodeCursor(query.cursor);
  const page = await store.list(limit, startKey);
  return json(
    200,
    { items: page.items, ...(page.lastKey ? { cursor: encodeCursor(page.lastKey) } : {}) },
    config.corsOrigin,
  );
}

async function createItem(scope: RequestScope): Promise<APIGatewayProxyResult> {
  const { event, config, store } = scope;
  const input = validateCreate(readJsonBody(event));
  const stamp = scope.now().toISOString();
  const item = {
    id: input.id ?? scope.newId(),
    data: input.data,
    createdAt: stamp,
    updatedAt: stamp,
  };
  if (!(await store.create(item))) {
    throw new ApiError(409, "Conflict", `an item with id '${item.id}' already exists`);
  }
  const location = locationOf(item.id, event.requestContext, event.path || "/");
  return json(201, item, config.corsOrigin, { Location: location });
}

async function replaceItem(scope: RequestScope, id: string): Promise<APIGatewayProxyResult> {
  const { event, config, store } = scope;
  const data = validateReplace(readJsonBody(event), id);
  const { item, created } = await store.replace(id, data, scope.now().toISOString());
  if (!created) return json(200, item, config.corsOrigin);
  const location = locationOfPut(id, event.requestContext, event.path || `/${id}`);
  return json(201, item, config.corsOrigin, { Location: location });
}

function readJsonBody(event: APIGatewayProxyEvent): ReturnType<typeof parseJsonObject> {
  checkContentType(header(event.headers, "content-type"));
  return parseJsonObject(bodyText(event.body, event.isBase64Encoded === true));
}

function methodNotAllowed(allow: readonly string[]): ApiError {
  return new ApiError(405, "MethodNotAllowed", "method not allowed on this resource", {
    Allow: allow.join(", "),
  });
}

function notFound(id: string): ApiError {
  return new ApiError(404, "NotFound", `no item with id '${id}'`);
}

/**
 * An error in the API's documented shape, with the CORS headers. The dev server answers with it
 * where it stands in for API Gateway (unknown paths, oversized bodies), so that those answers
 * look like every other error of the API.
 */
export function errorResult(
  status: number,
  code: string,
  message: string,
  origin: string,
): APIGatewayProxyResult {
  return errorResponse(new ApiError(status, code, message), origin);
}

/** The Lambda entry point: configuration from the environment, logs to stdout. */
export const handler: LambdaHandler = createHandler();
