import { createHash } from "node:crypto";
import { partitionOf, type CallContext, type FakeService } from "./core.js";
import { errorsFor } from "./errors.js";
import type { FakeIam } from "./iam.js";
import type { FakeS3 } from "./s3.js";

const err = errorsFor("Lambda");

export interface LambdaFunction {
  name: string;
  arn: string;
  config: Record<string, unknown>;
  codeSha256: string;
  codeSize: number;
  state: "Pending" | "Active" | "Failed";
  lastUpdateStatus: "InProgress" | "Successful" | "Failed";
  /** When the current Pending/InProgress ends, ms epoch. */
  settlesAt: number;
  tags: Map<string, string>;
  policy: Map<string, Record<string, unknown>>;
  revision: number;
  /** Reserved concurrency, if any. */
  reservedConcurrency: number | undefined;
  /** Published versions by number ("1", "2", …): what $LATEST was when each was published. */
  versions: Map<string, PublishedVersion>;
  /** The number the next published version gets. */
  nextVersion: number;
  aliases: Map<string, LambdaAlias>;
  /** Resource policies of versions and aliases (AddPermission with a Qualifier), by qualifier. */
  qualifiedPolicies: Map<string, Map<string, Record<string, unknown>>>;
}

/** A published version: immutable code and configuration. */
export interface PublishedVersion {
  version: string;
  config: Record<string, unknown>;
  codeSha256: string;
  codeSize: number;
  description: string;
  /** The $LATEST revision it was published from: an unchanged function publishes nothing new. */
  fromRevision: number;
}

export interface LambdaAlias {
  name: string;
  functionVersion: string;
  description: string;
  /** Additional version → weight (0–1): the share of invocations that go to it. */
  weights: Record<string, number>;
  revision: number;
}

/**
 * The account's Lambda concurrency (per region): the quota and how much of it must stay
 * unreserved. AWS's defaults are 1000 and 100; new accounts may get a lower quota.
 */
export interface LambdaConcurrency {
  limit: number;
  minimumUnreserved: number;
}

export interface LambdaTimings {
  /** State Pending → Active after CreateFunction. */
  pendingMs: number;
  /** LastUpdateStatus InProgress → Successful after an update. */
  updatingMs: number;
}

type In = Record<string, unknown>;

const DEPRECATED = new Set(["nodejs16.x", "nodejs14.x", "nodejs12.x"]);
const CONFIG_KEYS = [
  "Role",
  "Runtime",
  "Handler",
  "MemorySize",
  "Timeout",
  "Environment",
  "TracingConfig",
  "LoggingConfig",
  "Description",
];

/** Lambda functions, their async states, and resource policies. */
export class FakeLambda implements FakeService {
  readonly name = "Lambda";
  readonly functions = new Map<string, LambdaFunction>();
  readonly operations: FakeService["operations"];
  /** A test may lower it to meet AWS's refusal of a reservation. */
  concurrency: LambdaConcurrency = { limit: 1000, minimumUnreserved: 100 };

  constructor(
    private readonly account: string,
    private readonly iam: FakeIam,
    private readonly s3: FakeS3,
    public timings: LambdaTimings = { pendingMs: 20, updatingMs: 15 },
  ) {
    this.operations = {
      CreateFunction: (i, c) => this.create(i, c),
      GetFunction: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        return {
          Configuration: this.configurationAt(f, this.qualifier(i), c),
          Code: { RepositoryType: "S3" },
          Tags: Object.fromEntries(f.tags),
          // Only when the function has a reservation.
          ...(f.reservedConcurrency !== undefined
            ? { Concurrency: { ReservedConcurrentExecutions: f.reservedConcurrency } }
            : {}),
        };
      },
      GetFunctionConcurrency: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        return f.reservedConcurrency !== undefined
          ? { ReservedConcurrentExecutions: f.reservedConcurrency }
          : {};
      },
      PutFunctionConcurrency: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        const wanted = i.ReservedConcurrentExecutions as number;
        const others = [...this.functions.values()]
          .filter((x) => x !== f)
          .reduce((sum, x) => sum + (x.reservedConcurrency ?? 0), 0);
        const { limit, minimumUnreserved } = this.concurrency;
        if (limit - others - wanted < minimumUnreserved) {
          throw err(
            "InvalidParameterValueException",
            `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${minimumUnreserved}].`,
          );
        }
        f.reservedConcurrency = wanted;
        return { ReservedConcurrentExecutions: wanted };
      },
      DeleteFunctionConcurrency: (i, c) => {
        this.fn(i.FunctionName as string, c).reservedConcurrency = undefined;
        return {};
      },
      GetAccountSettings: () => {
        const reserved = [...this.functions.values()].reduce(
          (sum, x) => sum + (x.reservedConcurrency ?? 0),
          0,
        );
        return {
          AccountLimit: {
            ConcurrentExecutions: this.concurrency.limit,
            UnreservedConcurrentExecutions: this.concurrency.limit - reserved,
          },
          AccountUsage: { FunctionCount: this.functions.size },
        };
      },
      ListFunctions: (_i, c) => ({
        Functions: [...this.functions.values()].map((f) => {
          this.settle(f, c);
          return this.configuration(f);
        }),
      }),
      GetFunctionConfiguration: (i, c) =>
        this.configurationAt(this.fn(i.FunctionName as string, c), this.qualifier(i), c),
      UpdateFunctionCode: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        this.checkIdle(f);
        const code = this.code(i.S3Bucket as string, i.S3Key as string);
        f.codeSha256 = code.sha256;
        f.codeSize = code.size;
        this.startUpdate(f, c);
        return this.configuration(f);
      },
      UpdateFunctionConfiguration: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        this.checkIdle(f);
        if (i.Role !== undefined)
          this.checkRole(i.Role as string, i.TracingConfig ?? f.config.TracingConfig, c);
        if (i.Runtime !== undefined) this.checkRuntime(i.Runtime as string);
        for (const k of CONFIG_KEYS) if (i[k] !== undefined) f.config[k] = structuredClone(i[k]);
        this.startUpdate(f, c);
        return this.configuration(f);
      },
      DeleteFunction: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        const q = this.qualifier(i);
        if (q === undefined) {
          // The function goes with every version and alias.
          this.functions.delete(f.name);
          return {};
        }
        if (q === "$LATEST" || !/^\d+$/.test(q)) {
          throw err(
            "InvalidParameterValueException",
            `Deletion of aliases or $LATEST is not supported by DeleteFunction: ${q}`,
          );
        }
        if (!f.versions.has(q)) throw this.versionNotFound(f, q);
        const using = [...f.aliases.values()]
          .filter((a) => a.functionVersion === q || a.weights[q] !== undefined)
          .map((a) => a.name);
        if (using.length) {
          throw err(
            "ResourceConflictException",
            `Unable to delete version because the following aliases reference it: [${using.join(", ")}]`,
            409,
          );
        }
        f.versions.delete(q);
        f.qualifiedPolicies.delete(q);
        return {};
      },
      PublishVersion: (i, c) => this.publish(i, c),
      ListVersionsByFunction: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        const all = [
          this.configuration(f),
          ...[...f.versions.values()].map((v) => this.versionConfiguration(f, v)),
        ];
        return page(all, i, "Versions");
      },
      CreateAlias: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        const name = i.Name as string;
        if (f.aliases.has(name)) {
          throw err("ResourceConflictException", `Alias already exists: ${f.arn}:${name}`, 409);
        }
        const alias: LambdaAlias = {
          name,
          functionVersion: i.FunctionVersion as string,
          description: (i.Description as string | undefined) ?? "",
          weights: {},
          revision: 1,
        };
        this.route(f, alias, i.FunctionVersion as string, i.RoutingConfig);
        f.aliases.set(name, alias);
        return this.aliasConfiguration(f, alias);
      },
      GetAlias: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        return this.aliasConfiguration(f, this.alias(f, i.Name as string));
      },
      UpdateAlias: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        const alias = this.alias(f, i.Name as string);
        if (i.RevisionId !== undefined && i.RevisionId !== String(alias.revision)) {
          throw err(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id",
            412,
          );
        }
        const version = (i.FunctionVersion as string | undefined) ?? alias.functionVersion;
        this.route(
          f,
          alias,
          version,
          i.RoutingConfig ?? { AdditionalVersionWeights: alias.weights },
        );
        if (i.Description !== undefined) alias.description = i.Description as string;
        alias.revision++;
        return this.aliasConfiguration(f, alias);
      },
      DeleteAlias: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        // Deleting an alias that is not there succeeds, as in AWS.
        if (f.aliases.delete(i.Name as string)) f.qualifiedPolicies.delete(i.Name as string);
        return {};
      },
      ListAliases: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        const all = [...f.aliases.values()]
          .filter((a) => i.FunctionVersion === undefined || a.functionVersion === i.FunctionVersion)
          .map((a) => this.aliasConfiguration(f, a));
        return page(all, i, "Aliases");
      },
      AddPermission: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        const sid = i.StatementId as string;
        // The resource policy is part of the function's configuration: no change while it is
        // Pending or an update is in progress.
        this.checkIdle(f);
        const q = this.qualifier(i);
        const policy = this.policyOf(f, q, true);
        if (policy.has(sid)) {
          throw err(
            "ResourceConflictException",
            `The statement id (${sid}) provided already exists. Please specify a new statement id, or remove the existing statement.`,
            409,
          );
        }
        const statement: Record<string, unknown> = {
          Sid: sid,
          Effect: "Allow",
          Principal: { Service: i.Principal },
          Action: i.Action,
          Resource: q === undefined ? f.arn : `${f.arn}:${q}`,
        };
        const condition: Record<string, Record<string, string>> = {};
        if (i.SourceAccount)
          condition.StringEquals = { "AWS:SourceAccount": i.SourceAccount as string };
        if (i.SourceArn) condition.ArnLike = { "AWS:SourceArn": i.SourceArn as string };
        if (Object.keys(condition).length) statement.Condition = condition;
        policy.set(sid, statement);
        f.revision++;
        return { Statement: JSON.stringify(statement) };
      },
      RemovePermission: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        if (!this.policyOf(f, this.qualifier(i), false).delete(i.StatementId as string)) {
          throw err(
            "ResourceNotFoundException",
            `Statement ${i.StatementId as string} is not found in resource policy.`,
            404,
          );
        }
        f.revision++;
        return {};
      },
      GetPolicy: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        const policy = this.policyOf(f, this.qualifier(i), false);
        if (policy.size === 0)
          throw err("ResourceNotFoundException", "The resource you requested does not exist.", 404);
        return {
          Policy: JSON.stringify({
            Version: "2012-10-17",
            Id: "default",
            Statement: [...policy.values()],
          }),
          RevisionId: String(f.revision),
        };
      },
      TagResource: (i, c) => {
        const f = this.byArn(i.Resource as string, c);
        for (const [k, v] of Object.entries(i.Tags as Record<string, string>)) f.tags.set(k, v);
        return {};
      },
      UntagResource: (i, c) => {
        const f = this.byArn(i.Resource as string, c);
        for (const k of i.TagKeys as string[]) f.tags.delete(k);
        return {};
      },
      ListTags: (i, c) => ({ Tags: Object.fromEntries(this.byArn(i.Resource as string, c).tags) }),
    };
  }

  /** The Qualifier parameter, or the one a qualified ARN or name:qualifier carries. */
  private qualifier(i: In): string | undefined {
    if (i.Qualifier !== undefined) return i.Qualifier as string;
    const name = i.FunctionName as string;
    const parts = name.split(":");
    return name.startsWith("arn:") ? parts[7] : parts[1];
  }

  /** The resource policy of the function (no qualifier), of a version or of an alias. */
  private policyOf(
    f: LambdaFunction,
    q: string | undefined,
    forWrite: boolean,
  ): Map<string, Record<string, unknown>> {
    if (q === undefined || q === "$LATEST") return f.policy;
    if (!f.versions.has(q) && !f.aliases.has(q)) {
      throw err("ResourceNotFoundException", `Function not found: ${f.arn}:${q}`, 404);
    }
    let p = f.qualifiedPolicies.get(q);
    if (!p) {
      p = new Map();
      if (forWrite) f.qualifiedPolicies.set(q, p);
    }
    return p;
  }

  private versionNotFound(f: LambdaFunction, q: string): Error {
    return err("ResourceNotFoundException", `Function not found: ${f.arn}:${q}`, 404);
  }

  private alias(f: LambdaFunction, name: string): LambdaAlias {
    const a = f.aliases.get(name);
    if (!a) throw err("ResourceNotFoundException", `Alias not found: ${f.arn}:${name}`, 404);
    return a;
  }

  /**
   * Points an alias at a version, with at most one more taking a share. AWS's rules: both
   * published (never $LATEST), the additional one not the primary, a weight from 0 to 1, and
   * both versions with the same execution role.
   */
  private route(f: LambdaFunction, alias: LambdaAlias, version: string, routing: unknown): void {
    const weights =
      (routing as { AdditionalVersionWeights?: Record<string, number> } | undefined)
        ?.AdditionalVersionWeights ?? {};
    const primary = f.versions.get(version);
    if (version !== "$LATEST" && !primary) throw this.versionNotFound(f, version);
    const extra = Object.entries(weights);
    if (extra.length > 1) {
      throw err(
        "InvalidParameterValueException",
        "Number of additional version weights cannot be greater than 1.",
      );
    }
    for (const [v, w] of extra) {
      if (version === "$LATEST" || v === "$LATEST") {
        throw err(
          "InvalidParameterValueException",
          "$LATEST is not supported for an alias pointing to more than 1 version",
        );
      }
      const other = f.versions.get(v);
      if (!other) throw this.versionNotFound(f, v);
      if (v === version) {
        throw err(
          "InvalidParameterValueException",
          `Invalid function version ${v}. Function version ${v} is already included in routing configuration.`,
        );
      }
      if (!(w >= 0 && w <= 1)) {
        throw err(
          "InvalidParameterValueException",
          `1 validation error detected: Value '{${v}=${w}}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]`,
        );
      }
      if (other.config.Role !== primary?.config.Role) {
        throw err(
          "InvalidParameterValueException",
          "The versions of a function an alias routes to must have the same execution role.",
        );
      }
    }
    alias.functionVersion = version;
    alias.weights = Object.fromEntries(extra);
  }

  /** PublishVersion: nothing new when code and configuration equal the last version's. */
  private publish(i: In, c: CallContext): object {
    const f = this.fn(i.FunctionName as string, c);
    this.checkIdle(f);
    if (i.CodeSha256 !== undefined && i.CodeSha256 !== f.codeSha256) {
      throw err(
        "InvalidParameterValueException",
        `CodeSHA256 (${i.CodeSha256 as string}) is different from current CodeSHA256 in $LATEST (${f.codeSha256}). Please try again with the current CodeSHA256.`,
      );
    }
    if (i.RevisionId !== undefined && i.RevisionId !== String(f.revision)) {
      throw err(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        412,
      );
    }
    const last = [...f.versions.values()].at(-1);
    if (
      last &&
      last.codeSha256 === f.codeSha256 &&
      JSON.stringify(last.config) === JSON.stringify(f.config)
    ) {
      return this.versionConfiguration(f, last);
    }
    const v: PublishedVersion = {
      version: String(f.nextVersion++),
      config: structuredClone(f.config),
      codeSha256: f.codeSha256,
      codeSize: f.codeSize,
      description: (i.Description as string | undefined) ?? "",
      fromRevision: f.revision,
    };
    f.versions.set(v.version, v);
    return this.versionConfiguration(f, v);
  }

  /** $LATEST, a version or an alias's version, as GetFunctionConfiguration returns it. */
  private configurationAt(f: LambdaFunction, q: string | undefined, _c: CallContext): object {
    if (q === undefined || q === "$LATEST") return this.configuration(f);
    const v = f.versions.get(q) ?? f.versions.get(f.aliases.get(q)?.functionVersion ?? "");
    if (!v) throw this.versionNotFound(f, q);
    return this.versionConfiguration(f, v);
  }

  private versionConfiguration(f: LambdaFunction, v: PublishedVersion): object {
    const latest = this.configuration({
      ...f,
      config: v.config,
      codeSha256: v.codeSha256,
      codeSize: v.codeSize,
    }) as Record<string, unknown>;
    return {
      ...latest,
      FunctionArn: `${f.arn}:${v.version}`,
      Version: v.version,
      Description: v.description,
      State: "Active",
      LastUpdateStatus: "Successful",
      RevisionId: `${f.name}-v${v.version}`,
    };
  }

  private aliasConfiguration(f: LambdaFunction, a: LambdaAlias): object {
    return {
      AliasArn: `${f.arn}:${a.name}`,
      Name: a.name,
      FunctionVersion: a.functionVersion,
      Description: a.description,
      ...(Object.keys(a.weights).length
        ? { RoutingConfig: { AdditionalVersionWeights: { ...a.weights } } }
        : {}),
      RevisionId: String(a.revision),
    };
  }

  private settle(f: LambdaFunction, c: CallContext): void {
    if (c.now < f.settlesAt) return;
    if (f.state === "Pending") f.state = "Active";
    if (f.lastUpdateStatus === "InProgress") f.lastUpdateStatus = "Successful";
  }

  private fn(nameOrArn: string, c: CallContext): LambdaFunction {
    const name = nameOrArn.startsWith("arn:")
      ? (nameOrArn.split(":")[6] ?? "")
      : (nameOrArn.split(":")[0] ?? "");
    const f = this.functions.get(name);
    if (!f)
      throw err(
        "ResourceNotFoundException",
        `Function not found: arn:${partitionOf(c.region)}:lambda:${c.region}:${this.account}:function:${name}`,
        404,
      );
    this.settle(f, c);
    return f;
  }

  private byArn(arn: string, c: CallContext): LambdaFunction {
    return this.fn(arn, c);
  }

  /** AWS's two answers to a change while the function is not idle, as Lambda words them. */
  private checkIdle(f: LambdaFunction): void {
    if (f.state === "Pending") {
      throw err(
        "ResourceConflictException",
        "The operation cannot be performed at this time. The function is currently in the following state: Pending",
        409,
      );
    }
    if (f.lastUpdateStatus === "InProgress") {
      throw err(
        "ResourceConflictException",
        `The operation cannot be performed at this time. An update is in progress for resource: ${f.arn}`,
        409,
      );
    }
  }

  /**
   * Makes a function Pending again for `ms`, as AWS does when an Inactive function is woken
   * (invoked or updated after weeks idle): changes meanwhile are refused with
   * ResourceConflictException.
   */
  makePending(name: string, ms: number, now = Date.now()): void {
    const f = this.functions.get(name);
    if (!f) throw new Error(`no function ${name}`);
    f.state = "Pending";
    f.settlesAt = now + ms;
  }

  /** Starts an update by someone else that runs for `ms` (LastUpdateStatus InProgress). */
  beginUpdate(name: string, ms: number, now = Date.now()): void {
    const f = this.functions.get(name);
    if (!f) throw new Error(`no function ${name}`);
    f.lastUpdateStatus = "InProgress";
    f.settlesAt = now + ms;
    f.revision++;
  }

  private startUpdate(f: LambdaFunction, c: CallContext): void {
    f.lastUpdateStatus = "InProgress";
    f.settlesAt = c.now + this.timings.updatingMs;
    f.revision++;
  }

  private checkRuntime(runtime: string): void {
    if (DEPRECATED.has(runtime)) {
      throw err(
        "InvalidParameterValueException",
        `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`,
      );
    }
  }

  /** AWS's messages while the role has not propagated to Lambda yet. */
  private checkRole(roleArn: string, tracing: unknown, c: CallContext): void {
    const role = this.iam.usableRole(roleArn, c.now);
    if (!role || !this.iam.trusts(role, "lambda.amazonaws.com")) {
      throw err(
        "InvalidParameterValueException",
        "The role defined for the function cannot be assumed by Lambda.",
      );
    }
    if (
      (tracing as { Mode?: string } | undefined)?.Mode === "Active" &&
      !this.iam.allowedActions(role).includes("xray:PutTraceSegments")
    ) {
      throw err(
        "InvalidParameterValueException",
        "The provided execution role does not have permissions to call PutTraceSegments on XRAY",
      );
    }
  }

  private code(bucket: string, key: string): { sha256: string; size: number } {
    const b = this.s3.buckets.get(bucket);
    const v = b?.objects.get(key)?.[0];
    if (!b || !v || v.deleteMarker || !v.body) {
      throw err(
        "InvalidParameterValueException",
        `Error occurred while GetObject. S3 Error Code: ${b ? "NoSuchKey" : "NoSuchBucket"}. S3 Error Message: The specified ${b ? "key" : "bucket"} does not exist.`,
      );
    }
    return { sha256: createHash("sha256").update(v.body).digest("base64"), size: v.body.length };
  }

  private create(i: In, c: CallContext): object {
    const name = i.FunctionName as string;
    if (this.functions.has(name)) {
      throw err("ResourceConflictException", `Function already exist: ${name}`, 409);
    }
    this.checkRuntime(i.Runtime as string);
    this.checkRole(i.Role as string, i.TracingConfig, c);
    const code = i.Code as { S3Bucket: string; S3Key: string };
    const { sha256, size } = this.code(code.S3Bucket, code.S3Key);
    const config: Record<string, unknown> = {};
    for (const k of CONFIG_KEYS) if (i[k] !== undefined) config[k] = structuredClone(i[k]);
    const f: LambdaFunction = {
      name,
      arn: `arn:${partitionOf(c.region)}:lambda:${c.region}:${this.account}:function:${name}`,
      config,
      codeSha256: sha256,
      codeSize: size,
      state: "Pending",
      lastUpdateStatus: "Successful",
      settlesAt: c.now + this.timings.pendingMs,
      tags: new Map(Object.entries((i.Tags as Record<string, string> | undefined) ?? {})),
      policy: new Map(),
      revision: 1,
      reservedConcurrency: undefined,
      versions: new Map(),
      nextVersion: 1,
      aliases: new Map(),
      qualifiedPolicies: new Map(),
    };
    this.functions.set(name, f);
    return this.configuration(f);
  }

  private configuration(f: LambdaFunction): object {
    const logging = f.config.LoggingConfig as Record<string, string> | undefined;
    return {
      FunctionName: f.name,
      FunctionArn: f.arn,
      Role: f.config.Role,
      Runtime: f.config.Runtime,
      Handler: f.config.Handler,
      MemorySize: (f.config.MemorySize as number | undefined) ?? 128,
      Timeout: (f.config.Timeout as number | undefined) ?? 3,
      Environment: f.config.Environment ? structuredClone(f.config.Environment) : undefined,
      TracingConfig: {
        Mode: (f.config.TracingConfig as { Mode?: string } | undefined)?.Mode ?? "PassThrough",
      },
      // AWS fills in the defaults: a Text-format function logs to /aws/lambda/NAME.
      LoggingConfig: {
        LogFormat: logging?.LogFormat ?? "Text",
        LogGroup: logging?.LogGroup ?? `/aws/lambda/${f.name}`,
        ...(logging?.LogFormat === "JSON"
          ? {
              ApplicationLogLevel: logging.ApplicationLogLevel ?? "INFO",
              SystemLogLevel: logging.SystemLogLevel ?? "INFO",
            }
          : {}),
      },
      CodeSha256: f.codeSha256,
      CodeSize: f.codeSize,
      State: f.state,
      LastUpdateStatus: f.lastUpdateStatus,
      RevisionId: String(f.revision),
      Version: "$LATEST",
      PackageType: "Zip",
      Architectures: ["x86_64"],
    };
  }
}

/** One page of a Lambda list (Marker / MaxItems, 50 by default), under the list's key. */
function page(all: object[], i: In, key: string): object {
  const start = i.Marker === undefined ? 0 : Number(i.Marker);
  const size = (i.MaxItems as number | undefined) ?? 50;
  const end = start + size;
  return { [key]: all.slice(start, end), ...(end < all.length ? { NextMarker: String(end) } : {}) };
}
