/**
 * Which metrics the rendered dashboards and alarms reference, read back from the rendered
 * JSON (not from the model), so what is checked is what would be deployed. The lint uses
 * it to check every reference against the catalogs; `referencedSignals()` gives the
 * service's own ones to the signal-proof test, which compares them with real EMF output.
 */
import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { metricByName, NAMESPACE, type MetricDefinition } from '../service/catalog/index.ts';
import { buildAlarmDefinitions } from '../alarms/definitions.ts';
import { renderAlarmInputs } from '../alarms/render-cloudwatch.ts';
import { buildCloudWatchDashboards } from './build.ts';
import type { MonitoringOptions } from './model.ts';
import type { DashboardBody } from './render-cloudwatch.ts';

/** One metric a widget or alarm names. */
export interface MetricReference {
  readonly namespace: string;
  readonly metricName: string;
  /** Dimension name to value; a search names its dimension set with values only where it filters. */
  readonly dimensions: Readonly<Record<string, string | undefined>>;
  readonly stat?: string;
  readonly period?: number;
  /** `metric` for an explicit metric, `search` for a SEARCH expression's schema. */
  readonly source: 'metric' | 'search';
  /** Where: `dashboard <name> / <widget title>` or `alarm <name>`. */
  readonly where: string;
}

const SEARCH = /SEARCH\(\s*'([^']*)'\s*,\s*'([^']+)'\s*,\s*(\d+)\s*\)/g;

/** The metric references of a CloudWatch `SEARCH('{ns,dims} MetricName="x" k="v"', stat, period)`. */
export function referencesInExpression(expression: string, where: string): MetricReference[] {
  const out: MetricReference[] = [];
  for (const match of expression.matchAll(SEARCH)) {
    const [, text = '', stat, period] = match;
    const schema = /^\s*\{([^}]*)\}/.exec(text);
    const name = /MetricName="([^"]*)"/.exec(text);
    if (!schema?.[1] || !name?.[1]) {
      out.push({ namespace: '', metricName: '', dimensions: {}, source: 'search', where: `${where}: unparsable search ${text}` });
      continue;
    }
    const [namespace = '', ...dimensionNames] = schema[1].split(',').map((s) => s.trim());
    const dimensions: Record<string, string | undefined> = Object.fromEntries(dimensionNames.map((d) => [d, undefined]));
    for (const filter of text.slice(schema[0].length).matchAll(/(\w+)="([^"]*)"/g)) {
      if (filter[1] !== 'MetricName' && filter[1]) dimensions[filter[1]] = filter[2];
    }
    out.push({ namespace, metricName: name[1], dimensions, ...(stat ? { stat } : {}), period: Number(period), source: 'search', where });
  }
  return out;
}

/** Every metric a dashboard body references (explicit metrics and searches). */
export function referencesInDashboard(name: string, body: DashboardBody): MetricReference[] {
  const out: MetricReference[] = [];
  for (const widget of body.widgets ?? []) {
    if (widget.type !== 'metric') continue;
    const where = `dashboard ${name} / ${String(widget.properties.title ?? `widget at ${widget.x},${widget.y}`)}`;
    const metrics = (widget.properties.metrics ?? []) as unknown[][];
    let previous: unknown[] = [];
    for (const entry of metrics) {
      if (!Array.isArray(entry)) continue;
      const last = entry.at(-1);
      const rendering = last !== null && typeof last === 'object' ? (last as Record<string, unknown>) : undefined;
      if (typeof entry[0] === 'string') {
        // `[ns, name, dim, value, ..., {rendering}]`; "." repeats the previous row's item.
        const items = (rendering ? entry.slice(0, -1) : entry).map((item, i) => (item === '.' ? previous[i] : item)) as string[];
        previous = items;
        const [namespace = '', metricName = '', ...pairs] = items;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
        out.push({
          namespace,
          metricName,
          dimensions,
          ...(typeof rendering?.stat === 'string' ? { stat: rendering.stat } : typeof widget.properties.stat === 'string' ? { stat: widget.properties.stat } : {}),
          ...(typeof rendering?.period === 'number' ? { period: rendering.period } : {}),
          source: 'metric',
          where,
        });
      } else if (typeof rendering?.expression === 'string') {
        out.push(...referencesInExpression(rendering.expression, where));
      }
    }
  }
  return out;
}

/** Every metric a `PutMetricAlarm` input references. */
export function referencesInAlarm(input: PutMetricAlarmInput): MetricReference[] {
  const where = `alarm ${input.AlarmName}`;
  if (input.MetricName !== undefined || input.Namespace !== undefined) {
    return [
      {
        namespace: input.Namespace ?? '',
        metricName: input.MetricName ?? '',
        dimensions: Object.fromEntries((input.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value])),
        ...((input.Statistic ?? input.ExtendedStatistic) ? { stat: (input.Statistic ?? input.ExtendedStatistic)! } : {}),
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
    ...buildCloudWatchDashboards({ accountId: '000000000000', ...options }).flatMap((d) => referencesInDashboard(d.name, d.body)),
    ...renderAlarmInputs(buildAlarmDefinitions(options)).flatMap((a) => (a.kind === 'metric' ? referencesInAlarm(a.input) : [])),
  ];
  const byKey = new Map<string, { namespace: string; metricName: string; dimensions: string[]; usedBy: Set<string> }>();
  for (const ref of references) {
    if (ref.namespace !== NAMESPACE) continue;
    const dimensions = Object.keys(ref.dimensions).sort();
    const key = `${ref.metricName}|${dimensions.join(',')}`;
    const entry = byKey.get(key) ?? { namespace: ref.namespace, metricName: ref.metricName, dimensions, usedBy: new Set<string>() };
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
