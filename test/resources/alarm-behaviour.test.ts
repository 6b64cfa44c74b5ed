import { beforeEach, describe, expect, it, vi } from "vitest";
import type { StateEntry } from "../../src/engine/types.js";
import type * as AlarmModule from "../../src/resources/alarm.js";
import { kindWorld } from "./kind-ctx.js";

/**
 * The CloudWatch alarms on their own: what each alarm watches, which drift is named (by the
 * field PutMetricAlarm takes), and the calls that make, repair and delete an alarm.
 */

/** Loaded afresh for each test: the kind's table is evaluated once per load. */
let m: typeof AlarmModule;
beforeEach(async () => {
  vi.resetModules();
  m = await import("../../src/resources/alarm.js");
});

const TOPIC = ["arn:aws:sns:us-east-1:123456789012:alarms"];
const NAME = "shop-production-throttles";
const ARN = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${NAME}`;
const props = (over: Partial<AlarmModule.AlarmProps> = {}): AlarmModule.AlarmProps => ({
  name: NAME,
  arn: ARN,
  definition: m.throttlesAlarm("shop-api", 1, TOPIC),
  tags: { project: "shop" },
  ...over,
});
const entry = (id: string) => ({ kind: "cloudwatch-alarm", id }) as unknown as StateEntry;

const lambdaMetric = (name: string, id: string) => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: "AWS/Lambda",
      MetricName: name,
      Dimensions: [{ Name: "FunctionName", Value: "shop-api" }],
    },
    Period: 300,
    Stat: "Sum",
  },
  ReturnData: false,
});

describe("what each alarm watches", () => {
  it("the function's error rate: errors over invocations, 2 of 2 five-minute periods", () => {
    expect(m.errorRateAlarm("shop-api", 5, TOPIC)).toEqual({
      AlarmDescription: "Error rate of shop-api above 5% for 10 minutes",
      ActionsEnabled: true,
      AlarmActions: TOPIC,
      OKActions: TOPIC,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 5,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: "notBreaching",
      Metrics: [
        lambdaMetric("Errors", "errors"),
        lambdaMetric("Invocations", "invocations"),
        {
          Id: "errorRate",
          Expression: "100 * errors / invocations",
          Label: "Error rate (%)",
          ReturnData: true,
        },
      ],
    });
  });

  it("throttles: any in five minutes", () => {
    expect(m.throttlesAlarm("shop-api", 1, TOPIC)).toEqual({
      AlarmDescription: "shop-api was throttled",
      ActionsEnabled: true,
      AlarmActions: TOPIC,
      OKActions: TOPIC,
      Namespace: "AWS/Lambda",
      MetricName: "Throttles",
      Dimensions: [{ Name: "FunctionName", Value: "shop-api" }],
      Statistic: "Sum",
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
    });
  });

  it("the API's 5XX share (a fraction) and its request count, by API name and stage", () => {
    const dims = [
      { Name: "ApiName", Value: "shop" },
      { Name: "Stage", Value: "prod" },
    ];
    expect(m.api5xxRateAlarm("shop", "prod", 5, TOPIC)).toEqual({
      AlarmDescription: "5XX rate of the shop API (stage prod) above 5% in five minutes",
      ActionsEnabled: true,
      AlarmActions: TOPIC,
      OKActions: TOPIC,
      Namespace: "AWS/ApiGateway",
      MetricName: "5XXError",
      Dimensions: dims,
      Statistic: "Average",
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 0.05,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "notBreaching",
    });
    expect(m.apiRequestsAlarm("shop", "prod", 1000, TOPIC)).toEqual({
      AlarmDescription: "More than 1000 requests to the shop API (stage prod) in five minutes",
      ActionsEnabled: true,
      AlarmActions: TOPIC,
      OKActions: TOPIC,
      Namespace: "AWS/ApiGateway",
      MetricName: "Count",
      Dimensions: dims,
      Statistic: "SampleCount",
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1000,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "notBreaching",
    });
  });
});

describe("CloudWatch alarm", () => {
  it("is recorded as cloudwatch-alarm and shown by its name", () => {
    expect(m.alarmKind.kind).toBe("cloudwatch-alarm");
    expect(m.alarmHandler.label).toBe("CloudWatch alarm");
    expect(m.alarmHandler.displayId(props())).toBe(NAME);
  });

  it("create: one PutMetricAlarm with the definition, name and tags; read back in sync", async () => {
    for (const definition of [
      m.throttlesAlarm("shop-api", 1, TOPIC),
      m.errorRateAlarm("shop-api", 5, TOPIC),
    ]) {
      const w = kindWorld();
      const o = await m.alarmHandler.create(w.ctx, props({ definition }));
      expect(w.inputs("PutMetricAlarm")).toEqual([
        { ...definition, AlarmName: NAME, Tags: [{ Key: "project", Value: "shop" }] },
      ]);
      expect(w.fake.operations({ mutating: true })).toEqual(["CloudWatch.PutMetricAlarm"]);
      expect(o.outputs).toEqual({ name: NAME, arn: ARN });
      expect(m.alarmHandler.diff(props({ definition }), o).fields).toEqual([]);
      expect(m.alarmHandler.tagsOf?.(o)).toEqual({ project: "shop" });
    }
  });

  it("read: only the alarm of that name, as a metric alarm; none when it is not there", async () => {
    const w = kindWorld();
    expect(await m.alarmHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
    await m.alarmHandler.create(w.ctx, props({ name: `${NAME}-old`, arn: `${ARN}-old` }));
    w.fake.resetCalls();
    expect(await m.alarmHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
    expect(w.inputs("DescribeAlarms")).toEqual([
      { AlarmNames: [NAME], AlarmTypes: ["MetricAlarm"] },
    ]);
    expect(w.inputs("ListTagsForResource")).toEqual([{ ResourceARN: ARN }]);
  });

  it("diff names each field that drifted, as PutMetricAlarm calls it", async () => {
    const w = kindWorld();
    const o = await m.alarmHandler.create(w.ctx, props());
    const d = m.throttlesAlarm("shop-api", 1, TOPIC);
    const drift = (over: Partial<AlarmModule.AlarmDefinition>) =>
      m.alarmHandler.diff(props({ definition: { ...d, ...over } }), o).fields;
    expect(drift({ AlarmDescription: "x" })).toEqual(["alarmDescription"]);
    expect(drift({ ActionsEnabled: false })).toEqual(["actionsEnabled"]);
    expect(drift({ AlarmActions: [] })).toEqual(["alarmActions"]);
    expect(drift({ OKActions: ["arn:x"] })).toEqual(["okActions"]);
    expect(drift({ ComparisonOperator: "LessThanThreshold" })).toEqual(["comparisonOperator"]);
    expect(drift({ Threshold: 2 })).toEqual(["threshold"]);
    expect(drift({ EvaluationPeriods: 3 })).toEqual(["evaluationPeriods"]);
    expect(drift({ DatapointsToAlarm: 3 })).toEqual(["datapointsToAlarm"]);
    expect(drift({ TreatMissingData: "breaching" })).toEqual(["treatMissingData"]);
    expect(drift({ Namespace: "AWS/X" })).toEqual(["namespace"]);
    expect(drift({ MetricName: "Errors" })).toEqual(["metricName"]);
    expect(drift({ Statistic: "Maximum" })).toEqual(["statistic"]);
    expect(drift({ Period: 60 })).toEqual(["period"]);
    expect(drift({ Dimensions: [{ Name: "FunctionName", Value: "other" }] })).toEqual([
      "dimensions",
    ]);
    expect(drift({ Metrics: [lambdaMetric("Errors", "e")] })).toEqual(["metrics"]);
    expect(m.alarmHandler.diff(props({ tags: { team: "a" } }), o).fields).toEqual(["tags"]);
  });

  it("the same definition written another way is no drift", async () => {
    const w = kindWorld();
    const d = {
      ...m.throttlesAlarm("shop-api", 1, ["arn:b", "arn:a"]),
      Dimensions: [
        { Name: "Z", Value: "1" },
        { Name: "FunctionName", Value: "shop-api" },
      ],
    };
    const o = await m.alarmHandler.create(w.ctx, props({ definition: d }));
    const same = {
      ...d,
      ActionsEnabled: undefined,
      AlarmActions: ["arn:a", "arn:b"],
      OKActions: ["arn:a", "arn:b"],
      Dimensions: [
        { Name: "FunctionName", Value: "shop-api" },
        { Name: "Z", Value: "1" },
      ],
      Metrics: [],
    };
    expect(m.alarmHandler.diff(props({ definition: same }), o).fields).toEqual([]);
    const rate = m.errorRateAlarm("shop-api", 5, TOPIC);
    const r = await m.alarmHandler.create(w.ctx, props({ name: "r", definition: rate }));
    const metrics = rate.Metrics!.map((q) => ({
      ...q,
      ReturnData: q.ReturnData === true ? undefined : q.ReturnData,
    }));
    expect(
      m.alarmHandler.diff(props({ name: "r", definition: { ...rate, Metrics: metrics } }), r)
        .fields,
    ).toEqual([]);
    const other = rate.Metrics!.map((q, i) =>
      i === 0 ? { ...q, MetricStat: { ...q.MetricStat!, Stat: "Average" } } : q,
    );
    expect(
      m.alarmHandler.diff(props({ name: "r", definition: { ...rate, Metrics: other } }), r).fields,
    ).toEqual(["metrics"]);
  });

  it("update: the definition in one call, tags in another; delete by name", async () => {
    const w = kindWorld();
    const o = await m.alarmHandler.create(w.ctx, props());
    w.fake.resetCalls();
    const want = props({
      definition: m.throttlesAlarm("shop-api", 3, TOPIC),
      tags: { team: "a" },
    });
    await m.alarmHandler.update(w.ctx, want, o, { fields: ["threshold", "period", "tags"] });
    expect(w.inputs("PutMetricAlarm")).toEqual([{ ...want.definition, AlarmName: NAME }]);
    expect(w.inputs("TagResource")).toEqual([
      { ResourceARN: ARN, Tags: [{ Key: "team", Value: "a" }] },
    ]);
    await m.alarmHandler.destroy(w.ctx, entry(NAME));
    expect(w.inputs("DeleteAlarms")).toEqual([{ AlarmNames: [NAME] }]);
    expect(await m.alarmHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
  });
});
