import type { ConfigInput } from "../config.js";
import { plan, type Action } from "../engine/plan.js";
import { HANDLERS } from "../registry.js";
import { openSession, type Environment } from "./session.js";
import { NODES } from "../stack.js";

/** "to delete": recorded, still there, and no longer part of the stack; `up` deletes it. */
export type ResourceState = "in sync" | "drifted" | "missing" | "not created" | "to delete";

export interface StatusRow {
  readonly key: string;
  readonly label: string;
  readonly id: string;
  readonly state: ResourceState;
  /** What `up` would do about it. */
  readonly action: Action;
  /** For drifted: the fields that differ. */
  readonly fields: readonly string[];
}

export interface StatusResult {
  readonly stack: string;
  readonly stage: string;
  readonly region: string;
  readonly account: string;
  /** The API's invoke URL as observed; undefined when the API or its stage is not there. */
  readonly endpoint: string | undefined;
  readonly inSync: boolean;
  readonly resources: readonly StatusRow[];
}

/** Observe + plan, printed; read-only. */
export async function status(input: ConfigInput, e: Environment): Promise<StatusResult> {
  const s = await openSession(input, e, { artifact: true, command: "status" });
  const { steps } = (
    await plan(s.ctx, s.specs, s.stored?.resources ?? {}, s.limiter, (kind) => HANDLERS.get(kind))
  ).data;
  const rows: StatusRow[] = steps.map((i) => ({
    key: i.key,
    label: i.label,
    id: i.id,
    state:
      i.action === "noop"
        ? "in sync"
        : i.action === "delete"
          ? "to delete"
          : i.action === "create"
            ? i.missing
              ? "missing"
              : "not created"
            : "drifted",
    action: i.action,
    fields: i.action === "update" ? i.fields : [],
  }));
  return {
    stack: s.stackName,
    stage: s.config.stage,
    region: s.config.region,
    account: s.ctx.account,
    // The state file's endpoint outlives an API or stage deleted behind our back: show it only
    // while the stage is there.
    endpoint: steps.some((i) => i.key === NODES.stage.key && !i.missing && i.action !== "create")
      ? s.stored?.endpoint
      : undefined,
    inSync: rows.every((r) => r.state === "in sync"),
    resources: rows,
  };
}
