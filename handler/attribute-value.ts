import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/*
 * JSON ↔ DynamoDB attribute values, for exactly the values JSON.parse makes.
 *
 * Not @aws-sdk/util-dynamodb's marshall: it picks a type from `value.constructor.name`, so a
 * client's own "constructor" key made it fail ({"constructor":"x"}) or store the wrong thing
 * ({"constructor":{"name":"String"}} came back as "[object Object]"), and it copies maps by
 * assignment, which turns a "__proto__" key into a prototype and loses it.
 *
 * Maps are built with Object.fromEntries, which defines own properties as JSON.parse does, so
 * every key, "__proto__" included, survives in both directions.
 */

export type AttributeMap = Record<string, AttributeValue>;

/** A value validateData accepted (see validate.ts) → its DynamoDB form. */
export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case "string":
      return { S: value };
    case "boolean":
      return { BOOL: value };
    case "number":
      // String() of a finite double is its shortest exact form ("1e+21", "5e-7"), which DynamoDB
      // reads back as the same double.
      return { N: String(value) };
    case "object":
      return Array.isArray(value)
        ? { L: value.map(toAttributeValue) }
        : { M: toAttributeMap(value as Record<string, unknown>) };
    default:
      // undefined, functions, bigint: JSON.parse never makes them.
      throw new TypeError(`not a JSON value: ${typeof value}`);
  }
}

export function toAttributeMap(record: Record<string, unknown>): AttributeMap {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, toAttributeValue(v)]));
}

/**
 * DynamoDB form → JSON. Numbers become JS numbers (as JSON.parse would round them). Sets and
 * binaries are never written by this API but may be added by hand in the console: they come back
 * as arrays and base64 strings rather than failing the read.
 */
export function fromAttributeValue(av: AttributeValue): unknown {
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) return Number(av.N);
  if (av.BOOL !== undefined) return av.BOOL;
  if (av.NULL !== undefined) return null;
  if (av.M !== undefined) return fromAttributeMap(av.M);
  if (av.L !== undefined) return av.L.map(fromAttributeValue);
  if (av.SS !== undefined) return [...av.SS];
  if (av.NS !== undefined) return av.NS.map(Number);
  if (av.B !== undefined) return Buffer.from(av.B).toString("base64");
  if (av.BS !== undefined) return av.BS.map((b) => Buffer.from(b).toString("base64"));
  throw new TypeError(`unknown DynamoDB attribute type: ${Object.keys(av).join(", ")}`);
}

export function fromAttributeMap(map: AttributeMap): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, fromAttributeValue(v)]));
}
