import { mkdtempSync, promises as fs, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CreateDeploymentCommand,
  GetResourcesCommand,
  PutIntegrationCommand,
  UpdateStageCommand,
} from "@aws-sdk/client-api-gateway";
import { DeleteAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  AddPermissionCommand,
  DeleteAliasCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import * as E from "./expected.js";
import type { World } from "./helpers.js";
import { quickWorld, SETTLE_MS } from "./reliability/support.js";

/**
 * Safe deploys: every change of the function is a published version, the API calls the alias
 * `live`, and a new version takes the traffic as `deploy` says while the alarms watch it.
 */

const STACK = "serverless-automation-production";
const FN = `${STACK}-api`;
const VERSION_ALARM = `${STACK}-version-errors`;
/** The holds of a shift (minutes) shortened a thousandfold, as an emulator run would. */
const ENV = { AWS_REGION: "us-east-1", SERVERLESS_AUTOMATION_WAIT_SCALE: "0.001" };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A handler whose answer is `body`: each body is another version of the code. */
function handler(body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sa-deploys-"));
  const entry = path.join(dir, "index.ts");
  writeFileSync(
    entry,
    `export const handler = async () => ({ statusCode: 200, body: "${body}" });\n`,
  );
  return entry;
}

async function configure(w: World, config: Record<string, unknown>): Promise<void> {
  await fs.writeFile(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(config));
}

async function deploy(w: World, body: string, args: string[] = []) {
  const r = await w.run(["up", ...args], { handlerEntry: handler(body), env: ENV });
  await sleep(SETTLE_MS);
  return r;
}

const fn = (w: World) => w.fake.lambda.functions.get(FN);
const live = (w: World) => {
  const a = fn(w)?.aliases.get("live");
  return { version: a?.functionVersion, weights: a?.weights };
};
const aliasUpdates = (w: World) =>
  w.fake
    .callLog({ mutating: true, service: "Lambda", ok: true })
    .filter((c) => c.operation === "UpdateAlias")
    .map((c) => [c.input.FunctionVersion, c.input.RoutingConfig]);
const mutations = (w: World) => w.fake.operations({ mutating: true, ok: true });

describe("versions and the live alias", () => {
  it("a cold up publishes version 1 and the alias serves it; a second up changes nothing", async () => {
    const w = quickWorld();
    expect((await deploy(w, "v1")).code).toBe(0);
    expect([...(fn(w)?.versions.keys() ?? [])]).toEqual(["1"]);
    expect(live(w)).toEqual({ version: "1", weights: {} });
    await E.expectDesignedStack(w.fake);
    w.fake.resetCalls();
    expect((await deploy(w, "v1")).code).toBe(0);
    expect(mutations(w)).toEqual([]);
    const s = await w.run(["status", "--json"], { handlerEntry: handler("v1"), env: ENV });
    expect(s.code).toBe(0);
    expect(s.json.deploy).toMatchObject({ live: "1", previous: "", split: null, rolledBack: null });
  });

  it("a change of configuration alone is a new version too; tags are not", async () => {
    const w = quickWorld();
    await deploy(w, "v1");
    await configure(w, { memoryMb: 512 });
    w.fake.resetCalls();
    expect((await deploy(w, "v1")).code).toBe(0);
    expect(mutations(w)).toEqual([
      "Lambda.UpdateFunctionConfiguration",
      "Lambda.PublishVersion",
      "CloudWatch.PutMetricAlarm",
      "Lambda.UpdateAlias",
    ]);
    expect(fn(w)?.versions.get("2")?.config.MemorySize).toBe(512);
    await configure(w, { memoryMb: 512, tags: { team: "a" } });
    w.fake.resetCalls();
    expect((await deploy(w, "v1")).code).toBe(0);
    expect(mutations(w)).not.toContain("Lambda.PublishVersion");
    expect(live(w).version).toBe("2");
  });
});

describe("shifting the traffic", () => {
  it("canary: the new version takes its share for its minutes, then all of it", async () => {
    const w = quickWorld();
    await configure(w, { deploy: { canary: { percent: 10, minutes: 1 } } });
    await deploy(w, "v1");
    w.fake.resetCalls();
    expect((await deploy(w, "v2")).code).toBe(0);
    expect(aliasUpdates(w)).toEqual([
      ["1", { AdditionalVersionWeights: { "2": 0.1 } }],
      ["2", { AdditionalVersionWeights: {} }],
    ]);
    // Watched while it took its share: the alarms were read during the hold.
    expect(
      w.fake.callLog({ service: "CloudWatch" }).some((c) => c.operation === "DescribeAlarms"),
    ).toBe(true);
    const s = await w.run(["status", "--json"], { handlerEntry: handler("v2"), env: ENV });
    expect(s.code).toBe(0);
    expect(s.json.deploy).toMatchObject({ live: "2", previous: "1", split: null });
  });

  it("linear: equal steps, then all", async () => {
    const w = quickWorld();
    await configure(w, { deploy: { linear: { percent: 40, everyMinutes: 1 } } });
    await deploy(w, "v1");
    w.fake.resetCalls();
    expect((await deploy(w, "v2")).code).toBe(0);
    expect(aliasUpdates(w)).toEqual([
      ["1", { AdditionalVersionWeights: { "2": 0.4 } }],
      ["1", { AdditionalVersionWeights: { "2": 0.8 } }],
      ["2", { AdditionalVersionWeights: {} }],
    ]);
  });

  it("--no-bake: all at once, whatever the setting says", async () => {
    const w = quickWorld();
    await configure(w, { deploy: { canary: { percent: 10, minutes: 60 } } });
    await deploy(w, "v1");
    w.fake.resetCalls();
    expect((await deploy(w, "v2", ["--no-bake"])).code).toBe(0);
    expect(aliasUpdates(w)).toEqual([["2", { AdditionalVersionWeights: {} }]]);
  });

  it("an alarm during the shift sends all traffic back, exits 1 naming it, and the next up keeps it back", async () => {
    const w = quickWorld();
    await configure(w, { deploy: { canary: { percent: 10, minutes: 1 } } });
    await deploy(w, "v1");
    // The new version fails as soon as it takes traffic.
    w.fake.inject({
      service: "Lambda",
      operation: "UpdateAlias",
      times: 1,
      after: () => {
        const a = w.fake.cloudwatch.alarms.get(VERSION_ALARM);
        if (a) Object.assign(a, { state: "ALARM", stateReason: "errors above 5 %" });
      },
    });
    w.fake.resetCalls();
    const r = await deploy(w, "v2");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the alarm ${VERSION_ALARM} went off`);
    expect(r.stderr).toContain("all traffic is back on version 1");
    expect(live(w)).toEqual({ version: "1", weights: {} });
    const state = (await w.readState()) as { rolledBack?: Record<string, string> };
    expect(state.rolledBack).toMatchObject({ version: "2", to: "1" });
    expect(state.rolledBack?.reason).toContain(VERSION_ALARM);

    w.fake.resetCalls();
    const again = await deploy(w, "v2");
    expect(again.code, again.stderr).toBe(0);
    expect(mutations(w)).toEqual([]);
    expect(again.stderr).toContain("Version 2 was taken back");
    const s = await w.run(["status"], { handlerEntry: handler("v2"), env: ENV });
    expect(s.code).toBe(0);
    expect(s.stdout).toContain("Live version: 1");
    expect(s.stdout).toContain("Version 2 was taken back");

    // New code is a new version, and goes out again.
    w.fake.clearFaults();
    const a = w.fake.cloudwatch.alarms.get(VERSION_ALARM);
    if (a) a.state = "OK";
    expect((await deploy(w, "v3")).code).toBe(0);
    expect(live(w).version).toBe("3");
  });

  it("a shift an interrupted run left: status exits 2 and says so; up finishes it", async () => {
    const w = quickWorld();
    await deploy(w, "v1");
    await deploy(w, "v2");
    // As a run killed mid-bake leaves it: most traffic on 1, a share on 2.
    const c = w.fake.clients();
    await c.lambda.send(
      new UpdateAliasCommand({
        FunctionName: FN,
        Name: "live",
        FunctionVersion: "1",
        RoutingConfig: { AdditionalVersionWeights: { "2": 0.1 } },
      }),
    );
    const s = await w.run(["status", "--json"], { handlerEntry: handler("v2"), env: ENV });
    expect(s.code).toBe(2);
    expect(s.json.deploy).toMatchObject({ live: "1", split: { version: "2", percent: 10 } });
    const human = await w.run(["status"], { handlerEntry: handler("v2"), env: ENV });
    expect(human.stdout).toContain("A shift is in progress: 10 % of requests go to version 2");
    w.fake.resetCalls();
    expect((await deploy(w, "v2")).code).toBe(0);
    expect(aliasUpdates(w)).toEqual([["2", { AdditionalVersionWeights: {} }]]);
  });

  it("an interrupted shift whose new version is in alarm is taken back by the next up", async () => {
    const w = quickWorld();
    await deploy(w, "v1");
    await deploy(w, "v2");
    await w.fake.clients().lambda.send(
      new UpdateAliasCommand({
        FunctionName: FN,
        Name: "live",
        FunctionVersion: "1",
        RoutingConfig: { AdditionalVersionWeights: { "2": 0.1 } },
      }),
    );
    const a = w.fake.cloudwatch.alarms.get(VERSION_ALARM);
    if (a) Object.assign(a, { state: "ALARM", stateReason: "errors" });
    w.fake.resetCalls();
    const r = await deploy(w, "v2");
    expect(r.code).toBe(1);
    expect(live(w)).toEqual({ version: "1", weights: {} });
    expect(aliasUpdates(w)).toEqual([["1", { AdditionalVersionWeights: {} }]]);
  });
});

describe("rollback", () => {
  it("sends the traffic back to the version before, and up keeps it there", async () => {
    const w = quickWorld();
    await deploy(w, "v1");
    await deploy(w, "v2");
    const io = { handlerEntry: handler("v2"), env: ENV };

    w.fake.resetCalls();
    const dry = await w.run(["rollback", "--dry-run", "--json"], io);
    expect(dry.code).toBe(0);
    expect(dry.json).toMatchObject({ from: "2", to: "1", changed: true, dryRun: true });
    expect(mutations(w)).toEqual([]);

    const r = await w.run(["rollback"], io);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("goes to version 1 (was 2)");
    expect(live(w)).toEqual({ version: "1", weights: {} });
    expect(mutations(w)).toEqual(["Lambda.UpdateAlias"]);

    w.fake.resetCalls();
    const again = await deploy(w, "v2");
    expect(again.code).toBe(0);
    expect(mutations(w)).toEqual([]);
    expect(again.stderr).toContain("Version 2 was taken back");
    expect(again.stderr).toContain("(by the rollback command)");
    expect(again.stderr).toContain("npx serverless-automation rollback --to 2");

    const forward = await w.run(["rollback", "--to", "2"], io);
    expect(forward.code, forward.stderr).toBe(0);
    expect(live(w).version).toBe("2");
  });

  it("refuses what is not a version of this stack's function", async () => {
    const w = quickWorld();
    await deploy(w, "v1");
    const io = { handlerEntry: handler("v1"), env: ENV };
    const first = await w.run(["rollback"], io);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain("first version");
    const missing = await w.run(["rollback", "--to", "7"], io);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("has no version 7");
    const bad = await w.run(["rollback", "--to", "$LATEST"], io);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("is not a version number");
    expect(live(w).version).toBe("1");
  });
});

describe("old versions and down", () => {
  it("keeps the newest keepVersions, never one the alias uses", async () => {
    const w = quickWorld();
    await configure(w, { keepVersions: 2 });
    for (const body of ["v1", "v2", "v3", "v4"]) expect((await deploy(w, body)).code).toBe(0);
    expect([...(fn(w)?.versions.keys() ?? [])]).toEqual(["3", "4"]);
    expect(live(w).version).toBe("4");
    w.fake.resetCalls();
    expect((await deploy(w, "v4")).code).toBe(0);
    expect(mutations(w)).toEqual([]);
  });

  it("down deletes the alias, then the function with every version", async () => {
    const w = quickWorld();
    await deploy(w, "v1");
    await deploy(w, "v2");
    w.fake.resetCalls();
    const r = await w.run(["down", "--yes"], { env: ENV });
    expect(r.code, r.stderr).toBe(0);
    const ops = mutations(w);
    expect(ops.indexOf("Lambda.DeleteAlias")).toBeGreaterThanOrEqual(0);
    expect(ops.indexOf("Lambda.DeleteAlias")).toBeLessThan(ops.indexOf("Lambda.DeleteFunction"));
    expect(w.fake.lambda.functions.size).toBe(0);
    expect(w.fake.cloudwatch.alarms.has(VERSION_ALARM)).toBe(false);
  });
});

describe("a stack deployed before the alias", () => {
  /** Puts the stack back as the tool deployed it before safe deploys. */
  async function asBefore(w: World): Promise<void> {
    const c = w.fake.clients();
    const state = (await w.readState()) as {
      resources: Record<string, { id: string; outputs: Record<string, string> }>;
    };
    const apiId = state.resources.restApi?.id ?? "";
    const old = `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:${E.ACCOUNT}:function:${FN}/invocations`;
    const resources = await c.apigateway.send(
      new GetResourcesCommand({ restApiId: apiId, embed: ["methods"] }),
    );
    for (const r of resources.items ?? []) {
      for (const m of Object.keys(r.resourceMethods ?? {})) {
        await c.apigateway.send(
          new PutIntegrationCommand({
            restApiId: apiId,
            resourceId: r.id ?? "",
            httpMethod: m,
            type: "AWS_PROXY",
            integrationHttpMethod: "POST",
            uri: old,
          }),
        );
      }
    }
    const d = await c.apigateway.send(
      new CreateDeploymentCommand({ restApiId: apiId, description: "before" }),
    );
    await c.apigateway.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: "prod",
        patchOperations: [{ op: "replace", path: "/deploymentId", value: d.id ?? "" }],
      }),
    );
    // The invoke permissions on the function itself, and no alias, version alarm or version.
    const policy = await c.lambda.send(new GetPolicyCommand({ FunctionName: `${FN}:live` }));
    for (const s of (
      JSON.parse(policy.Policy ?? "{}") as {
        Statement: { Sid: string; Condition: { ArnLike: Record<string, string> } }[];
      }
    ).Statement) {
      await c.lambda.send(
        new RemovePermissionCommand({ FunctionName: `${FN}:live`, StatementId: s.Sid }),
      );
      await c.lambda.send(
        new AddPermissionCommand({
          FunctionName: FN,
          StatementId: s.Sid,
          Action: "lambda:InvokeFunction",
          Principal: "apigateway.amazonaws.com",
          SourceArn: s.Condition.ArnLike["AWS:SourceArn"],
          SourceAccount: E.ACCOUNT,
        }),
      );
    }
    await c.lambda.send(new DeleteAliasCommand({ FunctionName: FN, Name: "live" }));
    await c.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [VERSION_ALARM] }));
    const f = fn(w);
    f?.versions.clear();
    const { alias: _a, versionErrorsAlarm: _v, ...rest } = state.resources;
    const perms = rest.permissions;
    if (perms) Object.assign(perms, { id: FN, outputs: { ...perms.outputs, functionName: FN } });
    await fs.writeFile(w.statePath(), JSON.stringify({ ...state, resources: rest }));
  }

  it("moves to the alias on its next up: new permissions before the stage switches, old ones after", async () => {
    const w = quickWorld();
    await deploy(w, "v1");
    await asBefore(w);
    w.fake.resetCalls();
    const r = await deploy(w, "v1");
    expect(r.code, r.stderr).toBe(0);
    const calls = w.fake.callLog({ mutating: true, ok: true });
    const at = (op: string, fnName?: string) =>
      calls
        .map((c, n) => ({ c, n }))
        .filter(
          ({ c }) =>
            `${c.service}.${c.operation}` === op &&
            (fnName === undefined || c.input.FunctionName === fnName),
        )
        .map(({ n }) => n);
    const switched = at("APIGateway.UpdateStage");
    expect(switched).toHaveLength(1);
    const added = at("Lambda.AddPermission", `${FN}:live`);
    const removed = at("Lambda.RemovePermission", FN);
    expect(added.length).toBe(E.ROUTES.length);
    expect(removed.length).toBe(E.ROUTES.length);
    expect(Math.max(...added)).toBeLessThan(switched[0] ?? -1);
    expect(Math.min(...removed)).toBeGreaterThan(switched[0] ?? Infinity);
    await E.expectDesignedStack(w.fake);
    w.fake.resetCalls();
    expect((await deploy(w, "v1")).code).toBe(0);
    expect(mutations(w)).toEqual([]);
  });
});
