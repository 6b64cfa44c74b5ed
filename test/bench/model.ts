import type { CallRecord } from "../fake-aws/core.js";
import type { FakeAccount } from "../fake-aws/index.js";
import type { TraceEvent } from "../../src/engine/types.js";

/** Real-AWS figures the model is built from (ms), before scaling. */
export const AWS_MODEL = {
  roundTripMs: 50,
  iamPropagationMs: 8000,
  tableCreatingMs: 5000,
  tableDeletingMs: 3000,
  tableUpdatingMs: 2000,
  pitrDelayMs: 1000,
  lambdaPendingMs: 2000,
  lambdaUpdatingMs: 1000,
  /** RequestCertificate → DescribeCertificate lists the validation record (AWS: "a few seconds"). */
  acmRecordMs: 3000,
  /**
   * The validation CNAME written → ISSUED: Route 53 propagates a change in about a minute, then
   * ACM's next check issues; a few minutes is typical, the ACM guide allows up to 30 once the
   * record resolves. Modelled as two minutes.
   */
  acmIssueMs: 120_000,
} as const;

/** Makes the fake account behave like AWS, with every duration multiplied by `scale`. */
export function applyModel(fake: FakeAccount, scale: number): void {
  const m = AWS_MODEL;
  fake.latencyMs = m.roundTripMs * scale;
  fake.iam.timings.propagationMs = m.iamPropagationMs * scale;
  fake.dynamodb.timings = {
    creatingMs: m.tableCreatingMs * scale,
    deletingMs: m.tableDeletingMs * scale,
    updatingMs: m.tableUpdatingMs * scale,
    backupsDelayMs: m.pitrDelayMs * scale,
  };
  fake.lambda.timings = {
    pendingMs: m.lambdaPendingMs * scale,
    updatingMs: m.lambdaUpdatingMs * scale,
  };
  fake.acm.recordDelayMs = m.acmRecordMs * scale;
  fake.acm.validationMs = m.acmIssueMs * scale;
  // API Gateway's per-account quotas (1 CreateRestApi / 3 s, 1 DeleteRestApi / 30 s, …), sped up alike.
  fake.apigateway.quota.enabled = true;
  fake.apigateway.quota.scale = 1 / scale;
}

/**
 * The lower bound for a run: the longest path through the dependency graph when every resource
 * takes the time its own reads and changes took in that run and nothing waits for anything else.
 * `deps` maps a key to the keys that must finish first (reversed for teardown). Returns its
 * length and the resources on it, first to last.
 */
export function criticalPath(
  events: readonly TraceEvent[],
  deps: ReadonlyMap<string, readonly string[]>,
): { ms: number; chain: string[] } {
  if (events.length === 0) return { ms: 0, chain: [] };
  const t0 = Math.min(...events.map((e) => e.start));
  const observedBy = new Map<string, number>();
  const work = new Map<string, number>();
  for (const e of events) {
    if (e.phase === "observe") {
      observedBy.set(e.key, Math.max(observedBy.get(e.key) ?? 0, e.end - t0));
    } else {
      work.set(e.key, (work.get(e.key) ?? 0) + (e.end - e.start));
    }
  }
  const keys = new Set([...observedBy.keys(), ...work.keys()]);
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  const visit = (k: string, seen: Set<string>): number => {
    const known = finish.get(k);
    if (known !== undefined) return known;
    if (seen.has(k)) return 0;
    seen.add(k);
    let ready = observedBy.get(k) ?? 0;
    let from: string | undefined;
    for (const d of (deps.get(k) ?? []).filter((x) => keys.has(x))) {
      const f = visit(d, seen);
      if (f > ready) {
        ready = f;
        from = d;
      }
    }
    const f = ready + (work.get(k) ?? 0);
    finish.set(k, f);
    via.set(k, from);
    return f;
  };
  let last = "";
  let ms = 0;
  for (const k of keys) {
    const f = visit(k, new Set());
    if (f > ms) [ms, last] = [f, k];
  }
  const chain: string[] = [];
  for (let k: string | undefined = last; k; k = via.get(k)) chain.unshift(k);
  return { ms, chain };
}

/**
 * How many round trips deep a run's calls are: the longest chain of calls each started after the
 * previous one ended. Returns the depth and that chain ("Service.Operation", first to last).
 */
export function roundTrips(calls: readonly CallRecord[]): { depth: number; chain: string[] } {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const depth: number[] = [];
  const prev: (number | undefined)[] = [];
  sorted.forEach((c, i) => {
    let d = 1;
    let from: number | undefined;
    for (let j = 0; j < i; j++) {
      const p = sorted[j] as CallRecord;
      if (p.endedAt <= c.startedAt && (depth[j] ?? 0) + 1 > d) {
        d = (depth[j] ?? 0) + 1;
        from = j;
      }
    }
    depth.push(d);
    prev.push(from);
  });
  let end = -1;
  depth.forEach((d, i) => {
    if (end < 0 || d > (depth[end] ?? 0)) end = i;
  });
  const chain: string[] = [];
  for (let k: number | undefined = end < 0 ? undefined : end; k !== undefined; k = prev[k]) {
    const c = sorted[k] as CallRecord;
    chain.unshift(`${c.service}.${c.operation}`);
  }
  return { depth: end < 0 ? 0 : (depth[end] ?? 0), chain };
}
