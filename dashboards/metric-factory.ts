/**
 * The metric factory: catalog entries in, metric objects out (CloudWatch queries and
 * PromQL). It is the only place that turns a catalog metric into a CloudWatch metric or a
 * Prometheus series, and it refuses a dimension set, label or statistic the catalog does
 * not allow, so a dashboard or alarm cannot name a signal nobody emits.
 */
import {
  NAMESPACE,
  prometheusLabel,
  prometheusName,
  type DimensionName,
  type MetricDefinition,
} from '../service/catalog/index.ts';
import type { AwsMetricDefinition } from './aws-metrics.ts';
import type { ExpressionQuery, MetricQuery, ResolvedOptions, SearchQuery, Statistic } from './model.ts';

export class MetricReferenceError extends Error {
  override readonly name = 'MetricReferenceError';
}

const ID = /^[a-z][a-zA-Z0-9_]*$/;

function checkId(id: string): void {
  if (!ID.test(id)) throw new MetricReferenceError(`query id "${id}" must match ${ID}`);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Which statistics make sense for a kind of metric (percentiles need a distribution). */
export function statisticAllowed(kind: 'counter' | 'histogram' | 'gauge' | 'aws', stat: string): boolean {
  if (kind === 'histogram' || kind === 'aws') return true;
  // A counter is published as one delta per export interval: only its Sum means anything.
  if (kind === 'counter') return stat === 'Sum';
  return stat === 'Average' || stat === 'Maximum' || stat === 'Minimum' || stat === 'SampleCount';
}

export interface MetricSpec<D extends string> {
  readonly id: string;
  readonly stat: Statistic;
  readonly period: number;
  readonly dimensions?: Partial<Record<D, string>>;
  readonly label?: string;
  readonly visible?: boolean;
}

export interface SearchSpec<D extends string> {
  readonly id: string;
  readonly stat: Statistic;
  readonly period: number;
  /** The dimension set searched; for catalog metrics `Service` is added. */
  readonly dimensionNames: readonly D[];
  readonly filters?: Partial<Record<D, string>>;
  readonly aggregate?: SearchQuery['aggregate'];
  readonly label?: string;
  readonly visible?: boolean;
}

/** A PromQL label matcher set: catalog dimensions (never `Service`, see `promLabels`). */
export type PromLabels = Partial<Record<Exclude<DimensionName, 'Service'>, string>>;

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export interface MetricFactory {
  /** A catalog metric; the `Service` dimension is added, the set must be one the catalog publishes. */
  metric(def: MetricDefinition, spec: MetricSpec<Exclude<DimensionName, 'Service'>>): MetricQuery;
  /** A search over one catalog dimension set (e.g. every `ErrorCode`). */
  search(def: MetricDefinition, spec: SearchSpec<Exclude<DimensionName, 'Service'>>): SearchQuery;
  /** An AWS-vended metric; the dimensions must be one of its published sets. */
  aws(def: AwsMetricDefinition, spec: MetricSpec<string> & { dimensions: Record<string, string> }): MetricQuery;
  awsSearch(def: AwsMetricDefinition, spec: SearchSpec<string>): SearchQuery;
  expression(
    id: string,
    expression: string,
    options?: { label?: string; period?: number; visible?: boolean },
  ): ExpressionQuery;
  readonly prom: PromFactory;
}

/** PromQL builders over the OpenTelemetry Prometheus exposition of the catalog. */
export interface PromFactory {
  /** `sum by (...) (rate(x_total{...}[window]))` for a counter. */
  counterRate(
    def: MetricDefinition,
    options?: { labels?: PromLabels; by?: readonly DimensionName[]; window?: string },
  ): string;
  /** `sum by (...) (increase(x_total{...}[window]))` for a counter. */
  counterIncrease(
    def: MetricDefinition,
    options: { window: string; labels?: PromLabels; by?: readonly DimensionName[] },
  ): string;
  /** `histogram_quantile(q, sum by (le, ...) (rate(x_bucket{...}[window])))`. */
  quantile(
    def: MetricDefinition,
    q: number,
    options?: { labels?: PromLabels; by?: readonly DimensionName[]; window?: string },
  ): string;
  /** Observations per second of a histogram (`_count`). */
  countRate(
    def: MetricDefinition,
    options?: { labels?: PromLabels; by?: readonly DimensionName[]; window?: string },
  ): string;
  /** Increase of a histogram's `_sum` or `_count` over a window. */
  histogramIncrease(
    def: MetricDefinition,
    part: 'sum' | 'count',
    options: { window: string; labels?: PromLabels; by?: readonly DimensionName[] },
  ): string;
  /** A gauge aggregated over series. */
  gauge(
    def: MetricDefinition,
    aggregation: 'max' | 'avg' | 'sum',
    options?: { labels?: PromLabels; by?: readonly DimensionName[] },
  ): string;
  /** The series name a histogram part or counter is exposed as. */
  series(def: MetricDefinition, part?: 'bucket' | 'sum' | 'count'): string;
  /** A label matcher list `{a="x",b="y"}` (empty string when none), checked against the catalog. */
  matchers(def: MetricDefinition, labels?: PromLabels, extra?: Record<string, string>): string;
  /** `by (a, b)` clause (empty when none), checked against the catalog. */
  by(def: MetricDefinition, dims?: readonly DimensionName[], extra?: readonly string[]): string;
}

/** Grafana's rate window: at least four scrape intervals, whatever the scrape interval. */
export const GRAFANA_RATE_WINDOW = '$__rate_interval';

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

export function createPromFactory(): PromFactory {
  const labelOf = (def: MetricDefinition, dim: DimensionName): string => {
    if (dim === 'Service') {
      throw new MetricReferenceError(
        `${def.name}: the Service dimension is a resource attribute and is not a label of the Prometheus series`,
      );
    }
    if (!def.dimensions.includes(dim)) {
      throw new MetricReferenceError(`${def.name} has no dimension ${dim} (catalog: ${def.dimensions.join(', ')})`);
    }
    return prometheusLabel(dim);
  };
  const series = (def: MetricDefinition, part?: 'bucket' | 'sum' | 'count'): string => {
    const name = prometheusName(def);
    if (def.kind === 'histogram') {
      if (!part) throw new MetricReferenceError(`${def.name} is a histogram: name its _bucket, _sum or _count`);
      return `${name}_${part}`;
    }
    if (part) throw new MetricReferenceError(`${def.name} is a ${def.kind}, it has no _${part} series`);
    return name;
  };
  const matchers = (def: MetricDefinition, labels: PromLabels = {}, extra: Record<string, string> = {}): string => {
    const parts = Object.entries(labels)
      .filter(([, v]) => v !== undefined)
      .map(([dim, value]) => `${labelOf(def, dim as DimensionName)}="${escapeLabelValue(value as string)}"`);
    for (const [label, value] of Object.entries(extra)) parts.push(`${label}="${escapeLabelValue(value)}"`);
    return parts.length ? `{${parts.join(',')}}` : '';
  };
  const by = (def: MetricDefinition, dims: readonly DimensionName[] = [], extra: readonly string[] = []): string => {
    const labels = [...extra, ...dims.map((d) => labelOf(def, d))];
    return labels.length ? ` by (${labels.join(', ')})` : '';
  };
  const expect = (def: MetricDefinition, kind: MetricDefinition['kind']): void => {
    if (def.kind !== kind) throw new MetricReferenceError(`${def.name} is a ${def.kind}, not a ${kind}`);
  };
  return {
    series,
    matchers,
    by,
    counterRate(def, { labels, by: dims, window = GRAFANA_RATE_WINDOW } = {}) {
      expect(def, 'counter');
      return `sum${by(def, dims)} (rate(${series(def)}${matchers(def, labels)}[${window}]))`;
    },
    counterIncrease(def, { window, labels, by: dims }) {
      expect(def, 'counter');
      return `sum${by(def, dims)} (increase(${series(def)}${matchers(def, labels)}[${window}]))`;
    },
    quantile(def, q, { labels, by: dims, window = GRAFANA_RATE_WINDOW } = {}) {
      expect(def, 'histogram');
      if (!(q > 0 && q < 1)) throw new MetricReferenceError(`quantile ${q} must be between 0 and 1`);
      return `histogram_quantile(${q}, sum${by(def, dims, ['le'])} (rate(${series(def, 'bucket')}${matchers(def, labels)}[${window}])))`;
    },
    countRate(def, { labels, by: dims, window = GRAFANA_RATE_WINDOW } = {}) {
      expect(def, 'histogram');
      return `sum${by(def, dims)} (rate(${series(def, 'count')}${matchers(def, labels)}[${window}]))`;
    },
    histogramIncrease(def, part, { window, labels, by: dims }) {
      expect(def, 'histogram');
      return `sum${by(def, dims)} (increase(${series(def, part)}${matchers(def, labels)}[${window}]))`;
    },
    gauge(def, aggregation, { labels, by: dims } = {}) {
      expect(def, 'gauge');
      return `${aggregation}${by(def, dims)} (${series(def)}${matchers(def, labels)})`;
    },
  };
}

export function createMetricFactory(options: Pick<ResolvedOptions, 'serviceName'>): MetricFactory {
  const { serviceName } = options;

  const checkStat = (name: string, kind: Parameters<typeof statisticAllowed>[0], stat: string): void => {
    if (!statisticAllowed(kind, stat))
      throw new MetricReferenceError(`${name}: statistic ${stat} does not fit a ${kind}`);
  };

  return {
    metric(def, spec) {
      checkId(spec.id);
      checkStat(def.name, def.kind, spec.stat);
      const dimensions: Record<string, string> = { Service: serviceName, ...compact(spec.dimensions ?? {}) };
      const names = Object.keys(dimensions);
      if (!def.dimensionSets.some((set) => sameSet(set, names))) {
        throw new MetricReferenceError(
          `${def.name} is not published with dimensions [${names.join(', ')}] (catalog sets: ${def.dimensionSets
            .map((s) => `[${s.join(', ')}]`)
            .join(' ')})`,
        );
      }
      return compact({
        kind: 'metric',
        id: spec.id,
        namespace: NAMESPACE,
        metricName: def.name,
        dimensions,
        stat: spec.stat,
        period: spec.period,
        label: spec.label,
        visible: spec.visible,
      }) as MetricQuery;
    },
    search(def, spec) {
      checkId(spec.id);
      checkStat(def.name, def.kind, spec.stat);
      const dimensionNames = ['Service', ...spec.dimensionNames];
      if (!def.dimensionSets.some((set) => sameSet(set, dimensionNames))) {
        throw new MetricReferenceError(`${def.name} is not published with dimensions [${dimensionNames.join(', ')}]`);
      }
      return compact({
        kind: 'search',
        id: spec.id,
        namespace: NAMESPACE,
        metricName: def.name,
        dimensionNames,
        filters: { Service: serviceName, ...compact(spec.filters ?? {}) },
        stat: spec.stat,
        period: spec.period,
        aggregate: spec.aggregate,
        label: spec.label,
        visible: spec.visible,
      }) as SearchQuery;
    },
    aws(def, spec) {
      checkId(spec.id);
      const names = Object.keys(spec.dimensions);
      if (!def.dimensionSets.some((set) => sameSet(set, names))) {
        throw new MetricReferenceError(
          `${def.namespace} ${def.name} is not published with dimensions [${names.join(', ')}]`,
        );
      }
      return compact({
        kind: 'metric',
        id: spec.id,
        namespace: def.namespace,
        metricName: def.name,
        dimensions: { ...spec.dimensions },
        stat: spec.stat,
        period: spec.period,
        label: spec.label,
        visible: spec.visible,
      }) as MetricQuery;
    },
    awsSearch(def, spec) {
      checkId(spec.id);
      if (!def.dimensionSets.some((set) => sameSet(set, spec.dimensionNames))) {
        throw new MetricReferenceError(
          `${def.namespace} ${def.name} is not published with dimensions [${spec.dimensionNames.join(', ')}]`,
        );
      }
      return compact({
        kind: 'search',
        id: spec.id,
        namespace: def.namespace,
        metricName: def.name,
        dimensionNames: [...spec.dimensionNames],
        filters: compact({ ...(spec.filters ?? {}) }) as Record<string, string>,
        stat: spec.stat,
        period: spec.period,
        aggregate: spec.aggregate,
        label: spec.label,
        visible: spec.visible,
      }) as SearchQuery;
    },
    expression(id, expression, { label, period, visible } = {}) {
      checkId(id);
      return compact({ kind: 'expression', id, expression, label, period, visible }) as ExpressionQuery;
    },
    prom: createPromFactory(),
  };
}

/** The CloudWatch `SEARCH(...)` expression of a structured search. */
export function searchExpression(query: SearchQuery): string {
  const schema = `{${[query.namespace, ...query.dimensionNames].join(',')}}`;
  const terms = [`MetricName="${query.metricName}"`];
  for (const [name, value] of Object.entries(query.filters)) terms.push(`${name}="${value}"`);
  const search = `SEARCH('${schema} ${terms.join(' ')}', '${query.stat}', ${query.period})`;
  return query.aggregate ? `${query.aggregate}(${search})` : search;
}
