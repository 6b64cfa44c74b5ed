import { partitionOf, type CallContext, type FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("SSM");

export interface Parameter {
  name: string;
  type: "String" | "StringList" | "SecureString";
  value: string;
  /** SecureString only: the key as PutParameter was given it, alias/aws/ssm by default. */
  keyId: string | undefined;
  version: number;
}

type In = Record<string, unknown>;

/**
 * SSM Parameter Store: PutParameter, DescribeParameters (ParameterFilters Name Equals /
 * BeginsWith; metadata only, never the value), GetParameter (values: for `dev
 * --remote-secrets`), DeleteParameter; errors by the names the SDK throws (ParameterNotFound,
 * ParameterAlreadyExists, InvalidFilterValue).
 */
export class FakeSsm implements FakeService {
  readonly name = "SSM";
  readonly parameters = new Map<string, Parameter>();
  readonly operations: FakeService["operations"];

  constructor(private readonly account: string) {
    this.operations = {
      PutParameter: (i) => this.put(i),
      DescribeParameters: (i, c) => this.describe(i, c),
      GetParameter: (i, c) => {
        const p = this.get(i.Name);
        const secure = p.type === "SecureString" && i.WithDecryption !== true;
        return {
          Parameter: {
            Name: p.name,
            Type: p.type,
            // Without decryption AWS returns the ciphertext, base64; a stand-in will do.
            Value: secure ? Buffer.from(`encrypted:${p.value}`).toString("base64") : p.value,
            Version: p.version,
            ARN: this.arn(p.name, c),
          },
        };
      },
      DeleteParameter: (i) => {
        this.get(i.Name);
        this.parameters.delete(i.Name as string);
        return {};
      },
    };
  }

  /** A parameter made as `aws ssm put-parameter` would (tests seed the account with it). */
  putParameter(
    name: string,
    value: string,
    type: Parameter["type"] = "SecureString",
    keyId?: string,
  ): void {
    this.put({ Name: name, Value: value, Type: type, ...(keyId ? { KeyId: keyId } : {}) });
  }

  private arn(name: string, c: CallContext): string {
    return `arn:${partitionOf(c.region)}:ssm:${c.region}:${this.account}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
  }

  private get(name: unknown): Parameter {
    const p = this.parameters.get(String(name));
    if (!p) throw err("ParameterNotFound", "");
    return p;
  }

  private put(i: In): object {
    const name = i.Name as string;
    const existing = this.parameters.get(name);
    if (existing && i.Overwrite !== true) {
      throw err(
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
      );
    }
    const type = (i.Type as Parameter["type"] | undefined) ?? existing?.type ?? "String";
    this.parameters.set(name, {
      name,
      type,
      value: i.Value as string,
      keyId:
        type === "SecureString" ? ((i.KeyId as string | undefined) ?? "alias/aws/ssm") : undefined,
      version: (existing?.version ?? 0) + 1,
    });
    return { Version: (existing?.version ?? 0) + 1, Tier: "Standard" };
  }

  private describe(i: In, c: CallContext): object {
    const filters =
      (i.ParameterFilters as { Key: string; Option?: string; Values?: string[] }[] | undefined) ??
      [];
    let found = [...this.parameters.values()];
    for (const f of filters) {
      if (f.Key !== "Name")
        throw err("InvalidFilterKey", `The filter key ${f.Key} is not supported by the fake.`);
      const values = f.Values ?? [];
      if (values.length === 0 || values.length > 50) {
        throw err("InvalidFilterValue", "The filter must have 1 to 50 values.");
      }
      const option = f.Option ?? "Equals";
      found = found.filter((p) =>
        option === "Equals" ? values.includes(p.name) : values.some((v) => p.name.startsWith(v)),
      );
    }
    found.sort((a, b) => a.name.localeCompare(b.name));
    // Pages as AWS does (MaxResults, default 10), with an opaque token.
    const max = (i.MaxResults as number | undefined) ?? 10;
    const start = i.NextToken ? Number(Buffer.from(i.NextToken as string, "base64").toString()) : 0;
    const page = found.slice(start, start + max);
    const next =
      start + max < found.length ? Buffer.from(String(start + max)).toString("base64") : undefined;
    return {
      Parameters: page.map((p) => ({
        Name: p.name,
        ARN: this.arn(p.name, c),
        Type: p.type,
        ...(p.keyId ? { KeyId: p.keyId } : {}),
        Version: p.version,
        Tier: "Standard",
        DataType: "text",
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }
}
