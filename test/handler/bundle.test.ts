import { execFile } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTable, startLocalDynamo, type LocalDynamo } from "../../src/dev/dynalite.js";
import { bundleHandler, DEFAULT_HANDLER_ENTRY } from "../../src/package/bundle.js";
import { deterministicZip } from "../../src/package/zip.js";

const run = promisify(execFile);
const TABLE = "bundle-items";
const TRACE_ROOT = "1-5759e988-bd862e3fe1be46a994272793";

// Inside the package so the external @aws-sdk/* imports resolve as they do in Lambda's runtime.
const cacheRoot = join(process.cwd(), "node_modules", ".cache");
let dir: string;
let outfile: string;
let code: Uint8Array;
let dynamo: LocalDynamo;
// Stands in for the X-Ray daemon Lambda runs beside the function when Active tracing is on.
let daemon: Socket;
let datagrams: string[] = [];

beforeAll(async () => {
  await mkdir(cacheRoot, { recursive: true });
  dir = await mkdtemp(join(cacheRoot, "handler-bundle-"));
  outfile = join(dir, "index.mjs");
  // What `up` deploys, built by the CLI's own bundler.
  code = await bundleHandler(DEFAULT_HANDLER_ENTRY, "nodejs22.x");
  await writeFile(outfile, code);
  dynamo = await startLocalDynamo();
  await ensureTable(dynamo.clientConfig, TABLE);
  daemon = createSocket("udp4");
  daemon.on("message", (msg) => datagrams.push(msg.toString()));
  await new Promise<void>((resolve) => daemon.bind(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  daemon?.close();
  await dynamo?.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Imports the bundle in a fresh Node process (as Lambda's runtime would) with only the given
 * environment, and invokes its exported handler once with GET /.
 */
async function invokeBundle(extraEnv: Record<string, string>) {
  const probe = `const m = await import(${JSON.stringify(pathToFileURL(outfile).href)});
const event = { resource: "/", path: "/", httpMethod: "GET", headers: {}, queryStringParameters: null,
  pathParameters: null, body: null, isBase64Encoded: false, requestContext: { requestId: "api-1" } };
const res = await m.handler(event, { awsRequestId: "lambda-1" });
process.stdout.write("\\nRESULT " + JSON.stringify(res) + "\\n");`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe], {
    env: {
      PATH: process.env.PATH ?? "",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_MAX_ATTEMPTS: "1",
      TABLE_NAME: TABLE,
      ...extraEnv,
    },
  });
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`no result from the bundle; stdout:\n${stdout}`);
  return JSON.parse(line.slice("RESULT ".length)) as { statusCode: number; body: string };
}

/** What Lambda sets for a sampled invocation of a function with Active tracing. */
function lambdaEnv(): Record<string, string> {
  const { port } = daemon.address() as AddressInfo;
  return {
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    AWS_LAMBDA_FUNCTION_NAME: "items",
    LAMBDA_TASK_ROOT: dir,
    _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}`,
  };
}

/** Subsegment documents received so far ("header\ndocument" per datagram). */
function subsegments(): Record<string, unknown>[] {
  return datagrams.map((d) => JSON.parse(d.split("\n")[1] ?? "null") as Record<string, unknown>);
}

describe("deployed bundle", () => {
  it("zips to at most 50 KB", async () => {
    const { zip } = await deterministicZip({ "index.mjs": code });
    expect(zip.length).toBeLessThanOrEqual(50 * 1024);
  });

  it("defines require for the CommonJS it bundles", () => {
    // Without it the tracer's require("util") throws "Dynamic require … is not supported".
    expect(Buffer.from(code).toString("utf8", 0, 200)).toContain("createRequire");
  });

  it("imports and serves GET / outside Lambda, with tracing off and nothing sent", async () => {
    datagrams = [];
    const res = await invokeBundle({});
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ items: [] });
    expect(datagrams).toEqual([]);
  });

  it("honours POWERTOOLS_TRACE_ENABLED=false inside Lambda", async () => {
    datagrams = [];
    const res = await invokeBundle({ ...lambdaEnv(), POWERTOOLS_TRACE_ENABLED: "false" });
    expect(res.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(datagrams).toEqual([]);
  });

  it("sends a DynamoDB subsegment to the X-Ray daemon inside Lambda", async () => {
    datagrams = [];
    const res = await invokeBundle(lambdaEnv());
    expect(res.statusCode).toBe(200);
    // The child has exited, so its datagrams are sent; give the local socket a moment to read.
    for (let i = 0; i < 20 && datagrams.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const dynamoSegments = subsegments().filter((s) => s.name === "DynamoDB");
    expect(dynamoSegments).toHaveLength(1);
    expect(dynamoSegments[0]).toMatchObject({
      type: "subsegment",
      namespace: "aws",
      trace_id: TRACE_ROOT,
      parent_id: "53995c3f42cd8ad8",
      aws: { operation: "Scan", table_name: TABLE },
      http: { response: { status: 200 } },
    });
    // captureHTTPsRequests is off: no second, "remote" subsegment for the same request.
    expect(subsegments().filter((s) => s.namespace === "remote")).toEqual([]);
  });
});
