import { promises as fs } from "node:fs";
import path from "node:path";
import {
  CreateDeploymentCommand,
  CreateRestApiCommand,
  DeleteMethodCommand,
  UpdateStageCommand,
} from "@aws-sdk/client-api-gateway";
import { DeleteRoleCommand, DetachRolePolicyCommand } from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { world, type World } from "./helpers.js";
import type { RestApi } from "./fake-aws/apigateway.js";

const ACCOUNT = "123456789012";
const API_NAME = "serverless-automation-production";
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:serverless-automation-production-api`;
/** The live alias: every method calls the version it serves. */
const URI = `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${FUNCTION_ARN}:live/invocations`;
const ACCESS_LOG_ARN = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/apigateway/serverless-automation-production-access`;
const ROLE = "serverless-automation-apigateway-cloudwatch-us-east-1";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const PUSH_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs";
const TAGS = {
  project: "serverless-automation",
  environment: "production",
  "serverless-automation:stack": "serverless-automation-production",
};
const ROUTES: Record<string, string[]> = {
  "/": ["GET", "OPTIONS", "POST"],
  "/{id}": ["DELETE", "GET", "OPTIONS", "PUT"],
};

function theApi(w: World): RestApi {
  const apis = [...w.fake.apigateway.apis.values()];
  expect(apis).toHaveLength(1);
  return apis[0] as RestApi;
}

function resourceId(api: RestApi, p: string): string {
  const r = [...api.resources.values()].find((x) => x.path === p);
  if (!r) throw new Error(`no resource ${p}`);
  return r.id;
}

/** The APIGateway/IAM calls that changed something, e.g. "APIGateway.PutMethod". */
function mutations(w: World): string[] {
  return w.fake.callLog({ mutating: true }).map((c) => `${c.service}.${c.operation}`);
}

async function up(w: World, extra: Parameters<World["run"]>[1] = {}) {
  const r = await w.run(["up"], extra);
  expect(r.stderr).not.toContain("error:");
  expect(r.code).toBe(0);
  return r;
}

describe("up: the API Gateway half", () => {
  it("creates the REST API, its routes, a deployment, the stage and the account's logging role", async () => {
    const w = world();
    const r = await up(w);

    const api = theApi(w);
    expect(api.name).toBe(API_NAME);
    expect(api.endpointTypes).toEqual(["REGIONAL"]);
    expect(Object.fromEntries(api.tags)).toEqual(TAGS);
    const routes = w.fake.apigateway.routes(api.id);
    expect(Object.keys(routes).sort()).toEqual(["/", "/{id}"]);
    for (const [p, verbs] of Object.entries(ROUTES)) {
      expect(Object.keys(routes[p] ?? {}).sort()).toEqual(verbs);
      for (const [verb, m] of Object.entries(routes[p] ?? {})) {
        // Signed callers only (the default auth); the CORS preflight stays open.
        expect(m.authorizationType).toBe(verb === "OPTIONS" ? "NONE" : "AWS_IAM");
        expect(m.apiKeyRequired).toBe(false);
        expect(m.integration).toEqual({ type: "AWS_PROXY", httpMethod: "POST", uri: URI });
      }
    }

    const deployments = [...api.deployments.values()];
    expect(deployments).toHaveLength(1);
    const d = deployments[0];
    expect(d?.description).toMatch(/^serverless-automation routes [0-9a-f]{16}$/);
    expect(Object.keys(d?.routes ?? {}).sort()).toEqual(["/", "/{id}"]);

    const stage = api.stages.get("prod");
    expect([...api.stages.keys()]).toEqual(["prod"]);
    expect(stage?.deploymentId).toBe(d?.id);
    expect(stage?.tracingEnabled).toBe(true);
    expect(Object.fromEntries(stage?.methodSettings ?? [])).toEqual({
      "*/*": {
        loggingLevel: "INFO",
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
      },
    });
    expect(stage?.accessLogSettings?.destinationArn).toBe(ACCESS_LOG_ARN);
    expect(JSON.parse(stage?.accessLogSettings?.format ?? "{}")).toEqual({
      requestId: "$context.requestId",
      ip: "$context.identity.sourceIp",
      user: "$context.identity.user",
      caller: "$context.identity.caller",
      requestTime: "$context.requestTime",
      httpMethod: "$context.httpMethod",
      resourcePath: "$context.resourcePath",
      status: "$context.status",
      protocol: "$context.protocol",
      responseLength: "$context.responseLength",
    });
    expect(Object.fromEntries(stage?.tags ?? [])).toEqual(TAGS);

    expect(w.fake.apigateway.accountRoles.get("us-east-1")).toBe(ROLE_ARN);
    const role = w.fake.iam.roles.get(ROLE);
    expect(role).toBeDefined();
    expect(JSON.parse(role?.assumeRolePolicyDocument ?? "{}").Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ]);
    expect([...(role?.attached ?? [])]).toEqual([PUSH_POLICY]);
    expect(role?.inlinePolicies.size).toBe(0);
    expect(Object.fromEntries(role?.tags ?? [])).toEqual(TAGS);

    const url = `https://${api.id}.execute-api.us-east-1.amazonaws.com/prod`;
    expect(r.stdout).toContain(`Endpoint: ${url}`);
    const state = await w.readState();
    expect(state?.endpoint).toBe(url);
    expect(state?.resources).toMatchObject({
      restApi: { kind: "apigateway-rest-api", id: api.id, outputs: { id: api.id, name: API_NAME } },
      stage: {
        kind: "apigateway-stage",
        outputs: {
          name: "prod",
          arn: `arn:aws:apigateway:us-east-1::/restapis/${api.id}/stages/prod`,
          invokeUrl: url,
        },
      },
      apiGatewayAccount: {
        kind: "apigateway-account",
        id: ROLE_ARN,
        outputs: { roleArn: ROLE_ARN, createdByStack: "true" },
      },
    });
    // Exactly one deployment, made once the routes were complete.
    expect(mutations(w).filter((x) => x === "APIGateway.CreateDeployment")).toHaveLength(1);
  });

  it("a second up makes zero mutating calls", async () => {
    const w = world();
    await up(w);
    w.fake.resetCalls();
    const r = await up(w);
    expect(mutations(w)).toEqual([]);
    expect(r.stdout).toMatch(/up to date .*unchanged/);
  });

  it("a code-only change of the function makes no API Gateway change (no redeploy)", async () => {
    const w = world();
    const entry = path.join(w.cwd, "handler.ts");
    await fs.writeFile(
      entry,
      'export const handler = async () => ({ statusCode: 200, body: "1" });\n',
    );
    await up(w, { handlerEntry: entry });
    await fs.writeFile(
      entry,
      'export const handler = async () => ({ statusCode: 200, body: "2" });\n',
    );
    w.fake.resetCalls();
    await up(w, { handlerEntry: entry });
    // The new version goes live through the alias the API already calls.
    expect(mutations(w)).toEqual([
      "S3.PutObject",
      "Lambda.UpdateFunctionCode",
      "Lambda.PublishVersion",
      "CloudWatch.PutMetricAlarm",
      "Lambda.UpdateAlias",
    ]);
    expect(theApi(w).deployments.size).toBe(1);
  });

  it("reuses an account logging role that is already set, and down leaves it alone", async () => {
    const w = world();
    const theirs = `arn:aws:iam::${ACCOUNT}:role/someone-elses-apigw-logs`;
    w.fake.apigateway.accountRoles.set("us-east-1", theirs);
    await up(w);
    const ops = mutations(w);
    const iamRoles = w.fake
      .callLog({ service: "IAM", mutating: true })
      .map((c) => c.input.RoleName);
    expect(iamRoles.every((r) => r === "serverless-automation-production-function-us-east-1")).toBe(
      true,
    );
    expect(w.fake.iam.roles.has("serverless-automation-apigateway-cloudwatch-us-east-1")).toBe(
      false,
    );
    expect(ops).not.toContain("APIGateway.UpdateAccount");
    expect((await w.readState())?.resources).toMatchObject({
      apiGatewayAccount: { id: theirs, outputs: { roleArn: theirs, createdByStack: "false" } },
    });

    w.fake.resetCalls();
    const down = await w.run(["down", "--yes"]);
    expect(down.code).toBe(0);
    expect(w.fake.apigateway.apis.size).toBe(0);
    expect(w.fake.apigateway.accountRoles.get("us-east-1")).toBe(theirs);
    expect(mutations(w)).not.toContain("APIGateway.UpdateAccount");
  });

  it("down unsets and deletes the logging role it created when no other API needs it", async () => {
    const w = world();
    await up(w);
    const down = await w.run(["down", "--yes"]);
    expect(down.code).toBe(0);
    expect(w.fake.apigateway.apis.size).toBe(0);
    expect(w.fake.apigateway.accountRoles.has("us-east-1")).toBe(false);
    expect(w.fake.iam.roles.has(ROLE)).toBe(false);
    const ops = mutations(w);
    expect(ops.indexOf("IAM.DetachRolePolicy")).toBeLessThan(ops.indexOf("IAM.DeleteRole"));
  });

  it("down keeps the logging role it created while another REST API exists in the region", async () => {
    const w = world();
    await up(w);
    await w.fake.clients().apigateway.send(new CreateRestApiCommand({ name: "someone-else" }));
    const down = await w.run(["down", "--yes"]);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/other REST API/);
    expect([...w.fake.apigateway.apis.values()].map((a) => a.name)).toEqual(["someone-else"]);
    expect(w.fake.apigateway.accountRoles.get("us-east-1")).toBe(ROLE_ARN);
    expect(w.fake.iam.roles.has(ROLE)).toBe(true);
  });

  it("recreates a route deleted behind its back and redeploys, leaving the other routes alone", async () => {
    const w = world();
    await up(w);
    const api = theApi(w);
    const rootId = resourceId(api, "/");
    api.resources.delete(resourceId(api, "/{id}"));
    const before = [...api.deployments.keys()];
    w.fake.resetCalls();
    await up(w);

    expect(mutations(w).sort()).toEqual(
      [
        "APIGateway.CreateResource",
        ...Array(4).fill("APIGateway.PutMethod"),
        ...Array(4).fill("APIGateway.PutIntegration"),
        "APIGateway.CreateDeployment",
        "APIGateway.UpdateStage",
      ].sort(),
    );
    const touched = w.fake.callLog({ mutating: true }).map((c) => c.input.resourceId);
    expect(touched).not.toContain(rootId);
    const routes = w.fake.apigateway.routes(api.id);
    expect(Object.keys(routes["/{id}"] ?? {}).sort()).toEqual(ROUTES["/{id}"]);
    const fresh = [...api.deployments.keys()].filter((k) => !before.includes(k));
    expect(fresh).toHaveLength(1);
    expect(api.stages.get("prod")?.deploymentId).toBe(fresh[0]);
    expect(Object.keys(api.deployments.get(fresh[0] as string)?.routes ?? {}).sort()).toEqual([
      "/",
      "/{id}",
    ]);
  });

  it("repairs a deleted method and a changed integration only where they differ", async () => {
    const w = world();
    await up(w);
    const api = theApi(w);
    const idRes = resourceId(api, "/{id}");
    const rootId = resourceId(api, "/");
    const c = w.fake.clients().apigateway;
    await c.send(
      new DeleteMethodCommand({ restApiId: api.id, resourceId: idRes, httpMethod: "PUT" }),
    );
    // As a console edit would.
    const get = api.resources.get(rootId)?.methods.get("GET");
    if (get?.integration) get.integration.uri = "arn:aws:apigateway:us-east-1:lambda:path/x";
    w.fake.resetCalls();

    const status = await w.run(["status", "--json"]);
    const rows = status.json.resources as { key: string; state: string; fields: string[] }[];
    expect(rows.find((x) => x.key === "restApi")).toMatchObject({
      state: "drifted",
      fields: ["methods", "integrations"],
    });

    await up(w);
    const calls = w.fake.callLog({ mutating: true });
    expect(calls.map((x) => `${x.operation} ${String(x.input.httpMethod ?? "")}`).sort()).toEqual(
      [
        "CreateDeployment ",
        "PutIntegration GET",
        "PutIntegration PUT",
        "PutMethod PUT",
        "UpdateStage ",
      ].sort(),
    );
    expect(api.resources.get(rootId)?.methods.get("GET")?.integration?.uri).toBe(URI);
  });

  it("reverts a stage's logging level and tracing changed behind its back, and status shows it", async () => {
    const w = world();
    await up(w);
    const api = theApi(w);
    await w.fake.clients().apigateway.send(
      new UpdateStageCommand({
        restApiId: api.id,
        stageName: "prod",
        patchOperations: [
          { op: "replace", path: "/*/*/logging/loglevel", value: "ERROR" },
          { op: "replace", path: "/tracingEnabled", value: "false" },
        ],
      }),
    );
    w.fake.resetCalls();
    const status = await w.run(["status", "--json"]);
    expect(status.code).toBe(2);
    const rows = status.json.resources as { key: string; state: string; fields: string[] }[];
    expect(rows.find((x) => x.key === "stage")).toMatchObject({
      state: "drifted",
      fields: ["tracingEnabled", "loggingLevel"],
    });
    expect(mutations(w)).toEqual([]);

    await up(w);
    const calls = w.fake.callLog({ mutating: true });
    expect(calls.map((x) => x.operation)).toEqual(["UpdateStage"]);
    expect(calls[0]?.input.patchOperations).toEqual([
      { op: "replace", path: "/tracingEnabled", value: "true" },
      { op: "replace", path: "/*/*/logging/loglevel", value: "INFO" },
    ]);
    const stage = api.stages.get("prod");
    expect(stage?.tracingEnabled).toBe(true);
    expect(stage?.methodSettings.get("*/*")?.loggingLevel).toBe("INFO");
  });

  it("restores the endpoint type and tags without redeploying", async () => {
    const w = world();
    await up(w);
    const api = theApi(w);
    api.endpointTypes = ["EDGE"];
    api.tags.delete("environment");
    w.fake.resetCalls();
    await up(w);
    const calls = w.fake.callLog({ mutating: true });
    expect(calls.map((c) => c.operation).sort()).toEqual(["TagResource", "UpdateRestApi"]);
    expect(calls.find((c) => c.operation === "UpdateRestApi")?.input.patchOperations).toEqual([
      { op: "replace", path: "/endpointConfiguration/types/EDGE", value: "REGIONAL" },
    ]);
    expect(api.endpointTypes).toEqual(["REGIONAL"]);
    expect(Object.fromEntries(api.tags)).toEqual(TAGS);
  });

  it("adopts its API by name and stack tag when the state file is lost", async () => {
    const w = world();
    await up(w);
    const id = theApi(w).id;
    await fs.rm(w.statePath());
    w.fake.resetCalls();
    await up(w);
    expect(theApi(w).id).toBe(id);
    expect(mutations(w).filter((x) => x.startsWith("APIGateway.") || x.startsWith("IAM."))).toEqual(
      [],
    );
    expect((await w.readState())?.resources).toMatchObject({ restApi: { id } });
  });

  it("does not adopt an API of the same name without the stack tag", async () => {
    const w = world();
    const foreign = await w.fake
      .clients()
      .apigateway.send(new CreateRestApiCommand({ name: API_NAME, tags: { team: "other" } }));
    await up(w);
    const apis = [...w.fake.apigateway.apis.values()];
    expect(apis).toHaveLength(2);
    const ours = apis.find((a) => a.id !== foreign.id);
    expect(ours?.tags.get("serverless-automation:stack")).toBe(API_NAME);
    const theirs = w.fake.apigateway.apis.get(foreign.id as string);
    expect(theirs?.resources.size).toBe(1);
    expect(theirs?.stages.size).toBe(0);
    expect(w.fake.callLog({ mutating: true }).some((c) => c.input.restApiId === foreign.id)).toBe(
      false,
    );
  });

  it("the region's logging role is a node of its own: recorded, shown by status, made again when it disappears", async () => {
    const w = world();
    await up(w);
    expect((await w.readState())?.resources).toMatchObject({
      apiGatewayLoggingRole: {
        kind: "apigateway-logging-role",
        id: ROLE_ARN,
        outputs: { arn: ROLE_ARN, createdByStack: "true" },
      },
    });
    const inSync = await w.run(["status", "--json"]);
    expect(inSync.code).toBe(0);
    const rows = (r: typeof inSync) =>
      r.json.resources as { key: string; label: string; id: string; state: string }[];
    expect(rows(inSync).find((x) => x.key === "apiGatewayLoggingRole")).toMatchObject({
      label: "API Gateway logging role",
      id: ROLE_ARN,
      state: "in sync",
    });

    // Deleted behind the tool's back while the region's setting still names it.
    const iam = w.fake.clients().iam;
    await iam.send(new DetachRolePolicyCommand({ RoleName: ROLE, PolicyArn: PUSH_POLICY }));
    await iam.send(new DeleteRoleCommand({ RoleName: ROLE }));
    w.fake.resetCalls();
    const missing = await w.run(["status", "--json"]);
    expect(missing.code).toBe(2);
    expect(rows(missing).find((x) => x.key === "apiGatewayLoggingRole")?.state).toBe("missing");
    expect(w.fake.operations({ mutating: true })).toEqual([]);

    w.fake.resetCalls();
    await up(w);
    expect(mutations(w)).toEqual(["IAM.CreateRole", "IAM.AttachRolePolicy"]);
    const role = w.fake.iam.roles.get(ROLE);
    expect([...(role?.attached ?? [])]).toEqual([PUSH_POLICY]);
    expect(Object.fromEntries(role?.tags ?? [])).toEqual(TAGS);
    expect((await w.run(["status"])).code).toBe(0);
  });

  it("a policy detached from the logging role is drift that status names and up repairs", async () => {
    const w = world();
    await up(w);
    await w.fake
      .clients()
      .iam.send(new DetachRolePolicyCommand({ RoleName: ROLE, PolicyArn: PUSH_POLICY }));
    const s = await w.run(["status", "--json"]);
    expect(s.code).toBe(2);
    const rows = s.json.resources as { key: string; state: string; fields: string[] }[];
    expect(rows.find((x) => x.key === "apiGatewayLoggingRole")).toMatchObject({
      state: "drifted",
      fields: ["managedPolicies"],
    });
    w.fake.resetCalls();
    await up(w);
    expect(mutations(w)).toEqual(["IAM.AttachRolePolicy"]);
  });

  it("retries UpdateAccount while the new IAM role propagates", async () => {
    const w = world();
    w.fake.iam.timings.propagationMs = 1500; // a window a loaded machine still meets
    await up(w);
    const updates = w.fake.callLog().filter((c) => c.operation === "UpdateAccount");
    expect(updates.length).toBeGreaterThan(1);
    // Refused until the role propagates; a refused call still spends the one-per-20-s quota.
    const refused = updates.slice(0, -1).map((c) => c.error);
    expect(refused).toContain("BadRequestException");
    expect(
      refused.every((e) => e === "BadRequestException" || e === "TooManyRequestsException"),
    ).toBe(true);
    expect(updates.at(-1)?.error).toBeUndefined();
    expect(w.fake.apigateway.accountRoles.get("us-east-1")).toBe(ROLE_ARN);
    // Logging was enabled on the stage only after the role was set.
    const setAt = updates.at(-1)?.endedAt ?? Infinity;
    const stageUpdate = w.fake.callLog().find((c) => c.operation === "UpdateStage");
    expect(stageUpdate?.startedAt).toBeGreaterThanOrEqual(setAt);
  });

  it("behind a LocalStack-style endpoint, reports the user-request URL", async () => {
    const w = world();
    const r = await up(w, {
      env: { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: "http://localhost:4566" },
    });
    const id = theApi(w).id;
    expect(r.stdout).toContain(`http://localhost:4566/restapis/${id}/prod/_user_request_`);
  });

  it("deployments that tie to the second (retried CreateDeployments): the one the stage serves stays, no call", async () => {
    const w = world();
    await up(w);
    const api = theApi(w);
    const c = w.fake.clients().apigateway;
    const [first] = [...api.deployments.values()];
    // As a CreateDeployment retried after lost responses leaves them: same routes, same second.
    const made: string[] = [];
    for (let k = 0; k < 2; k++) {
      const d = await c.send(
        new CreateDeploymentCommand({ restApiId: api.id, description: first?.description }),
      );
      made.push(d.id ?? "");
    }
    // Within one second, as a retry's are.
    const at = first?.createdAt ?? 0;
    for (const id of made) {
      const d = api.deployments.get(id);
      if (d) d.createdAt = at + 1;
    }
    await c.send(
      new UpdateStageCommand({
        restApiId: api.id,
        stageName: "prod",
        patchOperations: [{ op: "replace", path: "/deploymentId", value: made[1] }],
      }),
    );
    w.fake.resetCalls();
    await up(w);
    expect(mutations(w)).toEqual([]);
    expect(api.stages.get("prod")?.deploymentId).toBe(made[1]);
  });

  it("aws-cn invoke URLs end in amazonaws.com.cn", async () => {
    const w = world({ region: "cn-north-1" });
    // The fake IAM knows only the aws partition's managed policies.
    w.fake.apigateway.accountRoles.set("cn-north-1", `arn:aws-cn:iam::${ACCOUNT}:role/logs`);
    expect((await w.run(["up"])).code).toBe(0);
    const api = theApi(w);
    expect((await w.readState())?.resources).toMatchObject({
      stage: {
        outputs: { invokeUrl: `https://${api.id}.execute-api.cn-north-1.amazonaws.com.cn/prod` },
      },
    });
    const m = api.resources.get(resourceId(api, "/"))?.methods.get("GET");
    expect(m?.integration?.uri).toMatch(
      /^arn:aws-cn:apigateway:cn-north-1:lambda:path\/.*arn:aws-cn:lambda:cn-north-1:/,
    );
  });
});

describe("the fake API Gateway", () => {
  it("throttles control-plane calls when its quota model is on; the SDK retries", async () => {
    const w = world();
    w.fake.apigateway.quota.enabled = true;
    w.fake.apigateway.quota.scale = 10;
    const c = w.fake.clients().apigateway;
    await c.send(new CreateRestApiCommand({ name: "a" }));
    await c.send(new CreateRestApiCommand({ name: "b" }));
    expect(w.fake.apigateway.apis.size).toBe(2);
    const errors = w.fake.callLog().filter((x) => x.error === "TooManyRequestsException");
    expect(errors.length).toBeGreaterThan(0);
  });

  it("answers with AWS's errors", async () => {
    const w = world();
    const c = w.fake.clients().apigateway;
    const api = await c.send(new CreateRestApiCommand({ name: "x" }));
    await expect(
      c.send(new UpdateStageCommand({ restApiId: api.id, stageName: "prod", patchOperations: [] })),
    ).rejects.toMatchObject({
      name: "NotFoundException",
      message: "Invalid Stage identifier specified",
    });
    await expect(
      c.send(new DeleteMethodCommand({ restApiId: "nope", resourceId: "r", httpMethod: "GET" })),
    ).rejects.toMatchObject({
      name: "NotFoundException",
      message: "Invalid REST API identifier specified",
    });
  });
});
