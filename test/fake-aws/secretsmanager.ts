import { randomBytes } from "node:crypto";
import { partitionOf, type CallContext, type FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("SecretsManager");

export interface Secret {
  arn: string;
  name: string;
  /** Absent: the AWS-managed aws/secretsmanager key (DescribeSecret leaves KmsKeyId out). */
  kmsKeyId: string | undefined;
  value: string;
  deletedDate: number | undefined;
}

const SUFFIX_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * Secrets Manager: CreateSecret (the ARN ends in `-` and six random characters, as AWS makes
 * it), DescribeSecret and GetSecretValue by name, full ARN or partial ARN, DeleteSecret; a
 * missing secret is ResourceNotFoundException, as the SDK names it.
 */
export class FakeSecretsManager implements FakeService {
  readonly name = "SecretsManager";
  /** By ARN. */
  readonly secrets = new Map<string, Secret>();
  readonly operations: FakeService["operations"];

  constructor(private readonly account: string) {
    this.operations = {
      CreateSecret: (i, c) => {
        const s = this.create(
          i.Name as string,
          (i.SecretString as string | undefined) ?? "",
          i.KmsKeyId as string | undefined,
          c,
        );
        return { ARN: s.arn, Name: s.name };
      },
      DescribeSecret: (i) => {
        const s = this.find(i.SecretId);
        return {
          ARN: s.arn,
          Name: s.name,
          ...(s.kmsKeyId ? { KmsKeyId: s.kmsKeyId } : {}),
          ...(s.deletedDate !== undefined ? { DeletedDate: new Date(s.deletedDate) } : {}),
        };
      },
      GetSecretValue: (i) => {
        const s = this.find(i.SecretId);
        if (s.deletedDate !== undefined) {
          throw err(
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was marked for deletion.",
          );
        }
        return { ARN: s.arn, Name: s.name, SecretString: s.value };
      },
      DeleteSecret: (i, c) => {
        const s = this.find(i.SecretId);
        if (i.ForceDeleteWithoutRecovery === true) this.secrets.delete(s.arn);
        else s.deletedDate = c.now;
        return { ARN: s.arn, Name: s.name };
      },
    };
  }

  /** A secret made as `aws secretsmanager create-secret` would (tests seed the account). */
  create(
    name: string,
    value: string,
    kmsKeyId: string | undefined,
    c: Pick<CallContext, "region">,
  ): Secret {
    if ([...this.secrets.values()].some((s) => s.name === name)) {
      throw err(
        "ResourceExistsException",
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const suffix = [...randomBytes(6)].map((b) => SUFFIX_CHARS[b % SUFFIX_CHARS.length]).join("");
    const arn = `arn:${partitionOf(c.region)}:secretsmanager:${c.region}:${this.account}:secret:${name}-${suffix}`;
    const s: Secret = { arn, name, kmsKeyId, value, deletedDate: undefined };
    this.secrets.set(arn, s);
    return s;
  }

  /** By name, full ARN, or ARN without its random suffix. */
  private find(id: unknown): Secret {
    const key = String(id ?? "");
    for (const s of this.secrets.values()) {
      if (
        s.arn === key ||
        s.name === key ||
        (key.startsWith("arn:") && s.arn.replace(/-[A-Za-z0-9]{6}$/, "") === key)
      ) {
        return s;
      }
    }
    throw err("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
  }
}
