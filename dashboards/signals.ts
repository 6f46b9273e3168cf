/**
 * Which metrics the rendered dashboards reference, read back from the rendered JSON (not
 * from the model), so what is checked is what would be deployed. The lint checks every
 * reference against the catalogs; `alarms/signals.ts` does the same for alarms.
 */
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
      out.push({
        namespace: '',
        metricName: '',
        dimensions: {},
        source: 'search',
        where: `${where}: unparsable search ${text}`,
      });
      continue;
    }
    const [namespace = '', ...dimensionNames] = schema[1].split(',').map((s) => s.trim());
    const dimensions: Record<string, string | undefined> = Object.fromEntries(
      dimensionNames.map((d) => [d, undefined]),
    );
    for (const filter of text.slice(schema[0].length).matchAll(/(\w+)="([^"]*)"/g)) {
      if (filter[1] !== 'MetricName' && filter[1]) dimensions[filter[1]] = filter[2];
    }
    out.push({
      namespace,
      metricName: name[1],
      dimensions,
      ...(stat ? { stat } : {}),
      period: Number(period),
      source: 'search',
      where,
    });
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
        const items = (rendering ? entry.slice(0, -1) : entry).map((item, i) =>
          item === '.' ? previous[i] : item,
        ) as string[];
        previous = items;
        const [namespace = '', metricName = '', ...pairs] = items;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
        out.push({
          namespace,
          metricName,
          dimensions,
          ...(typeof rendering?.stat === 'string'
            ? { stat: rendering.stat }
            : typeof widget.properties.stat === 'string'
              ? { stat: widget.properties.stat }
              : {}),
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
