import { UserError } from "../errors.js";
import type { Ctx } from "./types.js";

/** A resource found by name that is not this stack's. */
export interface Foreign {
  readonly label: string;
  readonly id: string;
  /** What its tags say instead (see foreignOwner). */
  readonly why: string;
}

/**
 * Why a resource found by name is not this stack's: its owner tags as they are (e.g.
 * `project=orders, serverless-automation:stack=orders-production`), or a note that it has none.
 * undefined: it carries every tag of ctx.owner, so it is ours; or its tags are unknown.
 */
export function foreignOwner(
  ctx: Pick<Ctx, "owner">,
  tags: Readonly<Record<string, string>> | undefined,
): string | undefined {
  if (tags === undefined) return undefined;
  const wanted = Object.entries(ctx.owner);
  if (wanted.every(([k, v]) => tags[k] === v)) return undefined;
  const found = wanted.filter(([k]) => tags[k] !== undefined).map(([k]) => `${k}=${tags[k]}`);
  return found.length ? `tagged ${found.join(", ")}` : "without this stack's tags";
}

/** How many resources of one owner the error names before it counts the rest. */
const NAMED = 4;

/**
 * The error for resources found by name that are not this stack's: nothing is changed. One line
 * per owner, naming its first few resources.
 */
export function notOurs(ctx: Pick<Ctx, "owner">, found: readonly Foreign[]): UserError {
  const byOwner = new Map<string, string[]>();
  for (const f of found)
    byOwner.set(f.why, [...(byOwner.get(f.why) ?? []), `the ${f.label} ${f.id}`]);
  const lines = [...byOwner].map(([why, what]) => {
    const more = what.length - NAMED;
    return `  ${why}: ${what.slice(0, NAMED).join(", ")}${more > 0 ? `, and ${more} more` : ""}`;
  });
  const tags = Object.entries(ctx.owner)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const one = found.length === 1;
  return new UserError(
    `${one ? "A resource" : `${found.length} resources`} with this stack's names ${one ? "is" : "are"} not this stack's (${tags}); nothing was changed:\n${lines.join("\n")}`,
    {
      hint: `Another project or stage made ${one ? "it" : "them"}, or someone did by hand. Give this project a "name" of its own in serverless-automation.config.json, or use another stage. If ${one ? "it really is" : "they really are"} this stack's, tag ${one ? "it" : "them"} ${tags} and run again.`,
    },
  );
}
