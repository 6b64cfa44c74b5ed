/**
 * Structural equality for plain data (objects, arrays, primitives); anything else (Buffers,
 * class instances, functions) is compared by identity.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (!isPlain(a) || !isPlain(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** JSON documents (policies) compared by meaning, not by key order or whitespace. */
export function sameJson(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return deepEqual(JSON.parse(decodeMaybe(a)), JSON.parse(decodeMaybe(b)));
  } catch {
    return a === b;
  }
}

/** IAM returns policy documents URL-encoded. */
function decodeMaybe(s: string): string {
  return s.trimStart().startsWith("%") || s.includes("%22") ? decodeURIComponent(s) : s;
}

/** True when every desired tag is present with its value (tags others added are left alone). */
export function hasTags(
  actual: Readonly<Record<string, string>> | undefined,
  desired: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(desired).every(([k, v]) => actual?.[k] === v);
}
