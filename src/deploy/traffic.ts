/**
 * How a new version of the function takes over the alias's traffic: all at once, a canary share
 * for a while and then all, or equal steps at equal intervals.
 */
export type DeployStrategy =
  | "all-at-once"
  | { readonly canary: { readonly percent: number; readonly minutes: number } }
  | { readonly linear: { readonly percent: number; readonly everyMinutes: number } };

/** One share of the traffic the new version gets, held this long before the next step. */
export interface TrafficStep {
  /** 1–99: the rest stays on the version that was live. */
  readonly percent: number;
  readonly holdMs: number;
}

const MINUTE_MS = 60_000;

/**
 * The shares the new version takes before it gets all the traffic (the final switch is not a
 * step): none for all-at-once, one for a canary, percent, 2×percent… below 100 for linear.
 * `scale` shortens the holds (SERVERLESS_AUTOMATION_WAIT_SCALE), never the shares.
 */
export function trafficSteps(s: DeployStrategy, scale = 1): TrafficStep[] {
  if (s === "all-at-once") return [];
  if ("canary" in s)
    return [{ percent: s.canary.percent, holdMs: s.canary.minutes * MINUTE_MS * scale }];
  const { percent, everyMinutes } = s.linear;
  const steps: TrafficStep[] = [];
  for (let p = percent; p < 100; p += percent)
    steps.push({ percent: p, holdMs: everyMinutes * MINUTE_MS * scale });
  return steps;
}

/** The whole bake: what the user waits for before all traffic is on the new version. */
export function bakeMs(s: DeployStrategy, scale = 1): number {
  return trafficSteps(s, scale).reduce((sum, step) => sum + step.holdMs, 0);
}

/** The strategy in a few words, e.g. "canary: 10 % for 5 min, then all". */
export function describeStrategy(s: DeployStrategy): string {
  if (s === "all-at-once") return "all at once";
  if ("canary" in s) return `canary: ${s.canary.percent} % for ${s.canary.minutes} min, then all`;
  return `linear: ${s.linear.percent} % more every ${s.linear.everyMinutes} min`;
}
