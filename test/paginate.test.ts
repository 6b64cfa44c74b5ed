/**
 * Every paged list the tool reads is read to its last page. The fake answers in pages smaller
 * than the tool asks for (as AWS may), and the item that matters is put past the first page:
 * reading only the first page would change what the tool does.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CreateApiKeyCommand,
  CreateDeploymentCommand,
  CreateRestApiCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
} from "@aws-sdk/client-api-gateway";
import { SubscribeCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import type { FakeService } from "./fake-aws/core.js";
import * as E from "./expected.js";
import type { World } from "./helpers.js";
import { quickWorld, tinyHandler } from "./reliability/support.js";

const IO = { handlerEntry: tinyHandler() };
const n = E.names("production");
const STACK_TAG = { "serverless-automation:stack": n.stack };
const EMAIL = "oncall@example.com";

/** The fake answers `operation` in pages of at most `size` items, whatever limit was asked. */
function smallPages(service: FakeService, operation: string, size: number): void {
  const original = service.operations[operation];
  if (!original) throw new Error(`the fake has no ${operation}`);
  service.operations[operation] = (i, c) => original({ ...i, limit: size }, c);
}

/** The inputs of the last run's calls of `operation`. */
function reads(w: World, operation: string): Record<string, unknown>[] {
  return w.fake
    .callLog()
    .filter((c) => c.operation === operation)
    .map((c) => c.input);
}

/** The mutating calls of the last run, as "Service.Operation". */
function mutations(w: World): string[] {
  return w.fake.operations({ mutating: true });
}

/** API Gateway reads: the page size the tool asks for, and every page after the first read. */
function expectPaged(w: World, operation: string, pages: number): void {
  const inputs = reads(w, operation);
  expect(inputs.length).toBeGreaterThanOrEqual(pages);
  expect(inputs.every((i) => i.limit === 500)).toBe(true);
  expect(new Set(inputs.map((i) => i.position)).size).toBe(pages);
}

async function up(w: World, argv: string[] = []) {
  w.fake.resetCalls();
  const r = await w.run(["up", ...argv], IO);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

async function apiKeyAuth(w: World) {
  await fs.writeFile(
    path.join(w.cwd, "serverless-automation.config.json"),
    JSON.stringify({ auth: "api-key" }),
  );
}

/** Moves an entry of a Map to its end (AWS lists in no promised order). */
function toEnd<K, V>(map: Map<K, V>, key: K): void {
  const v = map.get(key);
  if (v === undefined) throw new Error(`no ${String(key)}`);
  map.delete(key);
  map.set(key, v);
}

describe("API Gateway lists are read to their last page", () => {
  it("GetRestApis: with the state file lost, up adopts its API from the third page", async () => {
    const w = quickWorld();
    const api = w.fake.clients().apigateway;
    for (const name of ["someone-else-1", "someone-else-2"])
      await api.send(new CreateRestApiCommand({ name }));
    await up(w);
    const ours = ((await w.readState())?.resources as Record<string, { id: string }>).restApi?.id;
    await fs.rm(w.statePath());
    smallPages(w.fake.apigateway, "GetRestApis", 1);
    await up(w);
    expect(mutations(w)).not.toContain("APIGateway.CreateRestApi");
    expect(w.fake.apigateway.apis.size).toBe(3);
    expect((await w.readState())?.resources).toMatchObject({ restApi: { id: ours } });
    expectPaged(w, "GetRestApis", 3);
  });

  it("GetResources: with one resource a page, a second up changes nothing", async () => {
    const w = quickWorld();
    await up(w);
    smallPages(w.fake.apigateway, "GetResources", 1);
    await up(w);
    expect(mutations(w)).toEqual([]);
    const [api] = [...w.fake.apigateway.apis.values()];
    expectPaged(w, "GetResources", api?.resources.size ?? 0);
    expect(reads(w, "GetResources").every((i) => String(i.embed) === "methods")).toBe(true);
  });

  it("GetDeployments: the deployment of these routes, listed last, is found: no redeploy", async () => {
    const w = quickWorld();
    await up(w);
    const [api] = [...w.fake.apigateway.apis.values()];
    if (!api) throw new Error("no REST API");
    const [served] = [...api.deployments.keys()];
    for (const description of ["by hand 1", "by hand 2"])
      await w.fake
        .clients()
        .apigateway.send(new CreateDeploymentCommand({ restApiId: api.id, description }));
    toEnd(api.deployments, served);
    smallPages(w.fake.apigateway, "GetDeployments", 1);
    await up(w);
    expect(mutations(w)).toEqual([]);
    expect(api.stages.get("prod")?.deploymentId).toBe(served);
    expectPaged(w, "GetDeployments", 3);
  });

  it("GetApiKeys: with the state file lost, up adopts its key listed after a namesake", async () => {
    const w = quickWorld();
    await apiKeyAuth(w);
    // Same name, not tagged as the stack's: listed first, never adopted.
    await w.fake.clients().apigateway.send(new CreateApiKeyCommand({ name: n.apiKey }));
    await up(w);
    expect(w.fake.apigateway.apiKeys.size).toBe(2);
    await fs.rm(w.statePath());
    smallPages(w.fake.apigateway, "GetApiKeys", 1);
    await up(w);
    expect(mutations(w)).not.toContain("APIGateway.CreateApiKey");
    expect(w.fake.apigateway.apiKeys.size).toBe(2);
    expectPaged(w, "GetApiKeys", 2);
  });

  it("GetUsagePlans: with the state file lost, up adopts its plan listed after a namesake", async () => {
    const w = quickWorld();
    await apiKeyAuth(w);
    await w.fake.clients().apigateway.send(new CreateUsagePlanCommand({ name: n.usagePlan }));
    await up(w);
    expect(w.fake.apigateway.usagePlans.size).toBe(2);
    await fs.rm(w.statePath());
    smallPages(w.fake.apigateway, "GetUsagePlans", 1);
    await up(w);
    expect(mutations(w)).not.toContain("APIGateway.CreateUsagePlan");
    expect(w.fake.apigateway.usagePlans.size).toBe(2);
    expectPaged(w, "GetUsagePlans", 2);
  });

  it("GetUsagePlanKeys: the stack's key listed after another is kept; only the other goes", async () => {
    const w = quickWorld();
    await apiKeyAuth(w);
    await up(w);
    const c = w.fake.clients().apigateway;
    const [plan] = [...w.fake.apigateway.usagePlans.values()];
    if (!plan) throw new Error("no usage plan");
    const other = await c.send(new CreateApiKeyCommand({ name: "someone-elses-key" }));
    await c.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: other.id, keyType: "API_KEY" }),
    );
    const ours = plan.keyIds[0];
    plan.keyIds.reverse();
    smallPages(w.fake.apigateway, "GetUsagePlanKeys", 1);
    await up(w);
    expect(mutations(w)).toEqual(["APIGateway.DeleteUsagePlanKey"]);
    expect(w.fake.callLog({ mutating: true })[0]?.input.keyId).toBe(other.id);
    expect(plan.keyIds).toEqual([ours]);
    expectPaged(w, "GetUsagePlanKeys", 2);
  });

  it("GetRestApis on down: another stack's API past the first page keeps the logging role", async () => {
    const w = quickWorld();
    const api = w.fake.clients().apigateway;
    // Tagged as this stack's (so not another's) but not its API: the first page holds no other.
    await api.send(new CreateRestApiCommand({ name: `${n.stack}-old`, tags: STACK_TAG }));
    await up(w);
    await api.send(new CreateRestApiCommand({ name: "someone-else" }));
    smallPages(w.fake.apigateway, "GetRestApis", 1);
    w.fake.resetCalls();
    const down = await w.run(["down", "--yes"], IO);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/1 other REST API\(s\) in us-east-1/);
    expect(w.fake.apigateway.accountRoles.has("us-east-1")).toBe(true);
    expect(w.fake.iam.roles.has(n.loggingRole)).toBe(true);
    expect(reads(w, "GetRestApis").every((i) => i.limit === 500)).toBe(true);
  });
});

describe("SNS ListSubscriptionsByTopic is read to its last page", () => {
  it("the stack's confirmed address listed after 100 others: a second up changes nothing", async () => {
    const w = quickWorld();
    await up(w, ["--alarm-email", EMAIL]);
    w.fake.sns.confirm(EMAIL);
    const [topic] = [...w.fake.sns.topics.values()];
    if (!topic) throw new Error("no topic");
    const sns = w.fake.clients().sns;
    for (let k = 0; k < 100; k++)
      await sns.send(
        new SubscribeCommand({
          TopicArn: topic.arn,
          Protocol: "email",
          Endpoint: `someone-${k}@example.com`,
        }),
      );
    topic.subscriptions.push(...topic.subscriptions.splice(0, 1));
    const r = await up(w, ["--json", "--alarm-email", EMAIL]);
    expect(mutations(w)).toEqual([]);
    expect(r.json.alarmNotifications).toEqual({ email: EMAIL, status: "confirmed" });
    const tokens = reads(w, "ListSubscriptionsByTopic").map((i) => i.NextToken);
    expect(tokens).toContain(undefined);
    expect(tokens).toContain("100");
  });
});

describe("logs reads FilterLogEvents to its last page", () => {
  const GROUP = n.functionLogGroup;

  /** A deployed stack whose function wrote 25 events in the last minute, on two streams. */
  async function deployed() {
    const w = quickWorld();
    await up(w);
    const now = Date.now();
    for (let k = 0; k < 25; k++)
      w.fake.logs.write(
        GROUP,
        `event ${k}`,
        now - 60_000 + k * 1000,
        `2026/01/01/[$LATEST]stream-${k % 2}`,
      );
    // Ten events a page make three pages.
    smallPages(w.fake.logs, "FilterLogEvents", 10);
    w.fake.resetCalls();
    return { w, now };
  }

  it("prints every page's events in time order, each page asked with the same filter", async () => {
    const { w } = await deployed();
    const r = await w.run(["logs", "--filter", "event"]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.split("  ")[1]),
    ).toEqual(Array.from({ length: 25 }, (_, k) => `event ${k}`));
    const inputs = reads(w, "FilterLogEvents");
    expect(inputs.map((i) => i.nextToken)).toEqual([undefined, "10", "20"]);
    const first = inputs[0];
    for (const i of inputs) {
      expect(i.logGroupName).toBe(GROUP);
      expect(i.filterPattern).toBe("event");
      expect(i.startTime).toBe(first?.startTime);
      expect(i.limit).toBeUndefined();
    }
  });

  it("--follow pages through every poll and prints each event once", async () => {
    const { w, now } = await deployed();
    let out = "";
    const stop = new AbortController();
    const until = async (text: string) => {
      for (let k = 0; k < 500 && !out.includes(text); k++) await sleep(5);
      expect(out).toContain(text);
    };
    const running = w.run(["logs", "--follow"], {
      stdout: { write: (s: string) => void (out += s) },
      signal: stop.signal,
    });
    await until("event 24");
    w.fake.logs.write(GROUP, "event 25", now + 10);
    await until("event 25");
    await sleep(50);
    stop.abort();
    expect((await running).code).toBe(130);
    expect(
      out
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("  ")[1]),
    ).toEqual(Array.from({ length: 26 }, (_, k) => `event ${k}`));
    // Every poll read past the first page.
    const tokens = reads(w, "FilterLogEvents").map((i) => i.nextToken);
    expect(tokens.filter((t) => t === "20").length).toBeGreaterThan(1);
  });
});
