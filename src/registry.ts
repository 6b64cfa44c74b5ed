import type { AnyHandler } from "./engine/types.js";
import { NODES } from "./stack.js";

/**
 * Every handler by the kind it records, from the nodes that use it. Two handlers under one kind
 * would make a recorded resource ambiguous: that is a mistake in the stack, caught on load.
 */
export function handlersByKind(
  nodes: Iterable<{ readonly key: string; readonly handler: AnyHandler }>,
): ReadonlyMap<string, AnyHandler> {
  const byKind = new Map<string, AnyHandler>();
  for (const n of nodes) {
    const known = byKind.get(n.handler.kind);
    if (known && known !== n.handler) {
      throw new Error(`two handlers record the kind ${n.handler.kind} (node ${n.key})`);
    }
    byKind.set(n.handler.kind, n.handler);
  }
  return byKind;
}

/**
 * Every handler by kind, so that state entries the stack no longer wants can still be deleted.
 * Derived from NODES: every kind the state can record is one some node makes (no kind has been
 * retired so far; one that is would stay listed here, by hand, until no state records it).
 */
export const HANDLERS: ReadonlyMap<string, AnyHandler> = handlersByKind(Object.values(NODES));
