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

/**
 * JSON documents (policies) compared by meaning, not by key order or whitespace. In IAM's
 * policy grammar `"Action": "s3:*"` and `["s3:*"]` are the same, and so are lists of values in
 * any order; services may hand a document back in either form.
 */
export function sameJson(a: string | undefined, b: string | undefined): boolean {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: without it, undefined fails in the try below and the catch answers a === b as well
  if (a === undefined || b === undefined) return a === b;
  try {
    return deepEqual(
      normalJson(JSON.parse(decodeMaybe(a))),
      normalJson(JSON.parse(decodeMaybe(b))),
    );
  } catch {
    return a === b;
  }
}

function normalJson(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(normalJson);
    if (!items.every((x) => typeof x !== "object" || x === null)) return items;
    const unique = [...new Set(items)].sort();
    return unique.length === 1 ? unique[0] : unique;
  }
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalJson(x)]));
  }
  return v;
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

/**
 * A JSON document (a policy) as a value a plan shows: parsed, so that it reads like the one
 * the stack wants, or the text itself when it is not JSON.
 */
export function jsonValue(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(decodeMaybe(text)) as unknown;
  } catch {
    return text;
  }
}
