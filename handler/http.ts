import type { APIGatewayProxyResult } from "aws-lambda";

/** A failure the client caused or can act on; its message is safe to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type Headers = Record<string, string>;

/** Headers a browser needs to read any of our responses, including error ones. */
export function corsHeaders(origin: string): Headers {
  const headers: Headers = {
    "Access-Control-Allow-Origin": origin,
    // Without this a browser script cannot read the Location of a created item.
    "Access-Control-Expose-Headers": "Location",
  };
  // A specific origin makes the response differ per Origin, so shared caches must key on it.
  if (origin !== "*") headers["Vary"] = "Origin";
  return headers;
}

export const ALLOWED_REQUEST_HEADERS =
  "Content-Type,Authorization,X-Amz-Date,X-Api-Key,X-Amz-Security-Token";

export function preflight(origin: string, allow: readonly string[]): APIGatewayProxyResult {
  return {
    statusCode: 204,
    headers: {
      ...corsHeaders(origin),
      "Access-Control-Allow-Methods": allow.join(","),
      "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
      "Access-Control-Max-Age": "600",
    },
    body: "",
  };
}

export function json(
  status: number,
  body: unknown,
  origin: string,
  extra: Headers = {},
): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: {
      ...corsHeaders(origin),
      "Content-Type": "application/json; charset=utf-8",
      ...extra,
    },
    body: JSON.stringify(body),
  };
}

export function empty(status: number, origin: string, extra: Headers = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...corsHeaders(origin), ...extra }, body: "" };
}

export function errorResponse(err: ApiError, origin: string): APIGatewayProxyResult {
  return json(err.status, { error: { code: err.code, message: err.message } }, origin, err.headers);
}

/** The only body a 500 carries: the request id lets an operator find the logged cause. */
export function internalError(requestId: string, origin: string): APIGatewayProxyResult {
  return json(
    500,
    {
      error: {
        code: "InternalError",
        message: `Internal server error (request id ${requestId})`,
        requestId,
      },
    },
    origin,
  );
}

/** Header lookup is case-insensitive in HTTP, but API Gateway passes them as the client sent them. */
export function header(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
