import { randomUUID } from "node:crypto";
import type { CallContext, FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("KMS");

export type KeyState = "Enabled" | "Disabled" | "PendingDeletion";

export interface Key {
  keyId: string;
  arn: string;
  description: string;
  state: KeyState;
  policy: string;
  rotation: boolean;
  tags: Map<string, string>;
  createdAt: number;
  /** When a key pending deletion is gone for good, ms epoch. */
  deletionDate: number | undefined;
  pendingWindowInDays: number | undefined;
}

type In = Record<string, unknown>;

const DAY = 86_400_000;

/**
 * KMS customer-managed symmetric keys, their aliases, policies, rotation and the scheduled
 * deletion AWS imposes (a key cannot be deleted immediately: 7–30 days pending).
 */
export class FakeKms implements FakeService {
  readonly name = "KMS";
  readonly keys = new Map<string, Key>();
  /** alias/NAME → key id. */
  readonly aliases = new Map<string, string>();
  readonly operations: FakeService["operations"];

  constructor(private readonly account: string) {
    this.operations = {
      CreateKey: (i, c) => this.createKey(i, c),
      ListKeys: () => ({
        Keys: [...this.keys.values()].map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
        Truncated: false,
      }),
      DescribeKey: (i, c) => ({ KeyMetadata: this.metadata(this.resolve(i.KeyId, c)) }),
      GetKeyPolicy: (i, c) => {
        const k = this.resolve(i.KeyId, c);
        if ((i.PolicyName ?? "default") !== "default")
          throw err("NotFoundException", `Policy ${String(i.PolicyName)} does not exist.`);
        return { Policy: k.policy, PolicyName: "default" };
      },
      PutKeyPolicy: (i, c) => {
        const k = this.usable(this.resolve(i.KeyId, c), { allowDisabled: true });
        k.policy = this.checkPolicy(i.Policy as string);
        return {};
      },
      GetKeyRotationStatus: (i, c) => {
        const k = this.usable(this.resolve(i.KeyId, c), { allowDisabled: true });
        return { KeyRotationEnabled: k.rotation, KeyId: k.arn };
      },
      EnableKeyRotation: (i, c) => {
        this.usable(this.resolve(i.KeyId, c)).rotation = true;
        return {};
      },
      DisableKeyRotation: (i, c) => {
        this.usable(this.resolve(i.KeyId, c)).rotation = false;
        return {};
      },
      EnableKey: (i, c) => {
        this.usable(this.resolve(i.KeyId, c), { allowDisabled: true }).state = "Enabled";
        return {};
      },
      DisableKey: (i, c) => {
        this.usable(this.resolve(i.KeyId, c), { allowDisabled: true }).state = "Disabled";
        return {};
      },
      ScheduleKeyDeletion: (i, c) => {
        const k = this.usable(this.resolve(i.KeyId, c), { allowDisabled: true });
        const days = (i.PendingWindowInDays as number | undefined) ?? 30;
        if (days < 7 || days > 30) {
          throw err(
            "ValidationException",
            `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${days < 7 ? "greater than or equal to 7" : "less than or equal to 30"}`,
          );
        }
        k.state = "PendingDeletion";
        k.deletionDate = c.now + days * DAY;
        k.pendingWindowInDays = days;
        return {
          KeyId: k.arn,
          DeletionDate: new Date(k.deletionDate),
          KeyState: "PendingDeletion",
          PendingWindowInDays: days,
        };
      },
      CancelKeyDeletion: (i, c) => {
        const k = this.resolve(i.KeyId, c);
        if (k.state !== "PendingDeletion")
          throw err("KMSInvalidStateException", `${k.arn} is not pending deletion.`);
        // AWS leaves a key whose deletion was cancelled disabled.
        k.state = "Disabled";
        k.deletionDate = undefined;
        k.pendingWindowInDays = undefined;
        return { KeyId: k.arn };
      },
      CreateAlias: (i, c) => {
        const name = i.AliasName as string;
        this.checkAliasName(name);
        if (this.aliases.has(name))
          throw err(
            "AlreadyExistsException",
            `An alias with the name ${this.aliasArn(name, c)} already exists`,
          );
        const k = this.usable(this.resolve(i.TargetKeyId, c), { allowDisabled: true });
        this.aliases.set(name, k.keyId);
        return {};
      },
      UpdateAlias: (i, c) => {
        const name = i.AliasName as string;
        if (!this.aliases.has(name))
          throw err("NotFoundException", `Alias ${this.aliasArn(name, c)} is not found.`);
        const k = this.usable(this.resolve(i.TargetKeyId, c), { allowDisabled: true });
        this.aliases.set(name, k.keyId);
        return {};
      },
      DeleteAlias: (i, c) => {
        const name = i.AliasName as string;
        if (!this.aliases.delete(name))
          throw err("NotFoundException", `Alias ${this.aliasArn(name, c)} is not found.`);
        return {};
      },
      ListAliases: (i, c) => {
        const only = i.KeyId !== undefined ? this.resolve(i.KeyId, c).keyId : undefined;
        return {
          Aliases: [...this.aliases]
            .filter(([, id]) => only === undefined || id === only)
            .map(([AliasName, TargetKeyId]) => ({
              AliasName,
              AliasArn: this.aliasArn(AliasName, c),
              TargetKeyId,
            })),
          Truncated: false,
        };
      },
      ListResourceTags: (i, c) => ({
        Tags: [...this.resolve(i.KeyId, c).tags].map(([TagKey, TagValue]) => ({
          TagKey,
          TagValue,
        })),
        Truncated: false,
      }),
      TagResource: (i, c) => {
        const k = this.usable(this.resolve(i.KeyId, c), { allowDisabled: true });
        for (const t of i.Tags as { TagKey: string; TagValue: string }[])
          k.tags.set(t.TagKey, t.TagValue);
        return {};
      },
      UntagResource: (i, c) => {
        const k = this.usable(this.resolve(i.KeyId, c), { allowDisabled: true });
        for (const key of i.TagKeys as string[]) k.tags.delete(key);
        return {};
      },
    };
  }

  /** The key an alias name points at (tests). */
  byAlias(alias: string): Key | undefined {
    const id = this.aliases.get(alias);
    return id === undefined ? undefined : this.keys.get(id);
  }

  private aliasArn(name: string, c: CallContext): string {
    return `arn:aws:kms:${c.region}:${this.account}:${name}`;
  }

  private checkAliasName(name: string): void {
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(name) || name.length > 256)
      throw err(
        "ValidationException",
        `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$`,
      );
    if (name.startsWith("alias/aws/"))
      throw err("NotAuthorizedException", "Cannot create alias with prefix 'alias/aws/'");
  }

  /** A key id, key ARN, alias name or alias ARN, as KMS accepts them. */
  private resolve(ref: unknown, c: CallContext): Key {
    const s = String(ref ?? "");
    const alias = /^(?:arn:[\w-]+:kms:[\w-]+:\d{12}:)?(alias\/.+)$/.exec(s)?.[1];
    if (alias !== undefined) {
      const id = this.aliases.get(alias);
      const k = id === undefined ? undefined : this.keys.get(id);
      if (!k) throw err("NotFoundException", `Alias ${this.aliasArn(alias, c)} is not found.`);
      return k;
    }
    const id = /key\/([\w-]+)$/.exec(s)?.[1] ?? s;
    const k = this.keys.get(id);
    if (!k)
      throw err(
        "NotFoundException",
        `Key 'arn:aws:kms:${c.region}:${this.account}:key/${id}' does not exist`,
      );
    return k;
  }

  /** KMS refuses most operations on a key pending deletion (and on a disabled one). */
  private usable(k: Key, opts: { allowDisabled?: boolean } = {}): Key {
    if (k.state === "PendingDeletion")
      throw err("KMSInvalidStateException", `${k.arn} is pending deletion.`);
    if (k.state === "Disabled" && !opts.allowDisabled)
      throw err("DisabledException", `${k.arn} is disabled.`);
    return k;
  }

  /** KMS refuses a policy that would lock the account out of managing the key. */
  private checkPolicy(policy: string): string {
    let doc: { Statement?: { Effect?: string; Principal?: { AWS?: unknown }; Action?: unknown }[] };
    try {
      doc = JSON.parse(policy) as typeof doc;
      if (!Array.isArray(doc.Statement)) throw new Error("no statements");
    } catch {
      throw err(
        "MalformedPolicyDocumentException",
        "Policy contains a statement with no principal or is not valid JSON.",
      );
    }
    const manages = doc.Statement.some((s) => {
      const actions = ([] as unknown[]).concat(s.Action ?? []);
      const principals = ([] as unknown[]).concat(s.Principal?.AWS ?? []);
      return (
        s.Effect === "Allow" &&
        principals.some((p) => p === `arn:aws:iam::${this.account}:root` || p === this.account) &&
        actions.some((a) => a === "kms:*" || a === "kms:PutKeyPolicy")
      );
    });
    if (!manages)
      throw err(
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.",
      );
    return policy;
  }

  private createKey(i: In, c: CallContext): object {
    if ((i.KeySpec ?? "SYMMETRIC_DEFAULT") !== "SYMMETRIC_DEFAULT" && i.KeyUsage === undefined)
      throw err("ValidationException", "KeyUsage must be specified for asymmetric keys.");
    const keyId = randomUUID();
    const policy =
      i.Policy !== undefined
        ? this.checkPolicy(i.Policy as string)
        : JSON.stringify({
            Version: "2012-10-17",
            Id: "key-default-1",
            Statement: [
              {
                Sid: "Enable IAM User Permissions",
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${this.account}:root` },
                Action: "kms:*",
                Resource: "*",
              },
            ],
          });
    const key: Key = {
      keyId,
      arn: `arn:aws:kms:${c.region}:${this.account}:key/${keyId}`,
      description: (i.Description as string | undefined) ?? "",
      state: "Enabled",
      policy,
      rotation: false,
      tags: new Map(
        ((i.Tags as { TagKey: string; TagValue: string }[] | undefined) ?? []).map((t) => [
          t.TagKey,
          t.TagValue,
        ]),
      ),
      createdAt: c.now,
      deletionDate: undefined,
      pendingWindowInDays: undefined,
    };
    this.keys.set(keyId, key);
    return { KeyMetadata: this.metadata(key) };
  }

  private metadata(k: Key): object {
    return {
      AWSAccountId: this.account,
      KeyId: k.keyId,
      Arn: k.arn,
      CreationDate: new Date(k.createdAt),
      Enabled: k.state === "Enabled",
      Description: k.description,
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: k.state,
      KeyManager: "CUSTOMER",
      KeySpec: "SYMMETRIC_DEFAULT",
      CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
      Origin: "AWS_KMS",
      MultiRegion: false,
      ...(k.deletionDate !== undefined
        ? {
            DeletionDate: new Date(k.deletionDate),
            PendingDeletionWindowInDays: k.pendingWindowInDays,
          }
        : {}),
    };
  }
}
