/**
 * Secrets by reference and extra permissions, against the fake account: what `up` looks up
 * (read-only, never a value), the grants in the role's one inline policy (simulated with the
 * IAM policy simulator), the references in the function's environment, the stop before any
 * change when a secret is missing, and a grant's drift repaired with one PutRolePolicy.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
// AGPL-licensed: a devDependency used only in tests, never shipped.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { beforeAll, describe, expect, it } from "vitest";
import type { World } from "./helpers.js";
import { ACCOUNT, quickWorld, SETTLE_MS, STACK, tinyHandler } from "./reliability/support.js";
import { setTimeout as sleep } from "node:timers/promises";

const IO = { handlerEntry: tinyHandler() };
const ROLE = `${STACK}-function-us-east-1`;
const POLICY = `${STACK}-function-policy`;
const FN = `${STACK}-api`;
const PARAM_ARN = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/my-app/db-password`;
const INBOX = "arn:aws:s3:::my-inbox/*";

const SECRETS = {
  DB_PASSWORD: "ssm:/my-app/db-password",
  STRIPE_KEY: "secretsmanager:my-app/stripe",
};
const PERMISSIONS = [{ actions: ["s3:GetObject"], resources: [INBOX] }];
const VALUES = { db: "hunter2-db-password", stripe: "sk_live_51HxYzSecretValue" };

async function configure(w: World, file: Record<string, unknown>): Promise<void> {
  await fs.writeFile(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(file));
}

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

function rolePolicy(w: World): { Statement: Statement[] } {
  const doc = w.fake.iam.roles.get(ROLE)?.inlinePolicies.get(POLICY);
  if (doc === undefined) throw new Error("the role has no policy");
  return JSON.parse(doc) as { Statement: Statement[] };
}

function fnVars(w: World): Record<string, string> {
  const config = w.fake.lambda.functions.get(FN)?.config as {
    Environment?: { Variables?: Record<string, string> };
  };
  return config.Environment?.Variables ?? {};
}

/** A world holding one SecureString under a customer key and one secret under the default key. */
async function seeded(): Promise<{ w: World; keyArn: string; secretArn: string }> {
  const w = quickWorld();
  const key = await w.fake.clients().kms.send(new CreateKeyCommand({ Description: "app secrets" }));
  const keyArn = key.KeyMetadata!.Arn!;
  w.fake.ssm.putParameter("/my-app/db-password", VALUES.db, "SecureString", keyArn);
  w.fake.ssm.putParameter("/my-app/other", "someone else's", "SecureString");
  const secret = w.fake.secretsmanager.create("my-app/stripe", VALUES.stripe, undefined, {
    region: "us-east-1",
  });
  w.fake.secretsmanager.create("my-app/other", "not ours", undefined, { region: "us-east-1" });
  await configure(w, { secrets: SECRETS, permissions: PERMISSIONS });
  return { w, keyArn, secretArn: secret.arn };
}

describe("up with one parameter, one secret and one extra statement", () => {
  let w: World;
  let keyArn: string;
  let secretArn: string;
  let baseline: string[];
  let first: string[];

  beforeAll(async () => {
    // The same stack without secrets: what up makes regardless of them.
    const plain = quickWorld();
    expect((await plain.run(["up"], IO)).code).toBe(0);
    baseline = plain.fake.operations({ mutating: true }).sort();

    ({ w, keyArn, secretArn } = await seeded());
    w.fake.resetCalls();
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    first = w.fake.operations({ mutating: true });
  });

  it("looks each up read-only, once, and never reads a value", () => {
    const lookups = w.fake
      .operations({ mutating: false })
      .filter((o) => /^(SSM|SecretsManager|KMS)\./.test(o));
    expect(lookups.sort()).toEqual([
      "KMS.DescribeKey",
      "SSM.DescribeParameters",
      "SecretsManager.DescribeSecret",
    ]);
    const ssm = w.fake.callLog({ service: "SSM" })[0]!;
    expect(ssm.input.ParameterFilters).toEqual([
      { Key: "Name", Option: "Equals", Values: ["/my-app/db-password"] },
    ]);
    expect(w.fake.callLog({ service: "SecretsManager" })[0]!.input.SecretId).toBe("my-app/stripe");
    expect(
      w.fake.operations().filter((o) => /GetParameter|GetSecretValue|Decrypt/.test(o)),
    ).toEqual([]);
  });

  it("makes the same calls as the stack without secrets: they change documents, not resources", () => {
    expect([...first].sort()).toEqual(baseline);
    expect(first.filter((o) => o === "IAM.PutRolePolicy")).toHaveLength(1);
  });

  it("grants exactly those ARNs in the role's one inline policy", () => {
    const byId = Object.fromEntries(rolePolicy(w).Statement.map((s) => [s.Sid, s]));
    expect(byId.ReadParameters).toMatchObject({ Action: "ssm:GetParameter", Resource: PARAM_ARN });
    expect(byId.ReadSecrets).toMatchObject({
      Action: "secretsmanager:GetSecretValue",
      Resource: secretArn,
    });
    expect(secretArn).toMatch(/:secret:my-app\/stripe-[A-Za-z0-9]{6}$/);
    expect(byId.DecryptParameters).toEqual({
      Sid: "DecryptParameters",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: keyArn,
      Condition: { StringEquals: { "kms:ViaService": "ssm.us-east-1.amazonaws.com" } },
    });
    // The secret is under the AWS-managed key: nothing to grant on it.
    expect(byId.DecryptSecrets).toBeUndefined();
    expect(byId.Extra1).toMatchObject({ Action: ["s3:GetObject"], Resource: INBOX });
    expect([...w.fake.iam.roles.get(ROLE)!.inlinePolicies.keys()]).toEqual([POLICY]);
  });

  it("puts where each secret is in the environment, never its value", () => {
    const vars = fnVars(w);
    expect(vars).toMatchObject({
      DB_PASSWORD_PARAM: "/my-app/db-password",
      STRIPE_KEY_SECRET_ARN: secretArn,
    });
    expect(vars).not.toHaveProperty("DB_PASSWORD");
    expect(vars).not.toHaveProperty("STRIPE_KEY");
    const all = JSON.stringify(vars);
    expect(all).not.toContain(VALUES.db);
    expect(all).not.toContain(VALUES.stripe);
  });

  describe("the IAM policy simulator on the role's policy", () => {
    async function decide(
      action: string,
      resource: string,
      context: Record<string, string> = {},
    ): Promise<string> {
      const result = await runSimulation(
        {
          request: {
            principal: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`,
            action,
            resource: { resource, accountId: ACCOUNT },
            contextVariables: context,
          },
          identityPolicies: [{ name: POLICY, policy: rolePolicy(w) }],
          // KMS needs the key's policy too: the key's own, which lets the account's IAM policies grant it.
          ...(action.startsWith("kms:")
            ? { resourcePolicy: JSON.parse(keyPolicy()) as unknown }
            : {}),
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
      return result.overallResult;
    }
    const keyPolicy = () => [...w.fake.kms.keys.values()].find((k) => k.arn === keyArn)!.policy;
    const VIA_SSM = { "kms:ViaService": "ssm.us-east-1.amazonaws.com" };

    it("allows the reads on the granted ARNs", async () => {
      expect(await decide("ssm:GetParameter", PARAM_ARN)).toBe("Allowed");
      expect(await decide("secretsmanager:GetSecretValue", secretArn)).toBe("Allowed");
      expect(await decide("kms:Decrypt", keyArn, VIA_SSM)).toBe("Allowed");
      expect(await decide("s3:GetObject", "arn:aws:s3:::my-inbox/mail/1.eml")).toBe("Allowed");
    });

    it("denies the sibling parameter, another secret, and the key used directly", async () => {
      const other = [...w.fake.secretsmanager.secrets.values()].find(
        (s) => s.name === "my-app/other",
      )!;
      expect(
        await decide("ssm:GetParameter", `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/my-app/other`),
      ).not.toBe("Allowed");
      expect(await decide("ssm:GetParameters", PARAM_ARN)).not.toBe("Allowed");
      expect(
        await decide(
          "ssm:GetParametersByPath",
          `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/my-app`,
        ),
      ).not.toBe("Allowed");
      expect(await decide("secretsmanager:GetSecretValue", other.arn)).not.toBe("Allowed");
      expect(await decide("kms:Decrypt", keyArn)).not.toBe("Allowed");
      expect(
        await decide("kms:Decrypt", keyArn, { "kms:ViaService": "s3.us-east-1.amazonaws.com" }),
      ).not.toBe("Allowed");
      expect(await decide("s3:PutObject", "arn:aws:s3:::my-inbox/x")).not.toBe("Allowed");
    });
  });

  it("a re-run makes no mutating call", async () => {
    await sleep(SETTLE_MS);
    w.fake.resetCalls();
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("a grant removed by hand: status reports the role's policy, up puts it back with one PutRolePolicy", async () => {
    const doc = rolePolicy(w);
    doc.Statement = doc.Statement.filter((s) => s.Sid !== "ReadSecrets");
    await w.fake.clients().iam.send(
      new PutRolePolicyCommand({
        RoleName: ROLE,
        PolicyName: POLICY,
        PolicyDocument: JSON.stringify(doc),
      }),
    );
    await sleep(SETTLE_MS);
    w.fake.resetCalls();
    const s = await w.run(["status", "--json"], IO);
    expect(s.code, s.stderr).toBe(2);
    const rows = s.json.resources as { key: string; state: string; fields: string[] }[];
    expect(rows.filter((r) => r.state !== "in sync")).toEqual([
      expect.objectContaining({ key: "role", state: "drifted", fields: ["policy"] }),
    ]);
    expect(w.fake.operations({ mutating: true })).toEqual([]);

    w.fake.resetCalls();
    const up = await w.run(["up"], IO);
    expect(up.code, up.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual(["IAM.PutRolePolicy"]);
    expect(rolePolicy(w).Statement.map((x) => x.Sid)).toContain("ReadSecrets");

    await sleep(SETTLE_MS);
    w.fake.resetCalls();
    expect((await w.run(["up"], IO)).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("a secret taken out of the config: its grant and its variable go with the next up", async () => {
    await configure(w, { secrets: { DB_PASSWORD: SECRETS.DB_PASSWORD } });
    w.fake.resetCalls();
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    const sids = rolePolicy(w).Statement.map((x) => x.Sid);
    expect(sids).not.toContain("ReadSecrets");
    expect(sids).not.toContain("Extra1");
    expect(fnVars(w)).not.toHaveProperty("STRIPE_KEY_SECRET_ARN");
    expect(w.fake.operations().filter((o) => o.startsWith("SecretsManager."))).toEqual([]);
  });
});

describe("a secret that is missing or cannot be described stops up before any change", () => {
  it("a missing parameter: exit 1, nothing made, the create command shown", async () => {
    const w = quickWorld();
    await configure(w, { secrets: { DB_PASSWORD: "ssm:/my-app/db-password" } });
    for (const argv of [["up"], ["up", "--dry-run"], ["status"]]) {
      w.fake.resetCalls();
      const r = await w.run(argv, IO);
      expect(r.code, argv.join(" ")).toBe(1);
      expect(r.stderr).toContain(
        "secrets.DB_PASSWORD (ssm:/my-app/db-password) does not exist; nothing was changed.",
      );
      expect(r.stderr).toContain(
        "aws ssm put-parameter --region us-east-1 --type SecureString --name /my-app/db-password --value '<the value>'",
      );
      expect(w.fake.operations({ mutating: true })).toEqual([]);
    }
    expect(await w.readState()).toBeUndefined();
  });

  it("a missing secret and a missing parameter are named together, each with its command", async () => {
    const w = quickWorld();
    w.fake.ssm.putParameter("/my-app/db-password", "x");
    await configure(w, {
      secrets: {
        A: "ssm:/my-app/db-password",
        B: "ssm:/my-app/gone",
        STRIPE_KEY: "secretsmanager:my-app/stripe",
      },
    });
    const r = await w.run(["up"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("2 secrets cannot be used; nothing was changed:");
    expect(r.stderr).toContain("secrets.B (ssm:/my-app/gone) does not exist");
    expect(r.stderr).toContain("secrets.STRIPE_KEY (secretsmanager:my-app/stripe) does not exist");
    expect(r.stderr).toContain(
      "aws secretsmanager create-secret --region us-east-1 --name my-app/stripe",
    );
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("one the caller may not describe: exit 1, nothing made, the permissions named", async () => {
    const w = quickWorld();
    w.fake.secretsmanager.create("my-app/stripe", "v", undefined, { region: "us-east-1" });
    await configure(w, { secrets: { STRIPE_KEY: "secretsmanager:my-app/stripe" } });
    const { awsError } = await import("./fake-aws/index.js");
    w.fake.inject({
      service: "SecretsManager",
      operation: "DescribeSecret",
      times: Infinity,
      error: () => awsError("SecretsManager", "AccessDeniedException", "not authorized"),
    });
    const r = await w.run(["up"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "secrets.STRIPE_KEY (secretsmanager:my-app/stripe) cannot be described: access denied",
    );
    expect(r.stderr).toContain("secretsmanager:DescribeSecret");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });
});

describe("a role policy over IAM's size limit", () => {
  it("is refused before any change, not when IAM refuses it midway", async () => {
    const w = quickWorld();
    const many = Array.from({ length: 120 }, (_, i) => ({
      actions: ["s3:GetObject"],
      resources: [`arn:aws:s3:::bucket-number-${i}/some/prefix/*`],
    }));
    await configure(w, { permissions: many });
    const r = await w.run(["up"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /The function's role policy would be \d+ characters; IAM allows 10240\. Nothing was changed\./,
    );
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });
});

describe("refused before any AWS call", () => {
  it.each([
    ["a secret in environment", { environment: { DB_PASS: "hunter2" } }, "environment.DB_PASS is refused: it looks like a secret"],
    ["an access key id as a value", { environment: { REGION_HINT: "AKIAIOSFODNN7EXAMPLE" } }, "environment.REGION_HINT is refused"],
    ["a broad action", { permissions: [{ actions: ["s3:*"], resources: [INBOX] }] }, 'permissions[0].actions[0] is refused: "s3:*"'],
    ["a bad reference", { secrets: { DB_PASSWORD: "vault:/x" } }, 'secrets.DB_PASSWORD must be "ssm:/parameter/name"'],
    ["a colliding secret", { environment: { DB_PASSWORD_PARAM: "/x" }, secrets: { DB_PASSWORD: "ssm:/x" } }, "secrets.DB_PASSWORD collides (the variable DB_PASSWORD_PARAM"],
  ])("%s", async (_what, file, message) => {
    const w = quickWorld();
    await configure(w, file);
    const r = await w.run(["up"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain("hunter2");
    expect(r.stderr).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(w.fake.calls).toEqual([]);
  }); // prettier-ignore
});

describe("the look-up, on its own", () => {
  const where = { partition: "aws", region: "us-east-1", account: ACCOUNT };

  it("a customer key by alias is granted by its key ARN, through the service that holds the secret", async () => {
    const { FakeAccount } = await import("./fake-aws/index.js");
    const { lookUpSecrets } = await import("../src/secrets.js");
    const { functionRolePolicy } = await import("../src/resources/policies.js");
    const { CreateAliasCommand } = await import("@aws-sdk/client-kms");
    const fake = new FakeAccount();
    const c = fake.clients();
    const key = (await c.kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await c.kms.send(new CreateAliasCommand({ AliasName: "alias/app", TargetKeyId: key.KeyId! }));
    const a = fake.secretsmanager.create("app/a", "x", "alias/app", where);
    const b = fake.secretsmanager.create("app/b", "y", key.Arn!, where);
    fake.ssm.putParameter("/app/plain", "not a secret", "String");
    fake.ssm.putParameter("/app/default", "z");
    const found = await lookUpSecrets(
      c,
      {
        A: "secretsmanager:app/a",
        B: `secretsmanager:${b.arn}`,
        P: "ssm:/app/plain",
        D: "ssm:/app/default",
      },
      where,
    );
    expect(found.map((f) => [f.variable, f.value, f.kmsKeyArn])).toEqual([
      ["A_SECRET_ARN", a.arn, key.Arn],
      ["B_SECRET_ARN", b.arn, key.Arn],
      ["P_PARAM", "/app/plain", undefined],
      ["D_PARAM", "/app/default", undefined],
    ]);
    // One DescribeKey a key reference; the parameters' default key (alias/aws/ssm) needs none.
    expect(fake.operations().filter((o) => o === "KMS.DescribeKey")).toHaveLength(2);
    const doc = functionRolePolicy({
      partition: "aws",
      region: "us-east-1",
      account: ACCOUNT,
      functionLogGroup: "/aws/lambda/f",
      tableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/t",
      secrets: found,
    });
    const byId = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    expect(byId.ReadSecrets?.Resource).toEqual([a.arn, b.arn].sort());
    expect(byId.DecryptSecrets).toMatchObject({
      Resource: key.Arn,
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
    });
    expect(byId.ReadParameters?.Resource).toEqual([
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/default`,
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/plain`,
    ]);
    expect(byId.DecryptParameters).toBeUndefined();
  });

  it("a plain String parameter works, and up says it is stored unencrypted", async () => {
    const w = quickWorld();
    w.fake.ssm.putParameter("/app/plain", "not so secret", "String");
    await configure(w, { secrets: { PLAIN: "ssm:/app/plain" } });
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).toContain(
      "secrets.PLAIN: the parameter /app/plain is a plain String, stored unencrypted; make it a SecureString",
    );
  });

  it("a secret ARN in another region is refused: the function's client would not find it", async () => {
    const { FakeAccount } = await import("./fake-aws/index.js");
    const { lookUpSecrets } = await import("../src/secrets.js");
    const fake = new FakeAccount();
    await expect(
      lookUpSecrets(
        fake.clients(),
        { S: `secretsmanager:arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:x-AbCdEf` },
        where,
      ),
    ).rejects.toThrow(
      "secrets.S (secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf) is in eu-west-1, the stack in us-east-1; nothing was changed.",
    );
    expect(fake.calls).toEqual([]);
  });
});
