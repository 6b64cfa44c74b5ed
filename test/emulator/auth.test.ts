import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  GetApiKeysCommand,
  GetAuthorizersCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
} from "@aws-sdk/client-api-gateway";
import { describe, expect, it } from "vitest";
import { expectStack, inventory, isEmpty, restApiId } from "./aws.js";
import { CREDENTIALS, runMain } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * The auth modes against moto, which implements API keys, usage plans and method
 * authorization: each mode deploys exactly its methods, key and plan, read back through the
 * SDK; switching converges in one run and the next run changes nothing.
 */

Object.assign(process.env, CREDENTIALS);

const em = useEmulator();

const mutating = () => em.proxy.mutating().map((c) => c.operation);

const POOL = `arn:aws:cognito-idp:${E.REGION}:${E.ACCOUNT}:userpool/${E.REGION}_AbCdEf123`;

async function upWith(auth: E.Auth) {
  writeFileSync(
    path.join(em.cwd, "serverless-automation.config.json"),
    JSON.stringify(auth === "cognito" ? { auth, cognitoUserPoolArn: POOL } : { auth }),
  );
  em.proxy.arm(undefined);
  const r = await runMain(["up"], em.cwd, em.env);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("auth modes against moto", () => {
  it("api-key: the methods require the key; one enabled key, one usage plan on the stage with the key", async () => {
    await upWith("api-key");
    await expectStack(em.aws, "production", { auth: "api-key" });
    const n = E.names("production");
    const apiId = await restApiId(em.aws, "production");
    const keys = (await em.aws.apigateway.send(new GetApiKeysCommand({}))).items ?? [];
    expect(keys.map((k) => [k.name, k.enabled, k.tags])).toEqual([
      [n.apiKey, true, E.tags("production")],
    ]);
    const plans = (await em.aws.apigateway.send(new GetUsagePlansCommand({}))).items ?? [];
    expect(
      plans.map((u) => ({
        name: u.name,
        apiStages: u.apiStages?.map((s) => `${s.apiId}:${s.stage}`),
        throttle: u.throttle,
        quota: { limit: u.quota?.limit, period: u.quota?.period },
      })),
    ).toEqual([
      {
        name: n.usagePlan,
        apiStages: [`${apiId}:prod`],
        throttle: { rateLimit: E.USAGE_PLAN.rateLimit, burstLimit: E.USAGE_PLAN.burstLimit },
        quota: E.USAGE_PLAN.quota,
      },
    ]);
    const planKeys = await em.aws.apigateway.send(
      new GetUsagePlanKeysCommand({ usagePlanId: plans[0]?.id }),
    );
    expect(planKeys.items?.map((k) => k.id)).toEqual([keys[0]?.id]);
    await upWith("api-key");
    expect(mutating()).toEqual([]);
  });

  it("api-key → iam: signed callers only, key and plan gone; the next up changes nothing", async () => {
    await upWith("iam");
    await expectStack(em.aws, "production", { auth: "iam" });
    await upWith("iam");
    expect(mutating()).toEqual([]);
  });

  it("iam → cognito → none → iam, then down leaves nothing", async () => {
    await upWith("cognito");
    await expectStack(em.aws, "production", { auth: "cognito" });
    const apiId = await restApiId(em.aws, "production");
    const authorizers = await em.aws.apigateway.send(
      new GetAuthorizersCommand({ restApiId: apiId }),
    );
    expect(authorizers.items?.map((a) => [a.type, a.providerARNs, a.identitySource])).toEqual([
      ["COGNITO_USER_POOLS", [POOL], "method.request.header.Authorization"],
    ]);
    await upWith("cognito");
    expect(mutating()).toEqual([]);
    await upWith("none");
    await expectStack(em.aws, "production", { auth: "none" });
    const after = await em.aws.apigateway.send(new GetAuthorizersCommand({ restApiId: apiId }));
    expect(after.items ?? []).toEqual([]);
    await upWith("iam");
    await expectStack(em.aws, "production", { auth: "iam" });
    await upWith("api-key");
    em.proxy.arm(undefined);
    const d = await runMain(["down", "--yes"], em.cwd, em.env);
    expect(d.code, d.stderr).toBe(0);
    expect(isEmpty(await inventory(em.aws))).toBe(true);
  });
});
