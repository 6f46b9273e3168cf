/**
 * Renders alarm definitions to the exact inputs of CloudWatch's `PutMetricAlarm` and
 * `PutCompositeAlarm`, children before the composites that name them. `coffee alarms
 * build` writes these, `import` sends them and the CDK construct maps them to resources,
 * so the three cannot drift apart.
 */
import type { MetricDataQuery, PutCompositeAlarmInput, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import {
  type Query,
  renderAlarmRule,
  ruleChildren,
  type AlarmDefinition,
  type AlarmDefinitions,
  type Severity,
} from '../dashboards/index.ts';

/** SNS topic ARN per severity; a severity without one gets no actions. */
export type TopicArns = Partial<Record<Severity, string>>;

export type CloudWatchAlarmInput =
  | { readonly kind: 'metric'; readonly input: PutMetricAlarmInput }
  | { readonly kind: 'composite'; readonly input: PutCompositeAlarmInput };

const STANDARD_STATISTICS = new Set(['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum']);

export function isStandardStatistic(stat: string): boolean {
  return STANDARD_STATISTICS.has(stat);
}

/** A dashboard query as an alarm `MetricDataQuery` (searches cannot be alarmed on). */
export function toMetricDataQuery(query: Query, returnData: boolean): MetricDataQuery {
  switch (query.kind) {
    case 'metric':
      return {
        Id: query.id,
        MetricStat: {
          Metric: {
            Namespace: query.namespace,
            MetricName: query.metricName,
            Dimensions: Object.entries(query.dimensions).map(([Name, Value]) => ({ Name, Value })),
          },
          Period: query.period,
          Stat: query.stat,
        },
        ...(query.label ? { Label: query.label } : {}),
        ReturnData: returnData,
      };
    case 'expression':
      return {
        Id: query.id,
        Expression: query.expression,
        ...(query.label ? { Label: query.label } : {}),
        ReturnData: returnData,
      };
    case 'search':
      throw new Error(`query ${query.id}: CloudWatch alarms cannot use SEARCH expressions`);
  }
}

function actions(
  severity: Severity | undefined,
  topics: TopicArns,
): Pick<PutMetricAlarmInput, 'AlarmActions' | 'OKActions'> {
  const arn = severity ? topics[severity] : undefined;
  return arn ? { AlarmActions: [arn], OKActions: [arn] } : {};
}

function renderOne(alarm: AlarmDefinition, topics: TopicArns): CloudWatchAlarmInput {
  const common = {
    AlarmName: alarm.name,
    AlarmDescription: alarm.description,
    ActionsEnabled: true,
    ...actions(alarm.severity, topics),
  };
  switch (alarm.kind) {
    case 'composite':
      return { kind: 'composite', input: { ...common, AlarmRule: renderAlarmRule(alarm.rule) } };
    case 'metric': {
      const { metric } = alarm;
      const statistic = isStandardStatistic(metric.stat)
        ? { Statistic: metric.stat as PutMetricAlarmInput['Statistic'] }
        : { ExtendedStatistic: metric.stat };
      return {
        kind: 'metric',
        input: {
          ...common,
          Namespace: metric.namespace,
          MetricName: metric.metricName,
          Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
          ...statistic,
          Period: metric.period,
          EvaluationPeriods: alarm.evaluationPeriods,
          DatapointsToAlarm: alarm.datapointsToAlarm,
          Threshold: alarm.threshold,
          ComparisonOperator: alarm.comparison,
          TreatMissingData: alarm.treatMissingData,
          ...(alarm.evaluateLowSampleCountPercentile
            ? { EvaluateLowSampleCountPercentile: alarm.evaluateLowSampleCountPercentile }
            : {}),
        },
      };
    }
    case 'math':
      return {
        kind: 'metric',
        input: {
          ...common,
          Metrics: alarm.queries.map((q) => toMetricDataQuery(q, q.id === alarm.returnId)),
          EvaluationPeriods: alarm.evaluationPeriods,
          DatapointsToAlarm: alarm.datapointsToAlarm,
          Threshold: alarm.threshold,
          ComparisonOperator: alarm.comparison,
          TreatMissingData: alarm.treatMissingData,
        },
      };
    case 'anomaly': {
      const bandId = 'band';
      return {
        kind: 'metric',
        input: {
          ...common,
          Metrics: [
            ...alarm.queries.map((q) => toMetricDataQuery(q, q.id === alarm.returnId)),
            {
              Id: bandId,
              Expression: `ANOMALY_DETECTION_BAND(${alarm.returnId}, ${alarm.bandWidth})`,
              Label: 'Expected band',
              ReturnData: true,
            },
          ],
          ThresholdMetricId: bandId,
          EvaluationPeriods: alarm.evaluationPeriods,
          DatapointsToAlarm: alarm.datapointsToAlarm,
          ComparisonOperator: alarm.comparison,
          TreatMissingData: alarm.treatMissingData,
        },
      };
    }
  }
}

/**
 * Orders alarms so that every alarm a composite names comes before it (metric alarms
 * first, then composites in dependency order). Throws on a cycle.
 */
export function orderForCreation<T extends { readonly name: string }>(
  alarms: readonly T[],
  childrenOf: (alarm: T) => readonly string[],
): T[] {
  const byName = new Map(alarms.map((a) => [a.name, a]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: T[] = [];
  const visit = (alarm: T): void => {
    if (done.has(alarm.name)) return;
    if (visiting.has(alarm.name)) throw new Error(`composite alarms form a cycle through ${alarm.name}`);
    visiting.add(alarm.name);
    for (const child of childrenOf(alarm)) {
      const found = byName.get(child);
      if (found) visit(found);
    }
    visiting.delete(alarm.name);
    done.add(alarm.name);
    out.push(alarm);
  };
  const leavesFirst = [...alarms].sort((a, b) => Number(childrenOf(a).length > 0) - Number(childrenOf(b).length > 0));
  leavesFirst.forEach(visit);
  return out;
}

/** The `PutMetricAlarm` / `PutCompositeAlarm` inputs of every alarm, children first. */
export function renderAlarmInputs(
  definitions: AlarmDefinitions,
  { topicArns = {} }: { topicArns?: TopicArns } = {},
): CloudWatchAlarmInput[] {
  const ordered = orderForCreation(definitions.alarms, (a) => (a.kind === 'composite' ? ruleChildren(a.rule) : []));
  return ordered.map((alarm) => renderOne(alarm, topicArns));
}
