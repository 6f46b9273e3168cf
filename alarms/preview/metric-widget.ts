/**
 * A CloudWatch metric widget's `metrics` rows evaluated over a run's series: each metric
 * row at its statistic over its scaled period, metric math with the alarms' evaluator
 * (`evaluateExpression`), SEARCH expressions resolved against the series the run has (and
 * SUM/AVG/MIN/MAX over them), `PERIOD(id)` as the period drawn. Rows on AWS-vended
 * namespaces have no data here; they are named, never guessed.
 */
import { evaluateExpression, statistic, type MetricSeries, type Observation } from '../evaluate.ts';
import { runMs, scaledPeriodMs, type TimeScale } from './time-scale.ts';

/** AWS publishes these namespaces itself (AWS/Lambda, AWS/DynamoDB, ...): no run writes them. */
export const isAwsNamespace = (namespace: string): boolean => namespace.startsWith('AWS/');

interface MetricRow {
  kind: 'metric';
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  stat: string;
  periodS: number;
  label?: string;
  visible: boolean;
}

interface ExpressionRow {
  kind: 'expression';
  id: string;
  expression: string;
  label?: string;
  visible: boolean;
}

type Row = MetricRow | ExpressionRow;

/** A parsed `SEARCH('{Namespace,Dim,...} Key="value" ...', 'stat', period)`. */
interface Search {
  namespace: string;
  dimensionKeys: string[];
  filters: Record<string, string>;
  stat: string;
  periodS: number;
}

const SEARCH_RE = /^SEARCH\(\s*'(.*)'\s*,\s*'([^']+)'\s*,\s*(\d+)\s*\)$/s;
const REDUCED_SEARCH_RE = /^(SUM|AVG|MIN|MAX)\((SEARCH\(.*\))\)$/s;

function parseSearch(expression: string): Search | undefined {
  const m = SEARCH_RE.exec(expression.trim());
  if (!m) return undefined;
  const schema = /^\{([^}]*)\}\s*(.*)$/s.exec(m[1]!);
  if (!schema) throw new Error(`SEARCH without a schema {Namespace,...}: ${expression}`);
  const [namespace = '', ...dimensionKeys] = schema[1]!.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
  const filters: Record<string, string> = {};
  const terms = schema[2]!.trim();
  const termRe = /\s*([\w]+)\s*=\s*(?:"([^"]*)"|(\S+))/y;
  let index = 0;
  while (index < terms.length) {
    termRe.lastIndex = index;
    const t = termRe.exec(terms);
    if (!t) throw new Error(`SEARCH term "${terms.slice(index)}" is not Key="value"`);
    filters[t[1]!] = t[2] ?? t[3]!;
    index = termRe.lastIndex;
  }
  return { namespace, dimensionKeys, filters, stat: m[2]!, periodS: Number(m[3]) };
}

/** The rows of a widget's `metrics` property, with the ids CloudWatch would give unnamed rows. */
export function parseRows(properties: Record<string, unknown>): Row[] {
  const rows = (properties.metrics ?? []) as unknown[][];
  const defaultStat = typeof properties.stat === 'string' ? properties.stat : 'Average';
  const defaultPeriod = typeof properties.period === 'number' ? properties.period : 300;
  return rows.map((entry, i) => {
    const last = entry.at(-1);
    const options = (last && typeof last === 'object' ? last : {}) as Record<string, unknown>;
    const strings = entry.filter((e): e is string => typeof e === 'string');
    const common = {
      id: typeof options.id === 'string' ? options.id : `m${i + 1}`,
      visible: options.visible !== false,
      ...(typeof options.label === 'string' ? { label: options.label } : {}),
    };
    if (typeof options.expression === 'string')
      return { kind: 'expression', expression: options.expression, ...common };
    const [namespace = '', metricName = '', ...pairs] = strings;
    const dimensions: Record<string, string> = {};
    for (let k = 0; k + 1 < pairs.length; k += 2) dimensions[pairs[k]!] = pairs[k + 1]!;
    return {
      kind: 'metric',
      namespace,
      metricName,
      dimensions,
      stat: typeof options.stat === 'string' ? options.stat : defaultStat,
      periodS: typeof options.period === 'number' ? options.period : defaultPeriod,
      ...common,
    };
  });
}

const keyOf = (namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>) =>
  JSON.stringify([namespace, metricName, Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))]);

/** The run's series by namespace, name and exact dimension set, as CloudWatch keys a metric. */
export class RunSeries {
  readonly #byKey = new Map<string, { series: MetricSeries; observations: Observation[] }>();

  constructor(series: readonly MetricSeries[]) {
    for (const s of series) {
      const key = keyOf(s.namespace, s.metricName, s.dimensions);
      const entry = this.#byKey.get(key) ?? { series: s, observations: [] };
      entry.observations.push(...s.observations);
      this.#byKey.set(key, entry);
    }
    for (const entry of this.#byKey.values()) entry.observations.sort((a, b) => a.timestamp - b.timestamp);
  }

  /** Observations with start < timestamp <= end: an EMF document is stamped at the end of what it aggregates. */
  window(namespace: string, metricName: string, dimensions: Record<string, string>, start: number, end: number) {
    const list = this.#byKey.get(keyOf(namespace, metricName, dimensions))?.observations ?? [];
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (list[mid]!.timestamp <= start) low = mid + 1;
      else high = mid;
    }
    const out: Observation[] = [];
    for (let i = low; i < list.length && list[i]!.timestamp <= end; i++) out.push(list[i]!);
    return out;
  }

  has(namespace: string, metricName: string, dimensions: Record<string, string>): boolean {
    return this.#byKey.has(keyOf(namespace, metricName, dimensions));
  }

  search(search: Search): MetricSeries[] {
    const wanted = [...search.dimensionKeys].sort().join(',');
    return [...this.#byKey.values()]
      .map((e) => e.series)
      .filter(
        (s) =>
          s.namespace === search.namespace &&
          Object.keys(s.dimensions).sort().join(',') === wanted &&
          Object.entries(search.filters).every(([k, v]) => (k === 'MetricName' ? s.metricName : s.dimensions[k]) === v),
      );
  }

  /** The first and last observation times. */
  bounds(): [number, number] | undefined {
    const times = [...this.#byKey.values()].flatMap((e) => e.observations.map((o) => o.timestamp));
    return times.length ? [Math.min(...times), Math.max(...times)] : undefined;
  }
}

export interface WidgetSeries {
  label: string;
  values: (number | null)[];
}

export interface EvaluatedWidget {
  /** Seconds since the run's start, the end of each datapoint's period. */
  xs: number[];
  series: WidgetSeries[];
  /** Rows with no data here, and why (AWS-vended metric, unsupported function). */
  notes: string[];
  /** Every row is on an AWS-vended namespace. */
  awsOnly: boolean;
  /** The widget names a metric (namespace, name, dimensions) the run's EMF has, or a SEARCH that finds one. */
  namesEmitted: boolean;
  /** The shortest period drawn, seconds of the dashboard. */
  periodS: number;
}

type Scalar = number | undefined;

/** Evaluates one widget's rows at the period ending at `end`, or over the whole run (`wholeRun`). */
class WidgetEvaluator {
  readonly #rows: Row[];
  readonly #byId: Map<string, Row>;
  readonly notes = new Set<string>();

  constructor(
    rows: Row[],
    private readonly data: RunSeries,
    private readonly scale: TimeScale,
  ) {
    this.#rows = rows;
    this.#byId = new Map(rows.map((r) => [r.id, r]));
  }

  periodMs(row: MetricRow | Search, wholeRun: boolean): number {
    return wholeRun ? runMs(this.scale) : scaledPeriodMs(this.scale, row.periodS);
  }

  /** Every visible series' value at `end`; a SEARCH row gives one value per metric found. */
  at(end: number, wholeRun: boolean): Map<string, Scalar> {
    const cache = new Map<string, Scalar>();
    const out = new Map<string, Scalar>();
    for (const row of this.#rows) {
      if (!row.visible) continue;
      const search = row.kind === 'expression' ? parseSearch(row.expression) : undefined;
      if (search) {
        for (const s of this.data.search(search))
          out.set(`${row.id}\u0000${searchLabel(s)}`, this.stat(search.stat, s, end, this.periodMs(search, wholeRun)));
        continue;
      }
      out.set(row.id, this.resolve(row.id, end, wholeRun, cache, 0));
    }
    return out;
  }

  private stat(
    stat: string,
    s: Pick<MetricSeries, 'namespace' | 'metricName' | 'dimensions'>,
    end: number,
    ms: number,
  ) {
    try {
      return statistic(stat, this.data.window(s.namespace, s.metricName, { ...s.dimensions }, end - ms, end));
    } catch (error) {
      this.notes.add(`${s.metricName} ${stat}: ${(error as Error).message}`);
      return undefined;
    }
  }

  private resolve(id: string, end: number, wholeRun: boolean, cache: Map<string, Scalar>, depth: number): Scalar {
    if (cache.has(id)) return cache.get(id);
    const row = this.#byId.get(id);
    if (!row || depth > 20) throw new Error(`metric math names ${id}, which the widget does not define`);
    let value: Scalar;
    if (row.kind === 'metric') {
      if (isAwsNamespace(row.namespace)) this.notes.add(`${row.namespace} ${row.metricName}: in AWS only`);
      value = this.stat(row.stat, row, end, this.periodMs(row, wholeRun));
    } else value = this.expression(row, end, wholeRun, cache, depth);
    cache.set(id, value);
    return value;
  }

  private expression(row: ExpressionRow, end: number, wholeRun: boolean, cache: Map<string, Scalar>, depth: number) {
    const reduced = REDUCED_SEARCH_RE.exec(row.expression.trim());
    try {
      if (reduced) return this.reducedSearch(reduced[1]!, parseSearch(reduced[2]!)!, end, wholeRun);
      return evaluateExpression(row.expression, {
        value: (ref) => this.resolve(ref, end, wholeRun, cache, depth + 1),
        period: (ref) => {
          const target = this.#byId.get(ref);
          const periodS = target?.kind === 'metric' ? target.periodS : this.scale.basePeriodS;
          return (wholeRun ? runMs(this.scale) : scaledPeriodMs(this.scale, periodS)) / 1000;
        },
      });
    } catch (error) {
      const message = (error as Error).message;
      const fn = /function (\w+) is not supported/.exec(message)?.[1];
      this.notes.add(`${row.label ?? row.id}: ${fn ? `${fn} is computed in CloudWatch only` : message}`);
      return undefined;
    }
  }

  private reducedSearch(fn: string, search: Search, end: number, wholeRun: boolean): Scalar {
    if (isAwsNamespace(search.namespace)) {
      this.notes.add(`SEARCH over ${search.namespace}: in AWS only`);
      return undefined;
    }
    const values = this.data
      .search(search)
      .map((s) => this.stat(search.stat, s, end, this.periodMs(search, wholeRun)))
      .filter((v): v is number => v !== undefined);
    if (values.length === 0) return undefined;
    const sum = values.reduce((a, b) => a + b, 0);
    return { SUM: sum, AVG: sum / values.length, MIN: Math.min(...values), MAX: Math.max(...values) }[fn];
  }

  labelOf(key: string): string {
    const [id, found] = key.split('\u0000');
    if (found !== undefined) return found;
    const row = this.#byId.get(id!);
    return row?.label ?? id!;
  }
}

function searchLabel(s: MetricSeries): string {
  const dims = Object.entries(s.dimensions)
    .filter(([k]) => k !== 'Service')
    .map(([, v]) => v);
  return dims.length ? dims.join(' ') : s.metricName;
}

/** The rows' namespaces, and whether the run has data for each (a metric exactly, a SEARCH any match). */
function namedMetrics(rows: Row[], data: RunSeries): { namespace: string; emitted: boolean }[] {
  return rows.flatMap((row) => {
    if (row.kind === 'metric')
      return [{ namespace: row.namespace, emitted: data.has(row.namespace, row.metricName, row.dimensions) }];
    const inner = REDUCED_SEARCH_RE.exec(row.expression.trim())?.[2] ?? row.expression;
    const search = /SEARCH\(/.test(inner) ? parseSearch(inner) : undefined;
    return search ? [{ namespace: search.namespace, emitted: data.search(search).length > 0 }] : [];
  });
}

/**
 * Evaluates a metric widget over the run: a time series with a point per shortest period of
 * the widget (each row over its own trailing period), or, with `wholeRun` (single values,
 * bars), one value per series over the whole run.
 */
export function evaluateMetricWidget(
  properties: Record<string, unknown>,
  data: RunSeries,
  scale: TimeScale,
  { wholeRun = false }: { wholeRun?: boolean } = {},
): EvaluatedWidget {
  const rows = parseRows(properties);
  const named = namedMetrics(rows, data);
  const awsOnly = named.length > 0 && named.every((m) => isAwsNamespace(m.namespace));
  const namesEmitted = named.some((m) => m.emitted);
  const periods = rows.flatMap((r) => {
    if (r.kind === 'metric') return [r.periodS];
    const search = parseSearch(REDUCED_SEARCH_RE.exec(r.expression.trim())?.[2] ?? r.expression);
    return search ? [search.periodS] : [];
  });
  const periodS = periods.length ? Math.min(...periods) : scale.basePeriodS;
  const base = { awsOnly, namesEmitted, periodS };
  if (awsOnly) return { ...base, xs: [], series: [], notes: [] };
  const evaluator = new WidgetEvaluator(rows, data, scale);
  const step = wholeRun ? runMs(scale) : scaledPeriodMs(scale, periodS);
  const ends: number[] = [];
  for (let t = scale.startMs + step; t < scale.endMs + step; t += step) ends.push(Math.min(t, scale.endMs));
  const byKey = new Map<string, (number | null)[]>();
  ends.forEach((end, i) => {
    for (const [key, value] of evaluator.at(end, wholeRun)) {
      const values = byKey.get(key) ?? Array<number | null>(ends.length).fill(null);
      values[i] = value === undefined ? null : Number(value.toPrecision(6));
      byKey.set(key, values);
    }
  });
  return {
    ...base,
    xs: ends.map((end) => (end - scale.startMs) / 1000),
    series: [...byKey].map(([key, values]) => ({ label: evaluator.labelOf(key), values })),
    notes: [...evaluator.notes],
  };
}
