import type { ConfigInput } from "../config.js";
import { topoOrder } from "../engine/graph.js";
import { observeAll, planItem, type Observation, type PlanItem } from "../engine/pipeline.js";
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
  /** The API's invoke URL as observed; undefined when the API or its stage is not there. */
  readonly endpoint: string | undefined;
  readonly inSync: boolean;
  readonly resources: readonly StatusRow[];
}

/** Observe + plan, printed; read-only. */
export async function status(input: ConfigInput, e: Environment): Promise<StatusResult> {
  const s = await openSession(input, e, { artifact: true });
  const observations = observeAll(s.ctx, s.specs, s.stored?.resources ?? {}, s.limiter);
  const seen = (key: string) => observations.get(key) as Promise<Observation>;
  const items: PlanItem[] = [];
  for (const key of topoOrder(s.specs)) items.push(planItem(await seen(key)));
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
    // What answers now: the state file's endpoint outlives an API deleted behind our back.
    endpoint: (await seen("stage")).observed?.outputs.invokeUrl,
    inSync: rows.every((r) => r.state === "in sync"),
    resources: rows,
  };
}
