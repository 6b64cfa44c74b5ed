import type { IncomingHttpHeaders } from "node:http";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import type { RouteMatch } from "../routes.js";

/** A Lambda handler of the REST API's proxy integration. */
export type Handler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

/** What API Gateway routed a request to: the resource and its path parameters. */
export type DevRoute = Pick<RouteMatch, "resource" | "pathParameters">;

/** Pure. API Gateway without binaryMediaTypes passes these as text; everything else we base64. */
export function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  return (
    media.startsWith("text/") ||
    media === "application/json" ||
    media.endsWith("+json") ||
    media.endsWith("+xml") ||
    media === "application/xml" ||
    media === "application/javascript" ||
    media === "application/x-www-form-urlencoded"
  );
}

export interface RawRequest {
  readonly method: string;
  /** Path and query as received, e.g. "/abc?limit=2". */
  readonly url: string;
  /** Node's rawHeaders: name, value, name, value… with the client's casing. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly now: Date;
  readonly stage: string;
}

/** Pure. Builds the Lambda-proxy event API Gateway (REST, v1) would send for this request. */
export function toProxyEvent(req: RawRequest, route: DevRoute): APIGatewayProxyEvent {
  const url = new URL(req.url, "http://localhost");
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    // API Gateway keeps the last value in queryStringParameters, all of them in the multi form.
    query[key] = value;
    (multiQuery[key] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const contentType = findHeader(headers, "content-type");
  const textual = isTextual(contentType);
  const body =
    req.body.length === 0
      ? null
      : textual
        ? req.body.toString("utf8")
        : req.body.toString("base64");
  const pathParameters = route.pathParameters;

  return {
    resource: route.resource,
    path: url.pathname,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded: body !== null && !textual,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      authorizer: null,
      protocol: "HTTP/1.1",
      httpMethod: req.method,
      // The path the client called, as with a custom domain mapped at its root.
      path: url.pathname,
      stage: req.stage,
      requestId: req.requestId,
      requestTimeEpoch: req.now.getTime(),
      resourceId: "local",
      resourcePath: route.resource,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.sourceIp,
        user: null,
        userAgent: findHeader(headers, "user-agent") ?? null,
        userArn: null,
      },
    },
  };
}

export interface RawResponse {
  readonly status: number;
  /** Header name → one or more values. */
  readonly headers: Record<string, string[]>;
  readonly body: Buffer;
}

/** Pure. What API Gateway returns to the client for a proxy result. */
export function fromProxyResult(result: APIGatewayProxyResult): RawResponse {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    headers[name] = [String(value)];
  }
  // multiValueHeaders win, as in API Gateway, when both name the same header.
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name] = values.map(String);
  }
  const body = result.isBase64Encoded
    ? Buffer.from(result.body ?? "", "base64")
    : Buffer.from(result.body ?? "", "utf8");
  return { status: result.statusCode, headers, body };
}

function findHeader(headers: IncomingHttpHeaders | Record<string, string>, name: string) {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === "string" ? value : undefined;
}
