import { createSocket } from "node:dgram";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../handler/index.js";
import { parseDaemonAddress, parseTraceHeader } from "../../handler/xray.js";
import { ensureTable, startLocalDynamo, type LocalDynamo } from "../../src/dev/dynalite.js";
import { apiEvent, lambdaContext } from "./helpers.js";

describe("trace header parsing", () => {
  it("reads root, parent and the sampling decision", () => {
    expect(
      parseTraceHeader(
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
      ),
    ).toEqual({
      root: "1-5759e988-bd862e3fe1be46a994272793",
      parent: "53995c3f42cd8ad8",
      sampled: true,
    });
    expect(parseTraceHeader("Root=1-a-b;Sampled=0")?.sampled).toBe(false);
    expect(parseTraceHeader("Parent=x")).toBeUndefined();
    expect(parseTraceHeader(undefined)).toBeUndefined();
  });

  it("reads both daemon address forms", () => {
    expect(parseDaemonAddress("169.254.79.129:2000")).toEqual({
      host: "169.254.79.129",
      port: 2000,
    });
    expect(parseDaemonAddress("tcp:127.0.0.1:2000 udp:127.0.0.2:2001")).toEqual({
      host: "127.0.0.2",
      port: 2001,
    });
    expect(parseDaemonAddress("nonsense")).toBeUndefined();
  });
});

describe("DynamoDB subsegments", () => {
  let dynamo: LocalDynamo;
  const udp = createSocket("udp4");
  const packets: string[] = [];
  let daemon = "";

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await ensureTable(dynamo.clientConfig, "traced");
    udp.on("message", (msg) => packets.push(msg.toString("utf8")));
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
    daemon = `127.0.0.1:${(udp.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    udp.close();
    await dynamo.close();
  });

  async function getWithTrace(traceId: string | undefined) {
    const before = packets.length;
    // The middleware reads process.env, as Lambda sets the trace id there per invocation.
    process.env._X_AMZN_TRACE_ID = traceId ?? "";
    process.env.AWS_XRAY_DAEMON_ADDRESS = daemon;
    try {
      const handler = createHandler({
        clientConfig: dynamo.clientConfig,
        env: { TABLE_NAME: "traced" },
        log: () => undefined,
      });
      const res = await handler(apiEvent("GET", "/nothing"), lambdaContext());
      expect(res.statusCode).toBe(404);
      await new Promise((r) => setTimeout(r, 100));
      return packets.slice(before);
    } finally {
      delete process.env._X_AMZN_TRACE_ID;
      delete process.env.AWS_XRAY_DAEMON_ADDRESS;
    }
  }

  it("sends one subsegment per call of a sampled trace", async () => {
    const sent = await getWithTrace(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    );
    expect(sent).toHaveLength(1);
    const [header, body] = sent[0]!.split("\n");
    expect(JSON.parse(header!)).toEqual({ format: "json", version: 1 });
    const doc = JSON.parse(body!) as Record<string, unknown>;
    expect(doc).toMatchObject({
      name: "DynamoDB",
      type: "subsegment",
      namespace: "aws",
      trace_id: "1-5759e988-bd862e3fe1be46a994272793",
      parent_id: "53995c3f42cd8ad8",
      aws: { operation: "GetItem", table_name: "traced" },
      http: { response: { status: 200 } },
    });
    expect(doc.id).toMatch(/^[0-9a-f]{16}$/);
    expect(doc.end_time as number).toBeGreaterThanOrEqual(doc.start_time as number);
  });

  it("sends nothing when the trace is not sampled or absent", async () => {
    expect(
      await getWithTrace(
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
      ),
    ).toHaveLength(0);
    expect(await getWithTrace(undefined)).toHaveLength(0);
  });
});
