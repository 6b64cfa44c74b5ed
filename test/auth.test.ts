/**
 * Who may call the API (issue: secure by default). Expectations are written from the design:
 * iam by default (SigV4 from a principal allowed execute-api:Invoke), api-key (x-api-key under
 * a usage plan), none only when the config says so; the CORS preflight open in every mode.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { signRequest } from "../src/ops/request.js";
import { startDevServer } from "../src/dev/server.js";
import * as E from "./expected.js";
import type { World } from "./helpers.js";
import { nonEmpty, quickWorld, tinyHandler } from "./reliability/support.js";

const IO = { handlerEntry: tinyHandler() };
const n = E.names("production");

/** The mutating calls of the last run, as "Service.Operation", sorted. */
function mutations(w: World): string[] {
  return w.fake
    .callLog({ mutating: true })
    .map((c) => `${c.service}.${c.operation}`)
    .sort();
}

async function up(w: World, argv: string[] = []) {
  w.fake.resetCalls();
  const r = await w.run(["up", ...argv], IO);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** Method → { authorizationType, apiKeyRequired } for every route of the one REST API. */
function methods(w: World): Record<string, unknown> {
  const [api] = [...w.fake.apigateway.apis.values()];
  if (!api) throw new Error("no REST API");
  const out: Record<string, unknown> = {};
  for (const [p, ms] of Object.entries(w.fake.apigateway.routes(api.id))) {
    for (const [verb, m] of Object.entries(ms)) {
      out[`${verb} ${p}`] = {
        authorizationType: m.authorizationType,
        apiKeyRequired: m.apiKeyRequired,
      };
    }
  }
  return out;
}

function expectedMethods(auth: E.Auth): Record<string, unknown> {
  return Object.fromEntries(E.ROUTES.map(([m, p]) => [`${m} ${p}`, E.methodAuth(auth, m)]));
}

async function writeConfig(w: World, config: object) {
  await fs.writeFile(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(config));
}

/** Rewiring every method: delete it, put it with the new auth, put its integration back. */
const REWIRE_ALL = E.ROUTES.filter(([m]) => m !== "OPTIONS").flatMap(() => [
  "APIGateway.DeleteMethod",
  "APIGateway.PutIntegration",
  "APIGateway.PutMethod",
]);
/** A changed method reaches callers through a new deployment the stage then serves. */
const REDEPLOY = ["APIGateway.CreateDeployment", "APIGateway.UpdateStage"];

describe("auth modes", () => {
  it("by default the API takes only signed callers (AWS_IAM), with no key or usage plan", async () => {
    const w = quickWorld();
    const r = await up(w);
    expect(methods(w)).toEqual(expectedMethods("iam"));
    expect(w.fake.apigateway.apiKeys.size).toBe(0);
    expect(w.fake.apigateway.usagePlans.size).toBe(0);
    expect(r.stdout).toContain("Callers sign their requests");
    expect(r.stderr).not.toContain("The API is public");
  });

  it("api-key: every method but OPTIONS requires the key; one enabled, tagged key under a usage plan with the stage, rate, burst and daily quota", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "api-key" });
    await up(w);
    expect(methods(w)).toEqual(expectedMethods("api-key"));
    const keys = [...w.fake.apigateway.apiKeys.values()];
    expect(keys.map((k) => [k.name, k.enabled, Object.fromEntries(k.tags)])).toEqual([
      [n.apiKey, true, E.tags("production")],
    ]);
    const [api] = [...w.fake.apigateway.apis.values()];
    const plans = [...w.fake.apigateway.usagePlans.values()];
    expect(
      plans.map((u) => ({
        name: u.name,
        apiStages: u.apiStages,
        throttle: u.throttle,
        quota: { limit: u.quota?.limit, period: u.quota?.period },
        keyIds: u.keyIds,
        tags: Object.fromEntries(u.tags),
      })),
    ).toEqual([
      {
        name: n.usagePlan,
        apiStages: [`${api?.id}:prod`],
        throttle: { rateLimit: E.USAGE_PLAN.rateLimit, burstLimit: E.USAGE_PLAN.burstLimit },
        quota: E.USAGE_PLAN.quota,
        keyIds: [keys[0]?.id],
        tags: E.tags("production"),
      },
    ]);
    // The second run changes nothing.
    await up(w);
    expect(mutations(w)).toEqual([]);
  });

  it("none: every method is open, and every run (dry or not) says the API is public", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "none" });
    const r = await up(w);
    expect(methods(w)).toEqual(expectedMethods("none"));
    expect(r.stderr).toContain('The API is public (auth "none")');
    const again = await w.run(["up", "--dry-run"], IO);
    expect(again.stderr).toContain('The API is public (auth "none")');
    const json = await w.run(["up", "--json"], IO);
    expect(json.json.warnings).toEqual([expect.stringContaining("The API is public")]);
    expect(json.json.auth).toBe("none");
  });

  it("switching none → iam → api-key → iam converges in one run each, with only the calls each switch needs, then none", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "none" });
    await up(w);
    const steps: [E.Auth, string[]][] = [
      ["iam", [...REWIRE_ALL, ...REDEPLOY].sort()],
      [
        "api-key",
        [
          ...REWIRE_ALL,
          ...REDEPLOY,
          "APIGateway.CreateApiKey",
          "APIGateway.CreateUsagePlan",
          "APIGateway.CreateUsagePlanKey",
        ].sort(),
      ],
      [
        "iam",
        [
          ...REWIRE_ALL,
          ...REDEPLOY,
          // The plan lets go of the stage before it can be deleted; the key goes after it.
          "APIGateway.UpdateUsagePlan",
          "APIGateway.DeleteUsagePlan",
          "APIGateway.DeleteApiKey",
        ].sort(),
      ],
    ];
    for (const [auth, calls] of steps) {
      await writeConfig(w, { auth });
      await up(w);
      expect(mutations(w), `→ ${auth}`).toEqual(calls);
      expect(methods(w), `→ ${auth}`).toEqual(expectedMethods(auth));
      await up(w);
      expect(mutations(w), `→ ${auth}, again`).toEqual([]);
    }
    expect(w.fake.apigateway.apiKeys.size).toBe(0);
    expect(w.fake.apigateway.usagePlans.size).toBe(0);
    const state = (await w.readState()) as { resources: Record<string, unknown> };
    expect(Object.keys(state.resources)).not.toContain("apiKey");
    expect(Object.keys(state.resources)).not.toContain("usagePlan");
  });

  it('a stage that asks for credentials with corsOrigin "*" gets a note (not under --quiet); a named origin none', async () => {
    const w = quickWorld();
    const r = await up(w);
    expect(r.stderr).toContain('note: corsOrigin is "*"');
    const quiet = await up(w, ["--quiet"]);
    expect(quiet.stderr).toBe("");
    const json = await w.run(["up", "--dry-run", "--json"], IO);
    expect(json.json.advice).toEqual([expect.stringContaining('corsOrigin is "*"')]);
    await writeConfig(w, { corsOrigin: "https://app.example.com" });
    const named = await up(w);
    expect(named.stderr).not.toContain("corsOrigin");
  });

  it("--auth overrides the config file for one run; status with the same flag is in sync", async () => {
    const w = quickWorld();
    await up(w, ["--auth", "none"]);
    expect(methods(w)).toEqual(expectedMethods("none"));
    expect((await w.run(["status", "--auth", "none"], IO)).code).toBe(0);
    // Without it, the config (iam by default) is what the stack should be: drift.
    const s = await w.run(["status", "--json"], IO);
    expect(s.code).toBe(2);
    const bad = await w.run(["up", "--auth", "public"], IO);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("auth must be iam, api-key, cognito or none");
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it("authorization changed by hand is reported and converged to the config, never toward none", async () => {
    const w = quickWorld();
    await up(w);
    const [api] = [...w.fake.apigateway.apis.values()];
    const root = [...(api?.resources.values() ?? [])].find((r) => r.path === "/");
    const get = root?.methods.get("GET");
    if (!get) throw new Error("no GET /");
    get.authorizationType = "NONE";
    const s = await w.run(["status", "--json"], IO);
    expect(s.code).toBe(2);
    const rows = s.json.resources as { key: string; fields: string[] }[];
    expect(rows.find((x) => x.key === "restApi")?.fields).toContain("methods");
    await up(w);
    expect(mutations(w)).toEqual(
      [
        "APIGateway.DeleteMethod",
        "APIGateway.PutMethod",
        "APIGateway.PutIntegration",
        ...REDEPLOY,
      ].sort(),
    );
    expect(methods(w)).toEqual(expectedMethods("iam"));
    // The other way: a config that says none turns a hand-added key requirement off.
    await writeConfig(w, { auth: "none" });
    await up(w);
    const item = [...(api?.resources.values() ?? [])].find((r) => r.path === "/{id}");
    const put = item?.methods.get("PUT");
    if (!put) throw new Error("no PUT /{id}");
    put.apiKeyRequired = true;
    await up(w);
    expect(methods(w)).toEqual(expectedMethods("none"));
  });

  it("the API key's value never reaches the state file, the output or --json unless asked for", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "api-key" });
    const r = await up(w);
    const [key] = [...w.fake.apigateway.apiKeys.values()];
    const value = key?.value ?? "";
    expect(value.length).toBeGreaterThan(20);
    const json = await w.run(["up", "--json"], IO);
    const status = await w.run(["status", "--json"], IO);
    const outputs = await w.run(["outputs"], IO);
    const outputsJson = await w.run(["outputs", "--json"], IO);
    const stateText = await fs.readFile(w.statePath(), "utf8");
    for (const text of [
      r.stdout,
      r.stderr,
      json.stdout,
      json.stderr,
      status.stdout,
      outputs.stdout,
      outputsJson.stdout,
      stateText,
    ]) {
      expect(text).not.toContain(value);
    }
    expect(outputsJson.json.apiKeyId).toBe(key?.id);
    // Asked for: printed, from API Gateway.
    const shown = await w.run(["outputs", "--show-api-key", "--json"], IO);
    expect(shown.json.apiKey).toBe(value);
    const human = await w.run(["outputs", "--show-api-key"], IO);
    expect(human.stdout).toMatch(new RegExp(`^apiKey\\s+${value}$`, "m"));
  });

  it("outputs --show-api-key on a stack without a key is a clear error", async () => {
    const w = quickWorld();
    await up(w);
    const r = await w.run(["outputs", "--show-api-key"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has no API key");
    expect(r.stderr).toContain("--auth api-key");
  });

  it("down removes the key and usage plan with everything else", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "api-key" });
    await up(w);
    const d = await w.run(["down", "--yes"], IO);
    expect(d.code, d.stderr).toBe(0);
    expect(nonEmpty(w.fake)).toEqual({});
  });

  it("down with the state file lost still finds the key and plan by name and tag", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "api-key" });
    await up(w);
    await fs.rm(w.statePath());
    await writeConfig(w, {});
    const d = await w.run(["down", "--yes"], IO);
    expect(d.code, d.stderr).toBe(0);
    expect(nonEmpty(w.fake)).toEqual({});
  });
});

/** A server that records each request and answers 200 with a small JSON body. */
async function captureServer() {
  const seen: { req: IncomingMessage; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ req, body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise((r) => server.close(r)) };
}

describe("auth cognito", () => {
  const POOL = `arn:aws:cognito-idp:${E.REGION}:${E.ACCOUNT}:userpool/${E.REGION}_AbCdEf123`;
  const OTHER_POOL = `arn:aws:cognito-idp:${E.REGION}:${E.ACCOUNT}:userpool/${E.REGION}_ZyXw98765`;

  function authorizers(w: World) {
    const [api] = [...w.fake.apigateway.apis.values()];
    return [...(api?.authorizers.values() ?? [])];
  }

  it("one authorizer on the named user pool, every method but OPTIONS behind it; a new pool moves them; iam removes it", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "cognito", cognitoUserPoolArn: POOL });
    await up(w);
    const [first, ...more] = authorizers(w);
    expect(more).toEqual([]);
    expect(first).toMatchObject({
      type: "COGNITO_USER_POOLS",
      providerARNs: [POOL],
      identitySource: "method.request.header.Authorization",
    });
    expect(methods(w)).toEqual(expectedMethods("cognito"));
    const [api] = [...w.fake.apigateway.apis.values()];
    for (const [p, ms] of Object.entries(w.fake.apigateway.routes(api?.id ?? ""))) {
      for (const [verb, m] of Object.entries(ms)) {
        expect(m.authorizerId, `${verb} ${p}`).toBe(verb === "OPTIONS" ? undefined : first?.id);
      }
    }
    await up(w);
    expect(mutations(w)).toEqual([]);

    await writeConfig(w, { auth: "cognito", cognitoUserPoolArn: OTHER_POOL });
    await up(w);
    expect(mutations(w)).toEqual(
      [
        "APIGateway.CreateAuthorizer",
        ...REWIRE_ALL,
        "APIGateway.DeleteAuthorizer",
        ...REDEPLOY,
      ].sort(),
    );
    expect(authorizers(w).map((a) => a.providerARNs)).toEqual([[OTHER_POOL]]);
    await up(w);
    expect(mutations(w)).toEqual([]);

    await writeConfig(w, { auth: "iam" });
    await up(w);
    expect(authorizers(w)).toEqual([]);
    expect(methods(w)).toEqual(expectedMethods("iam"));
    await up(w);
    expect(mutations(w)).toEqual([]);
  });

  it("without a user pool, or with something else than a pool ARN, up refuses before any AWS call", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "cognito" });
    const r = await w.run(["up"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cognitoUserPoolArn is required");
    await writeConfig(w, { auth: "cognito", cognitoUserPoolArn: "my-pool" });
    const bad = await w.run(["up"], IO);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("cognitoUserPoolArn must be a user pool ARN");
    expect(w.fake.callLog({})).toEqual([]);
  });

  it("request sends SERVERLESS_AUTOMATION_TOKEN as the Authorization header, and asks for one without it", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "cognito", cognitoUserPoolArn: POOL });
    const s = await captureServer();
    try {
      const argv = ["request", "GET", "/", "--url", s.url, "--auth", "cognito"];
      const env = { AWS_REGION: w.fake.region, SERVERLESS_AUTOMATION_TOKEN: "eyJ.test.jwt" };
      const r = await w.run(argv, { ...IO, env });
      expect(r.code, r.stderr).toBe(0);
      expect(s.seen[0]?.req.headers.authorization).toBe("eyJ.test.jwt");
      const none = await w.run(argv, IO);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain("--token");
    } finally {
      await s.close();
    }
  });
});

describe("request", () => {
  it("signs with SigV4 for execute-api in the stack's region: the signature checks out with the SDK's signer", async () => {
    const w = quickWorld();
    const s = await captureServer();
    try {
      const r = await w.run(
        ["request", "POST", "/?x=1", "--data", '{"name":"first"}', "--url", s.url, "--auth", "iam"],
        IO,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('{"ok":true}\n');
      expect(r.stderr).toContain("HTTP 200");
      const [got] = s.seen;
      if (!got) throw new Error("no request arrived");
      const h = got.req.headers;
      const auth = String(h.authorization);
      expect(auth).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=\\w+/\\d{8}/${w.fake.region}/execute-api/aws4_request, SignedHeaders=[\\w;-]+, Signature=[0-9a-f]{64}$`,
        ),
      );
      expect(got.body).toBe('{"name":"first"}');
      // The payload's hash is signed too: a verifier checks it against the body it got.
      expect(h["x-amz-content-sha256"]).toBe(createHash("sha256").update(got.body).digest("hex"));
      // Sign the same request again with the same credentials and time: the same signature.
      const creds = await w.fake.clients().apigateway.config.credentials();
      const amzDate = String(h["x-amz-date"]);
      const date = new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      );
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(";") ?? [];
      const url = new URL(`${s.url}/?x=1`);
      /** The captured request signed again, with the same headers but `without` and this body. */
      const resign = (without: string, body: string) =>
        signRequest(
          {
            method: "POST",
            protocol: "http:",
            hostname: url.hostname,
            port: Number(url.port),
            path: "/",
            query: { x: "1" },
            headers: Object.fromEntries(
              signedHeaders
                .filter((k) => k !== without)
                .map((k) => [k, k === "host" ? url.host : String(h[k])]),
            ),
            body,
          },
          { region: w.fake.region, credentials: creds, signingDate: date },
        );
      const again = await resign("authorization", got.body);
      expect(again.authorization).toBe(auth);
      // A tampered body no longer matches (its hash is recomputed, not taken from the header).
      const tampered = await resign("x-amz-content-sha256", '{"name":"second"}');
      expect(tampered.authorization).not.toBe(auth);
    } finally {
      await s.close();
    }
  });

  it("works against dev: POST then GET by id, exit 0; a 404 exits 1 with the status on stderr", async () => {
    const w = quickWorld();
    const dev = await startDevServer({ port: 0 });
    try {
      const post = await w.run(
        ["request", "POST", "/", "--data", '{"data":{"name":"first"}}', "--url", dev.url, "--json"],
        IO,
      );
      expect(post.code, post.stderr).toBe(0);
      expect(post.json.status).toBe(201);
      const id = (post.json.body as { id: string }).id;
      const get = await w.run(["request", "GET", `/${id}`, "--url", dev.url], IO);
      expect(get.code).toBe(0);
      expect(JSON.parse(get.stdout)).toMatchObject({ id, data: { name: "first" } });
      const missing = await w.run(["request", "GET", "/no-such-id", "--url", dev.url], IO);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("HTTP 404");
    } finally {
      await dev.close();
    }
  });

  it("api-key: sends the stack's key as x-api-key and no signature", async () => {
    const w = quickWorld();
    await writeConfig(w, { auth: "api-key" });
    await up(w);
    const [key] = [...w.fake.apigateway.apiKeys.values()];
    const s = await captureServer();
    try {
      const r = await w.run(["request", "GET", "/", "--url", s.url, "--auth", "api-key"], IO);
      expect(r.code, r.stderr).toBe(0);
      const h = s.seen[0]?.req.headers ?? {};
      expect(h["x-api-key"]).toBe(key?.value);
      expect(h.authorization).toBeUndefined();
      // The key is sent, never printed.
      expect(r.stdout + r.stderr).not.toContain(key?.value ?? "?");
    } finally {
      await s.close();
    }
  });

  it("bad input is one clear error, exit 1, no stack trace, and nothing is sent", async () => {
    const w = quickWorld();
    for (const [argv, message] of [
      [["request", "FETCH", "/"], 'Unknown HTTP method "FETCH"'],
      [["request", "GET", "items"], 'does not start with "/"'],
      [["request", "POST", "/", "--data", "{name:1}"], "--data is not valid JSON"],
      [["request", "GET", "/"], "has no endpoint to call"],
    ] as const) {
      const r = await w.run([...argv], IO);
      expect(r.code, argv.join(" ")).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(w.fake.callLog({ mutating: true })).toEqual([]);
  });
});

describe("under iam, who may invoke (IAM policy simulator)", () => {
  /**
   * With AWS_IAM on a method, API Gateway evaluates the caller's identity policies for
   * execute-api:Invoke on the method's ARN; the API has no resource policy, so nothing else
   * grants it. The README's caller policy, and a caller with none (what an unsigned request
   * amounts to: no identity at all, so no policy can allow it).
   */
  const README_POLICY = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: "execute-api:Invoke",
        Resource: `arn:aws:execute-api:${E.REGION}:${E.ACCOUNT}:API_ID/prod/*`,
      },
    ],
  };
  async function decide(policies: object[], resource: string): Promise<string> {
    const { runSimulation } = await import("@cloud-copilot/iam-simulate");
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${E.ACCOUNT}:user/caller`,
          action: "execute-api:Invoke",
          resource: { resource, accountId: E.ACCOUNT },
          contextVariables: {},
        },
        identityPolicies: policies.map((policy, k) => ({ name: `p${k}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  it("a caller with no policy (an unsigned request) cannot invoke; the README's policy can, on this API only", async () => {
    const w = quickWorld();
    await up(w);
    expect(methods(w)).toEqual(expectedMethods("iam"));
    const [api] = [...w.fake.apigateway.apis.values()];
    const policy = JSON.parse(JSON.stringify(README_POLICY).replace("API_ID", api?.id ?? ""));
    const method = (id: string, verb: string, p: string) =>
      `arn:aws:execute-api:${E.REGION}:${E.ACCOUNT}:${id}/prod/${verb}${p}`;
    // (The simulator's execute-api ARN pattern needs a path below the root: /{id} routes.)
    expect(await decide([], method(api?.id ?? "", "GET", "/some-id"))).not.toBe("Allowed");
    expect(await decide([], method(api?.id ?? "", "DELETE", "/some-id"))).not.toBe("Allowed");
    expect(await decide([policy], method(api?.id ?? "", "PUT", "/some-id"))).toBe("Allowed");
    expect(await decide([policy], method(api?.id ?? "", "DELETE", "/some-id"))).toBe("Allowed");
    expect(await decide([policy], method("otherapi01", "GET", "/some-id"))).not.toBe("Allowed");
  });
});
