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

/**
 * Visits every key once, each after the keys it depends on, concurrently where the graph
 * allows; the one walk observation, apply and destroy share. A key whose dependency failed is
 * not visited: its promise rejects with that dependency's error (its dependents' too), so that
 * a failure is reported once, by the key that failed. visit reads its dependencies' results
 * through `dep`. Dependencies outside `keys` are an error, and so is a cycle (both thrown at
 * once, before anything is visited).
 */
export function walk<T>(
  keys: readonly string[],
  depsOf: (key: string) => readonly string[],
  visit: (key: string, dep: (key: string) => T) => Promise<T>,
): Map<string, Promise<T>> {
  const known = new Set(keys);
  const nodes = new Map<string, Promise<T>>();
  const values = new Map<string, T>();
  const entering = new Set<string>();
  const node = (key: string, from: string | undefined): Promise<T> => {
    const seen = nodes.get(key);
    if (seen) return seen;
    if (!known.has(key)) throw new Error(`${from ?? "?"} depends on unknown resource ${key}`);
    if (entering.has(key)) throw new Error(`dependency cycle through ${key}`);
    entering.add(key);
    const deps = depsOf(key).map((d) => node(d, key));
    entering.delete(key);
    const p = Promise.all(deps).then(async () => {
      const value = await visit(key, (k) => {
        if (!values.has(k))
          throw new Error(`${key} read ${k}, which is not one of its dependencies`);
        return values.get(k) as T;
      });
      values.set(key, value);
      return value;
    });
    // Callers read what they need; a failure nobody reads is not an unhandled rejection.
    p.catch(() => undefined);
    nodes.set(key, p);
    return p;
  };
  for (const k of keys) node(k, undefined);
  return nodes;
}
