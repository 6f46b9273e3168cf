/**
 * The load run's report: its headline (profile, verdict, run facts) and its sections
 * (thresholds, baseline, charts of throughput, latency per route group and status codes
 * with the profile's phases and any fault windows shaded, route groups, routes, journeys
 * and checks, the profile), written by the page writer. The fault experiments put the
 * same sections on their own page, under their verdict.
 */
import { ExemplarReasons, type Exemplar, type ExemplarSet } from '../shared/exemplars.ts';
import type { FaultWindow, LoadResult, RequestStats } from '../shared/result.ts';
import {
  badge,
  BadgeTones,
  escapeHtml,
  renderReportPage,
  writeReportPage,
  type ChartBand,
  type ReportChart,
  type ReportPage,
  type ReportSection,
} from '../../cli/index.ts';

export interface LoadReportOptions {
  /** Fault windows to shade (ms from the run's start, or epoch ms above 10^12); default: the result's own. */
  faultWindows?: readonly FaultWindow[];
  /**
   * The exemplars' plain table (default true); false where a capture's section with their
   * traces (or links) takes its place.
   */
  exemplars?: boolean;
}

export interface ReportOptions extends LoadReportOptions {
  /** Directory to write report.html into. */
  out: string;
}

function num(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? '-' : value.toFixed(digits);
}

function statsRow(name: string, s: RequestStats): string {
  const l = s.latencyMs;
  const codes = Object.entries(s.statusCodes)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([code, n]) => `${code === '0' ? 'net' : code}&times;${n}`)
    .join(' ');
  return `<tr><th scope="row">${escapeHtml(name)}</th><td>${s.requests}</td><td>${num(s.throughputRps)}</td><td>${(s.errorRate * 100).toFixed(2)}%</td><td>${num(l?.p50, 2)}</td><td>${num(l?.p90, 2)}</td><td>${num(l?.p95, 2)}</td><td>${num(l?.p99, 2)}</td><td>${num(l?.p999, 2)}</td><td>${num(l?.max, 2)}</td><td class="codes">${codes}</td></tr>`;
}

const STATS_HEAD =
  '<tr><th></th><th>requests</th><th>req/s</th><th>errors</th><th>p50 ms</th><th>p90 ms</th><th>p95 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>status codes</th></tr>';

const verdictBadge = (result: LoadResult) =>
  badge(result.verdict.toUpperCase(), result.verdict === 'pass' ? BadgeTones.Ok : BadgeTones.Bad);

/** The phases and the fault windows, in seconds from the run's start. */
function bandsOf(result: LoadResult, faultWindows: readonly FaultWindow[]): ChartBand[] {
  const start = Date.parse(result.startedAt);
  const seconds = (ms: number) => (ms > 1e12 ? ms - start : ms) / 1000;
  return [
    ...result.phases.map((p) => ({
      kind: 'phase' as const,
      label: p.name,
      start: p.startMs / 1000,
      end: p.endMs / 1000,
    })),
    ...faultWindows.map((f) => ({
      kind: 'fault' as const,
      label: f.label,
      start: seconds(f.startMs),
      end: seconds(f.endMs),
    })),
  ];
}

/** Throughput against the target rate, latency percentiles per route group, status codes. */
function loadCharts(result: LoadResult, bands: ChartBand[]): ReportChart[] {
  const { bucketMs, buckets } = result.timeline;
  if (buckets.length === 0) return [];
  const perSecond = (n: number) => n / (bucketMs / 1000);
  const xs = buckets.map((b) => (b.startMs + bucketMs / 2) / 1000);
  const groups = [...new Set(buckets.flatMap((b) => Object.keys(b.routeGroups)))].sort();
  const codes = [...new Set(buckets.flatMap((b) => Object.keys(b.statusCodes)))].sort((a, b) => Number(a) - Number(b));
  const chart = (id: string, title: string, unit: string, series: ReportChart['series']): ReportChart => ({
    id,
    title,
    unit,
    xs,
    series,
    bands,
  });
  return [
    chart('throughput', 'Throughput', 'per second', [
      { label: 'requests/s', values: buckets.map((b) => perSecond(b.requests)) },
      { label: 'failed requests/s', values: buckets.map((b) => perSecond(b.failures)) },
      { label: 'journeys started/s', values: buckets.map((b) => perSecond(b.iterationsStarted)) },
      { label: 'target journeys/s', values: buckets.map((b) => b.targetRate) },
      { label: 'journeys dropped/s', values: buckets.map((b) => perSecond(b.iterationsDropped)) },
    ]),
    ...groups.map((group) => {
      const of = (key: 'p50' | 'p90' | 'p99' | 'max') => buckets.map((b) => b.routeGroups[group]?.[key] ?? null);
      return chart(
        `latency-${group}`,
        `Latency: ${group}`,
        'ms',
        (['p50', 'p90', 'p99', 'max'] as const).map((key) => ({ label: key, values: of(key) })),
      );
    }),
    chart(
      'status-codes',
      'Status codes',
      'responses per second',
      codes.map((code) => ({
        label: code === '0' ? 'network error' : code,
        values: buckets.map((b) => perSecond(b.statusCodes[code] ?? 0)),
      })),
    ),
  ];
}

/** The run's facts (id, engine, seed, target, times, counts) and why it stopped early, if it did. */
export function loadRunFacts(result: LoadResult): string {
  const t = result.totals;
  return (
    `<p class="meta">run <code>${escapeHtml(result.runId)}</code> &middot; engine ${escapeHtml(result.engine)} &middot; seed ${result.seed} &middot; target <code>${escapeHtml(result.target)}</code><br>` +
    `${escapeHtml(result.startedAt)} to ${escapeHtml(result.endedAt)} (${(result.durationMs / 1000).toFixed(1)} s) &middot; ${t.requests} requests, ${t.iterations.started} journeys started, ${t.iterations.completed} completed, ${t.iterations.failed} failed, ${t.iterations.dropped} dropped, ${t.iterations.interrupted} interrupted, ${t.retries} retries</p>` +
    (result.aborted ? `<p><strong>Stopped early:</strong> ${escapeHtml(result.aborted)}</p>` : '')
  );
}

/** The load test's verdict and facts as one section, for a page that leads with another verdict. */
export function loadSummarySection(result: LoadResult, note = ''): ReportSection {
  return {
    title: `Load test: ${result.profile}`,
    html: `<p>Thresholds: ${verdictBadge(result)}</p>${loadRunFacts(result)}${note}`,
  };
}

function thresholdsSection(result: LoadResult): ReportSection {
  const rows = result.thresholds.map(
    (th) =>
      `<tr class="${th.pass ? '' : 'failed'}"><td class="text" title="${escapeHtml(th.description)}">${escapeHtml(th.id)}</td><td class="text">${escapeHtml(th.routeGroup ?? 'all')}</td><td class="text">${escapeHtml(th.expression)}</td>` +
      `<td>${th.observed === null ? 'nothing measured' : num(th.observed, 4)}</td><td>${th.pass ? 'pass' : '<strong>FAIL</strong>'}</td><td class="text">${escapeHtml(th.source)}</td></tr>`,
  );
  return {
    title: 'Thresholds',
    html: `<table class="numbers"><tr><th>threshold</th><th class="text">route group</th><th class="text">expression</th><th>observed</th><th>result</th><th class="text">source</th></tr>${rows.join('')}</table>`,
  };
}

function baselineSection(b: NonNullable<LoadResult['baseline']>): ReportSection {
  const rows = b.findings.map(
    (f) =>
      `<tr class="${f.regression ? 'failed' : ''}"><td class="text">${escapeHtml(f.scope)}</td><td class="text">${f.metric}</td><td>${num(f.baseline, 2)}</td><td>${num(f.current, 2)}</td><td>${(f.change * 100).toFixed(1)}%</td><td>${f.regression ? '<strong>REGRESSION</strong>' : 'ok'}</td></tr>`,
  );
  return {
    title: 'Baseline comparison',
    html:
      `<p class="meta">against run <code>${escapeHtml(b.baselineRunId)}</code>${b.file ? ` (${escapeHtml(b.file)})` : ''}; tolerance p95 +${(b.tolerance.p95 * 100).toFixed(1)}%, throughput -${(b.tolerance.throughput * 100).toFixed(1)}%</p>` +
      b.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`).join('') +
      `<table class="numbers"><tr><th>scope</th><th class="text">metric</th><th>baseline</th><th>now</th><th>change</th><th>result</th></tr>${rows.join('')}</table>`,
  };
}

function chartsSection(result: LoadResult, faultWindows: readonly FaultWindow[]): ReportSection {
  const charts = loadCharts(result, bandsOf(result, faultWindows));
  const none = `<p class="note">This result has no time series (${result.engine === 'k6' ? "k6's end-of-test summary is aggregated; stream k6 metrics with --out for charts over time" : 'no request was recorded'}).</p>`;
  return {
    title: 'Charts',
    html: `${charts.length === 0 ? none : ''}<p class="note">Grey bands: the profile's phases. Red bands: fault windows. Latency is measured from each request's intended send time.</p>`,
    charts,
  };
}

export interface ExemplarTableOptions {
  /** Rows per route group at most: every failure first, then the slowest; the rest stay in result.json. */
  maxRowsPerGroup?: number;
}

function exemplarRow(e: Exemplar): string {
  const failed = e.reason === ExemplarReasons.Failed;
  return (
    `<tr class="exemplar${failed ? ' failed' : ''}" id="exemplar-${escapeHtml(e.traceId)}-${escapeHtml(e.spanId)}" data-trace-id="${escapeHtml(e.traceId)}" data-span-id="${escapeHtml(e.spanId)}" data-second="${e.second}">` +
    `<td>${e.second}</td><td class="text">${escapeHtml(e.reason)}</td><td>${e.status === 0 ? 'net' : e.status}</td><td>${num(e.latencyMs, 2)}</td>` +
    `<td class="text">${escapeHtml(e.method)} ${escapeHtml(e.path)}</td><td class="text"><code>${escapeHtml(e.traceId)}</code></td></tr>`
  );
}

/**
 * The exemplars as one table per route group (second, reason, status, latency, request,
 * trace id). Each row is `tr.exemplar#exemplar-<trace id>-<span id>` with `data-trace-id`,
 * `data-span-id` and `data-second`: what a trace view attaches to.
 */
export function exemplarTables(set: ExemplarSet, { maxRowsPerGroup = 100 }: ExemplarTableOptions = {}): string {
  const groups = new Map<string, Exemplar[]>();
  for (const e of set.items) groups.set(e.routeGroup, [...(groups.get(e.routeGroup) ?? []), e]);
  const head =
    '<tr><th>second</th><th class="text">reason</th><th>status</th><th>latency ms</th><th class="text">request</th><th class="text">trace id</th></tr>';
  const tables = [...groups]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, items]) => {
      const failed = items.filter((e) => e.reason === ExemplarReasons.Failed);
      const slowest = items
        .filter((e) => e.reason !== ExemplarReasons.Failed)
        .sort((a, b) => b.latencyMs - a.latencyMs);
      const shown = [...failed, ...slowest].slice(0, maxRowsPerGroup);
      const rows = [...shown].sort((a, b) => a.second - b.second || b.latencyMs - a.latencyMs).map(exemplarRow);
      const more = items.length - shown.length;
      return (
        `<h3>${escapeHtml(group)}: ${failed.length} failed, ${slowest.length} slowest</h3>` +
        `<table class="numbers exemplars" data-route-group="${escapeHtml(group)}">${head}${rows.join('')}</table>` +
        (more > 0 ? `<p class="note">${more} more (the fastest of the slowest) in result.json.</p>` : '')
      );
    });
  const dropped =
    set.droppedFailures > 0
      ? `<p class="note">${set.droppedFailures} failed requests past the cap of ${set.bounds.failuresPerRun} were counted, not kept.</p>`
      : '';
  return tables.length === 0 ? `<p class="note">No request was kept.</p>${dropped}` : `${tables.join('')}${dropped}`;
}

function exemplarsSection(set: ExemplarSet): ReportSection {
  return {
    title: 'Slowest and failed requests',
    html:
      `<p class="note">The requests the client kept by trace id (it sent each one's <code>traceparent</code>): per route group and second the ${set.bounds.slowestPerGroupPerSecond} slowest answers that did not fail, and every failed one (no response, a 5xx, or a 4xx its journey did not expect; at most ${set.bounds.failuresPerRun} per run). ` +
      'This is the list the captured traces attach to. Second: from the run&#39;s start, by answer time; latency from the intended send time.</p>' +
      exemplarTables(set),
  };
}

function statsSections(result: LoadResult): ReportSection[] {
  const groups = Object.entries(result.routeGroups).sort(([a], [b]) => a.localeCompare(b));
  const routes = Object.entries(result.routes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const journeys = Object.entries(result.journeys).map(
    ([name, j]) =>
      `<tr><td class="text">${escapeHtml(name)}</td><td>${j.started}</td><td>${j.completed}</td><td>${j.failed}</td><td>${j.interrupted}</td></tr>`,
  );
  const checks = result.checks.map(
    (c) =>
      `<tr class="${c.fails > 0 ? 'failed' : ''}"><td class="text">${escapeHtml(c.name)}</td><td>${c.passes}</td><td>${c.fails}</td></tr>`,
  );
  return [
    {
      title: 'Route groups',
      html: `<table class="numbers">${STATS_HEAD}${groups.map(([g, s]) => statsRow(g, s)).join('')}${statsRow('all', result.totals)}</table>`,
    },
    ...(routes.length > 0
      ? [
          {
            title: 'Routes',
            html: `<table class="numbers">${STATS_HEAD}${routes.map(([r, s]) => statsRow(r, s)).join('')}</table>`,
          },
        ]
      : []),
    {
      title: 'Journeys and checks',
      html:
        `<table class="numbers"><tr><th>journey</th><th>started</th><th>completed</th><th>failed</th><th>interrupted</th></tr>${journeys.join('')}</table>` +
        `<table class="numbers"><tr><th>check</th><th>passed</th><th>failed</th></tr>${checks.join('')}</table>`,
    },
  ];
}

function profileSection(result: LoadResult): ReportSection {
  const c = result.config;
  const g = result.generator;
  const phases = result.phases.map(
    (p) =>
      `<tr><td class="text">${escapeHtml(p.name)}</td><td>${num(p.startMs / 1000, 0)}</td><td>${num(p.endMs / 1000, 0)}</td><td>${num(p.fromRate, 1)} &rarr; ${num(p.toRate, 1)}</td></tr>`,
  );
  return {
    title: 'Profile',
    html:
      `<table class="numbers"><tr><th>phase</th><th>from s</th><th>to s</th><th>journeys/s</th></tr>${phases.join('')}</table>` +
      `<p class="note">VUs ${c.preAllocatedVUs} pre-allocated, ${c.maxVUs} at most; think time x${c.thinkTimeScale}; graceful stop ${c.gracefulStopS} s${c.workers !== undefined ? `; ${c.workers} worker thread(s)` : ''}${c.connections !== undefined ? `; ${c.connections} connections` : ''}.</p>` +
      (g
        ? `<p class="note">Generator: schedule lag p99 ${num(g.scheduleLagMs.p99, 2)} ms, max ${num(g.scheduleLagMs.max, 2)} ms; CPU ${num(g.cpuSeconds, 2)} s (${(g.cpuShareOfOneCore * 100).toFixed(1)}% of one core).</p>`
        : '') +
      result.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`).join(''),
  };
}

/** The load run's sections, from its thresholds to its profile. */
export function loadReportSections(
  result: LoadResult,
  { faultWindows = result.faultWindows ?? [], exemplars = true }: LoadReportOptions = {},
): ReportSection[] {
  return [
    thresholdsSection(result),
    ...(result.baseline ? [baselineSection(result.baseline)] : []),
    chartsSection(result, faultWindows),
    ...(result.exemplars && exemplars ? [exemplarsSection(result.exemplars)] : []),
    ...statsSections(result),
    profileSection(result),
  ];
}

/** The load report as a page: the profile and verdict first, then the run's sections. */
export function loadReportPage(result: LoadResult, options: LoadReportOptions = {}): ReportPage {
  return {
    title: `coffee load ${result.profile} ${result.runId}: ${result.verdict}`,
    headline: `<h1>coffee load ${escapeHtml(result.profile)} ${verdictBadge(result)}</h1>${loadRunFacts(result)}`,
    sections: loadReportSections(result, options),
  };
}

/** Renders the load report (the HTML text). */
export async function renderReport(result: LoadResult, options: LoadReportOptions = {}): Promise<string> {
  return renderReportPage(loadReportPage(result, options));
}

/** Writes `out/report.html` and returns its path. */
export async function writeReport(result: LoadResult, { out, ...options }: ReportOptions): Promise<string> {
  return writeReportPage(out, loadReportPage(result, options));
}
