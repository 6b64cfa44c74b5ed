import { createHash } from "node:crypto";
import {
  CreateAuthorizerCommand,
  CreateDeploymentCommand,
  DeleteAuthorizerCommand,
  CreateRestApiCommand,
  DeleteRestApiCommand,
  GetAuthorizersCommand,
  GetRestApiCommand,
  GetStagesCommand,
  TagResourceCommand,
  UpdateRestApiCommand,
  paginateGetDeployments,
  paginateGetRestApis,
  type Deployment,
  type RestApi,
} from "@aws-sdk/client-api-gateway";
import { orMissing } from "../aws/errors.js";
import { PROJECT } from "../config.js";
import { deepEqual, hasTags } from "../engine/equal.js";
import { retryWhile } from "../engine/retry.js";
import { lifecycle, type Fixer, type Kind } from "../engine/kind.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { allItems, allPages, apiBusy, restApiArn } from "./api-common.js";
import {
  desiredMethod,
  desiredPaths,
  methodsAt,
  readResources,
  repairRoutes,
  routeChanges,
  ROUTE_FIELD,
  ROUTE_FIELDS,
  type MethodState,
  type ResourceState,
  type RoutesProps,
} from "./rest-api-routes.js";
import type { TagMap } from "./tags.js";

export interface RestApiProps extends RoutesProps {
  readonly name: string;
  /** REST API names are not unique: only an API carrying this tag is ours to adopt. */
  readonly stackTag: { readonly key: string; readonly value: string };
  readonly tags: TagMap;
  readonly region: string;
  readonly partition: string;
  /** auth cognito: the user pool whose ID tokens the API's authorizer accepts. */
  readonly userPoolArn?: string | undefined;
  /** With a custom domain: the execute-api address is turned off, so calls go through it. */
  readonly disableExecuteApiEndpoint?: boolean | undefined;
}

export interface RestApiOutputs extends Record<string, string> {
  id: string;
  rootResourceId: string;
  name: string;
  /** Hash of the desired routes and integrations; a deployment's description records it. */
  routesHash: string;
  /** The newest deployment made from exactly these routes; the stage serves it. */
  deploymentId: string;
}

/** A Cognito authorizer of the API, as far as the stack cares. */
interface AuthorizerState {
  id: string;
  name: string;
  type: string | undefined;
  providerArns: string[];
  identitySource: string | undefined;
}

interface RestApiCurrent {
  /** The API's authorizers whose names say this stack made them. */
  authorizers: AuthorizerState[];
  endpointTypes: string[];
  disableExecuteApiEndpoint: boolean;
  tags: Record<string, string>;
  rootResourceId: string;
  resources: ResourceState[];
  /** Newest deployment whose description names the desired routes hash. */
  deploymentId: string | undefined;
}

const ENDPOINT_TYPE = "REGIONAL";

/** Stable across runs and key order: changes only when a route, its auth or integration does. */
export function routesHash(
  p: Pick<RestApiProps, "routes" | "integrationUri" | "auth" | "userPoolArn">,
): string {
  const canonical = [...p.routes]
    .map((r) => ({ path: r.path, methods: [...r.methods].sort() }))
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((r) => [
      r.path,
      r.methods.map((x) => {
        const m = desiredMethod(p, x);
        // apiKeyRequired only when set, so that hashes of open APIs stay what they were.
        if (m.apiKeyRequired) return [x, m.authorizationType, m.integration, "key"];
        if (m.authorizationType === "COGNITO_USER_POOLS")
          return [x, m.authorizationType, m.integration, p.userPoolArn];
        return [x, m.authorizationType, m.integration];
      }),
    ]);
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex").slice(0, 16);
}

/** What a deployment's description says; how the next run recognises it. */
export function deploymentDescription(hash: string): string {
  return `${PROJECT} routes ${hash}`;
}

/** Every REST API with our name and stack tag, oldest first (the one read adopts). */
async function findOurs(ctx: Ctx, p: RestApiProps): Promise<RestApi[]> {
  const all = await allItems(
    paginateGetRestApis({ client: ctx.clients.apigateway }, { limit: 500 }),
  );
  return all
    .filter((a) => a.name === p.name && a.tags?.[p.stackTag.key] === p.stackTag.value)
    .sort((a, b) => (a.createdDate?.getTime() ?? 0) - (b.createdDate?.getTime() ?? 0));
}

/** Routes, deployments, authorizers, and the deployments the API's stages serve. */
type Parts = [ResourceState[], Deployment[], AuthorizerState[], Set<string>];

/** Authorizers this stack names `<api name>-cognito-<hash of the pool>`. */
const AUTHORIZER_INFIX = "-cognito-";

function authorizerName(p: Pick<RestApiProps, "name" | "userPoolArn">): string {
  const h = createHash("sha256")
    .update(p.userPoolArn ?? "")
    .digest("hex")
    .slice(0, 8);
  return `${p.name}${AUTHORIZER_INFIX}${h}`;
}

const IDENTITY_SOURCE = "method.request.header.Authorization";

function readParts(ctx: Ctx, restApiId: string): Promise<Parts> {
  const api = ctx.clients.apigateway;
  return Promise.all([
    readResources(api, restApiId),
    allItems(paginateGetDeployments({ client: api }, { restApiId, limit: 500 })),
    allPages((position) =>
      api.send(new GetAuthorizersCommand({ restApiId, position, limit: 500 })),
    ).then((items) =>
      items.map((a) => ({
        id: a.id ?? "",
        name: a.name ?? "",
        type: a.type,
        providerArns: a.providerARNs ?? [],
        identitySource: a.identitySource,
      })),
    ),
    api
      .send(new GetStagesCommand({ restApiId }))
      .then((r) => new Set((r.item ?? []).map((st) => st.deploymentId ?? ""))),
  ]);
}

/** The stack's authorizer when it is exactly as wanted, and the stack's others (to delete). */
function authorizerDrift(p: RestApiProps, c: RestApiCurrent) {
  const wantName = p.auth === "cognito" ? authorizerName(p) : undefined;
  const good = c.authorizers.find(
    (a) =>
      a.name === wantName &&
      a.type === "COGNITO_USER_POOLS" &&
      a.providerArns.join(",") === (p.userPoolArn ?? "") &&
      a.identitySource === IDENTITY_SOURCE,
  );
  const extra = c.authorizers.filter(
    (a) => a.name.startsWith(`${p.name}${AUTHORIZER_INFIX}`) && a.id !== good?.id,
  );
  return { wantName, good, extra };
}

async function readCurrent(
  ctx: Ctx,
  p: RestApiProps,
  a: RestApi,
  parts?: Parts,
): Promise<RestApiCurrent> {
  const [resources, deployments, authorizers, served] = parts ?? (await readParts(ctx, a.id ?? ""));
  const description = deploymentDescription(routesHash(p));
  const matching = deployments.filter((d) => d.description === description);
  // Retried CreateDeployments can leave several of these within one second (createdDate's
  // precision): the one a stage already serves wins, so that the stage is not moved for nothing.
  const newest =
    matching.find((d) => served.has(d.id ?? "")) ??
    matching.sort(
      (x, y) =>
        (y.createdDate?.getTime() ?? 0) - (x.createdDate?.getTime() ?? 0) ||
        (y.id ?? "").localeCompare(x.id ?? ""),
    )[0];
  return {
    authorizers: authorizers.filter((x) => x.name.startsWith(`${p.name}${AUTHORIZER_INFIX}`)),
    endpointTypes: a.endpointConfiguration?.types ?? [],
    disableExecuteApiEndpoint: a.disableExecuteApiEndpoint === true,
    tags: a.tags ?? {},
    rootResourceId: a.rootResourceId ?? resources.find((r) => r.path === "/")?.id ?? "",
    resources,
    deploymentId: newest?.id,
  };
}

function observed(
  p: RestApiProps,
  id: string,
  current: RestApiCurrent,
): Observed<RestApiOutputs, RestApiCurrent> {
  return {
    id,
    outputs: {
      id,
      rootResourceId: current.rootResourceId,
      name: p.name,
      routesHash: routesHash(p),
      deploymentId: current.deploymentId ?? "",
    },
    current,
  };
}

type RestApiField =
  | "endpointType"
  | "defaultEndpoint"
  | "tags"
  | "authorizer"
  | "resources"
  | "methods"
  | "integrations"
  | "deployment";

type RestApiFixer = Fixer<RestApiProps, RestApiOutputs, RestApiCurrent, RestApiField>;

/** A deployment of the desired routes, as they are now; its id. */
async function deploy(ctx: Ctx, p: RestApiProps, restApiId: string): Promise<string> {
  const d = await retryWhile(
    ctx,
    () =>
      ctx.clients.apigateway.send(
        new CreateDeploymentCommand({
          restApiId,
          description: deploymentDescription(routesHash(p)),
        }),
      ),
    apiBusy(),
  );
  return d.id ?? "";
}

/**
 * The stack's authorizer, the routes and the authorizers no method needs any more, in that
 * order: the methods of a new authorizer point at it, and an old one goes only once no method
 * points at it. Deploys what it changed.
 */
const routes: RestApiFixer = async (ctx, p, o, fields) => {
  const api = ctx.clients.apigateway;
  const restApiId = o.id;
  const c = o.current;
  const busy = apiBusy();
  const authorizers = authorizerDrift(p, c);
  let authorizerId = authorizers.good?.id;
  if (fields.has("authorizer") && authorizers.wantName && !authorizerId) {
    const made = await retryWhile(
      ctx,
      () =>
        api.send(
          new CreateAuthorizerCommand({
            restApiId,
            name: authorizers.wantName,
            type: "COGNITO_USER_POOLS",
            providerARNs: [p.userPoolArn ?? ""],
            identitySource: IDENTITY_SOURCE,
          }),
        ),
      busy,
    );
    authorizerId = made.id;
  }
  const repaired = ROUTE_FIELDS.some((f) => fields.has(f))
    ? await repairRoutes(ctx, p, restApiId, c, authorizerId)
    : false;
  // Only once no method points at them any more.
  if (fields.has("authorizer")) {
    for (const x of authorizers.extra) {
      await orMissing(
        retryWhile(
          ctx,
          () => api.send(new DeleteAuthorizerCommand({ restApiId, authorizerId: x.id })),
          busy,
        ),
      );
    }
  }
  // A deployment is a snapshot: routes repaired here reach callers only through a new one.
  if (repaired || fields.has("authorizer")) {
    return { deploymentId: await deploy(ctx, p, restApiId) };
  }
};

/** One field of the REST API replaced (UpdateRestApi), retried while the API is busy. */
async function replaceField(ctx: Ctx, restApiId: string, path: string, value: string) {
  await retryWhile(
    ctx,
    () =>
      ctx.clients.apigateway.send(
        new UpdateRestApiCommand({ restApiId, patchOperations: [{ op: "replace", path, value }] }),
      ),
    apiBusy(),
  );
}

export const restApiKind: Kind<RestApiProps, RestApiOutputs, RestApiCurrent, RestApiField> = {
  kind: "apigateway-rest-api",
  label: "API Gateway REST API",
  clients: ["apigateway"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p, recorded) {
    if (recorded?.id) {
      // The usual case: the API and its routes in one round trip.
      const [got, parts] = await Promise.allSettled([
        orMissing(ctx.clients.apigateway.send(new GetRestApiCommand({ restApiId: recorded.id }))),
        readParts(ctx, recorded.id),
      ]);
      if (got.status === "rejected") throw got.reason;
      if (got.value?.id) {
        if (parts.status === "rejected") throw parts.reason;
        return observed(p, got.value.id, await readCurrent(ctx, p, got.value, parts.value));
      }
    }
    const a = (await findOurs(ctx, p))[0];
    if (!a?.id) return undefined;
    return observed(p, a.id, await readCurrent(ctx, p, a));
  },

  diff(p, o) {
    const c = o.current;
    const fields: RestApiField[] = [];
    if (!deepEqual(c.endpointTypes, [ENDPOINT_TYPE])) fields.push("endpointType");
    if (c.disableExecuteApiEndpoint !== (p.disableExecuteApiEndpoint === true))
      fields.push("defaultEndpoint");
    if (!hasTags(c.tags, p.tags)) fields.push("tags");
    const routes = new Set(
      routeChanges(p, c, authorizerDrift(p, c).good?.id).map((x) => ROUTE_FIELD[x.op]),
    );
    fields.push(...ROUTE_FIELDS.filter((f) => routes.has(f)));
    const a = authorizerDrift(p, c);
    if ((a.wantName && !a.good) || a.extra.length) fields.push("authorizer");
    if (!c.deploymentId) fields.push("deployment");
    return fields;
  },

  values(p, o) {
    const c = o.current;
    const a = authorizerDrift(p, c);
    const paths = desiredPaths(p.routes);
    // "VERB /path" → what part of each method is compared, as AWS has it and as wanted.
    const methods = (part: (m: MethodState) => unknown) => ({
      observed: Object.fromEntries(
        c.resources.flatMap((r) =>
          Object.entries(r.methods).map(([verb, m]) => [`${verb} ${r.path}`, part(m)]),
        ),
      ),
      desired: Object.fromEntries(
        paths.flatMap((path) =>
          methodsAt(p, path).map((verb) => [
            `${verb} ${path}`,
            part(desiredMethod(p, verb, a.good?.id)),
          ]),
        ),
      ),
    });
    const authOf = (m: MethodState) => ({
      authorizationType: m.authorizationType,
      apiKeyRequired: m.apiKeyRequired,
      ...(m.authorizationType === "COGNITO_USER_POOLS" ? { authorizerId: m.authorizerId } : {}),
    });
    return {
      endpointType: { observed: c.endpointTypes, desired: [ENDPOINT_TYPE] },
      defaultEndpoint: {
        observed: c.disableExecuteApiEndpoint ? "disabled" : "enabled",
        desired: p.disableExecuteApiEndpoint === true ? "disabled" : "enabled",
      },
      tags: { observed: c.tags, desired: p.tags },
      resources: { observed: c.resources.map((r) => r.path).sort(), desired: [...paths].sort() },
      methods: methods(authOf),
      integrations: methods((m) => m.integration),
      authorizer: {
        observed: c.authorizers.map(({ name, type, providerArns, identitySource }) => ({
          name,
          type,
          providerArns,
          identitySource,
        })),
        desired: a.wantName
          ? [
              {
                name: a.wantName,
                type: "COGNITO_USER_POOLS",
                providerArns: p.userPoolArn ? [p.userPoolArn] : [],
                identitySource: IDENTITY_SOURCE,
              },
            ]
          : [],
      },
      deployment: {
        observed: c.deploymentId,
        desired: c.deploymentId ?? `a new deployment of routes ${routesHash(p)}`,
      },
    };
  },

  fix: {
    async endpointType(ctx, _p, o) {
      // Only one endpoint type at a time: replace whatever it is now.
      const from = o.current.endpointTypes[0] ?? "EDGE";
      await replaceField(ctx, o.id, `/endpointConfiguration/types/${from}`, ENDPOINT_TYPE);
    },
    /**
     * The execute-api address, on or off. The change reaches callers only with a new deployment
     * (API Gateway's developer guide, "Disable the default endpoint for REST APIs").
     */
    async defaultEndpoint(ctx, p, o) {
      const disabled = String(p.disableExecuteApiEndpoint === true);
      await replaceField(ctx, o.id, "/disableExecuteApiEndpoint", disabled);
      if (o.outputs.deploymentId) return { deploymentId: await deploy(ctx, p, o.id) };
    },
    async tags(ctx, p, o) {
      await ctx.clients.apigateway.send(
        new TagResourceCommand({
          resourceArn: restApiArn(p.partition, p.region, o.id),
          tags: { ...p.tags },
        }),
      );
    },
    authorizer: routes,
    resources: routes,
    methods: routes,
    integrations: routes,
    // No deployment has the desired routes: unless the routes fix above just made one.
    async deployment(ctx, p, o) {
      if (o.outputs.deploymentId) return;
      return { deploymentId: await deploy(ctx, p, o.id) };
    },
  },

  // The routes, the authorizer and the first deployment are made by the fixes that follow.
  async create(ctx, p) {
    const a = await ctx.clients.apigateway.send(
      new CreateRestApiCommand({
        name: p.name,
        endpointConfiguration: { types: [ENDPOINT_TYPE] },
        ...(p.disableExecuteApiEndpoint ? { disableExecuteApiEndpoint: true } : {}),
        // Tagged at birth: should this run stop before recording it, the next one adopts it.
        tags: { ...p.tags },
      }),
    );
    // CreateRestApi takes no idempotency token: had the SDK retried it after a lost response,
    // there would now be two. Keep the oldest (the one read adopts), delete the others.
    const ours = await findOurs(ctx, p);
    const keep = ours[0] ?? a;
    for (const extra of ours.slice(1)) {
      if (extra.id) await orMissing(deleteApi(ctx, extra.id));
    }
    return observed(p, keep.id ?? "", await readCurrent(ctx, p, keep));
  },

  async exists(ctx, entry) {
    const a = await orMissing(
      ctx.clients.apigateway.send(new GetRestApiCommand({ restApiId: entry.id })),
    );
    return a !== undefined;
  },

  delete: (ctx, entry: StateEntry) => deleteApi(ctx, entry.id),
};

export const restApiHandler = lifecycle(restApiKind);

async function deleteApi(ctx: Ctx, restApiId: string): Promise<void> {
  await retryWhile(
    ctx,
    () => ctx.clients.apigateway.send(new DeleteRestApiCommand({ restApiId })),
    apiBusy({ quota: true }),
  );
}
