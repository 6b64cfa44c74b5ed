import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";

/**
 * Reads the secrets named under "secrets" in serverless-automation.config.json. `up` gives the
 * function where each one is, never its value: DB_PASSWORD_PARAM holds an SSM parameter's name,
 * STRIPE_KEY_SECRET_ARN a Secrets Manager secret's ARN, and the function's role may read exactly
 * those. `dev` gives the value itself, as DB_PASSWORD.
 *
 * A small read with the AWS SDK rather than Powertools Parameters: the same cache in a few
 * lines, the SDK the handler already uses, nothing more to install.
 */

/** What the reader needs of the two SDK clients (a test passes stand-ins). */
export interface SecretClients {
  ssm: { send(command: GetParameterCommand): Promise<{ Parameter?: { Value?: string } }> };
  secretsManager: { send(command: GetSecretValueCommand): Promise<{ SecretString?: string }> };
}

/**
 * Kept this long in the Lambda container: a warm function does not call SSM or Secrets Manager
 * on every request, and a rotated secret is picked up within five minutes.
 */
export const CACHE_MS = 5 * 60 * 1000;

export function createSecretReader(
  clients: () => SecretClients,
  env: Record<string, string | undefined> = process.env,
  now: () => number = Date.now,
) {
  const cache = new Map<string, { value: Promise<string>; at: number }>();
  return async function getSecret(name: string): Promise<string> {
    // Set by `dev` (from your environment or .env): the value itself.
    const local = env[name];
    if (local !== undefined) return local;
    const hit = cache.get(name);
    if (hit && now() - hit.at < CACHE_MS) return hit.value;
    const value = read(name);
    // One read for requests that arrive together; a failed one is not kept.
    cache.set(name, { value, at: now() });
    value.catch(() => cache.delete(name));
    return value;
  };

  async function read(name: string): Promise<string> {
    const parameter = env[`${name}_PARAM`];
    const secretArn = env[`${name}_SECRET_ARN`];
    if (parameter !== undefined) {
      const out = await clients().ssm.send(
        new GetParameterCommand({ Name: parameter, WithDecryption: true }),
      );
      if (out.Parameter?.Value === undefined)
        throw new Error(`The parameter ${parameter} has no value.`);
      return out.Parameter.Value;
    }
    if (secretArn !== undefined) {
      const out = await clients().secretsManager.send(
        new GetSecretValueCommand({ SecretId: secretArn }),
      );
      if (out.SecretString === undefined)
        throw new Error(`The secret ${secretArn} has no string value.`);
      return out.SecretString;
    }
    throw new Error(
      `The secret ${name} is not configured: add it under "secrets" in serverless-automation.config.json (for dev: set ${name} in the environment or .env).`,
    );
  }
}

/** The clients, made on the first read and reused across requests. */
let made: SecretClients | undefined;
const sdk = (): SecretClients =>
  (made ??= { ssm: new SSMClient({}), secretsManager: new SecretsManagerClient({}) });

/** `await getSecret("DB_PASSWORD")`: the value of the secret named DB_PASSWORD under "secrets". */
export const getSecret = createSecretReader(sdk);
