import { promises as fs } from "node:fs";
import path from "node:path";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { errorName } from "../aws/errors.js";
import { UserError } from "../errors.js";
import { parseReference } from "../secret-refs.js";

/**
 * The values `dev` gives the handler for `secrets`: each secret's own name (DB_PASSWORD) holding
 * its value, which the scaffold's getSecret returns as it is. From dev's environment, else the
 * .env file, else (only with --remote-secrets) AWS with the caller's credentials.
 */

/** Where a value came from; "unresolved" when nothing had it. */
export type DevSecretSource = "environment" | "env file" | "AWS" | "unresolved";

export interface DevSecrets {
  /** Name → value, for the resolved ones. */
  readonly values: Record<string, string>;
  readonly sources: Record<string, DevSecretSource>;
  /** The names nothing had, in the config's order. */
  readonly unresolved: readonly string[];
  /** The .env file read, if any (absolute). */
  readonly envFile: string | undefined;
}

export interface DevSecretOptions {
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** --env-file; undefined: `.env` in cwd when there is one. */
  readonly envFile?: string | undefined;
  /** --remote-secrets: the clients to read the rest with; undefined: never AWS. */
  readonly remote?: { readonly ssm: SSMClient; readonly secretsmanager: SecretsManagerClient };
}

/**
 * KEY=VALUE lines, `export ` allowed, `#` comments, values in single or double quotes (double
 * quotes understand \n). The dotenv format as most tools read it, without interpolation.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.lastIndexOf(quote) > 0) {
      value = value.slice(1, value.lastIndexOf(quote));
      if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"');
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    out[m[1]!] = value;
  }
  return out;
}

async function readEnvFile(
  cwd: string,
  given: string | undefined,
): Promise<{ file: string; vars: Record<string, string> } | undefined> {
  const file = path.resolve(cwd, given ?? ".env");
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The default is read only when it is there; a file named on the command line must be.
    if (given === undefined && code === "ENOENT") return undefined;
    throw new UserError(
      `Cannot read the env file ${file}: ${code === "ENOENT" ? "there is no such file" : code === "EISDIR" ? "it is a directory" : (err as Error).message}.`,
      {
        hint: "Pass --env-file with a file of KEY=VALUE lines, or leave it out to use .env when there is one.",
      },
    );
  }
  return { file, vars: parseEnvFile(text) };
}

export async function resolveDevSecrets(
  secrets: Readonly<Record<string, string>>,
  o: DevSecretOptions,
): Promise<DevSecrets> {
  const names = Object.keys(secrets);
  // Nothing to resolve: no file is read (a .env may hold anything else).
  if (names.length === 0) return { values: {}, sources: {}, unresolved: [], envFile: undefined };
  const envFile = await readEnvFile(o.cwd, o.envFile);
  const values: Record<string, string> = {};
  const sources: Record<string, DevSecretSource> = {};
  for (const name of names) {
    const fromEnv = o.env[name];
    const fromFile = envFile?.vars[name];
    if (fromEnv !== undefined) {
      values[name] = fromEnv;
      sources[name] = "environment";
    } else if (fromFile !== undefined) {
      values[name] = fromFile;
      sources[name] = "env file";
    } else if (o.remote) {
      const read = await readRemote(o.remote, secrets[name]!);
      if (read !== undefined) {
        values[name] = read;
        sources[name] = "AWS";
      } else sources[name] = "unresolved";
    } else sources[name] = "unresolved";
  }
  return {
    values,
    sources,
    unresolved: names.filter((n) => sources[n] === "unresolved"),
    envFile: envFile?.file,
  };
}

/** The value from AWS, or undefined when it is not there or may not be read. */
async function readRemote(
  c: NonNullable<DevSecretOptions["remote"]>,
  raw: string,
): Promise<string | undefined> {
  const ref = parseReference(raw);
  if ("problem" in ref) return undefined;
  try {
    if (ref.service === "ssm") {
      const out = await c.ssm.send(
        new GetParameterCommand({ Name: ref.name, WithDecryption: true }),
      );
      return out.Parameter?.Value;
    }
    const out = await c.secretsmanager.send(new GetSecretValueCommand({ SecretId: ref.id }));
    return out.SecretString;
  } catch (err) {
    const name = errorName(err);
    if (
      ["ParameterNotFound", "ResourceNotFoundException", "AccessDeniedException"].includes(name)
    ) {
      return undefined;
    }
    throw err;
  }
}
