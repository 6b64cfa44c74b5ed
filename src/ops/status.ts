import type { ConfigInput } from "../config.js";
import { plan, type Action } from "../engine/plan.js";
import { HANDLERS } from "../registry.js";
import { openSession, type Environment } from "./session.js";
import { domainPending, type DomainPending } from "./up.js";
import { domainUrl } from "../resources/base-path-mapping.js";
import { NODES } from "../stack.js";
import type { StackState } from "../state/store.js";

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
  /** Which version of the function callers reach; null before the live alias exists. */
  readonly deploy: DeployStatus | null;
  /** A custom domain whose certificate waits for the DNS record the user adds; null: none. */
  readonly domainPending: DomainPending | null;
}

export interface DeployStatus {
  /** The version with all the traffic (most of it during a shift). */
  readonly live: string;
  /** The version live before it ("" for none). */
  readonly previous: string;
  /** When the live version took the traffic, ISO 8601 ("" if unknown). */
  readonly liveSince: string;
  /** A shift in progress: the new version and its share; null for none. */
  readonly split: { readonly version: string; readonly percent: number } | null;
  /** A version taken back that up keeps back (state file). */
  readonly rolledBack: StackState["rolledBack"] | null;
}

/** Observe + plan, printed; read-only. */
export async function status(input: ConfigInput, e: Environment): Promise<StatusResult> {
  const s = await openSession(input, e, { artifact: true, command: "status" });
  const p = await plan(s.ctx, s.specs, s.stored?.resources ?? {}, s.limiter, (kind) =>
    HANDLERS.get(kind),
  );
  const { steps } = p.data;
  const alias = (await p.run.observations.get(NODES.alias.key))?.observed?.outputs;
  const outputsOf = async (key: string) => (await p.run.observations.get(key))?.observed?.outputs;
  const certificate = await outputsOf(NODES.certificate.key);
  const mapping = await outputsOf(NODES.basePathMapping.key);
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
    endpoint:
      domainUrl(mapping) ??
      (steps.some((i) => i.key === NODES.stage.key && !i.missing && i.action !== "create")
        ? s.stored?.endpoint
        : undefined),
    inSync: rows.every((r) => r.state === "in sync"),
    resources: rows,
    deploy: alias ? deployStatus(alias, s.stored?.rolledBack) : null,
    domainPending: domainPending(s, certificate) ?? null,
  };
}

function deployStatus(
  alias: Readonly<Record<string, string>>,
  rolledBack: StackState["rolledBack"],
): DeployStatus {
  const [version, percent] = (alias.split ?? "").split(":");
  return {
    live: alias.version ?? "",
    previous: alias.previousVersion ?? "",
    liveSince: alias.liveSince ?? "",
    split: version ? { version, percent: Number(percent) } : null,
    rolledBack: rolledBack ?? null,
  };
}
