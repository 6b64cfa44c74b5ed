import { writeFileSync } from "node:fs";
import path from "node:path";
// AGPL-licensed: a devDependency used only in tests, never shipped.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { GetRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateKeyCommand, GetKeyPolicyCommand } from "@aws-sdk/client-kms";
import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { beforeAll, describe, expect, it } from "vitest";
import { CREDENTIALS, runMain } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * Secrets by reference over the real wire, against moto (which implements SSM Parameter Store,
 * Secrets Manager and KMS): up with one parameter under a customer key and one secret, the
 * role's policy as moto holds it (judged by the IAM policy simulator: moto has no
 * SimulatePrincipalPolicy), the function's environment, and a missing parameter stopping up
 * before any change.
 */

Object.assign(process.env, CREDENTIALS);

const em = useEmulator({ proxy: true });
const n = E.names("production");
const ROLE_POLICY = `${n.stack}-function-policy`;
const ACCOUNT = E.ACCOUNT;
const REGION = E.REGION;
const PARAM_ARN = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/my-app/db-password`;
const VALUES = { db: "hunter2-db-password", stripe: "sk_live_51HxYzSecretValue" };

function configure(file: Record<string, unknown>): void {
  writeFileSync(path.join(em.cwd, "serverless-automation.config.json"), JSON.stringify(file));
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("secrets by reference against moto", () => {
  let keyArn: string;
  let secretArn: string;
  let otherSecretArn: string;

  beforeAll(async () => {
    if (MOTO_SKIP_REASON !== undefined) return;
    const key = await em.aws.kms.send(new CreateKeyCommand({ Description: "app secrets" }));
    keyArn = key.KeyMetadata!.Arn!;
    await em.aws.ssm.send(
      new PutParameterCommand({
        Name: "/my-app/db-password",
        Value: VALUES.db,
        Type: "SecureString",
        KeyId: keyArn,
      }),
    );
    await em.aws.ssm.send(
      new PutParameterCommand({ Name: "/my-app/other", Value: "x", Type: "SecureString" }),
    );
    secretArn = (
      await em.aws.secretsmanager.send(
        new CreateSecretCommand({ Name: "my-app/stripe", SecretString: VALUES.stripe }),
      )
    ).ARN!;
    otherSecretArn = (
      await em.aws.secretsmanager.send(
        new CreateSecretCommand({ Name: "my-app/other", SecretString: "y" }),
      )
    ).ARN!;
  });

  it("a missing parameter stops up before any change, with the command that creates it", async () => {
    configure({ secrets: { DB_PASSWORD: "ssm:/my-app/missing" } });
    em.proxy.arm(undefined);
    const r = await runMain(["up"], em.cwd, em.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("secrets.DB_PASSWORD (ssm:/my-app/missing) does not exist");
    expect(r.stderr).toContain("aws ssm put-parameter --region us-east-1 --type SecureString");
    expect(em.proxy.mutating()).toEqual([]);
    expect(em.proxy.calls.map((c) => c.operation)).toContain("DescribeParameters");
  });

  it("up grants exactly the two ARNs and puts where they are in the environment", async () => {
    configure({
      secrets: {
        DB_PASSWORD: "ssm:/my-app/db-password",
        STRIPE_KEY: "secretsmanager:my-app/stripe",
      },
    });
    em.proxy.arm(undefined);
    const r = await runMain(["up"], em.cwd, em.env);
    expect(r.code, r.stderr).toBe(0);
    // Looked up, never read; nothing made in SSM, Secrets Manager or KMS.
    const ops = em.proxy.calls.map((c) => `${c.service} ${c.operation}`);
    expect(ops).toEqual(
      expect.arrayContaining([
        "ssm DescribeParameters",
        "secretsmanager DescribeSecret",
        "kms DescribeKey",
      ]),
    );
    expect(ops.filter((o) => /GetParameter\b|GetSecretValue|Decrypt/.test(o))).toEqual([]);
    expect(
      em.proxy.mutating().filter((c) => ["ssm", "secretsmanager", "kms"].includes(c.service)),
    ).toEqual([]);

    const cfg = await em.aws.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: n.functionName }),
    );
    const vars = cfg.Environment?.Variables ?? {};
    expect(vars).toMatchObject({
      DB_PASSWORD_PARAM: "/my-app/db-password",
      STRIPE_KEY_SECRET_ARN: secretArn,
    });
    expect(JSON.stringify(vars)).not.toContain(VALUES.db);
    expect(JSON.stringify(vars)).not.toContain(VALUES.stripe);

    const got = await em.aws.iam.send(
      new GetRolePolicyCommand({ RoleName: n.role, PolicyName: ROLE_POLICY }),
    );
    const policy = JSON.parse(decodeURIComponent(got.PolicyDocument ?? "{}")) as {
      Statement: { Sid?: string }[];
    };
    const sids = policy.Statement.map((s) => s.Sid);
    expect(sids).toEqual(
      expect.arrayContaining(["ReadParameters", "DecryptParameters", "ReadSecrets"]),
    );
    const keyPolicy = JSON.parse(
      (await em.aws.kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: "default" })))
        .Policy ?? "{}",
    ) as unknown;

    const decide = async (
      action: string,
      resource: string,
      context: Record<string, string> = {},
    ) => {
      const result = await runSimulation(
        {
          request: {
            principal: `arn:aws:iam::${ACCOUNT}:role/${n.role}`,
            action,
            resource: { resource, accountId: ACCOUNT },
            contextVariables: context,
          },
          identityPolicies: [{ name: ROLE_POLICY, policy }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          ...(action.startsWith("kms:") ? { resourcePolicy: keyPolicy } : {}),
        },
        {},
      );
      if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
      return result.overallResult;
    };
    const viaSsm = { "kms:ViaService": `ssm.${REGION}.amazonaws.com` };
    expect(await decide("ssm:GetParameter", PARAM_ARN)).toBe("Allowed");
    expect(await decide("secretsmanager:GetSecretValue", secretArn)).toBe("Allowed");
    expect(await decide("kms:Decrypt", keyArn, viaSsm)).toBe("Allowed");
    expect(
      await decide("ssm:GetParameter", `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/my-app/other`),
    ).not.toBe("Allowed");
    expect(await decide("secretsmanager:GetSecretValue", otherSecretArn)).not.toBe("Allowed");
    expect(await decide("kms:Decrypt", keyArn)).not.toBe("Allowed");

    // Again: nothing to change.
    em.proxy.arm(undefined);
    const again = await runMain(["up"], em.cwd, em.env);
    expect(again.code, again.stderr).toBe(0);
    expect(em.proxy.mutating()).toEqual([]);
  });
});
