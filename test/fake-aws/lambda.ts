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
          Configuration: this.configuration(f),
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
      GetFunctionConfiguration: (i, c) => this.configuration(this.fn(i.FunctionName as string, c)),
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
        this.functions.delete(f.name);
        return {};
      },
      AddPermission: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        const sid = i.StatementId as string;
        // The resource policy is part of the function's configuration: no change while it is
        // Pending or an update is in progress.
        this.checkIdle(f);
        if (f.policy.has(sid)) {
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
          Resource: f.arn,
        };
        const condition: Record<string, Record<string, string>> = {};
        if (i.SourceAccount)
          condition.StringEquals = { "AWS:SourceAccount": i.SourceAccount as string };
        if (i.SourceArn) condition.ArnLike = { "AWS:SourceArn": i.SourceArn as string };
        if (Object.keys(condition).length) statement.Condition = condition;
        f.policy.set(sid, statement);
        f.revision++;
        return { Statement: JSON.stringify(statement) };
      },
      RemovePermission: (i, c) => {
        const f = this.fn(i.FunctionName as string, c);
        if (!f.policy.delete(i.StatementId as string)) {
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
        if (f.policy.size === 0)
          throw err("ResourceNotFoundException", "The resource you requested does not exist.", 404);
        return {
          Policy: JSON.stringify({
            Version: "2012-10-17",
            Id: "default",
            Statement: [...f.policy.values()],
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

  private settle(f: LambdaFunction, c: CallContext): void {
    if (c.now < f.settlesAt) return;
    if (f.state === "Pending") f.state = "Active";
    if (f.lastUpdateStatus === "InProgress") f.lastUpdateStatus = "Successful";
  }

  private fn(nameOrArn: string, c: CallContext): LambdaFunction {
    const name = nameOrArn.startsWith("arn:") ? (nameOrArn.split(":")[6] ?? "") : nameOrArn;
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
      PackageType: "Zip",
      Architectures: ["x86_64"],
    };
  }
}
