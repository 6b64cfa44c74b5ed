/**
 * Errors of the fake AWS, rendered in each service's wire protocol and parsed by the SDK's own
 * deserializer, so a test sees exactly the error class and name the real SDK would throw (IAM's
 * code EntityAlreadyExists arrives as EntityAlreadyExistsException, S3's HEAD 404 as NotFound).
 */

/** An error as AWS sends it: the service, its wire code, message and HTTP status. */
export class WireError extends Error {
  constructor(
    readonly service: string,
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = `WireError(${service}.${code})`;
  }
}

/** The error AWS would answer with; the fake's plugin renders it for the SDK to parse. */
export function awsError(service: string, code: string, message: string, status = 400): Error {
  if (!PROTOCOLS[service]) throw new Error(`unknown service ${service}`);
  return new WireError(service, code, message, status);
}

/** A service's error factory, e.g. `const err = errorsFor("S3")`. */
export function errorsFor(service: string) {
  return (code: string, message: string, status = 400) => awsError(service, code, message, status);
}

type Protocol = "query" | "json1.0" | "json1.1" | "restJson" | "restXml";

/** Each service's protocol, as its SDK client is generated (see the client's `protocol`). */
const PROTOCOLS: Record<string, Protocol> = {
  S3: "restXml",
  DynamoDB: "json1.0",
  STS: "query",
  IAM: "query",
  SNS: "query",
  Lambda: "restJson",
  APIGateway: "restJson",
  CloudWatch: "json1.0",
  CloudWatchLogs: "json1.1",
  KMS: "json1.1",
  WAFV2: "json1.1",
  SSM: "json1.1",
  SecretsManager: "json1.1",
  ACM: "json1.1",
  Route53: "restXml",
};

/** Services that answer JSON but keep their query-protocol error codes (awsQueryCompatible). */
const QUERY_COMPATIBLE = new Set(["CloudWatch"]);

export interface WireResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

const xml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The HTTP response AWS sends for this error on this operation. */
export function renderError(err: WireError, operation: string): WireResponse {
  const requestId = "fake-request-id";
  const fault = err.status >= 500 ? "Receiver" : "Sender";
  const protocol = PROTOCOLS[err.service] as Protocol;
  const headers: Record<string, string> = { "x-amzn-requestid": requestId };
  let body = "";
  switch (protocol) {
    case "query":
      headers["content-type"] = "text/xml";
      body =
        `<ErrorResponse><Error><Type>${fault}</Type><Code>${xml(err.code)}</Code>` +
        `<Message>${xml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      break;
    case "json1.0":
    case "json1.1":
      headers["content-type"] = `application/x-amz-${protocol.replace("json", "json-")}`;
      if (QUERY_COMPATIBLE.has(err.service)) headers["x-amzn-query-error"] = `${err.code};${fault}`;
      body = JSON.stringify({ __type: err.code, message: err.message });
      break;
    case "restJson":
      headers["content-type"] = "application/json";
      headers["x-amzn-errortype"] = err.code;
      body = JSON.stringify({ message: err.message });
      break;
    case "restXml":
      headers["x-amz-request-id"] = requestId;
      // Route 53 wraps its errors as the query protocol does.
      if (err.service === "Route53") {
        headers["content-type"] = "text/xml";
        body =
          `<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>${fault}</Type><Code>${xml(err.code)}</Code>` +
          `<Message>${xml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
        break;
      }
      // HEAD responses have no body: the SDK can only go by the status code.
      if (!operation.startsWith("Head")) {
        headers["content-type"] = "application/xml";
        body =
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xml(err.code)}</Code>` +
          `<Message>${xml(err.message)}</Message><RequestId>${requestId}</RequestId></Error>`;
      }
      break;
  }
  return { statusCode: err.status, headers, body: Buffer.from(body, "utf8") };
}
