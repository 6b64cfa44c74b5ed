import { createHash } from "node:crypto";

/**
 * A value as plain JSON data, the same every time for the same content: object keys sorted,
 * undefined as null (so that a field read as absent still shows), Maps as objects, Sets as
 * lists, bytes by their length. What a plan file holds and what its fingerprints hash.
 */
export function plainValue(x: unknown): unknown {
  if (x === undefined || x === null) return null;
  if (typeof x === "number") return Number.isFinite(x) ? x : null;
  if (typeof x === "string" || typeof x === "boolean") return x;
  if (typeof x === "bigint") return x.toString();
  if (typeof x !== "object") return null;
  if (Array.isArray(x)) return x.map(plainValue);
  if (x instanceof Date) return x.toISOString();
  if (x instanceof Uint8Array) return `(${x.byteLength} bytes)`;
  if (x instanceof Set) return [...(x as Set<unknown>)].map(plainValue);
  const entries =
    x instanceof Map ? [...(x as Map<unknown, unknown>)] : Object.entries(x as object);
  return Object.fromEntries(
    entries
      .map(([k, v]) => [String(k), plainValue(v)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** plainValue as JSON text: equal for equal content, whatever the key order. */
export function canonicalJson(x: unknown): string {
  return JSON.stringify(plainValue(x));
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}
