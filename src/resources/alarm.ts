import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  TagResourceCommand,
  type MetricAlarm,
  type MetricDataQuery,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { orMissing } from "../aws/errors.js";
import { deepEqual, hasTags } from "../engine/equal.js";
import { lifecycle, type Fixer, type Kind } from "../engine/kind.js";
import type { Ctx, FieldValues, StateEntry } from "../engine/types.js";
import { fromKeyValueList, toKeyValueList, type TagMap } from "./tags.js";

/** Everything PutMetricAlarm takes except the name and tags. */
export type AlarmDefinition = Omit<PutMetricAlarmCommandInput, "AlarmName" | "Tags">;

export interface AlarmProps {
  readonly name: string;
  readonly arn: string;
  readonly definition: AlarmDefinition;
  readonly tags: TagMap;
}

export interface AlarmOutputs extends Record<string, string> {
  name: string;
  arn: string;
}

interface AlarmCurrent {
  alarm: MetricAlarm;
  tags: Record<string, string>;
}

const lambdaMetric = (functionName: string, metricName: string, id: string): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: "AWS/Lambda",
      MetricName: metricName,
      Dimensions: [{ Name: "FunctionName", Value: functionName }],
    },
    Period: 300,
    Stat: "Sum",
  },
  ReturnData: false,
});

/** 100 × Errors / Invocations above the threshold for 2 of 2 five-minute periods. */
export function errorRateAlarm(
  functionName: string,
  thresholdPercent: number,
  actions: string[],
): AlarmDefinition {
  return {
    AlarmDescription: `Error rate of ${functionName} above ${thresholdPercent}% for 10 minutes`,
    ActionsEnabled: true,
    AlarmActions: actions,
    OKActions: actions,
    ComparisonOperator: "GreaterThanThreshold",
    Threshold: thresholdPercent,
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    // No invocations is no data: not an outage.
    TreatMissingData: "notBreaching",
    Metrics: [
      lambdaMetric(functionName, "Errors", "errors"),
      lambdaMetric(functionName, "Invocations", "invocations"),
      {
        Id: "errorRate",
        Expression: "100 * errors / invocations",
        Label: "Error rate (%)",
        ReturnData: true,
      },
    ],
  };
}

/**
 * The error rate of one version behind the alias, minute by minute: what a shift of traffic to
 * a new version watches, so that a bad version is taken back within a minute or two rather than
 * after the function's ten-minute alarm.
 */
export function versionErrorsAlarm(
  functionName: string,
  alias: string,
  version: string,
  thresholdPercent: number,
  actions: string[],
): AlarmDefinition {
  const metric = (metricName: string, id: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: "AWS/Lambda",
        MetricName: metricName,
        Dimensions: [
          { Name: "FunctionName", Value: functionName },
          { Name: "Resource", Value: `${functionName}:${alias}` },
          { Name: "ExecutedVersion", Value: version },
        ],
      },
      Period: 60,
      Stat: "Sum",
    },
    ReturnData: false,
  });
  return {
    AlarmDescription: `Error rate of version ${version} of ${functionName} above ${thresholdPercent}% in a minute (watched while it takes traffic)`,
    ActionsEnabled: true,
    AlarmActions: actions,
    OKActions: actions,
    ComparisonOperator: "GreaterThanThreshold",
    Threshold: thresholdPercent,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    TreatMissingData: "notBreaching",
    Metrics: [
      metric("Errors", "errors"),
      metric("Invocations", "invocations"),
      {
        Id: "errorRate",
        Expression: "100 * errors / invocations",
        Label: `Error rate of version ${version} (%)`,
        ReturnData: true,
      },
    ],
  };
}

/** Any throttled invocation in five minutes. */
export function throttlesAlarm(
  functionName: string,
  threshold: number,
  actions: string[],
): AlarmDefinition {
  return {
    AlarmDescription: `${functionName} was throttled`,
    ActionsEnabled: true,
    AlarmActions: actions,
    OKActions: actions,
    Namespace: "AWS/Lambda",
    MetricName: "Throttles",
    Dimensions: [{ Name: "FunctionName", Value: functionName }],
    Statistic: "Sum",
    Period: 300,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    Threshold: threshold,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    TreatMissingData: "notBreaching",
  };
}

/**
 * API Gateway publishes a REST API's metrics under its name (ApiName, non-ASCII characters
 * removed) and stage; not its id.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
 */
const apiDimensions = (apiName: string, stage: string) => [
  { Name: "ApiName", Value: apiName },
  { Name: "Stage", Value: stage },
];

/**
 * Share of the stage's requests answered 5xx above the threshold over five minutes: the Average
 * of 5XXError is that share (0–1), so 5 % is 0.05.
 */
export function api5xxRateAlarm(
  apiName: string,
  stage: string,
  thresholdPercent: number,
  actions: string[],
): AlarmDefinition {
  return {
    AlarmDescription: `5XX rate of the ${apiName} API (stage ${stage}) above ${thresholdPercent}% in five minutes`,
    ActionsEnabled: true,
    AlarmActions: actions,
    OKActions: actions,
    Namespace: "AWS/ApiGateway",
    MetricName: "5XXError",
    Dimensions: apiDimensions(apiName, stage),
    Statistic: "Average",
    Period: 300,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    Threshold: thresholdPercent / 100,
    ComparisonOperator: "GreaterThanThreshold",
    // No requests is no data: not an outage.
    TreatMissingData: "notBreaching",
  };
}

/**
 * More requests in five minutes than the threshold: traffic beyond what the stage is sized for
 * (a runaway client, a scraper, an attack). API Gateway documents SampleCount as the statistic
 * that counts Count's requests.
 */
export function apiRequestsAlarm(
  apiName: string,
  stage: string,
  threshold: number,
  actions: string[],
): AlarmDefinition {
  return {
    AlarmDescription: `More than ${threshold} requests to the ${apiName} API (stage ${stage}) in five minutes`,
    ActionsEnabled: true,
    AlarmActions: actions,
    OKActions: actions,
    Namespace: "AWS/ApiGateway",
    MetricName: "Count",
    Dimensions: apiDimensions(apiName, stage),
    Statistic: "SampleCount",
    Period: 300,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    Threshold: threshold,
    ComparisonOperator: "GreaterThanThreshold",
    TreatMissingData: "notBreaching",
  };
}

/** An empty list and an absent one mean the same: DescribeAlarms answers `[]` for either. */
function listOrNone<T>(list: readonly T[] | undefined): readonly T[] | undefined {
  return list && list.length > 0 ? list : undefined;
}

/** A metric's dimensions name it as a set: compared in name order, whatever order AWS returns. */
function dimensions(
  list: readonly { Name?: string | undefined; Value?: string | undefined }[] | undefined,
): unknown {
  return listOrNone(list)
    ?.map((x) => ({ Name: x.Name, Value: x.Value }))
    .sort((a, b) => ((a.Name ?? "") < (b.Name ?? "") ? -1 : 1));
}

/**
 * The comparable parts of an alarm, each under the field name diff reports it as: named as
 * PutMetricAlarm names them (threshold, period, metrics, alarmActions…), so status says what
 * drifted.
 */
const DEFINITION_FIELDS = {
  AlarmDescription: "alarmDescription",
  ActionsEnabled: "actionsEnabled",
  AlarmActions: "alarmActions",
  OKActions: "okActions",
  ComparisonOperator: "comparisonOperator",
  Threshold: "threshold",
  EvaluationPeriods: "evaluationPeriods",
  DatapointsToAlarm: "datapointsToAlarm",
  TreatMissingData: "treatMissingData",
  Namespace: "namespace",
  MetricName: "metricName",
  Statistic: "statistic",
  Period: "period",
  Dimensions: "dimensions",
  Metrics: "metrics",
} as const;

type Shape = Record<keyof typeof DEFINITION_FIELDS, unknown>;

/** Every field but tags is set by one PutMetricAlarm. */
type AlarmField = (typeof DEFINITION_FIELDS)[keyof typeof DEFINITION_FIELDS] | "tags";

/** The comparable part of an alarm, as DescribeAlarms reports it. */
function shape(d: AlarmDefinition | MetricAlarm): Shape {
  return {
    AlarmDescription: d.AlarmDescription,
    ActionsEnabled: d.ActionsEnabled ?? true,
    AlarmActions: [...(d.AlarmActions ?? [])].sort(),
    OKActions: [...(d.OKActions ?? [])].sort(),
    ComparisonOperator: d.ComparisonOperator,
    Threshold: d.Threshold,
    EvaluationPeriods: d.EvaluationPeriods,
    DatapointsToAlarm: d.DatapointsToAlarm,
    TreatMissingData: d.TreatMissingData,
    Namespace: d.Namespace,
    MetricName: d.MetricName,
    Statistic: d.Statistic,
    Period: d.Period,
    Dimensions: dimensions(d.Dimensions),
    Metrics: listOrNone(d.Metrics)?.map((m) => ({
      Id: m.Id,
      Expression: m.Expression,
      Label: m.Label,
      ReturnData: m.ReturnData ?? true,
      MetricStat: m.MetricStat && {
        Namespace: m.MetricStat.Metric?.Namespace,
        MetricName: m.MetricStat.Metric?.MetricName,
        Dimensions: dimensions(m.MetricStat.Metric?.Dimensions),
        Period: m.MetricStat.Period,
        Stat: m.MetricStat.Stat,
      },
    })),
  };
}

async function read(ctx: Ctx, p: AlarmProps): Promise<AlarmCurrent | undefined> {
  const cw = ctx.clients.cloudwatch;
  const [alarms, tags] = await Promise.all([
    cw.send(new DescribeAlarmsCommand({ AlarmNames: [p.name], AlarmTypes: ["MetricAlarm"] })),
    orMissing(cw.send(new ListTagsForResourceCommand({ ResourceARN: p.arn }))),
  ]);
  const alarm = alarms.MetricAlarms?.find((a) => a.AlarmName === p.name);
  return alarm && { alarm, tags: fromKeyValueList(tags?.Tags) };
}

const outputsOf = (p: AlarmProps): AlarmOutputs => ({ name: p.name, arn: p.arn });

/** One call sets every field of the definition. */
const putDefinition: Fixer<AlarmProps, AlarmOutputs, AlarmCurrent, AlarmField> = async (ctx, p) => {
  await ctx.clients.cloudwatch.send(
    new PutMetricAlarmCommand({ ...p.definition, AlarmName: p.name }),
  );
};

export const alarmKind: Kind<AlarmProps, AlarmOutputs, AlarmCurrent, AlarmField> = {
  kind: "cloudwatch-alarm",
  label: "CloudWatch alarm",
  clients: ["cloudwatch"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p) {
    const current = await read(ctx, p);
    return current && { id: p.name, outputs: outputsOf(p), current };
  },

  diff(p, o) {
    const have = shape(o.current.alarm);
    const want = shape(p.definition);
    const fields: AlarmField[] = (Object.keys(DEFINITION_FIELDS) as (keyof Shape)[])
      .filter((k) => !deepEqual(have[k], want[k]))
      .map((k) => DEFINITION_FIELDS[k]);
    if (!hasTags(o.current.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values(p, o) {
    const have = shape(o.current.alarm);
    const want = shape(p.definition);
    const definition = (Object.keys(DEFINITION_FIELDS) as (keyof Shape)[]).map(
      (k) => [DEFINITION_FIELDS[k], { observed: have[k], desired: want[k] }] as const,
    );
    return {
      ...(Object.fromEntries(definition) as Record<AlarmField, FieldValues>),
      tags: { observed: o.current.tags, desired: p.tags },
    };
  },

  fix: {
    alarmDescription: putDefinition,
    actionsEnabled: putDefinition,
    alarmActions: putDefinition,
    okActions: putDefinition,
    comparisonOperator: putDefinition,
    threshold: putDefinition,
    evaluationPeriods: putDefinition,
    datapointsToAlarm: putDefinition,
    treatMissingData: putDefinition,
    namespace: putDefinition,
    metricName: putDefinition,
    statistic: putDefinition,
    period: putDefinition,
    dimensions: putDefinition,
    metrics: putDefinition,
    async tags(ctx, p) {
      await ctx.clients.cloudwatch.send(
        new TagResourceCommand({ ResourceARN: p.arn, Tags: toKeyValueList(p.tags) }),
      );
    },
  },

  async create(ctx, p) {
    await ctx.clients.cloudwatch.send(
      new PutMetricAlarmCommand({
        ...p.definition,
        AlarmName: p.name,
        Tags: toKeyValueList(p.tags),
      }),
    );
  },

  async delete(ctx, entry: StateEntry) {
    await ctx.clients.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [entry.id] }));
  },
};

export const alarmHandler = lifecycle(alarmKind);
