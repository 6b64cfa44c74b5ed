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
  // API Gateway's per-account quotas (1 CreateRestApi / 3 s, 1 DeleteRestApi / 30 s, …), sped up alike.
  fake.apigateway.quota.enabled = true;
  fake.apigateway.quota.scale = 1 / scale;
}

/**
 * The lower bound for a run: the longest path through the dependency graph when every resource
 * takes the time its own reads and changes took in that run and nothing waits for anything else.
 * `deps` maps a key to the keys that must finish first (reversed for teardown).
 */
export function criticalPathMs(
  events: readonly TraceEvent[],
  deps: ReadonlyMap<string, readonly string[]>,
): number {
  if (events.length === 0) return 0;
  const t0 = Math.min(...events.map((e) => e.start));
  const observedBy = new Map<string, number>();
  const work = new Map<string, number>();
  for (const e of events) {
    if (e.phase === "observe")
      observedBy.set(e.key, Math.max(observedBy.get(e.key) ?? 0, e.end - t0));
    else work.set(e.key, (work.get(e.key) ?? 0) + (e.end - e.start));
  }
  const keys = new Set([...observedBy.keys(), ...work.keys()]);
  const finish = new Map<string, number>();
  const visit = (k: string, seen: Set<string>): number => {
    const known = finish.get(k);
    if (known !== undefined) return known;
    if (seen.has(k)) return 0;
    seen.add(k);
    const ready = Math.max(
      observedBy.get(k) ?? 0,
      ...(deps.get(k) ?? []).filter((d) => keys.has(d)).map((d) => visit(d, seen)),
    );
    const f = ready + (work.get(k) ?? 0);
    finish.set(k, f);
    return f;
  };
  return Math.max(...[...keys].map((k) => visit(k, new Set())));
}

/** How many round trips deep a run's calls are: the longest chain of calls each started after the previous ended. */
export function roundTripDepth(calls: readonly CallRecord[]): number {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const depth: number[] = [];
  sorted.forEach((c, i) => {
    let d = 1;
    for (let j = 0; j < i; j++) {
      const p = sorted[j] as CallRecord;
      if (p.endedAt <= c.startedAt) d = Math.max(d, (depth[j] ?? 0) + 1);
    }
    depth.push(d);
  });
  return Math.max(0, ...depth);
}
