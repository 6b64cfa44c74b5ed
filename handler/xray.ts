import { randomBytes } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type {
  InitializeHandlerArguments,
  InitializeHandlerOutput,
  InitializeMiddleware,
} from "@smithy/types";

/*
 * DynamoDB calls as X-Ray subsegments without aws-xray-sdk-core or Powertools Tracer: both are
 * CommonJS that require() Node built-ins, which an ESM bundle without a createRequire banner
 * cannot do ("Dynamic require of "util" is not supported" at import). This sends the same
 * documents the SDK would, over UDP to the daemon Lambda runs when Active tracing is on.
 */

export interface TraceHeader {
  readonly root: string;
  readonly parent: string | undefined;
  readonly sampled: boolean;
}

/** Pure. Parses Lambda's `_X_AMZN_TRACE_ID` ("Root=1-…;Parent=…;Sampled=1"). */
export function parseTraceHeader(value: string | undefined): TraceHeader | undefined {
  if (!value) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const root = fields.get("Root");
  if (!root) return undefined;
  return { root, parent: fields.get("Parent"), sampled: fields.get("Sampled") === "1" };
}

/** Pure. AWS_XRAY_DAEMON_ADDRESS is "host:port" or "tcp:host:port udp:host:port". */
export function parseDaemonAddress(
  value: string | undefined,
): { host: string; port: number } | undefined {
  if (!value) return undefined;
  const parts = value.trim().split(/\s+/);
  const udp =
    parts.find((p) => p.startsWith("udp:"))?.slice(4) ?? parts.find((p) => !p.includes("tcp:"));
  const match = udp && /^(.+):(\d+)$/.exec(udp);
  if (!match) return undefined;
  return { host: match[1]!, port: Number(match[2]) };
}

export interface CallRecord {
  readonly operation: string;
  readonly region: string | undefined;
  readonly tableName: string | undefined;
  readonly start: number;
  readonly end: number;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number | undefined;
  readonly failed: boolean;
}

/** Pure (given the id). The subsegment document the X-Ray console renders as "DynamoDB". */
export function subsegmentDocument(
  trace: TraceHeader,
  call: CallRecord,
  id: string,
): Record<string, unknown> {
  const status = call.status;
  return {
    name: "DynamoDB",
    id,
    trace_id: trace.root,
    parent_id: trace.parent,
    type: "subsegment",
    namespace: "aws",
    start_time: call.start / 1000,
    end_time: call.end / 1000,
    aws: {
      operation: call.operation,
      region: call.region,
      request_id: call.requestId,
      table_name: call.tableName,
      retries: call.attempts === undefined ? undefined : Math.max(0, call.attempts - 1),
    },
    ...(status === undefined ? {} : { http: { response: { status } } }),
    ...(call.failed && status === 429 ? { throttle: true } : {}),
    ...(call.failed && (status === undefined || status >= 500) ? { fault: true } : {}),
    ...(call.failed && status !== undefined && status < 500 ? { error: true } : {}),
  };
}

type Send = (payload: string) => void;

let socket: Socket | undefined;

function udpSender(address: { host: string; port: number }): Send {
  return (payload) => {
    if (!socket) {
      socket = createSocket("udp4");
      // A trace must never keep the process (or a test run) alive.
      socket.unref();
      socket.on("error", () => undefined);
    }
    socket.send(payload, address.port, address.host, () => undefined);
  };
}

/**
 * Adds a subsegment per DynamoDB call while a sampled trace is active. Reads the environment per
 * call because Lambda sets _X_AMZN_TRACE_ID anew for every invocation.
 */
export function traceDynamoDB(
  client: Pick<DynamoDBClient, "middlewareStack">,
  env: Readonly<Record<string, string | undefined>> = process.env,
  send?: Send,
): void {
  type Args = InitializeHandlerArguments<object>;
  type Out = InitializeHandlerOutput<object>;
  const middleware: InitializeMiddleware<object, object> =
    (next, ctx) =>
    async (args: Args): Promise<Out> => {
      const trace = parseTraceHeader(env._X_AMZN_TRACE_ID);
      const address = parseDaemonAddress(env.AWS_XRAY_DAEMON_ADDRESS);
      if (!trace?.sampled || (!send && !address)) return next(args);
      const start = Date.now();
      const input = args.input as { TableName?: unknown };
      const record = (output: unknown, failed: boolean): CallRecord => {
        const meta = (output as { $metadata?: Record<string, unknown> } | undefined)?.$metadata;
        return {
          operation: String(ctx.commandName ?? "").replace(/Command$/, ""),
          region: env.AWS_REGION,
          tableName: typeof input?.TableName === "string" ? input.TableName : undefined,
          start,
          end: Date.now(),
          status: typeof meta?.httpStatusCode === "number" ? meta.httpStatusCode : undefined,
          requestId: typeof meta?.requestId === "string" ? meta.requestId : undefined,
          attempts: typeof meta?.attempts === "number" ? meta.attempts : undefined,
          failed,
        };
      };
      const emit = send ?? udpSender(address!);
      const publish = (call: CallRecord) => {
        const doc = subsegmentDocument(trace, call, randomBytes(8).toString("hex"));
        emit('{"format":"json","version":1}\n' + JSON.stringify(doc));
      };
      try {
        const result = await next(args);
        publish(record(result.output, false));
        return result;
      } catch (err) {
        // SDK service errors carry $metadata on the error itself.
        publish(record(err, true));
        throw err;
      }
    };
  // The stack is typed to DynamoDB's input/output unions; this middleware only reads fields every
  // command has, so it fits any of them.
  client.middlewareStack.add(middleware as never, {
    step: "initialize",
    name: "xrayDynamoDBSubsegment",
  });
}
