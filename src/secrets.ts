import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { DescribeSecretCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DescribeParametersCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { errorMessage, errorName } from "./aws/errors.js";
import { UserError } from "./errors.js";
import { parseReference, referenceVariable, SM_ARN_RE, type SecretRef } from "./secret-refs.js";

/** A secret as `up` found it. */
export interface ResolvedSecret {
  /** The name in `secrets`. */
  readonly name: string;
  readonly service: "ssm" | "secretsmanager";
  /** The variable that carries where it is, and what it carries. */
  readonly variable: string;
  readonly value: string;
  /** What the role's read is granted on. */
  readonly arn: string;
  /** Its customer-managed KMS key, which the role may decrypt with through the service. */
  readonly kmsKeyArn: string | undefined;
  /** An SSM parameter of type String or StringList: stored unencrypted. */
  readonly plaintext?: boolean;
}

/** Said on every up while a secret is a plain String parameter. */
export function secretWarnings(found: readonly ResolvedSecret[]): string[] {
  return found
    .filter((f) => f.plaintext)
    .map(
      (f) =>
        `secrets.${f.name}: the parameter ${f.value} is a plain String, stored unencrypted; make it a SecureString (aws ssm put-parameter --type SecureString --overwrite --name ${f.value} --value '<the value>').`,
    );
}

export interface LookupClients {
  readonly ssm: SSMClient;
  readonly secretsmanager: SecretsManagerClient;
  readonly kms: KMSClient;
}

export interface Where {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The ARN of a parameter of this account and region (names without a / get one). */
export function parameterArn(w: Where, name: string): string {
  return `arn:${w.partition}:ssm:${w.region}:${w.account}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
}

/** How to make a secret that is missing, as a command. */
export function createHint(ref: SecretRef, region: string): string {
  return ref.service === "ssm"
    ? `aws ssm put-parameter --region ${region} --type SecureString --name ${ref.name} --value '<the value>'`
    : `aws secretsmanager create-secret --region ${region} --name ${ref.id.startsWith("arn:") ? (SM_ARN_RE.exec(ref.id)?.[4] ?? ref.id).replace(/-[A-Za-z0-9]{6}$/, "") : ref.id} --secret-string '<the value>'`;
}

/** Keys AWS manages for the service (aws/ssm, aws/secretsmanager): no grant needed. */
const AWS_MANAGED_ALIAS = /(^|:)alias\/aws\//;

class Unreadable extends Error {}

/**
 * Every secret looked up, read-only: one DescribeParameters for the parameters (by name),
 * DescribeSecret for each secret, DescribeKey for a key that is not AWS-managed. Never a value.
 * One that is missing or that the caller may not describe stops the run before any change,
 * all of them named at once with how to create each.
 */
export async function lookUpSecrets(
  clients: LookupClients,
  secrets: Readonly<Record<string, string>>,
  w: Where,
): Promise<ResolvedSecret[]> {
  const refs = Object.entries(secrets).map(([name, raw]) => ({
    name,
    raw,
    ref: parseReference(raw) as SecretRef,
  }));
  const failures: { name: string; raw: string; ref: SecretRef; why: string }[] = [];
  const params = refs.filter((r) => r.ref.service === "ssm");
  const found = new Map<string, { keyId: string | undefined; plaintext: boolean }>();
  if (params.length > 0) {
    try {
      for (const [k, v] of await describeParameters(
        clients.ssm,
        params.map((p) => (p.ref as { name: string }).name),
      )) {
        found.set(k, v);
      }
    } catch (err) {
      for (const p of params) failures.push({ ...p, why: cannotDescribe(err) });
    }
  }
  const kmsCache = new Map<string, Promise<string | undefined>>();
  const keyOf = (keyId: string | undefined) => {
    if (keyId === undefined || AWS_MANAGED_ALIAS.test(keyId)) return Promise.resolve(undefined);
    let p = kmsCache.get(keyId);
    if (!p) {
      p = customerKey(clients.kms, keyId);
      kmsCache.set(keyId, p);
    }
    return p;
  };
  const resolved = await Promise.all(
    refs.map(async ({ name, raw, ref }): Promise<ResolvedSecret | undefined> => {
      try {
        if (ref.service === "ssm") {
          if (failures.some((f) => f.name === name)) return undefined;
          const meta = found.get(ref.name);
          if (!meta) throw new Unreadable("does not exist");
          return {
            name,
            service: "ssm",
            variable: referenceVariable(name, ref),
            value: ref.name,
            arn: parameterArn(w, ref.name),
            kmsKeyArn: await keyOf(meta.keyId),
            plaintext: meta.plaintext,
          };
        }
        const arnRegion = SM_ARN_RE.exec(ref.id)?.[2];
        if (arnRegion !== undefined && arnRegion !== w.region) {
          throw new Unreadable(`is in ${arnRegion}, the stack in ${w.region}`);
        }
        const d = await describeSecret(clients.secretsmanager, ref.id);
        return {
          name,
          service: "secretsmanager",
          variable: referenceVariable(name, ref),
          value: d.arn,
          arn: d.arn,
          kmsKeyArn: await keyOf(d.keyId),
        };
      } catch (err) {
        if (!(err instanceof Unreadable)) throw err;
        failures.push({ name, raw, ref, why: err.message });
        return undefined;
      }
    }),
  );
  if (failures.length > 0) {
    const order = Object.keys(secrets);
    failures.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    const lines = failures.map((f) => `secrets.${f.name} (${f.raw}) ${f.why}`);
    const missing = failures.filter((f) => f.why === "does not exist");
    throw new UserError(
      lines.length === 1
        ? `${lines[0]!}; nothing was changed.`
        : `${lines.length} secrets cannot be used; nothing was changed:\n${lines.map((l) => `  - ${l}`).join("\n")}`,
      {
        hint: [
          ...(missing.length > 0
            ? [
                `Create ${missing.length === 1 ? "it" : "them"}, then run up again:`,
                ...missing.map((f) => `  ${createHint(f.ref, w.region)}`),
              ]
            : []),
          ...(failures.length > missing.length
            ? [
                "The deploying identity needs ssm:DescribeParameters, secretsmanager:DescribeSecret (and kms:DescribeKey for a customer-managed key) to look them up; it never reads a value.",
              ]
            : []),
        ].join("\n"),
      },
    );
  }
  return resolved.filter((r): r is ResolvedSecret => r !== undefined);
}

/** Name → KMS key id of each parameter that exists. */
async function describeParameters(
  ssm: SSMClient,
  names: readonly string[],
): Promise<Map<string, { keyId: string | undefined; plaintext: boolean }>> {
  const out = new Map<string, { keyId: string | undefined; plaintext: boolean }>();
  // A filter takes at most 50 values.
  for (let i = 0; i < names.length; i += 50) {
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(
        new DescribeParametersCommand({
          ParameterFilters: [{ Key: "Name", Option: "Equals", Values: names.slice(i, i + 50) }],
          MaxResults: 50,
          NextToken,
        }),
      );
      for (const p of page.Parameters ?? []) {
        if (p.Name !== undefined)
          out.set(p.Name, {
            keyId: p.Type === "SecureString" ? p.KeyId : undefined,
            plaintext: p.Type !== "SecureString",
          });
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return out;
}

async function describeSecret(
  sm: SecretsManagerClient,
  id: string,
): Promise<{ arn: string; keyId: string | undefined }> {
  try {
    const d = await sm.send(new DescribeSecretCommand({ SecretId: id }));
    if (d.DeletedDate !== undefined) throw new Unreadable("is scheduled for deletion");
    if (!d.ARN) throw new Unreadable("does not exist");
    return { arn: d.ARN, keyId: d.KmsKeyId };
  } catch (err) {
    if (err instanceof Unreadable) throw err;
    if (errorName(err) === "ResourceNotFoundException") throw new Unreadable("does not exist");
    throw new Unreadable(cannotDescribe(err));
  }
}

/** The key's ARN when the customer manages it; undefined for an AWS-managed key. */
async function customerKey(kms: KMSClient, keyId: string): Promise<string | undefined> {
  try {
    const d = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    return d.KeyMetadata?.KeyManager === "AWS" ? undefined : d.KeyMetadata?.Arn;
  } catch (err) {
    throw new Unreadable(`is encrypted with the KMS key ${keyId}, which ${cannotDescribe(err)}`);
  }
}

function cannotDescribe(err: unknown): string {
  const name = errorName(err);
  if (name === "AccessDeniedException") return "cannot be described: access denied";
  if (name === "NotFoundException") return "cannot be described: not found";
  return `cannot be described: ${name || "error"}: ${errorMessage(err)}`;
}
