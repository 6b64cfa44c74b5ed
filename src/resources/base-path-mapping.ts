import {
  CreateBasePathMappingCommand,
  DeleteBasePathMappingCommand,
  GetBasePathMappingCommand,
  UpdateBasePathMappingCommand,
  type PatchOperation,
} from "@aws-sdk/client-api-gateway";
import { isNamed, orMissing } from "../aws/errors.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import { retryWhile } from "../engine/retry.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { apiBusy } from "./api-common.js";

/** API Gateway's name for the empty base path (the domain's root). */
export const ROOT_BASE_PATH = "(none)";

export interface BasePathMappingProps {
  readonly domainName: string;
  /** "" for the root. */
  readonly basePath: string;
  readonly restApiId: string;
  readonly stage: string;
}

export interface BasePathMappingOutputs extends Record<string, string> {
  domainName: string;
  /** As API Gateway names it: "(none)" for the root. */
  basePath: string;
  restApiId: string;
  stage: string;
}

interface BasePathMappingCurrent {
  restApiId: string;
  stage: string;
}

type Field = "restApiId" | "stage";

const wire = (basePath: string) => basePath || ROOT_BASE_PATH;

function observed(
  p: Pick<BasePathMappingProps, "domainName" | "basePath">,
  restApiId: string,
  stage: string,
): Observed<BasePathMappingOutputs, BasePathMappingCurrent> {
  const basePath = wire(p.basePath);
  return {
    id: `${p.domainName}/${basePath}`,
    outputs: { domainName: p.domainName, basePath, restApiId, stage },
    current: { restApiId, stage },
  };
}

async function read(ctx: Ctx, domainName: string, basePath: string) {
  return orMissing(
    ctx.clients.apigateway.send(new GetBasePathMappingCommand({ domainName, basePath })),
  );
}

export const basePathMappingKind: Kind<
  BasePathMappingProps,
  BasePathMappingOutputs,
  BasePathMappingCurrent,
  Field
> = {
  kind: "apigateway-base-path-mapping",
  label: "API Gateway base path mapping",
  clients: ["apigateway"],
  displayId: (p) => `${p.domainName}/${wire(p.basePath)}`,

  /** On the stack's own domain name (tagged): whatever is mapped at its path is the stack's. */
  async read(ctx, p) {
    const m = await read(ctx, p.domainName, wire(p.basePath));
    return m ? observed(p, m.restApiId ?? "", m.stage ?? "") : undefined;
  },

  diff(p, o) {
    const fields: Field[] = [];
    if (o.current.restApiId !== p.restApiId) fields.push("restApiId");
    if (o.current.stage !== p.stage) fields.push("stage");
    return fields;
  },

  values: (p, o) => ({
    restApiId: { observed: o.current.restApiId, desired: p.restApiId },
    stage: { observed: o.current.stage, desired: p.stage },
  }),

  fix: {
    restApiId: update,
    stage: update,
  },

  async create(ctx, p) {
    await retryWhile(
      ctx,
      () =>
        ctx.clients.apigateway.send(
          new CreateBasePathMappingCommand({
            domainName: p.domainName,
            restApiId: p.restApiId,
            stage: p.stage,
            ...(p.basePath ? { basePath: p.basePath } : {}),
          }),
        ),
      apiBusy(),
    );
    return observed(p, p.restApiId, p.stage);
  },

  alreadyExists: (err) => isNamed(err, "ConflictException") && apiBusy()(err) === undefined,

  async exists(ctx, entry) {
    const { domainName, basePath } = entry.outputs;
    return !!domainName && (await read(ctx, domainName, basePath ?? ROOT_BASE_PATH)) !== undefined;
  },

  async delete(ctx, entry: StateEntry) {
    const { domainName, basePath } = entry.outputs;
    if (!domainName) return;
    await retryWhile(
      ctx,
      () =>
        ctx.clients.apigateway.send(
          new DeleteBasePathMappingCommand({ domainName, basePath: basePath ?? ROOT_BASE_PATH }),
        ),
      apiBusy(),
    );
  },
};

async function update(
  ctx: Ctx,
  p: BasePathMappingProps,
  o: Observed<BasePathMappingOutputs, BasePathMappingCurrent>,
  fields: ReadonlySet<Field>,
): Promise<Partial<BasePathMappingOutputs>> {
  const ops: PatchOperation[] = [];
  if (fields.has("restApiId")) ops.push({ op: "replace", path: "/restapiId", value: p.restApiId });
  if (fields.has("stage")) ops.push({ op: "replace", path: "/stage", value: p.stage });
  await retryWhile(
    ctx,
    () =>
      ctx.clients.apigateway.send(
        new UpdateBasePathMappingCommand({
          domainName: p.domainName,
          basePath: o.outputs.basePath,
          patchOperations: ops,
        }),
      ),
    apiBusy(),
  );
  return { restApiId: p.restApiId, stage: p.stage };
}

export const basePathMappingHandler = lifecycle(basePathMappingKind);

/** Where callers reach the API through its custom domain, from the mapping's outputs. */
export function domainUrl(o: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!o?.domainName) return undefined;
  const path = o.basePath && o.basePath !== ROOT_BASE_PATH ? `/${o.basePath}` : "";
  return `https://${o.domainName}${path}`;
}
