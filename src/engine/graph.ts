import type { AnySpec } from "./types.js";

/** Checks the dependency graph (unknown keys, cycles) and returns keys in dependency order. */
export function topoOrder(specs: readonly AnySpec[]): string[] {
  const byKey = new Map(specs.map((s) => [s.key, s]));
  if (byKey.size !== specs.length) throw new Error("duplicate resource keys in the stack");
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (key: string, path: string[]): void => {
    const mark = state.get(key);
    if (mark === "done") return;
    if (mark === "visiting") throw new Error(`dependency cycle: ${[...path, key].join(" -> ")}`);
    const s = byKey.get(key);
    if (!s) throw new Error(`${path.at(-1) ?? "?"} depends on unknown resource ${key}`);
    state.set(key, "visiting");
    for (const dep of s.dependsOn) visit(dep, [...path, key]);
    state.set(key, "done");
    order.push(key);
  };
  for (const s of specs) visit(s.key, []);
  return order;
}

/** key → keys that depend on it. */
export function dependents(specs: readonly AnySpec[]): Map<string, string[]> {
  const out = new Map<string, string[]>(specs.map((s) => [s.key, []]));
  for (const s of specs) for (const d of s.dependsOn) out.get(d)?.push(s.key);
  return out;
}
