import { ApiError } from "./http.js";

/** Bodies above this are refused before decoding, well under DynamoDB's 400 KB item limit. */
export const MAX_BODY_BYTES = 256 * 1024;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;
/** DynamoDB refuses documents nested deeper than 32 levels; the item itself is one of them. */
export const MAX_DATA_DEPTH = 31;

const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export type JsonObject = { [key: string]: unknown };

export interface CreateInput {
  readonly id: string | undefined;
  readonly data: JsonObject;
}

export function parseId(raw: string | undefined): string {
  if (raw === undefined || !ID_PATTERN.test(raw) || raw === "." || raw === "..") {
    // "." and ".." match the pattern but URL normalisation rewrites them, so no client could
    // address such an item again.
    throw new ApiError(
      400,
      "InvalidId",
      "id must be 1-128 characters of A-Z a-z 0-9 . _ - (and not '.' or '..')",
    );
  }
  return raw;
}

export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = /^[0-9]{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) {
    throw new ApiError(400, "InvalidLimit", `limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return n;
}

/** Opaque to clients: base64url of the DynamoDB key, so it survives query strings unescaped. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

export function decodeCursor(raw: string | undefined): { id: string } | undefined {
  if (raw === undefined) return undefined;
  const invalid = new ApiError(400, "InvalidCursor", "cursor is not one this API returned");
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(raw)) throw invalid;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    throw invalid;
  }
  // Only our own key shape may reach DynamoDB, so a forged cursor cannot probe other attributes.
  if (
    typeof key !== "object" ||
    key === null ||
    Array.isArray(key) ||
    Object.keys(key).length !== 1 ||
    typeof (key as { id?: unknown }).id !== "string" ||
    !ID_PATTERN.test((key as { id: string }).id)
  ) {
    throw invalid;
  }
  return { id: (key as { id: string }).id };
}

/** Missing Content-Type is tolerated (many clients omit it); a different media type is not. */
export function checkContentType(value: string | undefined): void {
  if (value === undefined || value.trim() === "") return;
  const media = value.split(";")[0]!.trim().toLowerCase();
  if (media === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(media)) return;
  throw new ApiError(415, "UnsupportedMediaType", "Content-Type must be application/json");
}

/** Sizes the decoded body first so an oversized payload is never decoded or parsed. */
export function bodyText(body: string | null | undefined, isBase64Encoded: boolean): string {
  if (body === null || body === undefined || body === "") {
    throw new ApiError(400, "InvalidBody", "request body is required");
  }
  const bytes = isBase64Encoded ? Buffer.byteLength(body, "base64") : Buffer.byteLength(body);
  if (bytes > MAX_BODY_BYTES) {
    throw new ApiError(413, "PayloadTooLarge", `request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  return isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
}

export function parseJsonObject(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, "InvalidJson", "request body is not valid JSON");
  }
  if (!isObject(value))
    throw new ApiError(400, "InvalidBody", "request body must be a JSON object");
  return value;
}

/** POST body: {"id"?: string, "data": object}; anything else is refused so typos surface. */
export function validateCreate(body: JsonObject): CreateInput {
  rejectUnknownKeys(body, ["id", "data"]);
  const id = body.id === undefined ? undefined : parseId(asString(body.id));
  return { id, data: validateData(body.data) };
}

/** PUT body: {"id"?: string, "data": object}; an id, if present, must match the path. */
export function validateReplace(body: JsonObject, pathId: string): JsonObject {
  rejectUnknownKeys(body, ["id", "data"]);
  if (body.id !== undefined && body.id !== pathId) {
    throw new ApiError(400, "InvalidBody", "id in the body does not match the id in the path");
  }
  return validateData(body.data);
}

function validateData(data: unknown): JsonObject {
  if (!isObject(data)) throw new ApiError(400, "InvalidBody", '"data" must be a JSON object');
  const problem = storableProblem(data, "data", 1);
  if (problem) throw new ApiError(400, "InvalidBody", problem);
  return data;
}

/** DynamoDB's limit on an attribute name, map keys included. */
export const MAX_KEY_BYTES = 65535;
/** A UTF-16 surrogate not paired with its other half: JSON allows it, UTF-8 cannot encode it. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Finds what DynamoDB would reject with a ValidationException (or store as something else),
 * which would otherwise surface as a 500 even though the client caused it. The message names
 * where, as a path from `data`.
 */
export function storableProblem(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === "number") {
    const abs = Math.abs(value);
    // DynamoDB numbers span 1E-130 .. 9.99…E+125.
    if (abs !== 0 && (abs < 1e-130 || abs >= 1e126)) {
      return `${path} is a number DynamoDB cannot store: use 0 or a magnitude from 1e-130 to below 1e126, or send it as a string`;
    }
    return undefined;
  }
  if (typeof value === "string") {
    return LONE_SURROGATE.test(value)
      ? `${path} is not valid Unicode (it holds a lone surrogate, which UTF-8 cannot encode)`
      : undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  if (depth > MAX_DATA_DEPTH) return `"data" is nested deeper than ${MAX_DATA_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (const [i, child] of value.entries()) {
      const problem = storableProblem(child, `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    const at = childPath(path, key);
    if (key === "") return `${at} is an empty key, which DynamoDB cannot store: give it a name`;
    if (LONE_SURROGATE.test(key)) {
      return `${at} is a key that is not valid Unicode (it holds a lone surrogate, which UTF-8 cannot encode)`;
    }
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
      return `${path} has a key longer than ${MAX_KEY_BYTES} bytes, DynamoDB's limit for a name`;
    }
    const problem = storableProblem(child, at, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/** data.a, data["b c"], data[""]: readable, and unambiguous for any key. */
function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function rejectUnknownKeys(body: JsonObject, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new ApiError(400, "InvalidBody", `unknown field(s): ${unknown.join(", ")}`);
  }
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
