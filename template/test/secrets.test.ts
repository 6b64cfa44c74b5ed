import assert from "node:assert/strict";
import { test } from "node:test";
import { CACHE_MS, createSecretReader, type SecretClients } from "../src/secrets.ts";

/** Stand-ins for the two clients that count their calls. */
function clients(values: Record<string, string>) {
  const calls: string[] = [];
  const c: SecretClients = {
    ssm: {
      async send(command) {
        const name = command.input.Name ?? "";
        calls.push(`GetParameter ${name} ${String(command.input.WithDecryption)}`);
        return { Parameter: { Value: values[name] } };
      },
    },
    secretsManager: {
      async send(command) {
        const id = command.input.SecretId ?? "";
        calls.push(`GetSecretValue ${id}`);
        return { SecretString: values[id] };
      },
    },
  };
  return { c, calls };
}

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:my-app/stripe-AbCdEf";

test("reads where up says each secret is, decrypted, once per five minutes", async () => {
  const { c, calls } = clients({ "/my-app/db-password": "hunter2", [ARN]: "sk_live_x" });
  let now = 0;
  const env = { DB_PASSWORD_PARAM: "/my-app/db-password", STRIPE_KEY_SECRET_ARN: ARN };
  const getSecret = createSecretReader(
    () => c,
    env,
    () => now,
  );

  assert.equal(await getSecret("DB_PASSWORD"), "hunter2");
  assert.equal(await getSecret("STRIPE_KEY"), "sk_live_x");
  assert.equal(await getSecret("DB_PASSWORD"), "hunter2");
  assert.deepEqual(calls, ["GetParameter /my-app/db-password true", `GetSecretValue ${ARN}`]);

  now += CACHE_MS;
  assert.equal(await getSecret("DB_PASSWORD"), "hunter2");
  assert.equal(calls.length, 3);
});

test("takes the value itself when dev sets it, and names a secret that is not configured", async () => {
  const { c, calls } = clients({});
  const getSecret = createSecretReader(() => c, { DB_PASSWORD: "local" });
  assert.equal(await getSecret("DB_PASSWORD"), "local");
  await assert.rejects(getSecret("STRIPE_KEY"), /The secret STRIPE_KEY is not configured/);
  assert.deepEqual(calls, []);
});
