import {
  CreateStageCommand,
  DeleteStageCommand,
  GetStageCommand,
  TagResourceCommand,
  UpdateStageCommand,
  type PatchOperation,
  type Stage,
} from "@aws-sdk/client-api-gateway";
import { isNamed, orMissing } from "../aws/errors.js";
import { hasTags, jsonValue, sameJson } from "../engine/equal.js";
import { retryWhile } from "../engine/retry.js";
import { lifecycle, type Fixer, type Kind } from "../engine/kind.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { apiBusy, stageArn } from "./api-common.js";
import type { TagMap } from "./tags.js";

export interface StageProps {
  readonly restApiId: string;
  /** The deployment the stage serves (the REST API's newest one for the desired routes). */
  readonly deploymentId: string;
  readonly name: string;
  readonly region: string;
  readonly partition: string;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  /** The access-log group's ARN, without the trailing `:*` API Gateway rejects. */
  readonly accessLogDestinationArn: string;
  readonly accessLogFormat: string;
  readonly tags: TagMap;
  readonly invokeUrl: string;
}

export interface StageOutputs extends Record<string, string> {
  name: string;
  arn: string;
  /** Where the API answers; `up` prints it. */
  invokeUrl: string;
}

interface StageCurrent {
  deploymentId: string | undefined;
  tracingEnabled: boolean;
  loggingLevel: string | undefined;
  dataTraceEnabled: boolean | undefined;
  metricsEnabled: boolean | undefined;
  throttlingRateLimit: number | undefined;
  throttlingBurstLimit: number | undefined;
  accessLogDestinationArn: string | undefined;
  accessLogFormat: string | undefined;
  tags: Record<string, string>;
}

/**
 * Not settings: APIGateway.3 wants X-Ray, APIGateway.1 execution logging at ERROR or INFO, and
 * full request/response bodies stay out of the logs (AWS advises against dataTrace in production).
 */
const BASELINE = {
  tracingEnabled: true,
  loggingLevel: "INFO",
  dataTraceEnabled: false,
  metricsEnabled: true,
} as const;

/** The access-log line: the CDK's standard JSON fields. */
export function accessLogFormat(): string {
  return JSON.stringify({
    requestId: "$context.requestId",
    ip: "$context.identity.sourceIp",
    user: "$context.identity.user",
    caller: "$context.identity.caller",
    requestTime: "$context.requestTime",
    httpMethod: "$context.httpMethod",
    resourcePath: "$context.resourcePath",
    status: "$context.status",
    protocol: "$context.protocol",
    responseLength: "$context.responseLength",
  });
}

/** The stage's public URL; behind a LocalStack-style endpoint, its user-request path. */
export function invokeUrl(i: {
  apiId: string;
  stage: string;
  region: string;
  partition: string;
  endpoint: string | undefined;
}): string {
  if (i.endpoint) {
    return `${i.endpoint.replace(/\/+$/, "")}/restapis/${i.apiId}/${i.stage}/_user_request_`;
  }
  return `${executeApiOrigin(i.apiId, i.region, i.partition)}/${i.stage}`;
}

/** The origin API Gateway serves a REST API at: where its callers' credentials belong. */
export function executeApiOrigin(apiId: string, region: string, partition: string): string {
  const domain = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://${apiId}.execute-api.${region}.${domain}`;
}

type PatchField =
  | "deploymentId"
  | "tracingEnabled"
  | "loggingLevel"
  | "dataTraceEnabled"
  | "metricsEnabled"
  | "throttlingRateLimit"
  | "throttlingBurstLimit"
  | "accessLogDestinationArn"
  | "accessLogFormat";

type StageField = PatchField | "tags";

/** Field → the UpdateStage patch that sets it (values are strings). */
const PATCHES: Record<PatchField, { path: string; value: (p: StageProps) => string }> = {
  deploymentId: { path: "/deploymentId", value: (p) => p.deploymentId },
  tracingEnabled: { path: "/tracingEnabled", value: () => String(BASELINE.tracingEnabled) },
  loggingLevel: { path: "/*/*/logging/loglevel", value: () => BASELINE.loggingLevel },
  dataTraceEnabled: {
    path: "/*/*/logging/dataTrace",
    value: () => String(BASELINE.dataTraceEnabled),
  },
  metricsEnabled: { path: "/*/*/metrics/enabled", value: () => String(BASELINE.metricsEnabled) },
  throttlingRateLimit: {
    path: "/*/*/throttling/rateLimit",
    value: (p) => String(p.throttlingRateLimit),
  },
  throttlingBurstLimit: {
    path: "/*/*/throttling/burstLimit",
    value: (p) => String(p.throttlingBurstLimit),
  },
  accessLogDestinationArn: {
    path: "/accessLogSettings/destinationArn",
    value: (p) => p.accessLogDestinationArn,
  },
  accessLogFormat: { path: "/accessLogSettings/format", value: (p) => p.accessLogFormat },
};

function currentOf(s: Stage): StageCurrent {
  const all = s.methodSettings?.["*/*"];
  return {
    deploymentId: s.deploymentId,
    tracingEnabled: s.tracingEnabled === true,
    loggingLevel: all?.loggingLevel,
    dataTraceEnabled: all?.dataTraceEnabled,
    metricsEnabled: all?.metricsEnabled,
    throttlingRateLimit: all?.throttlingRateLimit,
    throttlingBurstLimit: all?.throttlingBurstLimit,
    accessLogDestinationArn: s.accessLogSettings?.destinationArn,
    accessLogFormat: s.accessLogSettings?.format,
    tags: s.tags ?? {},
  };
}

function stageId(p: Pick<StageProps, "restApiId" | "name">): string {
  return `${p.restApiId}/${p.name}`;
}

function observed(p: StageProps, current: StageCurrent): Observed<StageOutputs, StageCurrent> {
  return {
    id: stageId(p),
    outputs: {
      name: p.name,
      arn: stageArn(p.partition, p.region, p.restApiId, p.name),
      invokeUrl: p.invokeUrl,
    },
    current,
  };
}

async function read(ctx: Ctx, p: StageProps): Promise<StageCurrent | undefined> {
  const s = await orMissing(
    ctx.clients.apigateway.send(new GetStageCommand({ restApiId: p.restApiId, stageName: p.name })),
  );
  return s && currentOf(s);
}

/** Every patched field that differs, in one UpdateStage. */
const patch: Fixer<StageProps, StageOutputs, StageCurrent, StageField> = async (
  ctx,
  p,
  _o,
  fields,
) => {
  const patchOperations: PatchOperation[] = Object.entries(PATCHES)
    .filter(([field]) => fields.has(field as PatchField))
    .map(([, x]) => ({ op: "replace", path: x.path, value: x.value(p) }));
  await retryWhile(
    ctx,
    () =>
      ctx.clients.apigateway.send(
        new UpdateStageCommand({ restApiId: p.restApiId, stageName: p.name, patchOperations }),
      ),
    apiBusy(),
  );
};

export const stageKind: Kind<StageProps, StageOutputs, StageCurrent, StageField> = {
  kind: "apigateway-stage",
  label: "API Gateway stage",
  clients: ["apigateway"],
  tagsOf: (c) => c.tags,
  displayId: stageId,

  async read(ctx, p) {
    const current = await read(ctx, p);
    return current && observed(p, current);
  },

  diff(p, o) {
    const c = o.current;
    const fields: StageField[] = [];
    if (c.deploymentId !== p.deploymentId) fields.push("deploymentId");
    if (c.tracingEnabled !== BASELINE.tracingEnabled) fields.push("tracingEnabled");
    if (c.loggingLevel !== BASELINE.loggingLevel) fields.push("loggingLevel");
    if (c.dataTraceEnabled !== BASELINE.dataTraceEnabled) fields.push("dataTraceEnabled");
    if (c.metricsEnabled !== BASELINE.metricsEnabled) fields.push("metricsEnabled");
    if (c.throttlingRateLimit !== p.throttlingRateLimit) fields.push("throttlingRateLimit");
    if (c.throttlingBurstLimit !== p.throttlingBurstLimit) fields.push("throttlingBurstLimit");
    if (c.accessLogDestinationArn !== p.accessLogDestinationArn) {
      fields.push("accessLogDestinationArn");
    }
    if (!sameJson(c.accessLogFormat, p.accessLogFormat)) fields.push("accessLogFormat");
    if (!hasTags(c.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values(p, o) {
    const c = o.current;
    const pair = <K extends keyof StageCurrent>(k: K, desired: unknown) => ({
      observed: c[k],
      desired,
    });
    return {
      deploymentId: pair("deploymentId", p.deploymentId),
      tracingEnabled: pair("tracingEnabled", BASELINE.tracingEnabled),
      loggingLevel: pair("loggingLevel", BASELINE.loggingLevel),
      dataTraceEnabled: pair("dataTraceEnabled", BASELINE.dataTraceEnabled),
      metricsEnabled: pair("metricsEnabled", BASELINE.metricsEnabled),
      throttlingRateLimit: pair("throttlingRateLimit", p.throttlingRateLimit),
      throttlingBurstLimit: pair("throttlingBurstLimit", p.throttlingBurstLimit),
      accessLogDestinationArn: pair("accessLogDestinationArn", p.accessLogDestinationArn),
      accessLogFormat: {
        observed: jsonValue(c.accessLogFormat),
        desired: jsonValue(p.accessLogFormat),
      },
      tags: pair("tags", p.tags),
    };
  },

  fix: {
    deploymentId: patch,
    tracingEnabled: patch,
    loggingLevel: patch,
    dataTraceEnabled: patch,
    metricsEnabled: patch,
    throttlingRateLimit: patch,
    throttlingBurstLimit: patch,
    accessLogDestinationArn: patch,
    accessLogFormat: patch,
    async tags(ctx, p) {
      await ctx.clients.apigateway.send(
        new TagResourceCommand({
          resourceArn: stageArn(p.partition, p.region, p.restApiId, p.name),
          tags: { ...p.tags },
        }),
      );
    },
  },

  // CreateStage takes neither method settings nor access logs: the fix that follows patches
  // them in, from what the engine reads back.
  async create(ctx, p) {
    await retryWhile(
      ctx,
      () =>
        ctx.clients.apigateway.send(
          new CreateStageCommand({
            restApiId: p.restApiId,
            stageName: p.name,
            deploymentId: p.deploymentId,
            tracingEnabled: BASELINE.tracingEnabled,
            tags: { ...p.tags },
          }),
        ),
      apiBusy(),
    );
  },

  // Made by an earlier run that stopped before recording it: adopt it.
  alreadyExists: (err) => isNamed(err, "ConflictException"),

  async exists(ctx, entry) {
    const [restApiId, stageName] = entry.id.split("/");
    const s = await orMissing(
      ctx.clients.apigateway.send(new GetStageCommand({ restApiId, stageName })),
    );
    return s !== undefined;
  },

  async delete(ctx, entry: StateEntry) {
    const [restApiId, stageName] = entry.id.split("/");
    await retryWhile(
      ctx,
      () => ctx.clients.apigateway.send(new DeleteStageCommand({ restApiId, stageName })),
      apiBusy({ quota: true }),
    );
  },
};

export const stageHandler = lifecycle(stageKind);
