/**
 * The report's "Server side": the service's own request rate, latency percentiles and
 * server errors over the run, read from its EMF (`HttpRequestDuration` by route group, and
 * by status class), beside the client's view of the same seconds. The gap between the two
 * latencies is time spent outside the service: queueing in the client or the network.
 */
import { seriesFromEmf, type MetricSeries } from '../../alarms/index.ts';
import { escapeHtml, type ReportChart, type ReportSection } from '../../cli/index.ts';
import { Metrics, NAMESPACE } from '../../service/catalog/index.ts';
import type { LoadResult } from '../shared/result.ts';

export const SERVER_SIDE_SECTION_TITLE = 'Server side';

interface Sample {
  second: number;
  values: readonly number[];
  counts: readonly number[];
}

/** Per route group, the request-duration samples by second; and per second the 5xx count. */
interface ServerView {
  groups: Map<string, Sample[]>;
  serverErrors: Map<number, number>;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** The weighted quantile of values with counts (EMF's Values and Counts). */
function quantile(samples: readonly Sample[], q: number): number | null {
  const pairs = samples
    .flatMap((s) => s.values.map((v, i) => [v, s.counts[i] ?? 1] as const))
    .sort((a, b) => a[0] - b[0]);
  const total = sum(pairs.map((p) => p[1]));
  if (total === 0) return null;
  let seen = 0;
  for (const [v, n] of pairs) {
    seen += n;
    if (seen >= q * total) return v;
  }
  return pairs[pairs.length - 1]?.[0] ?? null;
}

const dims = (s: MetricSeries) => Object.keys(s.dimensions).sort().join(',');

function serverView(emfLines: Iterable<string>, origin: number): ServerView {
  const view: ServerView = { groups: new Map(), serverErrors: new Map() };
  const name = Metrics.HttpRequestDuration.name;
  for (const series of seriesFromEmf(emfLines)) {
    if (series.namespace !== NAMESPACE || series.metricName !== name) continue;
    const group = series.dimensions.RouteGroup;
    if (!group) continue;
    const samples = series.observations.map((o) => ({
      second: Math.floor((o.timestamp - origin) / 1000),
      values: o.values,
      counts: o.counts ?? o.values.map(() => 1),
    }));
    if (dims(series) === 'RouteGroup,Service') view.groups.set(group, [...(view.groups.get(group) ?? []), ...samples]);
    else if (dims(series) === 'RouteGroup,Service,StatusClass' && series.dimensions.StatusClass === '5xx')
      for (const s of samples) view.serverErrors.set(s.second, (view.serverErrors.get(s.second) ?? 0) + sum(s.counts));
  }
  return view;
}

function charts(view: ServerView, result: LoadResult, origin: number): ReportChart[] {
  const clientOrigin = Date.parse(result.startedAt);
  const shift = Math.round((clientOrigin - origin) / 1000);
  const buckets = result.timeline.buckets;
  const bucketS = result.timeline.bucketMs / 1000;
  const last = Math.max(
    ...buckets.map((b) => b.startMs / 1000 + shift),
    ...[...view.groups.values()].flatMap((s) => s.map((x) => x.second)),
    0,
  );
  const seconds = Array.from({ length: Math.floor(last) + 1 }, (_, i) => i);
  const client = (second: number) => buckets.find((b) => Math.floor(b.startMs / 1000) + shift === second);
  const serverAt = (group: string, second: number) => (view.groups.get(group) ?? []).filter((s) => s.second === second);
  const groups = [...new Set([...view.groups.keys(), ...Object.keys(result.routeGroups)])].sort();
  const xs = seconds.map((s) => s + 0.5);
  return [
    {
      id: 'server-rate',
      title: 'Requests per second: what the client sent and what the service counted',
      unit: 'requests/s',
      xs,
      series: [
        { label: 'client', values: seconds.map((s) => (client(s) ? (client(s)?.requests ?? 0) / bucketS : null)) },
        {
          label: 'server (EMF)',
          values: seconds.map((s) => sum(groups.flatMap((g) => serverAt(g, s).flatMap((x) => [...x.counts]))) || null),
        },
      ],
    },
    {
      id: 'server-p99',
      title: 'p99 latency per route group: client (dashed gap = outside the service) and server',
      unit: 'ms',
      xs,
      series: groups.flatMap((g) => [
        { label: `${g} client`, values: seconds.map((s) => client(s)?.routeGroups[g]?.p99 ?? null) },
        { label: `${g} server`, values: seconds.map((s) => quantile(serverAt(g, s), 0.99)) },
      ]),
    },
    {
      id: 'server-errors',
      title: 'Failures per second: 5xx the service answered and failures the client saw (5xx and no response)',
      unit: 'requests/s',
      xs,
      series: [
        { label: 'client failures', values: seconds.map((s) => client(s)?.failures ?? null) },
        { label: 'server 5xx (EMF)', values: seconds.map((s) => view.serverErrors.get(s) ?? 0) },
      ],
    },
  ];
}

function table(view: ServerView, result: LoadResult): string {
  const groups = [...new Set([...view.groups.keys(), ...Object.keys(result.routeGroups)])].sort();
  const f = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n.toFixed(1));
  const rows = groups.map((g) => {
    const c = result.routeGroups[g];
    const s = view.groups.get(g) ?? [];
    const p99c = c?.latencyMs?.p99;
    const p99s = quantile(s, 0.99);
    return `<tr><td>${escapeHtml(g)}</td><td>${c?.requests ?? '-'}</td><td>${sum(s.flatMap((x) => [...x.counts]))}</td><td>${f(c?.latencyMs?.p50)}</td><td>${f(quantile(s, 0.5))}</td><td>${f(p99c)}</td><td>${f(p99s)}</td><td>${p99c !== undefined && p99s !== null ? f(p99c - p99s) : '-'}</td></tr>`;
  });
  return `<table class="numbers"><tr><th>route group</th><th>client requests</th><th>server requests</th><th>client p50 ms</th><th>server p50 ms</th><th>client p99 ms</th><th>server p99 ms</th><th>gap at p99 ms</th></tr>${rows.join('')}</table>`;
}

/**
 * The section, from the service's EMF lines and the load result; undefined when the EMF holds
 * no request duration (metrics off, or a deployed stack).
 */
export function serverSideSection(
  emfLines: Iterable<string>,
  result: LoadResult,
  origin = Date.parse(result.startedAt),
): ReportSection | undefined {
  const view = serverView(emfLines, origin);
  if (view.groups.size === 0) return undefined;
  return {
    title: SERVER_SIDE_SECTION_TITLE,
    html: `<p class="note">The service's own view from its EMF (${escapeHtml(Metrics.HttpRequestDuration.name)}, exported every second; server percentiles are those of its histogram buckets) beside the client's. Requests the service never answered appear only on the client's side.</p>${table(view, result)}`,
    charts: charts(view, result, origin),
  };
}
