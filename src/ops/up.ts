import { effectiveRoutes } from "../routes.js";
import { apply, Interrupted } from "../engine/apply.js";
import { plan, type Plan, type Step } from "../engine/plan.js";
import type { AuthMode, ConfigInput, Settings } from "../config.js";
import { deepEqual } from "../engine/equal.js";
import { HANDLERS } from "../registry.js";
import { openSession, openState, type Environment } from "./session.js";
import { NODES } from "../stack.js";

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
  /** Suggestions that are not problems (e.g. a narrower corsOrigin); --quiet leaves them out. */
  readonly advice: readonly string[];
  readonly statePath: string;
  /** How callers authenticate: iam (SigV4), api-key or none (public). */
  readonly auth: AuthMode;
  /** The API's routes, "METHOD /path". */
  readonly routes: readonly string[];
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
  const s = await openSession(input, e, {
    artifact: true,
    command: opts.dryRun ? "up --dry-run" : "up",
    refuseKeySchemaChange: true,
  });
  const base = {
    stack: s.stackName,
    stage: s.config.stage,
    region: s.config.region,
    account: s.ctx.account,
    statePath: s.config.statePath,
    codeSha256: s.artifact?.sha256Hex,
    auth: s.config.settings.auth,
    routes: effectiveRoutes(s.config.settings.routes, s.config.settings.handler !== undefined).map(
      (r) => `${r.method} ${r.path}`,
    ),
    advice: securityAdvice(s.config.settings),
  };
  const postureWarnings = securityWarnings(s.config.settings);
  if (opts.dryRun) {
    const p = await plan(s.ctx, s.specs, s.stored?.resources ?? {}, s.limiter, handlerOf);
    return {
      ...base,
      ok: true,
      interrupted: false,
      dryRun: true,
      endpoint: s.stored?.endpoint,
      durationMs: Date.now() - started,
      resources: p.steps.map(rowOf),
      errors: [],
      warnings: postureWarnings,
      alarmNotifications: notifications(
        s.config.settings.alarmEmail,
        s.stored && NODES.alarmSubscription.recorded(s.stored.resources)?.outputs,
      ),
    };
  }
  const { store, lock } = await openState(s, "up", e.reporter, e);
  const warnings: string[] = [...postureWarnings];
  try {
    // Recorded first: what this run was asked for is what the next plain `up` keeps.
    if (!deepEqual(store.state.settings?.alarmEmail, s.alarmEmail)) {
      const settings = { ...store.state.settings, alarmEmail: s.alarmEmail };
      const empty = Object.values(settings).every((v) => v === undefined);
      await store.set({ settings: empty ? undefined : settings });
    }
    // Planned under the lock, from the state as it is now: apply runs exactly this plan.
    const p: Plan = await plan(s.ctx, s.specs, store.resources, s.limiter, handlerOf, {
      readErrorsToApply: true,
    });
    const result = await apply(s.ctx, p, store, e.reporter, s.limiter, e.signal);
    const errors = [...result.errors, ...result.sweep.errors];
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
    for (const t of result.sweep.deleted) {
      rows.push({
        key: t.key,
        label: t.handler.label,
        id: t.entry.id,
        action: "delete",
        fields: [],
      });
    }
    for (const k of result.sweep.kept) {
      rows.push({ key: k.key, label: k.label, id: k.id, action: "delete", fields: [] });
      warnings.push(`${k.label} ${k.id}: ${k.reason}`);
    }
    const endpoint = NODES.stage.outputsIn(result.outputs)?.invokeUrl ?? store.state.endpoint;
    if (
      errors.length === 0 &&
      (store.state.codeSha256 !== s.artifact?.sha256Hex || store.state.endpoint !== endpoint)
    ) {
      await store.set({ codeSha256: s.artifact?.sha256Hex, endpoint });
    }
    const subscription = NODES.alarmSubscription.outputsIn(result.outputs);
    if (subscription?.note) warnings.push(subscription.note);
    return {
      ...base,
      ok: errors.length === 0,
      interrupted: errors.some((x) => x instanceof Interrupted),
      dryRun: false,
      endpoint,
      durationMs: Date.now() - started,
      resources: rows,
      // One failed state write fails every step after it: said once.
      errors: [...new Set(errors)].filter((x) => !(x instanceof Interrupted)).map(errorInfo),
      warnings,
      alarmNotifications: notifications(s.config.settings.alarmEmail, subscription),
    };
  } finally {
    await lock.release();
  }
}

const handlerOf = (kind: string) => HANDLERS.get(kind);

function notifications(
  email: string | undefined,
  subscription: Readonly<Record<string, string>> | undefined,
): AlarmNotifications | null {
  if (email === undefined) return null;
  const status = subscription?.endpoint === email ? subscription.status : undefined;
  return { email, status: status ?? "not subscribed" };
}

/** Said on every run, dry or not, until the config changes: how open the API is. */
export function securityWarnings(settings: Pick<Settings, "auth">): string[] {
  return settings.auth === "none"
    ? [
        'The API is public (auth "none"): anyone who learns its URL can read, change and delete every item. Set "auth": "iam" or "api-key" in the config file to require credentials.',
      ]
    : [];
}

/** A stage that asks for credentials but lets any web site's scripts call it. */
export function securityAdvice(settings: Pick<Settings, "auth" | "corsOrigin">): string[] {
  const out: string[] = [];
  if (settings.auth !== "none" && settings.corsOrigin === "*") {
    out.push(
      `corsOrigin is "*": scripts on any web site may call this API from their visitors' browsers. Set corsOrigin to the one origin that should (e.g. "https://app.example.com").`,
    );
  }
  return out;
}

function rowOf(i: Step): ResourceRow {
  return { key: i.key, label: i.label, id: i.id, action: i.action, fields: i.fields };
}
