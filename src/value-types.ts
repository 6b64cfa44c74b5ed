import { UserError } from "./errors.js";
import { PROJECT } from "./project.js";

/**
 * What the settings table (settings.ts) is written in: value types, each with the text its
 * messages and the README show, and the problems a check finds, all reported in one error.
 */

// ---------------------------------------------------------------------------------------------
// Problems: validation reports every one it finds, each named as the user wrote it.

/** One thing wrong with the configuration. */
export interface Problem {
  /** The field as the user wrote it: `stages.dev.memoryMb`, `tags.team`, `--auth`. */
  readonly at: string;
  /** What is wrong, read after `at`: "must be a whole number from 128 to 10240, got 99". */
  readonly what: string;
  /** What to do, when it is more than "fix the value". */
  readonly hint?: string | undefined;
}

/** Collects the problems of one validation run. */
export class Problems {
  readonly list: Problem[] = [];
  add(at: string, what: string, hint?: string): void {
    this.list.push({ at, what, hint });
  }
  get size(): number {
    return this.list.length;
  }
}

/**
 * All the problems as one error: one a line, named as the user wrote them, then what to do:
 * the hints particular problems have, and where to fix them.
 */
export function settingsError(problems: Problems, source: string): UserError {
  const lines = problems.list.map((p) => `${p.at} ${p.what}`);
  const message =
    lines.length === 1
      ? `Invalid ${source}: ${lines[0]!}.`
      : `Invalid ${source}: ${lines.length} problems:\n${lines.map((l) => `  - ${l}`).join("\n")}`;
  const flags = [...new Set(problems.list.map((p) => p.at).filter((at) => at.startsWith("--")))];
  const inFile = problems.list.filter((p) => !p.at.startsWith("--")).map((p) => p.at);
  const where = [
    ...(flags.length > 0 ? [`Fix the value of ${flags.join(" and ")}.`] : []),
    ...(inFile.length === 1 ? [`Fix ${inFile[0]!} in ${PROJECT}.config.json.`] : []),
    ...(inFile.length > 1 ? [`Fix them in ${PROJECT}.config.json.`] : []),
  ];
  const hints = [...new Set(problems.list.flatMap((p) => (p.hint ? [p.hint] : [])))];
  return new UserError(message, { hint: [...hints, ...where].join("\n") });
}

/** What a value is, as a message names it: `a string "512"`, `a list`, `null`. */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  switch (typeof v) {
    case "string":
      return `a string ${JSON.stringify(v)}`;
    case "number":
      return `a number ${String(v)}`;
    case "boolean":
      return `a boolean ${String(v)}`;
    case "object":
      return "an object";
    default:
      return typeof v;
  }
}

/**
 * The value as "got …" shows it: bare when it has the expected JSON type (`got 99`,
 * `got "python3.13"`), with its type when it does not (`got a string "512"`).
 */
export function got(v: unknown, expectedType: "number" | "string" | "boolean" | "object"): string {
  if (typeof v === expectedType && v !== null && !Array.isArray(v)) {
    return typeof v === "string" ? JSON.stringify(v) : String(v);
  }
  return describeValue(v);
}

// ---------------------------------------------------------------------------------------------
// Value types.

/** Returned by a check for a value that is wrong (its problems are in the Problems). */
export const INVALID: unique symbol = Symbol("invalid");

export interface ValueType<T> {
  /** What "must be" is followed by in a message: "a whole number from 128 to 10240". */
  readonly expected: string;
  /** The README's "Allowed" cell (markdown). */
  readonly allowed: string;
  /** The value in its settled form, or INVALID after adding what is wrong to `problems`. */
  readonly check: (value: unknown, at: string, problems: Problems) => T | typeof INVALID;
}

/** A value checked by one test; a wrong one is "must be <expected>, got <value>". */
export function simple<T>(
  expected: string,
  allowed: string,
  jsonType: "number" | "string" | "boolean",
  test: (v: unknown) => boolean,
): ValueType<T> {
  return {
    expected,
    allowed,
    check: (v, at, problems) => {
      if (test(v)) return v as T;
      problems.add(at, `must be ${expected}, got ${got(v, jsonType)}`);
      return INVALID;
    },
  };
}

export const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** A whole number from min (to max); `or` is one more value outside the range, e.g. -1. */
export function wholeNumber(o: {
  min: number;
  max?: number;
  of?: string;
  or?: { value: number; means: string };
}): ValueType<number> {
  const of = o.of ? ` of ${o.of}` : "";
  const range = o.max === undefined ? `, ${o.min} or more` : ` from ${o.min} to ${o.max}`;
  const or = o.or ? `, or ${o.or.value} ${o.or.means}` : "";
  const max = o.max;
  return simple(
    `a whole number${of}${range}${or}`,
    `${max === undefined ? `${o.min} or more` : `${o.min}–${max}`}${o.or ? `; ${o.or.value}: ${o.or.means.replace(/^for /, "")}` : ""}`,
    "number",
    (v) => isInt(v) && ((v >= o.min && (max === undefined || v <= max)) || v === o.or?.value),
  );
}

/** A number above `above` (at most `max`). */
export function decimal(o: { above: number; max?: number }): ValueType<number> {
  const max = o.max;
  return simple(
    max === undefined && o.above === 0
      ? "a positive number"
      : `a number above ${o.above}${max === undefined ? "" : ` and at most ${max}`}`,
    max === undefined ? `above ${o.above}` : `above ${o.above}, at most ${max}`,
    "number",
    (v) => typeof v === "number" && v > o.above && (max === undefined || v <= max),
  );
}

/** "a, b or c". */
export function either(values: readonly (string | number)[]): string {
  const s = values.map(String);
  return s.length > 1 ? `${s.slice(0, -1).join(", ")} or ${s.at(-1)!}` : (s[0] ?? "");
}

/** One of the given strings. */
export function oneOf<const V extends string>(values: readonly V[]): ValueType<V> {
  return simple(either(values), values.map((v) => `\`${v}\``).join(", "), "string", (v) =>
    values.includes(v as V),
  );
}

/** A string that passes `test`. */
export function text(
  expected: string,
  allowed: string,
  test: (v: string) => boolean,
): ValueType<string> {
  return simple(expected, allowed, "string", (v) => typeof v === "string" && test(v));
}

/** A string that is not "". */
export const nonEmpty = (expected: string, allowed: string) =>
  text(expected, allowed, (s) => s !== "");

export function optional<T>(t: ValueType<T>): ValueType<T | undefined> {
  return {
    ...t,
    check: (v, at, problems) => (v === undefined ? undefined : t.check(v, at, problems)),
  };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An object checked member by member; INVALID when it or any member is wrong. */
export function objectOf<T>(
  expected: string,
  allowed: string,
  member: (name: string, value: unknown, at: string, problems: Problems) => void,
): ValueType<T> {
  return {
    expected,
    allowed,
    check: (v, at, problems) => {
      if (!isObject(v)) {
        problems.add(at, `must be ${expected}, got ${describeValue(v)}`);
        return INVALID;
      }
      const before = problems.size;
      for (const [name, value] of Object.entries(v)) member(name, value, `${at}.${name}`, problems);
      return problems.size === before ? (v as T) : INVALID;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Did you mean.

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known name `given` is most likely a typo of: the same but for case, or within a few
 * edits (a third of its length); undefined when none is that close.
 */
export function didYouMean(given: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(given.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(given.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { name, distance };
    }
  }
  return best?.name;
}

/**
 * "is not a known field", with the likely intended one; with none close, the known ones when
 * they are few (an object's members), else nothing: the README lists the file's fields.
 */
export function unknownField(given: string, known: readonly string[]): string {
  const guess = didYouMean(given, known);
  if (guess !== undefined) return `is not a known field; did you mean ${guess}?`;
  return `is not a known field${known.length <= 5 ? ` (${known.join(", ")})` : ""}`;
}
