import path from "node:path";
import { effectiveRoutes } from "../routes.js";
import { apply, Interrupted, type ApplyResult } from "../engine/apply.js";
import { plan, type Action, type FieldChange, type Plan, type Step } from "../engine/plan.js";
import type { AuthMode, ConfigInput, Settings } from "../config.js";
import { canonicalJson } from "../engine/canonical.js";
import { deepEqual } from "../engine/equal.js";
import { UserError } from "../errors.js";
import { commandLine, shellQuote, type StackFlags } from "../hint.js";
import { HANDLERS } from "../registry.js";
import { serialOf, type StackState, type StateStore } from "../state/store.js";
import { RolledBack } from "../deploy/bake.js";
import {
  changedSince,
  configHash,
  PLAN_FORMAT,
  PLAN_FORMAT_VERSION,
  readPlanFile,
  toolVersion,
  writePlanFile,
  type PlanFile,
} from "./plan-file.js";
import { openSession, openState, type Environment, type Session } from "./session.js";
import { NODES } from "../stack.js";
import { domainUrl } from "../resources/base-path-mapping.js";

/** What a row of up's report says happened: a step's action, or failed (never reached, or it failed). */
export type RowAction = Action | "failed";

export interface ResourceRow {
  readonly key: string;
  readonly label: string;
  readonly id: string;
  readonly action: RowAction;
  readonly fields: readonly string[];
  /** In a dry run: each field that differs, observed and desired. */
  readonly changes?: readonly FieldChange[] | undefined;
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
  /** Where callers reach the API: its custom domain when it has one, else the invoke URL. */
  readonly endpoint: string | undefined;
  /** With a custom domain: the execute-api invoke URL (off with disableDefaultEndpoint). */
  readonly defaultEndpoint?: string | undefined;
  /** domain.disableDefaultEndpoint: defaultEndpoint answers 403 to every call. */
  readonly disabledDefault?: boolean | undefined;
  /**
   * A custom domain whose certificate waits for a DNS record the user adds (no hostedZoneId):
   * the record, and that the domain is made on a run after ACM issued the certificate.
   */
  readonly domainPending?: DomainPending | undefined;
  /**
   * A custom domain without hostedZoneId, once made: the regional target its DNS must point at
   * (the records are the user's to write).
   */
  readonly domainTarget?: { readonly name: string; readonly target: string } | undefined;
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
  /** --dry-run --out: the plan file written (as given), and the command that applies it. */
  readonly planFile?: { readonly path: string; readonly apply: string } | undefined;
  /** --plan: the plan file applied (as given). */
  readonly appliedPlan?: string | undefined;
}

export interface UpOptions {
  readonly dryRun: boolean;
  /** With dryRun: where to write the plan (relative to the working directory). */
  readonly out?: string | undefined;
  /** Apply exactly this plan file, refusing if anything it rests on has changed. */
  readonly plan?: string | undefined;
  /** A new version takes all the traffic at once, whatever the `deploy` setting says. */
  readonly noBake?: boolean | undefined;
}

export interface DomainPending {
  readonly name: string;
  readonly certificateArn: string;
  /** The CNAME to add to the domain's DNS: ACM issues the certificate once it resolves. */
  readonly record: { readonly name: string; readonly type: "CNAME"; readonly value: string };
}

/** The custom domain waiting for its certificate, from the certificate's outputs. */
export function domainPending(
  s: Pick<Session, "domain" | "config">,
  certificate: Readonly<Record<string, string>> | undefined,
): DomainPending | undefined {
  const name = s.config.settings.domain?.name;
  if (!name || s.domain?.ready !== false || !certificate?.arn) return undefined;
  return {
    name,
    certificateArn: certificate.arn,
    record: {
      name: certificate.validationName ?? "",
      type: "CNAME",
      value: certificate.validationValue ?? "",
    },
  };
}

export interface AlarmNotifications {
  readonly email: string;
  /** "pending confirmation" until the recipient clicks the link AWS e-mailed; "not subscribed" in a dry run. */
  readonly status: string;
}

export function errorInfo(e: Error): ErrorInfo {
  return { message: e.message, hint: (e as { hint?: string }).hint };
}

export async function up(input: ConfigInput, e: Environment, opts: UpOptions): Promise<UpResult> {
  const started = Date.now();
  checkPlanFlags(opts, input);
  const planned =
    opts.plan !== undefined
      ? await readPlanFile(path.resolve(e.cwd, opts.plan), opts.plan, input)
      : undefined;
  const s = await openSession(input, e, {
    artifact: true,
    command: opts.dryRun ? "up --dry-run" : "up",
    refuseKeySchemaChange: true,
    noBake: opts.noBake === true,
  });
  if (planned) checkPlanTarget(planned, s, opts.plan as string, input);
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
    warnings: [...securityWarnings(s.config.settings), ...s.secretWarnings],
  };
  if (opts.dryRun) {
    const p = await plan(s.ctx, s.specs, s.stored?.resources ?? {}, s.limiter, handlerOf);
    let planFile: UpResult["planFile"];
    if (opts.out !== undefined) {
      await writePlanFile(path.resolve(e.cwd, opts.out), planFileOf(s, p, serialOf(s.stored)));
      planFile = {
        path: opts.out,
        apply: commandLine(planArgs("up --plan", opts.out, input), input),
      };
    }
    return {
      ...base,
      ok: true,
      interrupted: false,
      dryRun: true,
      endpoint: s.stored?.endpoint,
      durationMs: Date.now() - started,
      resources: p.data.steps.map(rowOf),
      errors: [],
      alarmNotifications: notifications(
        s.config.settings.alarmEmail,
        s.stored && NODES.alarmSubscription.recorded(s.stored.resources)?.outputs,
      ),
      ...(planFile ? { planFile } : {}),
    };
  }
  const { store, lock } = await openState(s, "up", e.reporter, e);
  try {
    // A plan file is checked against the state and AWS as they are now, before any write.
    const verified = planned && (await verifiedPlan(s, store, planned, opts.plan as string, input));
    const applied = await converge(s, store, e, verified, input);
    return {
      ...base,
      ...applied,
      warnings: [...base.warnings, ...applied.warnings],
      dryRun: false,
      durationMs: Date.now() - started,
      ...(opts.plan !== undefined ? { appliedPlan: opts.plan } : {}),
    };
  } finally {
    await lock.release();
  }
}

/** --plan applies a plan and --out writes one: each only where it makes sense. */
function checkPlanFlags(opts: UpOptions, input: ConfigInput): void {
  // An empty path resolves to the working directory, and a blank one is a file no one means to
  // write: say what is missing, not "a directory".
  for (const [flag, value] of [
    ["--plan", opts.plan],
    ["--out", opts.out],
  ] as const) {
    if (value !== undefined && value.trim() === "") {
      const given = value === "" ? "an empty one" : "only spaces";
      throw new UserError(`${flag} needs a file name; it was given ${given}.`, {
        hint: "Make the plan with up --dry-run --out plan.json, then apply it with up --plan plan.json.",
      });
    }
  }
  if (opts.plan !== undefined && opts.dryRun) {
    throw new UserError("--plan applies a plan; it cannot be combined with --dry-run.", {
      hint: "Make the plan with up --dry-run --out <file>, then apply it with up --plan <file>.",
    });
  }
  if (opts.out !== undefined && !opts.dryRun) {
    throw new UserError("--out writes the plan of a dry run: pass --dry-run with it.", {
      hint: `Write the plan with ${commandLine(planArgs("up --dry-run --out", opts.out, input), input)}.`,
    });
  }
}

/**
 * Under the lock: records what this run was asked for, plans from the state as it is now (or
 * takes the verified plan file's plan), applies it and records the endpoint.
 */
async function converge(
  s: Session,
  store: StateStore,
  e: Environment,
  verified: Plan | undefined,
  input: ConfigInput,
): Promise<
  Pick<
    UpResult,
    | "ok"
    | "interrupted"
    | "endpoint"
    | "defaultEndpoint"
    | "domainPending"
    | "domainTarget"
    | "resources"
    | "errors"
    | "warnings"
    | "alarmNotifications"
  >
> {
  // Recorded first: what this run was asked for is what the next plain `up` keeps.
  if (!deepEqual(store.state.settings?.alarmEmail, s.alarmEmail)) {
    const settings = { ...store.state.settings, alarmEmail: s.alarmEmail };
    const empty = Object.values(settings).every((v) => v === undefined);
    await store.set({ settings: empty ? undefined : settings });
  }
  // Planned under the lock, from the state as it is now: apply runs exactly this plan.
  const p: Plan =
    verified ??
    (await plan(s.ctx, s.specs, store.resources, s.limiter, handlerOf, {
      readErrorsToApply: true,
    }));
  const result = await apply(s.ctx, p, store, e.reporter, s.limiter, e.signal);
  const errors = [...result.errors, ...result.sweep.errors];
  const warnings = result.sweep.kept.map((k) => `${k.label} ${k.id}: ${k.reason}`);
  const endpoint = NODES.stage.outputsIn(result.outputs)?.invokeUrl ?? store.state.endpoint;
  if (
    errors.length === 0 &&
    (store.state.codeSha256 !== s.artifact?.sha256Hex || store.state.endpoint !== endpoint)
  ) {
    await store.set({ codeSha256: s.artifact?.sha256Hex, endpoint });
  }
  const viaDomain = domainUrl(NODES.basePathMapping.outputsIn(result.outputs));
  const pending = domainPending(s, NODES.certificate.outputsIn(result.outputs));
  const domain = s.config.settings.domain;
  const made = NODES.domainName.outputsIn(result.outputs);
  const target =
    domain && !domain.hostedZoneId && made?.regionalDomainName
      ? { name: domain.name, target: made.regionalDomainName }
      : undefined;
  const subscription = NODES.alarmSubscription.outputsIn(result.outputs);
  if (subscription?.note) warnings.push(subscription.note);
  // A shift an alarm took back: recorded, so that the next up keeps the version that was live.
  const back = errors.map(rolledBackBy).find((x) => x !== undefined);
  if (back) {
    await store.set({
      rolledBack: {
        version: back.to,
        to: back.from,
        reason: `the alarm ${back.alarm} went off (${back.reason})`,
        at: new Date().toISOString(),
      },
    });
  }
  const pinned = pinnedWarning(
    store.state.rolledBack,
    NODES.function.outputsIn(result.outputs),
    input,
  );
  if (pinned && !back) warnings.push(pinned);
  return {
    ok: errors.length === 0,
    interrupted: errors.some((x) => x instanceof Interrupted),
    endpoint: viaDomain ?? endpoint,
    ...(viaDomain
      ? {
          defaultEndpoint: endpoint,
          disabledDefault: s.config.settings.domain?.disableDefaultEndpoint === true,
        }
      : {}),
    ...(pending ? { domainPending: pending } : {}),
    ...(target ? { domainTarget: target } : {}),
    resources: rowsOf(s, store, result),
    // One failed state write fails every step after it: said once.
    errors: [...new Set(errors)].filter((x) => !(x instanceof Interrupted)).map(errorInfo),
    warnings,
    alarmNotifications: notifications(s.config.settings.alarmEmail, subscription),
  };
}

/** What became of each resource: the stack's in its order, then what the sweep removed. */
function rowsOf(s: Session, store: StateStore, result: ApplyResult): ResourceRow[] {
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
    rows.push({ key: t.key, label: t.handler.label, id: t.entry.id, action: "delete", fields: [] });
  }
  for (const k of result.sweep.kept) {
    rows.push({ key: k.key, label: k.label, id: k.id, action: "delete", fields: [] });
  }
  return rows;
}

const handlerOf = (kind: string) => HANDLERS.get(kind);

/** The shift an alarm took back, wherever in an error's causes it is. */
function rolledBackBy(err: unknown): RolledBack | undefined {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof RolledBack) return e;
  return undefined;
}

/** Said while a version taken back is the one the stack wants: it stays back. */
export function pinnedWarning(
  r: StackState["rolledBack"],
  fn: { readonly version: string } | undefined,
  flags: StackFlags,
): string | undefined {
  if (!r || fn?.version !== r.version) return undefined;
  return `Version ${r.version} was taken back at ${r.at} (${r.reason}); version ${r.to} stays live. Change the code or configuration to deploy again, or run ${commandLine(`rollback --to ${r.version}`, flags)} to send the traffic to it.`;
}

/**
 * `up --plan <file>` (or --dry-run --out) with the setting flags this run was given: the plan is
 * applied only with the configuration it was made with.
 */
function planArgs(command: string, file: string, input: ConfigInput): string {
  const s = input.settings ?? {};
  return [
    `${command} ${shellQuote(file)}`,
    ...(s.auth !== undefined ? [`--auth ${shellQuote(s.auth)}`] : []),
    ...(s.alarmEmail !== undefined ? [`--alarm-email ${shellQuote(s.alarmEmail)}`] : []),
    ...(input.noAlarmEmail ? ["--no-alarm-email"] : []),
  ].join(" ");
}

/** The plan as the file --out writes. */
function planFileOf(s: Session, p: Plan, stateSerial: number): PlanFile {
  return {
    format: PLAN_FORMAT,
    formatVersion: PLAN_FORMAT_VERSION,
    toolVersion: toolVersion(),
    createdAt: new Date().toISOString(),
    account: s.ctx.account,
    region: s.config.region,
    name: s.config.name,
    stage: s.config.stage,
    configHash: configHash(s.config.settings, s.artifact?.sha256Hex),
    stateSerial,
    steps: p.data.steps,
  };
}

/** Refuses a plan made for another stack, or from another configuration; before the lock. */
function checkPlanTarget(f: PlanFile, s: Session, file: string, flags: ConfigInput): void {
  const again = `Make a new plan with ${commandLine(planArgs("up --dry-run --out", file, flags), flags)}, or pass the flags the plan was made with.`;
  const target = {
    account: s.ctx.account,
    region: s.config.region,
    name: s.config.name,
    stage: s.config.stage,
  };
  for (const field of ["account", "region", "name", "stage"] as const) {
    if (f[field] !== target[field]) {
      throw new UserError(
        `The plan ${file} was made for ${field} ${f[field]}, but this run targets ${field} ${target[field]}. Nothing was changed.`,
        { hint: again },
      );
    }
  }
  if (f.configHash !== configHash(s.config.settings, s.artifact?.sha256Hex)) {
    throw new UserError(
      `The configuration changed since the plan ${file} was made (its settings or the handler's code). Nothing was changed.`,
      {
        hint: `Make a new plan with ${commandLine(planArgs("up --dry-run --out", file, flags), flags)}.`,
      },
    );
  }
}

/**
 * Under the lock: the plan again, from the state as it is now and fresh reads of exactly the
 * resources the file's steps rest on. Refused, before anything is changed, unless the state is
 * the one the plan was made from and every read fingerprints as it did; then the fresh plan is
 * the file's, step for step, and it is what apply runs.
 */
async function verifiedPlan(
  s: Session,
  store: StateStore,
  f: PlanFile,
  file: string,
  flags: ConfigInput,
): Promise<Plan> {
  const hint = `Make a new plan with ${commandLine(planArgs("up --dry-run --out", file, flags), flags)}, review it, and apply that one.`;
  const serial = serialOf(store.state);
  if (serial !== f.stateSerial) {
    throw new UserError(
      `The state changed since the plan ${file} was made (serial ${f.stateSerial}, now ${serial}): another run changed the stack, or this plan was applied already (perhaps stopped midway). Nothing was changed.`,
      { hint },
    );
  }
  // Strict: a resource that cannot be read now cannot be shown to be as planned.
  const fresh = await plan(s.ctx, s.specs, store.resources, s.limiter, handlerOf);
  const changed = changedSince(f.steps, fresh.data.steps);
  if (changed.length) {
    throw new UserError(
      `The plan ${file} is out of date; nothing was changed:\n${changed.map((c) => `  ${c}`).join("\n")}`,
      { hint },
    );
  }
  // As the file holds them: through JSON, as they were written.
  const now = JSON.parse(JSON.stringify(fresh.data.steps)) as unknown;
  if (canonicalJson(now) !== canonicalJson(f.steps)) {
    throw new UserError(
      `The plan ${file} does not match what its reads give now (was it edited?); nothing was changed.`,
      { hint },
    );
  }
  return fresh;
}

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
  return {
    key: i.key,
    label: i.label,
    id: i.id,
    action: i.action,
    fields: i.fields,
    ...(i.changes.length ? { changes: i.changes } : {}),
  };
}
