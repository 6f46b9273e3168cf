/**
 * Alarms against an account: read what is deployed under the prefix (DescribeAlarms),
 * compare, put (PutMetricAlarm, then PutCompositeAlarm children before parents) and prune
 * (DeleteAlarms: composites first, one per call as the API requires, parents before the
 * alarms they name, then metric alarms in batches of 100).
 */
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  type CloudWatchClient,
  type CompositeAlarm,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { awsCall, jsonDifferences } from '../cli/index.ts';
import { ruleTextChildren } from '../dashboards/index.ts';
import { orderForCreation, type CloudWatchAlarmInput } from './render-cloudwatch.ts';

export interface DeployedAlarms {
  readonly metric: readonly MetricAlarm[];
  readonly composite: readonly CompositeAlarm[];
}

/** Every alarm whose name starts with `prefix` (all pages). */
export async function describeAlarms(
  client: CloudWatchClient,
  prefix: string,
  region: string,
): Promise<DeployedAlarms> {
  const metric: MetricAlarm[] = [];
  const composite: CompositeAlarm[] = [];
  let NextToken: string | undefined;
  do {
    const page = await awsCall('DescribeAlarms', region, () =>
      client.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: prefix,
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          MaxRecords: 100,
          ...(NextToken ? { NextToken } : {}),
        }),
      ),
    );
    metric.push(...(page.MetricAlarms ?? []));
    composite.push(...(page.CompositeAlarms ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return { metric, composite };
}

function normalizeQuery(q: MetricDataQuery): Record<string, unknown> {
  return clean({
    Id: q.Id,
    Expression: q.Expression,
    Label: q.Label,
    ReturnData: q.ReturnData ?? true,
    MetricStat: q.MetricStat
      ? {
          Metric: {
            Namespace: q.MetricStat.Metric?.Namespace,
            MetricName: q.MetricStat.Metric?.MetricName,
            Dimensions: sortDimensions(q.MetricStat.Metric?.Dimensions),
          },
          Period: q.MetricStat.Period,
          Stat: q.MetricStat.Stat,
        }
      : undefined,
  });
}

function sortDimensions(dimensions: readonly { Name?: string | undefined; Value?: string | undefined }[] | undefined) {
  return [...(dimensions ?? [])]
    .map((d) => ({ Name: d.Name, Value: d.Value }))
    .sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
}

function clean(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  );
}

type Common = Pick<
  MetricAlarm,
  'AlarmName' | 'AlarmDescription' | 'ActionsEnabled' | 'AlarmActions' | 'OKActions' | 'InsufficientDataActions'
>;

/** The fields metric and composite alarms share (ActionsEnabled defaults to true). */
function comparableCommon(a: Common): Record<string, unknown> {
  return {
    AlarmName: a.AlarmName,
    AlarmDescription: a.AlarmDescription,
    ActionsEnabled: a.ActionsEnabled ?? true,
    AlarmActions: a.AlarmActions,
    OKActions: a.OKActions,
    InsufficientDataActions: a.InsufficientDataActions,
  };
}

/** The comparable fields of a metric alarm, from a Put input or a Describe answer. */
export function comparableMetricAlarm(
  a: MetricAlarm | Extract<CloudWatchAlarmInput, { kind: 'metric' }>['input'],
): Record<string, unknown> {
  return clean({
    ...comparableCommon(a),
    Namespace: a.Namespace,
    MetricName: a.MetricName,
    Dimensions: a.Dimensions?.length ? sortDimensions(a.Dimensions) : undefined,
    Statistic: a.Statistic,
    ExtendedStatistic: a.ExtendedStatistic,
    Period: a.Period,
    EvaluationPeriods: a.EvaluationPeriods,
    DatapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods,
    Threshold: a.Threshold,
    ThresholdMetricId: a.ThresholdMetricId,
    ComparisonOperator: a.ComparisonOperator,
    TreatMissingData: a.TreatMissingData ?? 'missing',
    EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile || undefined,
    Metrics: a.Metrics?.map(normalizeQuery),
  });
}

export function comparableCompositeAlarm(
  a: CompositeAlarm | Extract<CloudWatchAlarmInput, { kind: 'composite' }>['input'],
): Record<string, unknown> {
  return clean({
    ...comparableCommon(a),
    AlarmRule: a.AlarmRule,
  });
}

export type AlarmDiff =
  | { readonly name: string; readonly status: 'missing' | 'unchanged' | 'extra' }
  | { readonly name: string; readonly status: 'changed'; readonly fields: readonly string[] };

/** Compares the wanted alarms with the deployed ones; `extra` are deployed under the prefix but no longer defined. */
export function compareAlarms(wanted: readonly CloudWatchAlarmInput[], deployed: DeployedAlarms): AlarmDiff[] {
  const metric = new Map(deployed.metric.map((a) => [a.AlarmName ?? '', a]));
  const composite = new Map(deployed.composite.map((a) => [a.AlarmName ?? '', a]));
  const out: AlarmDiff[] = [];
  for (const item of wanted) {
    const name = item.input.AlarmName ?? '';
    const have = item.kind === 'metric' ? metric.get(name) : composite.get(name);
    if (!have) {
      out.push({ name, status: 'missing' });
      continue;
    }
    const paths =
      item.kind === 'metric'
        ? jsonDifferences(comparableMetricAlarm(have as MetricAlarm), comparableMetricAlarm(item.input))
        : jsonDifferences(comparableCompositeAlarm(have as CompositeAlarm), comparableCompositeAlarm(item.input));
    const fields = [...new Set(paths.map((p) => p.split(/[.[]/)[0]!))];
    out.push(fields.length ? { name, status: 'changed', fields } : { name, status: 'unchanged' });
  }
  const wantedNames = new Set(wanted.map((w) => w.input.AlarmName));
  for (const name of [...metric.keys(), ...composite.keys()])
    if (!wantedNames.has(name)) out.push({ name, status: 'extra' });
  return out;
}

/** Puts every alarm in the given order (children before composites: see `renderAlarmInputs`). */
export async function putAlarms(
  client: CloudWatchClient,
  inputs: readonly CloudWatchAlarmInput[],
  region: string,
  onProgress?: (done: number, total: number, name: string) => void,
): Promise<void> {
  const ordered = orderForCreation(
    inputs.map((i) => ({ name: i.input.AlarmName ?? '', item: i })),
    ({ item }) => (item.kind === 'composite' ? ruleTextChildren(item.input.AlarmRule ?? '') : []),
  ).map((e) => e.item);
  let done = 0;
  for (const item of ordered) {
    if (item.kind === 'metric')
      await awsCall('PutMetricAlarm', region, () => client.send(new PutMetricAlarmCommand(item.input)));
    else await awsCall('PutCompositeAlarm', region, () => client.send(new PutCompositeAlarmCommand(item.input)));
    onProgress?.(++done, ordered.length, item.input.AlarmName ?? '');
  }
}

/**
 * Deletes deployed alarms under the prefix that are no longer defined. Composites go
 * first, one per call, a composite before any composite it names; then metric alarms.
 */
export async function pruneAlarms(
  client: CloudWatchClient,
  deployed: DeployedAlarms,
  keep: ReadonlySet<string>,
  region: string,
): Promise<string[]> {
  const doomedComposites = deployed.composite.filter((a) => a.AlarmName && !keep.has(a.AlarmName));
  const childrenOf = (a: CompositeAlarm) => ruleTextChildren(a.AlarmRule ?? '');
  // Creation order puts children first; deletion needs parents first.
  const compositeOrder = orderForCreation(
    doomedComposites.map((a) => ({ name: a.AlarmName!, alarm: a })),
    (e) => childrenOf(e.alarm),
  ).reverse();
  const deleted: string[] = [];
  for (const { name } of compositeOrder) {
    await awsCall('DeleteAlarms', region, () => client.send(new DeleteAlarmsCommand({ AlarmNames: [name] })));
    deleted.push(name);
  }
  const doomedMetric = deployed.metric.map((a) => a.AlarmName ?? '').filter((n) => n && !keep.has(n));
  for (let i = 0; i < doomedMetric.length; i += 100) {
    const batch = doomedMetric.slice(i, i + 100);
    await awsCall('DeleteAlarms', region, () => client.send(new DeleteAlarmsCommand({ AlarmNames: batch })));
    deleted.push(...batch);
  }
  return deleted;
}
