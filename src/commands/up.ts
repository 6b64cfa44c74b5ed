import { apply, destroyAll, Interrupted, plan, type PlanItem } from "../engine/pipeline.js";
import type { DestroyTarget } from "../engine/pipeline.js";
import type { ConfigInput } from "../config.js";
import type { StateEntry } from "../engine/types.js";
import { HANDLERS } from "../resources/registry.js";
import { openSession, openState, type Environment } from "./session.js";

export interface ResourceRow {
  readonly key: string;
  readonly label: string;
  readonly id: string;
  readonly action: string;
  readonly fields: readonly string[];
}

export interface ErrorInfo {
  readonly message: string;
  readonly hint?: string | undefined;
}

export interface UpResult {
  readonly ok: boolean;
  /** Stopped by Ctrl-C; what was made is recorded. */
  readonly interrupted: boolean;
  readonly dryRun: boolean;
  readonly stack: string;
  readonly stage: string;
  readonly region: string;
  readonly account: string;
  readonly endpoint: string | undefined;
  readonly codeSha256: string | undefined;
  readonly durationMs: number;
  readonly resources: readonly ResourceRow[];
  readonly errors: readonly ErrorInfo[];
  readonly warnings: readonly string[];
  readonly statePath: string;
  /** Where alarm notifications go; null: nobody is notified. */
  readonly alarmNotifications: AlarmNotifications | null;
}

export interface AlarmNotifications {
  readonly email: string;
  /** "pending confirmation" until the recipient clicks the link AWS e-mailed; "not subscribed" in a dry run. */
  readonly status: string;
}

export function errorInfo(e: Error): ErrorInfo {
  return { message: e.message, hint: (e as { hint?: string }).hint };
}

export async function up(
  input: ConfigInput,
  e: Environment,
  opts: { dryRun: boolean },
): Promise<UpResult> {
  const started = Date.now();
  const s = await openSession(input, e, { artifact: true });
  const base = {
    stack: s.stackName,
    stage: s.config.stage,
    region: s.config.region,
    account: s.ctx.account,
    statePath: s.config.statePath,
    codeSha256: s.artifact?.sha256Hex,
  };
  if (opts.dryRun) {
    const items = await plan(s.ctx, s.specs, s.stored?.resources ?? {}, s.limiter);
    return {
      ...base,
      ok: true,
      interrupted: false,
      dryRun: true,
      endpoint: s.stored?.endpoint,
      durationMs: Date.now() - started,
      resources: items.map(rowOf),
      errors: [],
      warnings: [],
      alarmNotifications: notifications(
        s.config.settings.alarmEmail,
        s.stored?.resources.alarmSubscription?.outputs,
      ),
    };
  }
  const { store, lock } = await openState(s, "up", e.reporter);
  const warnings: string[] = [];
  try {
    const result = await apply(s.ctx, s.specs, store, e.reporter, s.limiter, e.signal);
    const errors = [...result.errors];
    // What the state holds but the stack no longer wants (e.g. a removed option) goes.
    const wanted = new Set(s.specs.map((x) => x.key));
    const orphans: DestroyTarget[] = Object.entries(store.resources)
      .filter(([key, entry]) => !wanted.has(key) && HANDLERS.has(entry.kind))
      .map(([key, entry], _n, all) => ({
        key,
        handler: HANDLERS.get(entry.kind)!,
        entry,
        after: referencedBy(entry, all),
      }));
    const rows: ResourceRow[] = s.specs.map((spec) => {
      const o = result.outcomes.get(spec.key);
      return {
        key: spec.key,
        label: spec.handler.label,
        id: store.resources[spec.key]?.id ?? "(not created)",
        action: o ? o.action : "failed",
        fields: o?.fields ?? [],
      };
    });
    if (errors.length === 0 && orphans.length) {
      const d = await destroyAll(s.ctx, orphans, store, e.reporter, s.limiter, e.signal);
      errors.push(...d.errors);
      for (const k of d.deleted) {
        const t = orphans.find((o) => o.key === k)!;
        rows.push({ key: k, label: t.handler.label, id: t.entry.id, action: "delete", fields: [] });
      }
      for (const k of d.kept) {
        rows.push({ key: k.key, label: k.label, id: k.id, action: "delete", fields: [] });
        warnings.push(`${k.label} ${k.id}: ${k.reason}`);
      }
    }
    const endpoint = result.outputs.get("stage")?.invokeUrl ?? store.state.endpoint;
    if (
      errors.length === 0 &&
      (store.state.codeSha256 !== s.artifact?.sha256Hex || store.state.endpoint !== endpoint)
    ) {
      await store.set({ codeSha256: s.artifact?.sha256Hex, endpoint });
    }
    const subscription = result.outputs.get("alarmSubscription");
    if (subscription?.note) warnings.push(subscription.note);
    return {
      ...base,
      ok: errors.length === 0,
      interrupted: errors.some((x) => x instanceof Interrupted),
      dryRun: false,
      endpoint,
      durationMs: Date.now() - started,
      resources: rows,
      errors: errors.filter((x) => !(x instanceof Interrupted)).map(errorInfo),
      warnings,
      alarmNotifications: notifications(s.config.settings.alarmEmail, subscription),
    };
  } finally {
    await lock.release();
  }
}

function notifications(
  email: string | undefined,
  subscription: Readonly<Record<string, string>> | undefined,
): AlarmNotifications | null {
  if (email === undefined) return null;
  const status = subscription?.endpoint === email ? subscription.status : undefined;
  return { email, status: status ?? "not subscribed" };
}

/**
 * Keys of the other leftovers whose outputs name this one (a subscription names its topic, a
 * topic its key): they are deleted first, as the stack's dependencies would order them.
 */
function referencedBy(entry: StateEntry, all: readonly [string, StateEntry][]): string[] {
  const ids = new Set(
    [entry.id, entry.outputs.arn, entry.outputs.aliasArn].filter((x): x is string => !!x),
  );
  return all
    .filter(([, e]) => e !== entry && Object.values(e.outputs).some((v) => ids.has(v)))
    .map(([k]) => k);
}

function rowOf(i: PlanItem): ResourceRow {
  return { key: i.key, label: i.label, id: i.id, action: i.action, fields: i.fields };
}
