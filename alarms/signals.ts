/**
 * Which metrics the rendered alarms reference, read back from the `PutMetricAlarm` inputs,
 * and every signal of the service's namespace that the dashboards and alarms use together:
 * the signal-proof test compares those with what the service really emits.
 */
import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { metricByName, NAMESPACE, type MetricDefinition } from '../service/catalog/index.ts';
import {
  buildCloudWatchDashboards,
  referencesInDashboard,
  referencesInExpression,
  type MetricReference,
  type MonitoringOptions,
} from '../dashboards/index.ts';
import { buildAlarmDefinitions } from './definitions.ts';
import { renderAlarmInputs } from './render-cloudwatch.ts';

/** Every metric a `PutMetricAlarm` input references. */
export function referencesInAlarm(input: PutMetricAlarmInput): MetricReference[] {
  const where = `alarm ${input.AlarmName}`;
  if (input.MetricName !== undefined || input.Namespace !== undefined) {
    return [
      {
        namespace: input.Namespace ?? '',
        metricName: input.MetricName ?? '',
        dimensions: Object.fromEntries((input.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value])),
        ...((input.Statistic ?? input.ExtendedStatistic)
          ? { stat: (input.Statistic ?? input.ExtendedStatistic)! }
          : {}),
        ...(input.Period === undefined ? {} : { period: input.Period }),
        source: 'metric',
        where,
      },
    ];
  }
  const out: MetricReference[] = [];
  for (const query of input.Metrics ?? []) {
    const stat = query.MetricStat;
    if (stat?.Metric) {
      out.push({
        namespace: stat.Metric.Namespace ?? '',
        metricName: stat.Metric.MetricName ?? '',
        dimensions: Object.fromEntries((stat.Metric.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value])),
        ...(stat.Stat ? { stat: stat.Stat } : {}),
        ...(stat.Period === undefined ? {} : { period: stat.Period }),
        source: 'metric',
        where,
      });
    } else if (query.Expression) {
      out.push(...referencesInExpression(query.Expression, where));
    }
  }
  return out;
}

/** One metric and dimension set of the service's namespace that a dashboard or alarm uses. */
export interface ReferencedSignal {
  readonly namespace: string;
  readonly metricName: string;
  /** The dimension set, sorted by name (compare as a set with the EMF `Dimensions` arrays). */
  readonly dimensions: readonly string[];
  /** The catalog's `runtime`: `lambda` metrics (cold starts) are only emitted in AWS Lambda. */
  readonly runtime: NonNullable<MetricDefinition['runtime']>;
  /** The dashboards and alarms that use it. */
  readonly usedBy: readonly string[];
}

/**
 * Every `{ namespace, metricName, dimensions }` of the service's own namespace that the
 * CloudWatch dashboards and alarms built with `options` reference, each once.
 *
 * @example
 * for (const s of referencedSignals()) expect(emitted).toContainEqual([s.metricName, s.dimensions]);
 */
export function referencedSignals(options: MonitoringOptions = {}): ReferencedSignal[] {
  const references = [
    ...buildCloudWatchDashboards({ accountId: '000000000000', ...options }).flatMap((d) =>
      referencesInDashboard(d.name, d.body),
    ),
    ...renderAlarmInputs(buildAlarmDefinitions(options)).flatMap((a) =>
      a.kind === 'metric' ? referencesInAlarm(a.input) : [],
    ),
  ];
  const byKey = new Map<string, { namespace: string; metricName: string; dimensions: string[]; usedBy: Set<string> }>();
  for (const ref of references) {
    if (ref.namespace !== NAMESPACE) continue;
    const dimensions = Object.keys(ref.dimensions).sort();
    const key = `${ref.metricName}|${dimensions.join(',')}`;
    const entry = byKey.get(key) ?? {
      namespace: ref.namespace,
      metricName: ref.metricName,
      dimensions,
      usedBy: new Set<string>(),
    };
    entry.usedBy.add(ref.where.split(' / ')[0]!);
    byKey.set(key, entry);
  }
  return [...byKey.values()]
    .map((e) => ({
      namespace: e.namespace,
      metricName: e.metricName,
      dimensions: e.dimensions,
      runtime: metricByName(e.metricName)?.runtime ?? 'all',
      usedBy: [...e.usedBy].sort(),
    }))
    .sort((a, b) => a.metricName.localeCompare(b.metricName) || a.dimensions.join().localeCompare(b.dimensions.join()));
}
