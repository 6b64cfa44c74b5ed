import type { APIGatewayProxyEvent } from "aws-lambda";

export type Route =
  { kind: "collection" } | { kind: "item"; rawId: string | undefined } | { kind: "unknown" };

export const COLLECTION_METHODS = ["GET", "POST", "OPTIONS"] as const;
export const ITEM_METHODS = ["GET", "PUT", "DELETE", "OPTIONS"] as const;

/**
 * Pure. Prefers API Gateway's resource template; falls back to the raw path so the handler also
 * works behind integrations (or tests) that do not set `resource`.
 */
export function matchRoute(
  event: Pick<APIGatewayProxyEvent, "resource" | "path" | "pathParameters">,
): Route {
  if (event.resource === "/") return { kind: "collection" };
  if (event.resource === "/{id}") return { kind: "item", rawId: event.pathParameters?.id };
  const segments = (event.path ?? "").split("/").filter((s) => s !== "");
  if (segments.length === 0) return { kind: "collection" };
  if (segments.length === 1) return { kind: "item", rawId: safeDecode(segments[0]!) };
  return { kind: "unknown" };
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape cannot be a valid id; undefined makes it a 400 rather than a crash.
    return undefined;
  }
}

/**
 * Pure. Where a created item lives. Absolute when API Gateway tells us the public domain,
 * keeping the stage or base path the client called through; relative otherwise.
 */
export function locationOf(
  id: string,
  ctx: { domainName?: string; path?: string; stage?: string } | undefined,
  collectionPath: string,
): string {
  const base = (ctx?.path ?? collectionPath).replace(/\/+$/, "");
  const relative = `${base}/${encodeURIComponent(id)}`;
  return ctx?.domainName ? `https://${ctx.domainName}${relative}` : relative;
}

/**
 * Pure. Where an item PUT created lives: the URL the client called, in the form POST gives
 * (locationOf), so both name the same item the same way.
 */
export function locationOfPut(
  id: string,
  ctx: { domainName?: string; path?: string; stage?: string } | undefined,
  itemPath: string,
): string {
  const parent = (p: string) => p.replace(/[^/]*\/*$/, "");
  const collectionCtx = ctx?.path === undefined ? ctx : { ...ctx, path: parent(ctx.path) };
  return locationOf(id, collectionCtx, parent(itemPath));
}
