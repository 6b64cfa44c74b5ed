import type { AnyHandler } from "../engine/types.js";
import { artifactHandler } from "./artifact.js";
import { bucketHandler } from "./bucket.js";
import { tableHandler } from "./table.js";

/** Every handler by kind, so state entries the stack no longer wants can still be deleted. */
export const HANDLERS: ReadonlyMap<string, AnyHandler> = new Map(
  [bucketHandler, artifactHandler, tableHandler].map((h) => [h.kind, h as AnyHandler]),
);
