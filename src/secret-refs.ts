import { describeValue, objectOf } from "./value-types.js";

/**
 * Secrets by reference. The config names where each secret is (`ssm:/my-app/db-password`,
 * `secretsmanager:my-app/stripe`); `up` looks each one up (read-only, never its value), grants
 * the function's role the one read it needs on exactly that ARN, and puts where it is in the
 * function's environment: `<NAME>_PARAM` holds the parameter's name, `<NAME>_SECRET_ARN` the
 * secret's full ARN. The handler reads the value at run time (the scaffold's src/secrets.ts).
 *
 * This module is what the settings check needs, and loads no AWS SDK code (`--help` reads the
 * settings); the look-up is in secrets.ts.
 */

export type SecretRef =
  | { readonly service: "ssm"; readonly name: string }
  | { readonly service: "secretsmanager"; readonly id: string };

/** The variable that carries where a secret is, by the service that holds it. */
export const REFERENCE_VARIABLE_SUFFIX = { ssm: "_PARAM", secretsmanager: "_SECRET_ARN" } as const;

export function referenceVariable(name: string, ref: SecretRef | string): string {
  const service =
    typeof ref === "string" ? (ref.startsWith("ssm:") ? "ssm" : "secretsmanager") : ref.service;
  return `${name}${REFERENCE_VARIABLE_SUFFIX[service]}`;
}

const SSM_NAME_RE = /^[A-Za-z0-9_.\-/]+$/;
const SM_NAME_RE = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
export const SM_ARN_RE =
  /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]+)$/;

/** The reference parsed, or what is wrong with it (SSM's and Secrets Manager's naming rules). */
export function parseReference(raw: string): SecretRef | { readonly problem: string } {
  if (raw.startsWith("ssm:")) {
    const name = raw.slice("ssm:".length);
    const first = name.replace(/^\//, "").split("/")[0] ?? "";
    if (!SSM_NAME_RE.test(name) || name.endsWith("/") || name.includes("//")) {
      return { problem: "names no valid parameter (letters, digits, _ . - and / between levels)" };
    }
    if (name.includes("/") && !name.startsWith("/")) {
      return { problem: "is a parameter path that does not start with / (SSM requires it)" };
    }
    if (name.length > 1011) return { problem: "is longer than SSM's 1011 characters" };
    if (name.split("/").length - 1 > 15) return { problem: "has more than SSM's 15 levels" };
    if (/^(aws|ssm)/i.test(first)) {
      return { problem: 'names a parameter starting with "aws" or "ssm", which SSM reserves' };
    }
    return { service: "ssm", name };
  }
  if (raw.startsWith("secretsmanager:")) {
    const id = raw.slice("secretsmanager:".length);
    if (id.startsWith("arn:")) {
      return SM_ARN_RE.test(id)
        ? { service: "secretsmanager", id }
        : {
            problem:
              "is not a Secrets Manager ARN (arn:aws:secretsmanager:region:account:secret:name)",
          };
    }
    if (!SM_NAME_RE.test(id)) {
      return { problem: "names no valid secret (1-512 of letters, digits and /_+=.@-)" };
    }
    return { service: "secretsmanager", id };
  }
  return { problem: 'must be "ssm:/parameter/name" or "secretsmanager:<name or ARN>"' };
}

/** The `secrets` setting: variable name → where the secret is. */
export const secretsType = objectOf<Record<string, string>>(
  'an object such as {"DB_PASSWORD": "ssm:/my-app/db-password", "STRIPE_KEY": "secretsmanager:my-app/stripe"}',
  '`"NAME": "ssm:/parameter/name"` or `"NAME": "secretsmanager:<name or ARN>"`',
  (name, value, at, problems) => {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      problems.add(at, "is not a valid variable name (a letter, then letters, digits and _)");
    }
    if (typeof value !== "string") {
      problems.add(
        at,
        `must be a string such as "ssm:/my-app/db-password", got ${describeValue(value)}`,
      );
      return;
    }
    const ref = parseReference(value);
    if ("problem" in ref) problems.add(at, ref.problem);
  },
);
