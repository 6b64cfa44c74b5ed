import { DescribeAlarmsCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { UpdateAliasCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { pause } from "../engine/retry.js";
import type { TrafficStep } from "./traffic.js";

/** What shifting an alias from one version to another needs. */
export interface Shift {
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly functionName: string;
  readonly alias: string;
  /** The version live now, which keeps the rest of the traffic and takes it all back on alarm. */
  readonly from: string;
  /** The new version. */
  readonly to: string;
  /** The alias's RevisionId as read: a change made by someone else meanwhile stops the shift. */
  readonly revisionId?: string | undefined;
  /** Whether the alias already sends some traffic to `to` (a shift an earlier run left). */
  readonly split?: boolean | undefined;
  /** Set on the alias with the final switch (e.g. what went live when). */
  readonly description?: string | undefined;
  readonly steps: readonly TrafficStep[];
  /** The alarms whose ALARM state rolls the shift back. */
  readonly alarms: readonly string[];
  /** How often the alarms are read during a hold. */
  readonly pollMs: number;
  /** Aborted on Ctrl-C: the split stays as it is, for the next run to finish or roll back. */
  readonly signal?: AbortSignal | undefined;
  progress(message: string): void;
}

/** The shift was taken back: all traffic is on the version that was live before. */
export class RolledBack extends Error {
  override readonly name = "RolledBack";
  constructor(
    readonly alarm: string,
    readonly reason: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(
      `the alarm ${alarm} went off while version ${to} took traffic (${reason}): all traffic is back on version ${from}`,
    );
  }
}

/** An alarm in ALARM, with CloudWatch's reason. */
export interface Firing {
  readonly name: string;
  readonly reason: string;
}

/** The alarms among these that are in ALARM now. */
export async function firing(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
): Promise<Firing[]> {
  const out: Firing[] = [];
  // DescribeAlarms takes up to 100 names a call.
  for (let i = 0; i < names.length; i += 100) {
    const r = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), StateValue: "ALARM" }),
    );
    for (const a of r.MetricAlarms ?? []) {
      if (a.StateValue === "ALARM")
        out.push({ name: a.AlarmName ?? "", reason: a.StateReason ?? "" });
    }
  }
  return out;
}

/**
 * Moves the alias from `from` to `to` through the steps, watching the alarms during each hold;
 * the first alarm in ALARM sends all traffic back to `from` and throws RolledBack. Returns the
 * alias's RevisionId once all traffic is on `to`.
 */
export async function shiftTraffic(s: Shift): Promise<string | undefined> {
  let revision = s.revisionId;
  let split = s.split ?? false;
  const route = async (
    version: string,
    weights: Record<string, number>,
    description?: string,
  ): Promise<void> => {
    const r = await s.lambda.send(
      new UpdateAliasCommand({
        FunctionName: s.functionName,
        Name: s.alias,
        FunctionVersion: version,
        RoutingConfig: { AdditionalVersionWeights: weights },
        ...(description !== undefined ? { Description: description } : {}),
        ...(revision !== undefined ? { RevisionId: revision } : {}),
      }),
    );
    revision = r.RevisionId;
    split = Object.keys(weights).length > 0;
  };
  const watch = async (): Promise<void> => {
    const [first] = await firing(s.cloudwatch, s.alarms);
    if (!first) return;
    if (split) await route(s.from, {});
    throw new RolledBack(first.name, first.reason, s.from, s.to);
  };
  for (const step of s.steps) {
    await watch();
    await route(s.from, { [s.to]: step.percent / 100 });
    const until = Date.now() + step.holdMs;
    for (let left = step.holdMs; left > 0; left = until - Date.now()) {
      s.progress(
        `${step.percent} % of requests on version ${s.to}, ${100 - step.percent} % on ${s.from}; ${Math.ceil(left / 1000)} s left, watching ${s.alarms.length} alarm(s)`,
      );
      await pause(s, Math.min(s.pollMs, left));
      await watch();
    }
  }
  await watch();
  await route(s.to, {}, s.description);
  return revision;
}
