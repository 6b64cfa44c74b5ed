import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  TagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type Runtime,
} from "@aws-sdk/client-lambda";
import { errorMessage, isNamed, orMissing } from "../aws/errors.js";
import { deepEqual, hasTags } from "../engine/equal.js";
import { UserError } from "../errors.js";
import { lifecycle, type Fixer, type Kind } from "../engine/kind.js";
import { retryWhile, waitFor } from "../engine/retry.js";
import type { Ctx, StateEntry } from "../engine/types.js";
import type { TagMap } from "./tags.js";

export interface FunctionProps {
  readonly name: string;
  readonly roleArn: string;
  readonly runtime: string;
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Reserved concurrency; undefined: none (the tool removes one set by hand). */
  readonly reservedConcurrency: number | undefined;
  /** Configuration, never secrets: the function's environment is readable by anyone with GetFunction. */
  readonly environment: Readonly<Record<string, string>>;
  readonly code: { readonly bucket: string; readonly key: string; readonly sha256Base64: string };
  readonly logGroup: string;
  readonly tags: TagMap;
}

export interface FunctionOutputs extends Record<string, string> {
  name: string;
  arn: string;
  /**
   * The published version of exactly the code and configuration the stack wants; "" while no
   * version has them yet (the fix publishes one).
   */
  version: string;
}

interface FunctionCurrent {
  codeSha256: string | undefined;
  runtime: string | undefined;
  handler: string | undefined;
  memoryMb: number | undefined;
  timeoutSeconds: number | undefined;
  reservedConcurrency: number | undefined;
  roleArn: string | undefined;
  environment: Record<string, string>;
  tracing: string | undefined;
  logFormat: string | undefined;
  logGroup: string | undefined;
  state: string | undefined;
  lastUpdateStatus: string | undefined;
  tags: Record<string, string>;
  /** The newest published version with exactly $LATEST's code and configuration. */
  publishedVersion: string | undefined;
}

/**
 * Right after its role or policy changes, Lambda cannot assume the role yet (IAM is eventually
 * consistent); these two messages are the only InvalidParameterValueExceptions worth waiting for.
 */
export function iamPropagation(err: unknown): string | undefined {
  if (!isNamed(err, "InvalidParameterValueException")) return undefined;
  const m = errorMessage(err);
  if (
    m.includes("cannot be assumed by Lambda") ||
    m.includes("does not have permissions to call PutTraceSegments") ||
    m.includes("The provided execution role does not have permissions")
  ) {
    return "waiting for the IAM role to propagate…";
  }
  return undefined;
}

/** An update started by someone (or something) else is still running. */
function updateInProgress(err: unknown): string | undefined {
  if (isNamed(err, "ResourceConflictException") && /in progress|Pending/i.test(errorMessage(err))) {
    return "waiting for the function's previous update to finish…";
  }
  return iamPropagation(err);
}

function currentOf(
  c: FunctionConfiguration,
  tags: Record<string, string> | undefined,
  reservedConcurrency: number | undefined,
): FunctionCurrent {
  return {
    codeSha256: c.CodeSha256,
    runtime: c.Runtime,
    handler: c.Handler,
    memoryMb: c.MemorySize,
    timeoutSeconds: c.Timeout,
    reservedConcurrency,
    roleArn: c.Role,
    environment: c.Environment?.Variables ?? {},
    tracing: c.TracingConfig?.Mode,
    logFormat: c.LoggingConfig?.LogFormat,
    logGroup: c.LoggingConfig?.LogGroup,
    state: c.State,
    lastUpdateStatus: c.LastUpdateStatus,
    tags: tags ?? {},
    publishedVersion: undefined,
  };
}

async function read(
  ctx: Ctx,
  p: FunctionProps,
): Promise<{ arn: string; current: FunctionCurrent } | undefined> {
  const name = p.name;
  const [f, versions] = await Promise.all([
    orMissing(ctx.clients.lambda.send(new GetFunctionCommand({ FunctionName: name }))),
    orMissing(publishedVersions(ctx, name)),
  ]);
  const c = f?.Configuration;
  if (!f || !c?.FunctionArn) return undefined;
  // GetFunction reports the reservation only when there is one.
  const reserved = f.Concurrency?.ReservedConcurrentExecutions;
  const current = currentOf(c, f.Tags, reserved);
  current.publishedVersion = newest((versions ?? []).filter((v) => isVersionOf(v, p)));
  return { arn: c.FunctionArn, current };
}

function newest(versions: readonly FunctionConfiguration[]): string | undefined {
  return [...versions].sort((a, b) => Number(b.Version) - Number(a.Version))[0]?.Version;
}

/** Every published version (not $LATEST), with its code and configuration. */
async function publishedVersions(ctx: Ctx, name: string): Promise<FunctionConfiguration[]> {
  const out: FunctionConfiguration[] = [];
  let Marker: string | undefined;
  do {
    const page = await ctx.clients.lambda.send(
      new ListVersionsByFunctionCommand({ FunctionName: name, Marker }),
    );
    out.push(...(page.Versions ?? []).filter((v) => /^\d+$/.test(v.Version ?? "")));
    Marker = page.NextMarker;
  } while (Marker);
  return out;
}

/**
 * Whether a published version is exactly what these props deploy: its code and the
 * configuration a version keeps. Such a version is the one the alias serves, and publishing
 * another would change nothing.
 */
function isVersionOf(v: FunctionConfiguration, p: FunctionProps): boolean {
  return (
    v.CodeSha256 === p.code.sha256Base64 &&
    v.Runtime === p.runtime &&
    v.Handler === p.handler &&
    v.MemorySize === p.memoryMb &&
    v.Timeout === p.timeoutSeconds &&
    v.Role === p.roleArn &&
    deepEqual(v.Environment?.Variables ?? {}, { ...p.environment }) &&
    v.TracingConfig?.Mode === "Active" &&
    v.LoggingConfig?.LogFormat === "JSON" &&
    v.LoggingConfig.LogGroup === p.logGroup
  );
}

/**
 * Publishes $LATEST as a version, naming the code and revision it read, so that a change made
 * by someone else in between is never published by mistake (Lambda refuses the call).
 */
async function publish(ctx: Ctx, name: string): Promise<string> {
  const latest = await ctx.clients.lambda.send(
    new GetFunctionConfigurationCommand({ FunctionName: name }),
  );
  const v = await retryWhile(
    ctx,
    () =>
      ctx.clients.lambda.send(
        new PublishVersionCommand({
          FunctionName: name,
          CodeSha256: latest.CodeSha256,
          RevisionId: latest.RevisionId,
        }),
      ),
    updateInProgress,
  );
  return v.Version ?? "";
}

/*
 * Waits use the tool's own waitFor rather than the SDK's waiters: those retry on any error until
 * their deadline, so a denied GetFunction would hang for minutes instead of failing at once.
 */

async function waitActive(ctx: Ctx, name: string): Promise<void> {
  await waitFor(
    ctx,
    "waiting for the function to become Active",
    () => ctx.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })),
    (c) =>
      c.State === "Active"
        ? "done"
        : c.State === "Failed" || c.State === "Inactive"
          ? { failed: `the function is ${c.State}: ${c.StateReason ?? "no reason given"}` }
          : "pending",
  );
}

async function waitUpdated(ctx: Ctx, name: string, what: string): Promise<void> {
  await waitFor(
    ctx,
    `waiting for the ${what} to finish`,
    () => ctx.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })),
    (c) =>
      c.LastUpdateStatus === "Successful"
        ? "done"
        : c.LastUpdateStatus === "Failed"
          ? { failed: `the ${what} failed: ${c.LastUpdateStatusReason ?? "no reason given"}` }
          : "pending",
  );
}

/** Waits until no update is running: a second update during one fails with ResourceConflictException. */
async function waitSettled(ctx: Ctx, name: string, current: FunctionCurrent): Promise<void> {
  if (current.state === "Pending") await waitActive(ctx, name);
  if (current.lastUpdateStatus === "InProgress") {
    await waitUpdated(ctx, name, "function's previous update");
  }
}

/**
 * Reserves the function's concurrency, or removes a reservation the settings do not have.
 * Lambda refuses a reservation that would leave the account less unreserved concurrency than
 * its minimum: the user's to fix, so a UserError saying how.
 */
async function setConcurrency(ctx: Ctx, p: FunctionProps): Promise<void> {
  const lambda = ctx.clients.lambda;
  const FunctionName = p.name;
  const reserved = p.reservedConcurrency;
  if (reserved === undefined) {
    await retryWhile(
      ctx,
      () => lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName })),
      updateInProgress,
    );
    return;
  }
  try {
    await retryWhile(
      ctx,
      () =>
        lambda.send(
          new PutFunctionConcurrencyCommand({
            FunctionName,
            ReservedConcurrentExecutions: reserved,
          }),
        ),
      updateInProgress,
    );
  } catch (err) {
    const refusal = unreservedMinimum(err);
    if (refusal === undefined) throw err;
    const minimum = refusal ? ` (at least ${refusal})` : "";
    throw new UserError(
      `Cannot reserve ${reserved} concurrent executions for the Lambda function ${FunctionName}: the account would keep less unreserved concurrency than AWS requires${minimum}.`,
      {
        hint: "Lower reservedConcurrency in the config file, or remove it to reserve none, or ask AWS for a higher Lambda concurrent-executions quota (Service Quotas), then run up again.",
        cause: err,
      },
    );
  }
}

/**
 * Lambda's refusal of a reservation that would take the account's unreserved concurrency below
 * its minimum ("…decreases account's UnreservedConcurrentExecution below its minimum value of
 * [100]."): the minimum as written ("" if AWS words it otherwise), or undefined for any other
 * error.
 */
function unreservedMinimum(err: unknown): string | undefined {
  if (!isNamed(err, "InvalidParameterValueException")) return undefined;
  const m = errorMessage(err);
  if (!/UnreservedConcurrentExecution below its minimum/i.test(m)) return undefined;
  return /minimum value of \[(\d+)\]/.exec(m)?.[1] ?? "";
}

type FunctionField =
  | "code"
  | "runtime"
  | "handler"
  | "memorySize"
  | "timeout"
  | "role"
  | "environment"
  | "tracing"
  | "logging"
  | "reservedConcurrency"
  | "tags"
  | "version";

/** The fields one UpdateFunctionConfiguration sets, in the order it names them. */
const CONFIG_FIELDS = [
  "runtime",
  "handler",
  "memorySize",
  "timeout",
  "role",
  "environment",
  "tracing",
  "logging",
] as const satisfies readonly FunctionField[];

type ConfigField = (typeof CONFIG_FIELDS)[number];

function configuration(p: FunctionProps) {
  return {
    FunctionName: p.name,
    Role: p.roleArn,
    Runtime: p.runtime as Runtime,
    Handler: p.handler,
    MemorySize: p.memoryMb,
    Timeout: p.timeoutSeconds,
    Environment: { Variables: { ...p.environment } },
    TracingConfig: { Mode: "Active" as const },
    LoggingConfig: { LogFormat: "JSON" as const, LogGroup: p.logGroup },
  };
}

type FunctionFixer = Fixer<FunctionProps, FunctionOutputs, FunctionCurrent, FunctionField>;

/** Only the settings that differ, in one call; then waits until Lambda has applied them. */
const setConfiguration: FunctionFixer = async (ctx, p, _o, fields) => {
  const FunctionName = p.name;
  const config = configuration(p);
  const only: Record<string, unknown> = { FunctionName };
  const map: Record<ConfigField, keyof typeof config> = {
    runtime: "Runtime",
    handler: "Handler",
    memorySize: "MemorySize",
    timeout: "Timeout",
    role: "Role",
    environment: "Environment",
    tracing: "TracingConfig",
    logging: "LoggingConfig",
  };
  for (const f of CONFIG_FIELDS.filter((x) => fields.has(x))) only[map[f]] = config[map[f]];
  await retryWhile(
    ctx,
    () =>
      ctx.clients.lambda.send(
        new UpdateFunctionConfigurationCommand(only as { FunctionName: string }),
      ),
    updateInProgress,
  );
  await waitUpdated(ctx, FunctionName, "configuration update");
};

export const functionKind: Kind<FunctionProps, FunctionOutputs, FunctionCurrent, FunctionField> = {
  kind: "lambda-function",
  label: "Lambda function",
  clients: ["lambda"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p) {
    const r = await read(ctx, p);
    return (
      r && {
        id: p.name,
        outputs: { name: p.name, arn: r.arn, version: r.current.publishedVersion ?? "" },
        current: r.current,
      }
    );
  },

  diff(p, o) {
    const c = o.current;
    const fields: FunctionField[] = [];
    if (c.codeSha256 !== p.code.sha256Base64) fields.push("code");
    if (c.runtime !== p.runtime) fields.push("runtime");
    if (c.handler !== p.handler) fields.push("handler");
    if (c.memoryMb !== p.memoryMb) fields.push("memorySize");
    if (c.timeoutSeconds !== p.timeoutSeconds) fields.push("timeout");
    if (c.reservedConcurrency !== p.reservedConcurrency) fields.push("reservedConcurrency");
    if (c.roleArn !== p.roleArn) fields.push("role");
    if (!deepEqual(c.environment, { ...p.environment })) fields.push("environment");
    if (c.tracing !== "Active") fields.push("tracing");
    if (c.logFormat !== "JSON" || c.logGroup !== p.logGroup) fields.push("logging");
    if (!hasTags(c.tags, p.tags)) fields.push("tags");
    // The code and configuration wanted are published as a version of their own, once.
    if (c.publishedVersion === undefined) fields.push("version");
    return fields;
  },

  values(p, o) {
    const c = o.current;
    return {
      code: { observed: c.codeSha256, desired: p.code.sha256Base64 },
      runtime: { observed: c.runtime, desired: p.runtime },
      handler: { observed: c.handler, desired: p.handler },
      memorySize: { observed: c.memoryMb, desired: p.memoryMb },
      timeout: { observed: c.timeoutSeconds, desired: p.timeoutSeconds },
      reservedConcurrency: { observed: c.reservedConcurrency, desired: p.reservedConcurrency },
      role: { observed: c.roleArn, desired: p.roleArn },
      environment: { observed: c.environment, desired: p.environment },
      tracing: { observed: c.tracing, desired: "Active" },
      logging: {
        observed: { format: c.logFormat, group: c.logGroup },
        desired: { format: "JSON", group: p.logGroup },
      },
      tags: { observed: c.tags, desired: p.tags },
      version: {
        observed: c.publishedVersion ?? "(none published)",
        desired: "a published version of this code and configuration",
      },
    };
  },

  // A second update during one fails with ResourceConflictException.
  beforeFix: (ctx, p, o) => waitSettled(ctx, p.name, o.current),

  // In this order: the code first, then the configuration, the reservation and the tags.
  fix: {
    async code(ctx, p) {
      await retryWhile(
        ctx,
        () =>
          ctx.clients.lambda.send(
            new UpdateFunctionCodeCommand({
              FunctionName: p.name,
              S3Bucket: p.code.bucket,
              S3Key: p.code.key,
            }),
          ),
        updateInProgress,
      );
      await waitUpdated(ctx, p.name, "code update");
    },
    runtime: setConfiguration,
    handler: setConfiguration,
    memorySize: setConfiguration,
    timeout: setConfiguration,
    role: setConfiguration,
    environment: setConfiguration,
    tracing: setConfiguration,
    logging: setConfiguration,
    reservedConcurrency: (ctx, p) => setConcurrency(ctx, p),
    async tags(ctx, p, o) {
      await ctx.clients.lambda.send(
        new TagResourceCommand({ Resource: o.outputs.arn, Tags: { ...p.tags } }),
      );
    },
    // Last: what it publishes is what the fixes above made.
    version: async (ctx, p) => ({ version: await publish(ctx, p.name) }),
  },

  // The reservation is set by the fix that follows: CreateFunction has no parameter for it.
  async create(ctx, p) {
    await retryWhile(
      ctx,
      () =>
        ctx.clients.lambda.send(
          new CreateFunctionCommand({
            ...configuration(p),
            Code: { S3Bucket: p.code.bucket, S3Key: p.code.key },
            PackageType: "Zip",
            Architectures: ["x86_64"],
            Tags: { ...p.tags },
          }),
        ),
      iamPropagation,
    );
    await waitActive(ctx, p.name);
  },

  // Made by an earlier run that stopped before recording it.
  alreadyExists: (err) =>
    isNamed(err, "ResourceConflictException") && /already exist/i.test(errorMessage(err)),

  async delete(ctx, entry: StateEntry) {
    await retryWhile(
      ctx,
      () => ctx.clients.lambda.send(new DeleteFunctionCommand({ FunctionName: entry.id })),
      updateInProgress,
    );
  },
};

export const functionHandler = lifecycle(functionKind);
