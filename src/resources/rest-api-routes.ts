import {
  CreateResourceCommand,
  DeleteMethodCommand,
  DeleteResourceCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  paginateGetResources,
  type APIGatewayClient,
} from "@aws-sdk/client-api-gateway";
import { isNamed, orMissing } from "../aws/errors.js";
import type { AuthMode } from "../config.js";
import { deepEqual } from "../engine/equal.js";
import { retryWhile } from "../engine/retry.js";
import type { Ctx } from "../engine/types.js";
import type { RouteSpec } from "../routes.js";
import { allItems, apiBusy } from "./api-common.js";

/**
 * A REST API's routes: the paths and methods the stack wants, what the API has, and the steps
 * that make the one the other.
 */

/** What the routes of a REST API are made from. */
export interface RoutesProps {
  readonly routes: readonly RouteSpec[];
  /** The AWS_PROXY integration target (the function's invocation URI). */
  readonly integrationUri: string;
  /** How callers of every method but the CORS preflight (OPTIONS) authenticate. */
  readonly auth: AuthMode;
}

/** A method as the stack cares about it. */
export interface MethodState {
  authorizationType: string | undefined;
  authorizerId: string | undefined;
  apiKeyRequired: boolean;
  integration: {
    type: string | undefined;
    httpMethod: string | undefined;
    uri: string | undefined;
  };
}

export interface ResourceState {
  id: string;
  parentId: string | undefined;
  path: string;
  methods: Record<string, MethodState>;
}

/**
 * A method as the stack wants it. The CORS preflight (OPTIONS) stays open in every mode:
 * browsers send it without credentials, and the handler answers it without touching data.
 */
export function desiredMethod(
  p: Pick<RoutesProps, "integrationUri" | "auth">,
  verb: string,
  authorizerId?: string,
): MethodState {
  const open = verb === "OPTIONS" || p.auth === "none";
  const type = { iam: "AWS_IAM", cognito: "COGNITO_USER_POOLS" }[p.auth as string];
  return {
    authorizationType: !open && type ? type : "NONE",
    authorizerId: !open && p.auth === "cognito" ? authorizerId : undefined,
    apiKeyRequired: !open && p.auth === "api-key",
    integration: { type: "AWS_PROXY", httpMethod: "POST", uri: p.integrationUri },
  };
}

/** Every path the API must have, ancestors included, parents before children. */
export function desiredPaths(routes: readonly RouteSpec[]): string[] {
  const paths = new Set<string>(["/"]);
  for (const r of routes) {
    const parts = r.path.split("/").filter(Boolean);
    for (let k = 1; k <= parts.length; k++) paths.add(`/${parts.slice(0, k).join("/")}`);
  }
  return [...paths].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
}

function depth(path: string): number {
  return path === "/" ? 0 : path.split("/").length - 1;
}

export function methodsAt(p: Pick<RoutesProps, "routes">, path: string): string[] {
  return [...new Set(p.routes.filter((r) => r.path === path).flatMap((r) => r.methods))];
}

export async function readResources(
  api: APIGatewayClient,
  restApiId: string,
): Promise<ResourceState[]> {
  const items = await allItems(
    paginateGetResources({ client: api }, { restApiId, limit: 500, embed: ["methods"] }),
  );
  return items.map((r) => ({
    id: r.id ?? "",
    parentId: r.parentId,
    path: r.path ?? "",
    methods: Object.fromEntries(
      Object.entries(r.resourceMethods ?? {}).map(([verb, m]) => [
        verb,
        {
          authorizationType: m.authorizationType,
          authorizerId: m.authorizerId,
          apiKeyRequired: m.apiKeyRequired === true,
          integration: {
            type: m.methodIntegration?.type,
            httpMethod: m.methodIntegration?.httpMethod,
            uri: m.methodIntegration?.uri,
          },
        },
      ]),
    ),
  }));
}

/** One method on one path: a route as the stack wants it or as the API has it. */
interface Route {
  readonly path: string;
  readonly verb: string;
  readonly method: MethodState;
}

/**
 * One step that brings the API's routes to the desired ones. A path is a resource of the API;
 * deleting one deletes the paths and methods under it.
 */
type RouteChange =
  | { readonly op: "removePath"; readonly path: string; readonly id: string }
  | { readonly op: "addPath"; readonly path: string }
  | { readonly op: "removeMethod"; readonly path: string; readonly verb: string }
  /** Its authorization differs: deleted and put again (with its integration). */
  | { readonly op: "replaceMethod"; readonly path: string; readonly verb: string }
  | { readonly op: "addMethod"; readonly path: string; readonly verb: string }
  | { readonly op: "setIntegration"; readonly path: string; readonly verb: string };

/**
 * The order steps run in: paths before their methods, parents before children; methods no
 * longer wanted go before those put.
 */
const ROUTE_OPS: readonly RouteChange["op"][] = [
  "removePath",
  "addPath",
  "removeMethod",
  "replaceMethod",
  "addMethod",
  "setIntegration",
];

/** The field of the fix table a route change belongs to. */
export const ROUTE_FIELD = {
  removePath: "resources",
  addPath: "resources",
  removeMethod: "methods",
  replaceMethod: "methods",
  addMethod: "methods",
  setIntegration: "integrations",
} as const satisfies Record<RouteChange["op"], string>;

function sameAuth(have: MethodState, want: MethodState, authorizerId: string | undefined): boolean {
  return (
    have.authorizationType === want.authorizationType &&
    have.apiKeyRequired === want.apiKeyRequired &&
    // Only a method that uses an authorizer names one (AWS keeps a stale id on the others);
    // with the stack's authorizer still to be made, no method can be pointing at it.
    !(
      want.authorizationType === "COGNITO_USER_POOLS" &&
      (authorizerId === undefined || have.authorizerId !== authorizerId)
    )
  );
}

/**
 * The desired routes against the API's, as the steps that make them the same, in the order
 * they run. Pure.
 */
export function routeChanges(
  p: RoutesProps,
  c: { readonly resources: readonly ResourceState[] },
  authorizerId: string | undefined,
): RouteChange[] {
  const byPath = new Map(c.resources.map((r) => [r.path, r]));
  const paths = desiredPaths(p.routes);
  const wanted = new Set(paths);
  // Deleting a resource deletes its subtree: only the top-most extra ones need a call.
  const extra = c.resources.filter((r) => !wanted.has(r.path));
  const extraIds = new Set(extra.map((r) => r.id));
  const routeKey = (r: { path: string; verb: string }) => `${r.verb} ${r.path}`;
  const desired: Route[] = paths.flatMap((path) =>
    methodsAt(p, path).map((verb) => ({
      path,
      verb,
      method: desiredMethod(p, verb, authorizerId),
    })),
  );
  // The methods of extra paths go with them.
  const observed = new Map<string, Route>(
    paths.flatMap((path) =>
      Object.entries(byPath.get(path)?.methods ?? {}).map(([verb, method]) => {
        const r = { path, verb, method };
        return [routeKey(r), r] as const;
      }),
    ),
  );
  const desiredKeys = new Set(desired.map(routeKey));
  const changes: RouteChange[] = [
    ...extra
      .filter((r) => !r.parentId || !extraIds.has(r.parentId))
      .map((r) => ({ op: "removePath" as const, path: r.path, id: r.id })),
    ...paths.filter((x) => !byPath.has(x)).map((path) => ({ op: "addPath" as const, path })),
    ...[...observed.values()]
      .filter((r) => !desiredKeys.has(routeKey(r)))
      .map(({ path, verb }) => ({ op: "removeMethod" as const, path, verb })),
  ];
  for (const { path, verb, method: want } of desired) {
    const have = observed.get(routeKey({ path, verb }))?.method;
    if (!have) changes.push({ op: "addMethod", path, verb });
    else if (!sameAuth(have, want, authorizerId)) changes.push({ op: "replaceMethod", path, verb });
    else if (!deepEqual(have.integration, want.integration))
      changes.push({ op: "setIntegration", path, verb });
  }
  return changes.sort((x, y) => ROUTE_OPS.indexOf(x.op) - ROUTE_OPS.indexOf(y.op));
}

export const ROUTE_FIELDS = ["resources", "methods", "integrations"] as const;

/** Retries while API Gateway is busy with a concurrent change. */
export function sendApi<T>(ctx: Ctx, f: () => Promise<T>): Promise<T> {
  return retryWhile(ctx, f, apiBusy());
}

/** Sets a method's integration to the function; it replaces whatever the method had. */
async function putIntegration(
  ctx: Ctx,
  p: RoutesProps,
  restApiId: string,
  resourceId: string,
  httpMethod: string,
): Promise<void> {
  await sendApi(ctx, () =>
    ctx.clients.apigateway.send(
      new PutIntegrationCommand({
        restApiId,
        resourceId,
        httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: desiredMethod(p, httpMethod).integration.httpMethod,
        uri: p.integrationUri,
      }),
    ),
  );
}

/** Puts a method as the stack wants it, with its integration. */
async function putMethod(
  ctx: Ctx,
  p: RoutesProps,
  restApiId: string,
  resourceId: string,
  httpMethod: string,
  authorizerId: string | undefined,
): Promise<void> {
  const want = desiredMethod(p, httpMethod, authorizerId);
  await sendApi(ctx, () =>
    ctx.clients.apigateway.send(
      new PutMethodCommand({
        restApiId,
        resourceId,
        httpMethod,
        authorizationType: want.authorizationType,
        apiKeyRequired: want.apiKeyRequired,
        ...(want.authorizerId ? { authorizerId: want.authorizerId } : {}),
      }),
    ),
  ).catch((err: unknown) => {
    // "Method already exists for this resource": a retried call whose response was lost.
    if (!isNamed(err, "ConflictException")) throw err;
  });
  // PutIntegration replaces whatever integration the method has, so this converges either way.
  await putIntegration(ctx, p, restApiId, resourceId, httpMethod);
}

/** Makes the route changes, one call (or two) each; returns true when there were any. */
export async function repairRoutes(
  ctx: Ctx,
  p: RoutesProps,
  restApiId: string,
  c: { readonly resources: readonly ResourceState[] },
  authorizerId: string | undefined,
): Promise<boolean> {
  const api = ctx.clients.apigateway;
  const changes = routeChanges(p, c, authorizerId);
  // A retried delete whose first response was lost meets "not found": already done.
  const remove = (f: () => Promise<unknown>) => orMissing(sendApi(ctx, f));
  const removed = changes.flatMap((x) => (x.op === "removePath" ? [x.path] : []));
  // Resource ids by path: what survives the removals, then each path as it is made.
  const ids = new Map(
    c.resources
      .filter((r) => !removed.some((x) => r.path === x || r.path.startsWith(`${x}/`)))
      .map((r) => [r.path, r.id]),
  );
  const idOf = (path: string) => ids.get(path) ?? "";
  const deleteMethod = (path: string, httpMethod: string) =>
    remove(() =>
      api.send(new DeleteMethodCommand({ restApiId, resourceId: idOf(path), httpMethod })),
    );
  for (const x of changes) {
    switch (x.op) {
      case "removePath":
        await remove(() => api.send(new DeleteResourceCommand({ restApiId, resourceId: x.id })));
        break;
      case "addPath":
        ids.set(x.path, await createPath(ctx, restApiId, x.path, idOf(parentOf(x.path))));
        break;
      case "removeMethod":
        await deleteMethod(x.path, x.verb);
        break;
      case "replaceMethod":
        await deleteMethod(x.path, x.verb);
        await putMethod(ctx, p, restApiId, idOf(x.path), x.verb, authorizerId);
        break;
      case "addMethod":
        await putMethod(ctx, p, restApiId, idOf(x.path), x.verb, authorizerId);
        break;
      case "setIntegration":
        await putIntegration(ctx, p, restApiId, idOf(x.path), x.verb);
        break;
    }
  }
  return changes.length > 0;
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** Makes the resource of a path under its parent; its id. */
async function createPath(
  ctx: Ctx,
  restApiId: string,
  path: string,
  parentId: string,
): Promise<string> {
  const api = ctx.clients.apigateway;
  try {
    const created = await sendApi(ctx, () =>
      api.send(
        new CreateResourceCommand({
          restApiId,
          parentId,
          pathPart: path.slice(path.lastIndexOf("/") + 1),
        }),
      ),
    );
    return created.id ?? "";
  } catch (err) {
    // "Another resource with the same parent already has this name": made by a retried
    // call whose first response was lost. It is the one we wanted.
    if (!isNamed(err, "ConflictException")) throw err;
    const id = (await readResources(api, restApiId)).find((r) => r.path === path)?.id;
    if (!id) throw err;
    return id;
  }
}
