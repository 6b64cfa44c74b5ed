import type { APIGatewayProxyEvent, Context } from "aws-lambda";

export interface EventInit {
  body?: string | null;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  isBase64Encoded?: boolean;
  /** Leave out `resource` to exercise the path-only fallback. */
  noResource?: boolean;
  requestContext?: Partial<APIGatewayProxyEvent["requestContext"]>;
}

/** An API Gateway REST proxy event as the deployed API would send it. */
export function apiEvent(method: string, path: string, init: EventInit = {}): APIGatewayProxyEvent {
  const segments = path.split("/").filter(Boolean);
  const resource = segments.length === 0 ? "/" : segments.length === 1 ? "/{id}" : "/{proxy+}";
  const id = segments.length === 1 ? decodeURIComponent(segments[0]!) : undefined;
  return {
    resource: init.noResource ? (undefined as unknown as string) : resource,
    path,
    httpMethod: method,
    headers: init.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: init.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: id === undefined ? null : { id },
    stageVariables: null,
    body: init.body ?? null,
    isBase64Encoded: init.isBase64Encoded ?? false,
    requestContext: {
      requestId: "api-req-1",
      stage: "prod",
      ...init.requestContext,
    } as APIGatewayProxyEvent["requestContext"],
  };
}

export function jsonEvent(method: string, path: string, body: unknown, init: EventInit = {}) {
  return apiEvent(method, path, {
    ...init,
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...init.headers },
  });
}

let counter = 0;
export function lambdaContext(): Context {
  counter += 1;
  return { awsRequestId: `lambda-req-${counter}` } as Context;
}
