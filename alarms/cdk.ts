/**
 * The alarms as a CDK construct: `AWS::CloudWatch::Alarm` and `AWS::CloudWatch::CompositeAlarm`
 * resources mapped one to one from `renderAlarmInputs` (so they equal what `coffee alarms
 * import` would put), with actions on the SNS topic of each alarm's severity. Composite
 * alarms depend on their children, so CloudFormation creates them in the right order.
 */
import {
  CfnAlarm,
  CfnCompositeAlarm,
  type CfnAlarmProps,
  type CfnCompositeAlarmProps,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { MetricDataQuery, PutCompositeAlarmInput, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { type MonitoringOptions, ruleTextChildren, type Severity } from '../dashboards/index.ts';
import { buildAlarmDefinitions } from './definitions.ts';
import { renderAlarmInputs } from './render-cloudwatch.ts';

export interface CoffeeAlarmsProps extends MonitoringOptions {
  /** The SNS topic of each severity; a severity without one notifies nobody. */
  readonly topics?: Partial<Record<Severity, ITopic>>;
}

function dimensions(list: PutMetricAlarmInput['Dimensions']): CfnAlarm.DimensionProperty[] | undefined {
  return list?.map((d) => ({ name: d.Name!, value: d.Value! }));
}

function query(q: MetricDataQuery): CfnAlarm.MetricDataQueryProperty {
  return {
    id: q.Id!,
    ...(q.Expression ? { expression: q.Expression } : {}),
    ...(q.Label ? { label: q.Label } : {}),
    ...(q.ReturnData === undefined ? {} : { returnData: q.ReturnData }),
    ...(q.MetricStat
      ? {
          metricStat: {
            metric: {
              namespace: q.MetricStat.Metric!.Namespace!,
              metricName: q.MetricStat.Metric!.MetricName!,
              dimensions: dimensions(q.MetricStat.Metric!.Dimensions) ?? [],
            },
            period: q.MetricStat.Period!,
            stat: q.MetricStat.Stat!,
          },
        }
      : {}),
  };
}

/** `PutMetricAlarm` input to `AWS::CloudWatch::Alarm` properties. */
export function toCfnAlarmProps(input: PutMetricAlarmInput): CfnAlarmProps {
  const props: Record<string, unknown> = {
    alarmName: input.AlarmName,
    alarmDescription: input.AlarmDescription,
    actionsEnabled: input.ActionsEnabled,
    alarmActions: input.AlarmActions,
    okActions: input.OKActions,
    insufficientDataActions: input.InsufficientDataActions,
    namespace: input.Namespace,
    metricName: input.MetricName,
    dimensions: dimensions(input.Dimensions),
    statistic: input.Statistic,
    extendedStatistic: input.ExtendedStatistic,
    period: input.Period,
    evaluationPeriods: input.EvaluationPeriods,
    datapointsToAlarm: input.DatapointsToAlarm,
    threshold: input.Threshold,
    thresholdMetricId: input.ThresholdMetricId,
    comparisonOperator: input.ComparisonOperator,
    treatMissingData: input.TreatMissingData,
    evaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile,
    metrics: input.Metrics?.map(query),
  };
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as unknown as CfnAlarmProps;
}

/** `PutCompositeAlarm` input to `AWS::CloudWatch::CompositeAlarm` properties. */
export function toCfnCompositeAlarmProps(input: PutCompositeAlarmInput): CfnCompositeAlarmProps {
  const props: Record<string, unknown> = {
    alarmName: input.AlarmName,
    alarmRule: input.AlarmRule,
    alarmDescription: input.AlarmDescription,
    actionsEnabled: input.ActionsEnabled,
    alarmActions: input.AlarmActions,
    okActions: input.OKActions,
    insufficientDataActions: input.InsufficientDataActions,
  };
  return Object.fromEntries(
    Object.entries(props).filter(([, v]) => v !== undefined),
  ) as unknown as CfnCompositeAlarmProps;
}

export class CoffeeAlarms extends Construct {
  /** Every alarm resource, by alarm name. */
  readonly alarms: ReadonlyMap<string, CfnAlarm | CfnCompositeAlarm>;
  /** The composite alarms that notify, by severity (e.g. FIS stop conditions use the page ones). */
  readonly compositeAlarms: readonly CfnCompositeAlarm[];

  constructor(scope: Construct, id: string, props: CoffeeAlarmsProps = {}) {
    super(scope, id);
    const { topics = {}, ...options } = props;
    const topicArns = Object.fromEntries(
      Object.entries(topics).map(([severity, topic]) => [severity, topic!.topicArn]),
    );
    const alarms = new Map<string, CfnAlarm | CfnCompositeAlarm>();
    const composites: CfnCompositeAlarm[] = [];
    for (const item of renderAlarmInputs(buildAlarmDefinitions(options), { topicArns })) {
      const name = item.input.AlarmName!;
      if (item.kind === 'metric') {
        alarms.set(name, new CfnAlarm(this, name, toCfnAlarmProps(item.input)));
        continue;
      }
      const composite = new CfnCompositeAlarm(this, name, toCfnCompositeAlarmProps(item.input));
      for (const child of ruleTextChildren(item.input.AlarmRule ?? '')) {
        const resource = alarms.get(child);
        if (resource) composite.node.addDependency(resource);
      }
      alarms.set(name, composite);
      composites.push(composite);
    }
    this.alarms = alarms;
    this.compositeAlarms = composites;
  }
}
