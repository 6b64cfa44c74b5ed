import type { ConfigInput } from "../config.js";
import { plan } from "../engine/pipeline.js";
import { openSession, type Environment } from "./session.js";

export type ResourceState = "in sync" | "drifted" | "missing" | "not created";

export interface StatusRow {
  readonly key: string;
  readonly label: string;
  readonly id: string;
  readonly state: ResourceState;
  /** For drifted: the fields that differ. */
  readonly fields: readonly string[];
}

export interface StatusResult {
  readonly stack: string;
  readonly stage: string;
  readonly region: string;
  readonly account: string;
  readonly endpoint: string | undefined;
  readonly inSync: boolean;
  readonly resources: readonly StatusRow[];
}

/** Observe + plan, printed; read-only. */
export async function status(input: ConfigInput, e: Environment): Promise<StatusResult> {
  const s = await openSession(input, e, { artifact: true });
  const items = await plan(s.ctx, s.specs, s.stored?.resources ?? {}, s.limiter);
  const rows: StatusRow[] = items.map((i) => ({
    key: i.key,
    label: i.label,
    id: i.id,
    state:
      i.action === "noop"
        ? "in sync"
        : i.action === "create"
          ? i.missing
            ? "missing"
            : "not created"
          : "drifted",
    fields: i.action === "update" || i.action === "replace" ? i.fields : [],
  }));
  return {
    stack: s.stackName,
    stage: s.config.stage,
    region: s.config.region,
    account: s.ctx.account,
    endpoint: s.stored?.endpoint,
    inSync: rows.every((r) => r.state === "in sync"),
    resources: rows,
  };
}
