import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { formatMessage, parseSince } from "../src/ops/logs.js";
import { main } from "../src/cli/main.js";
import { FAST, world } from "./helpers.js";

const ACCOUNT = "123456789012";
const FN = "serverless-automation-production-api";
const GROUP = `/aws/lambda/${FN}`;

describe("outputs", () => {
  it("prints aligned key/value lines from the state file and makes no AWS call", async () => {
    const w = world();
    expect((await w.run(["up", "--alarm-email", "oncall@example.com"])).code).toBe(0);
    w.fake.resetCalls();
    const r = await w.run(["outputs"]);
    expect(r.code).toBe(0);
    expect(w.fake.calls).toEqual([]);
    const lines = r.stdout.trimEnd().split("\n");
    const kv = Object.fromEntries(lines.map((l) => [l.split(/\s+/)[0], l.replace(/^\S+\s+/, "")]));
    expect(kv).toMatchObject({
      stage: "production",
      region: "us-east-1",
      account: ACCOUNT,
      table: "serverless-automation-production-items",
      function: FN,
      bucket: `serverless-automation-production-${ACCOUNT}-us-east-1`,
      alarmTopic: `arn:aws:sns:us-east-1:${ACCOUNT}:serverless-automation-production-alarms`,
      alarmNotifications: "oncall@example.com (pending confirmation)",
    });
    // Values start in one column.
    const col = (l: string) => l.length - l.replace(/^\S+\s+/, "").length;
    expect(new Set(lines.map(col)).size).toBe(1);
  });

  it("--json prints one document; unset values are null", async () => {
    const w = world();
    await w.run(["up"]);
    const r = await w.run(["outputs", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      command: "outputs",
      endpoint: expect.stringMatching(
        /^https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\/prod/,
      ),
      stage: "production",
      region: "us-east-1",
      account: ACCOUNT,
      function: FN,
      table: "serverless-automation-production-items",
      alarmTopic: null,
      alarmNotifications: null,
    });
    expect(r.stdout.trim().startsWith("{")).toBe(true);
  });

  it("without a state file says the state file is missing and how to get it back, exit 1", async () => {
    const w = world();
    const r = await w.run(["outputs", "--stage", "dev"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`There is no state file ${w.statePath("dev")}`);
    expect(r.stderr).toContain("serverless-automation up --stage dev");
    expect(w.fake.calls).toEqual([]);
    const j = await w.run(["outputs", "--json"]);
    expect(j.code).toBe(1);
    expect(j.json).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/no state file/) },
    });
  });

  it("refuses a --region the state file was not written for", async () => {
    const w = world();
    await w.run(["up"]);
    const r = await w.run(["outputs", "--region", "eu-west-1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has state only for us-east-1");
    expect(r.stderr).toContain("Pass --region us-east-1");
  });
});

describe("logs", () => {
  /** A deployed stack whose log group holds events written `agoMs` before now. */
  async function deployed(events: [agoMs: number, message: string][]) {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    const now = Date.now();
    for (const [ago, message] of events) w.fake.logs.write(GROUP, message, now - ago);
    w.fake.resetCalls();
    return { w, now };
  }

  it("prints the last 10 minutes in time order, as `timestamp  message`, paging through all", async () => {
    const { w, now } = await deployed([
      [60 * 60_000, "an hour ago"],
      [5 * 60_000, "five minutes ago"],
      [2 * 60_000, "two minutes ago\n"],
    ]);
    // Written out of order, from another stream: still printed by time.
    w.fake.logs.write(GROUP, "three minutes ago", now - 3 * 60_000, "2026/01/01/[$LATEST]other");
    const r = await w.run(["logs"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `${new Date(now - 5 * 60_000).toISOString()}  five minutes ago`,
        `${new Date(now - 3 * 60_000).toISOString()}  three minutes ago`,
        `${new Date(now - 2 * 60_000).toISOString()}  two minutes ago`,
        "",
      ].join("\n"),
    );
    // Read-only: the account lookup and the log reads, nothing else.
    expect(new Set(w.fake.operations())).toEqual(
      new Set(["STS.GetCallerIdentity", "CloudWatchLogs.FilterLogEvents"]),
    );
    const call = w.fake.callLog().find((c) => c.operation === "FilterLogEvents");
    expect(call?.input.logGroupName).toBe(GROUP);
    expect(Math.abs((call?.input.startTime as number) - (now - 10 * 60_000))).toBeLessThan(5_000);
  });

  it("follows nextToken across pages", async () => {
    const { w } = await deployed(
      Array.from({ length: 25 }, (_, n) => [60_000 - n * 1000, `event ${n}`] as [number, string]),
    );
    // Ten events per page make three pages.
    const original = w.fake.logs.operations.FilterLogEvents!;
    w.fake.logs.operations.FilterLogEvents = (i, c) => original({ ...i, limit: 10 }, c);
    const r = await w.run(["logs"]);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(25);
    const reads = w.fake.callLog().filter((c) => c.operation === "FilterLogEvents");
    expect(reads.map((c) => c.input.nextToken)).toEqual([undefined, "10", "20"]);
  });

  it("--since takes durations and ISO timestamps", async () => {
    const { w, now } = await deployed([
      [3 * 3_600_000, "three hours ago"],
      [90 * 60_000, "ninety minutes ago"],
      [10_000, "ten seconds ago"],
    ]);
    expect((await w.run(["logs", "--since", "2h"])).stdout).toMatch(
      /ninety minutes ago\n.*ten seconds ago\n$/,
    );
    expect((await w.run(["logs", "--since", "30s"])).stdout).not.toContain("ninety");
    const iso = new Date(now - 4 * 3_600_000).toISOString();
    expect((await w.run(["logs", "--since", iso])).stdout).toContain("three hours ago");
  });

  it("passes --filter to CloudWatch Logs as the filter pattern", async () => {
    const { w } = await deployed([[1000, "x"]]);
    await w.run(["logs", "--filter", "ERROR"]);
    const call = w.fake.callLog().find((c) => c.operation === "FilterLogEvents");
    expect(call?.input.filterPattern).toBe("ERROR");
  });

  it("a bad --since fails with a clear message before any AWS call", async () => {
    const w = world();
    const r = await w.run(["logs", "--since", "yesterday"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Invalid --since "yesterday"');
    expect(r.stderr).toContain("30s, 10m, 2h or 1d");
    expect(w.fake.calls).toEqual([]);
  });

  it("without the log group says the stack is not deployed, exit 1", async () => {
    const w = world();
    const r = await w.run(["logs"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The stack serverless-automation-production is not deployed (no log group ${GROUP} in us-east-1)`,
    );
    expect(r.stderr).toContain("serverless-automation up --stage production");
  });

  it("shows the function's JSON log lines compactly", async () => {
    const line = JSON.stringify({
      level: "info",
      time: "2026-01-01T00:00:00.000Z",
      msg: "request",
      method: "GET",
      path: "/items",
      status: 200,
      durationMs: 12,
    });
    const { w } = await deployed([[1000, line]]);
    const r = await w.run(["logs"]);
    expect(r.stdout).toMatch(
      / {2}INFO request method=GET path=\/items status=200 durationMs=12\n$/,
    );
    expect(formatMessage('{"time":"t","type":"platform.start","record":{"requestId":"r1"}}')).toBe(
      'platform.start record={"requestId":"r1"}',
    );
    expect(formatMessage("plain text")).toBe("plain text");
  });

  it("--json prints one array of events", async () => {
    const { w } = await deployed([
      [2000, '{"level":"error","msg":"boom"}'],
      [1000, "plain"],
    ]);
    const r = await w.run(["logs", "--json"]);
    expect(r.code).toBe(0);
    const events = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(events.map((e) => e.message)).toEqual(['{"level":"error","msg":"boom"}', "plain"]);
    expect(events[0]?.data).toEqual({ level: "error", msg: "boom" });
    expect(events[0]).toHaveProperty("eventId");
  });

  it("--follow prints new events once each, then stops on Ctrl-C with exit 130", async () => {
    const { w, now } = await deployed([[1000, "before"]]);
    let out = "";
    const stop = new AbortController();
    const until = async (text: string) => {
      for (let n = 0; n < 500 && !out.includes(text); n++) await sleep(5);
      expect(out).toContain(text);
    };
    const running = w.run(["logs", "--follow"], {
      stdout: { write: (s: string) => void (out += s) },
      signal: stop.signal,
    });
    await until("before");
    w.fake.logs.write(GROUP, "during 1", now + 10);
    w.fake.logs.write(GROUP, "during 2", now + 20);
    await until("during 2");
    // Several polls have re-read the same window: nothing printed twice.
    await sleep(50);
    stop.abort();
    const r = await running;
    expect(r.code).toBe(130);
    expect(
      out
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("  ")[1]),
    ).toEqual(["before", "during 1", "during 2"]);
    expect(w.fake.operations().filter((o) => o.endsWith("FilterLogEvents")).length).toBeGreaterThan(
      2,
    );
  });

  it("--follow --json prints one JSON object per line", async () => {
    const { w } = await deployed([
      [1000, "a"],
      [500, "b"],
    ]);
    let out = "";
    const stop = new AbortController();
    // main() itself: world().run would parse the whole of stdout as one document.
    const running = main(["logs", "--follow", "--json"], {
      stdout: { write: (s: string) => void (out += s) },
      stderr: { write: () => undefined },
      env: { AWS_REGION: "us-east-1" },
      cwd: w.cwd,
      clients: w.fake.clients(),
      timing: FAST,
      signal: stop.signal,
    });
    for (let n = 0; n < 500 && out.split("\n").length < 3; n++) await sleep(5);
    stop.abort();
    expect(await running).toBe(130);
    const lines = out.trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(["a", "b"]);
  });
});

describe("parseSince", () => {
  it("reads durations and ISO timestamps, and rejects the rest", () => {
    const now = Date.parse("2026-01-31T12:00:00Z");
    expect(parseSince("30s", now)).toBe(now - 30_000);
    expect(parseSince("10m", now)).toBe(now - 600_000);
    expect(parseSince("2h", now)).toBe(now - 7_200_000);
    expect(parseSince("1d", now)).toBe(now - 86_400_000);
    expect(parseSince("2026-01-30T00:00:00Z", now)).toBe(Date.parse("2026-01-30T00:00:00Z"));
    for (const bad of ["", "10", "m10", "10 minutes", "-5m", "2026-13-45T99:00:00Z", "1w"]) {
      expect(() => parseSince(bad, now), bad).toThrow(/Invalid --since/);
    }
  });
});
