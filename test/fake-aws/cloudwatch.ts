import { partitionOf, type CallContext, type FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("CloudWatch");

export interface Alarm {
  name: string;
  arn: string;
  definition: Record<string, unknown>;
  tags: Map<string, string>;
  /** OK, ALARM or INSUFFICIENT_DATA (where every new alarm starts). */
  state: string;
  stateReason: string;
}

/** CloudWatch metric alarms. */
export class FakeCloudWatch implements FakeService {
  readonly name = "CloudWatch";
  readonly alarms = new Map<string, Alarm>();
  readonly operations: FakeService["operations"];

  constructor(private readonly account: string) {
    this.operations = {
      PutMetricAlarm: (i, c) => this.put(i, c),
      DescribeAlarms: (i) => {
        const names = i.AlarmNames as string[] | undefined;
        const state = i.StateValue as string | undefined;
        const list = [...this.alarms.values()].filter(
          (a) => (!names || names.includes(a.name)) && (!state || a.state === state),
        );
        return {
          MetricAlarms: list.map((a) => ({
            AlarmName: a.name,
            AlarmArn: a.arn,
            StateValue: a.state,
            StateReason: a.stateReason,
            ActionsEnabled: true,
            AlarmActions: [],
            OKActions: [],
            InsufficientDataActions: [],
            // AWS answers empty lists for what an alarm does not use: Dimensions for a
            // metric-math alarm, Metrics for a single-metric one.
            Dimensions: [],
            Metrics: [],
            ...structuredClone(a.definition),
          })),
          CompositeAlarms: [],
        };
      },
      // What a test uses to make an alarm fire: AWS's own way to set a state for a while.
      SetAlarmState: (i) => {
        const a = this.alarms.get(i.AlarmName as string);
        if (!a) throw err("ResourceNotFound", `${i.AlarmName as string} not found`, 404);
        a.state = i.StateValue as string;
        a.stateReason = i.StateReason as string;
        return {};
      },
      DeleteAlarms: (i) => {
        const names = i.AlarmNames as string[];
        const missing = names.filter((n) => !this.alarms.has(n));
        if (missing.length) throw err("ResourceNotFound", `${missing.join(", ")} not found`, 404);
        for (const n of names) this.alarms.delete(n);
        return {};
      },
      ListTagsForResource: (i) => ({
        Tags: [...this.byArn(i.ResourceARN as string).tags].map(([Key, Value]) => ({ Key, Value })),
      }),
      TagResource: (i) => {
        const a = this.byArn(i.ResourceARN as string);
        for (const t of i.Tags as { Key: string; Value: string }[]) a.tags.set(t.Key, t.Value);
        return {};
      },
      UntagResource: (i) => {
        const a = this.byArn(i.ResourceARN as string);
        for (const k of i.TagKeys as string[]) a.tags.delete(k);
        return {};
      },
    };
  }

  private byArn(arn: string): Alarm {
    const a = [...this.alarms.values()].find((x) => x.arn === arn);
    if (!a) throw err("ResourceNotFoundException", "The specified resource does not exist.", 404);
    return a;
  }

  private put(i: Record<string, unknown>, c: CallContext): object {
    const name = i.AlarmName as string;
    const hasMetric = i.MetricName !== undefined;
    const hasMetrics = Array.isArray(i.Metrics);
    if (hasMetric === hasMetrics) {
      throw err("ValidationError", "Exactly one element of the metrics list should return data.");
    }
    const { AlarmName: _n, Tags, ...definition } = i;
    const existing = this.alarms.get(name);
    // Tags on PutMetricAlarm apply only when the alarm is created.
    const tags =
      existing?.tags ??
      new Map(
        ((Tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [t.Key, t.Value]),
      );
    this.alarms.set(name, {
      name,
      arn: `arn:${partitionOf(c.region)}:cloudwatch:${c.region}:${this.account}:alarm:${name}`,
      definition,
      tags,
      // Updating an alarm's definition keeps its state until the next evaluation.
      state: existing?.state ?? "INSUFFICIENT_DATA",
      stateReason: existing?.stateReason ?? "Unchecked: Initial alarm creation",
    });
    return {};
  }
}
