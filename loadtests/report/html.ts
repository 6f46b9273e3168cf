/**
 * The run report: one self-contained HTML file (uPlot and its CSS inlined from
 * node_modules, the data embedded as JSON), so it opens offline, from a CI artifact or an
 * e-mail. Charts: throughput against the target arrival rate, latency percentiles over
 * time per route group, status codes over time; the profile's phases and any fault
 * windows are drawn as bands on every chart. Other tools add sections (the fault
 * experiments add their invariants and alarm timeline) through `extraSections`.
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { reportFileName } from '../shared/outputs.ts';
import type { FaultWindow, LoadResult, RequestStats } from '../shared/result.ts';

export interface ReportSection {
  title: string;
  /** Trusted HTML, inserted as it is. */
  html: string;
}

export interface ReportOptions {
  /** Directory to write report.html into. */
  out: string;
  /** Fault windows to mark (ms from the run's start, or epoch ms above 10^12); default: the result's own. */
  faultWindows?: FaultWindow[];
  extraSections?: ReportSection[];
}

const require = createRequire(import.meta.url);

async function uplotAssets(): Promise<{ js: string; css: string }> {
  const dir = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const [js, css] = await Promise.all([readFile(path.join(dir, 'uPlot.iife.min.js'), 'utf8'), readFile(path.join(dir, 'uPlot.min.css'), 'utf8')]);
  return { js, css };
}

export function escapeHtml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
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

const STATS_HEAD = '<tr><th></th><th>requests</th><th>req/s</th><th>errors</th><th>p50 ms</th><th>p90 ms</th><th>p95 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>status codes</th></tr>';

/** The chart data, computed here so the page's script only draws. */
function chartData(result: LoadResult, faultWindows: readonly FaultWindow[]) {
  const { bucketMs, buckets } = result.timeline;
  const perSecond = (n: number) => n / (bucketMs / 1000);
  const xs = buckets.map((b) => (b.startMs + bucketMs / 2) / 1000);
  const groups = [...new Set(buckets.flatMap((b) => Object.keys(b.routeGroups)))].sort();
  const codes = [...new Set(buckets.flatMap((b) => Object.keys(b.statusCodes)))].sort((a, b) => Number(a) - Number(b));
  const charts: { id: string; title: string; unit: string; series: { label: string; values: (number | null)[] }[] }[] = [];
  if (buckets.length > 0) {
    charts.push({
      id: 'throughput',
      title: 'Throughput',
      unit: 'per second',
      series: [
        { label: 'requests/s', values: buckets.map((b) => perSecond(b.requests)) },
        { label: 'failed requests/s', values: buckets.map((b) => perSecond(b.failures)) },
        { label: 'journeys started/s', values: buckets.map((b) => perSecond(b.iterationsStarted)) },
        { label: 'target journeys/s', values: buckets.map((b) => b.targetRate) },
        { label: 'journeys dropped/s', values: buckets.map((b) => perSecond(b.iterationsDropped)) },
      ],
    });
    for (const group of groups) {
      const of = (key: 'p50' | 'p90' | 'p99' | 'max') => buckets.map((b) => b.routeGroups[group]?.[key] ?? null);
      charts.push({
        id: `latency-${group}`,
        title: `Latency: ${group}`,
        unit: 'ms',
        series: [
          { label: 'p50', values: of('p50') },
          { label: 'p90', values: of('p90') },
          { label: 'p99', values: of('p99') },
          { label: 'max', values: of('max') },
        ],
      });
    }
    charts.push({
      id: 'status-codes',
      title: 'Status codes',
      unit: 'responses per second',
      series: codes.map((code) => ({ label: code === '0' ? 'network error' : code, values: buckets.map((b) => perSecond(b.statusCodes[code] ?? 0)) })),
    });
  }
  return {
    xs,
    charts,
    phases: result.phases.map((p) => ({ name: p.name, start: p.startMs / 1000, end: p.endMs / 1000 })),
    faults: faultWindows.map((f) => ({ label: f.label, start: f.startMs / 1000, end: f.endMs / 1000 })),
  };
}

/** The page's own script: draws every chart with uPlot, phases and fault windows as bands. */
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
  function bands(u) {
    var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
    ctx.save();
    ctx.font = Math.round(11 * devicePixelRatio) + 'px sans-serif';
    data.phases.forEach(function (p, i) {
      var x0 = u.valToPos(p.start, 'x', true), x1 = u.valToPos(p.end, 'x', true);
      ctx.fillStyle = i % 2 ? 'rgba(100,116,139,0.07)' : 'rgba(100,116,139,0.14)';
      ctx.fillRect(x0, top, x1 - x0, height);
      ctx.fillStyle = '#475569';
      ctx.fillText(p.name, x0 + 4, top + 12 * devicePixelRatio);
    });
    data.faults.forEach(function (f) {
      var x0 = u.valToPos(f.start, 'x', true), x1 = u.valToPos(f.end, 'x', true);
      ctx.fillStyle = 'rgba(220,38,38,0.16)';
      ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
      ctx.fillStyle = '#b91c1c';
      ctx.fillText('fault: ' + f.label, x0 + 4, top + height - 6 * devicePixelRatio);
    });
    ctx.restore();
  }
  var plots = [];
  data.charts.forEach(function (chart) {
    var root = document.getElementById('chart-' + chart.id);
    var series = [{ label: 'time (s)' }].concat(chart.series.map(function (s, i) {
      return { label: s.label, stroke: palette[i % palette.length], width: 1.5, spanGaps: false, points: { show: data.xs.length < 40 } };
    }));
    var opts = {
      width: Math.max(320, root.clientWidth),
      height: 260,
      scales: { x: { time: false } },
      axes: [{ label: 'seconds since start' }, { label: chart.unit }],
      series: series,
      hooks: {
        drawAxes: [bands],
        draw: [function (u) {
          var points = 0;
          for (var i = 1; i < u.data.length; i++) for (var j = 0; j < u.data[i].length; j++) if (u.data[i][j] != null) points++;
          root.setAttribute('data-points', String(points));
        }],
      },
    };
    var plot = new uPlot(opts, [data.xs].concat(chart.series.map(function (s) { return s.values; })), root);
    plots.push({ plot: plot, root: root });
  });
  window.addEventListener('resize', function () {
    plots.forEach(function (p) { p.plot.setSize({ width: Math.max(320, p.root.clientWidth), height: 260 }); });
  });
  document.body.setAttribute('data-charts-ready', String(plots.length));
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #0f172a; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; }
.meta { color: #475569; } .verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; font-weight: 700; color: #fff; }
.pass { background: #16a34a; } .fail { background: #dc2626; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; margin: 8px 0; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid #f1f5f9; } th:first-child, td:first-child, td.text, th.text { text-align: left; }
td.codes { text-align: left; font-size: 12px; color: #475569; }
tr.failed td, tr.failed th { background: #fef2f2; }
.chart { margin: 12px 0 24px; } .chart h3 { font-size: 14px; margin: 0 0 4px; }
.note { color: #475569; font-size: 13px; }
`;

/** Renders the report (the HTML text). */
export async function renderReport(result: LoadResult, options: Omit<ReportOptions, 'out'> = {}): Promise<string> {
  const { js, css } = await uplotAssets();
  const start = Date.parse(result.startedAt);
  const faults = (options.faultWindows ?? result.faultWindows ?? []).map((w) => ({
    label: w.label,
    startMs: w.startMs > 1e12 ? w.startMs - start : w.startMs,
    endMs: w.endMs > 1e12 ? w.endMs - start : w.endMs,
  }));
  const data = chartData(result, faults);
  const groups = Object.entries(result.routeGroups).sort(([a], [b]) => a.localeCompare(b));
  const routes = Object.entries(result.routes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const t = result.totals;
  const parts: string[] = [];
  parts.push(`<h1>coffee load ${escapeHtml(result.profile)} <span class="verdict ${result.verdict}">${result.verdict.toUpperCase()}</span></h1>`);
  parts.push(
    `<p class="meta">run <code>${escapeHtml(result.runId)}</code> &middot; engine ${escapeHtml(result.engine)} &middot; seed ${result.seed} &middot; target <code>${escapeHtml(result.target)}</code><br>` +
      `${escapeHtml(result.startedAt)} to ${escapeHtml(result.endedAt)} (${(result.durationMs / 1000).toFixed(1)} s) &middot; ${t.requests} requests, ${t.iterations.started} journeys started, ${t.iterations.completed} completed, ${t.iterations.failed} failed, ${t.iterations.dropped} dropped, ${t.iterations.interrupted} interrupted, ${t.retries} retries</p>`,
  );
  if (result.aborted) parts.push(`<p><strong>Stopped early:</strong> ${escapeHtml(result.aborted)}</p>`);

  parts.push('<h2>Thresholds</h2><table><tr><th>threshold</th><th class="text">route group</th><th class="text">expression</th><th>observed</th><th>result</th><th class="text">source</th></tr>');
  for (const th of result.thresholds) {
    parts.push(
      `<tr class="${th.pass ? '' : 'failed'}"><td class="text" title="${escapeHtml(th.description)}">${escapeHtml(th.id)}</td><td class="text">${escapeHtml(th.routeGroup ?? 'all')}</td><td class="text">${escapeHtml(th.expression)}</td>` +
        `<td>${th.observed === null ? 'nothing measured' : num(th.observed, 4)}</td><td>${th.pass ? 'pass' : '<strong>FAIL</strong>'}</td><td class="text">${escapeHtml(th.source)}</td></tr>`,
    );
  }
  parts.push('</table>');

  if (result.baseline) {
    const b = result.baseline;
    parts.push(`<h2>Baseline comparison</h2><p class="meta">against run <code>${escapeHtml(b.baselineRunId)}</code>${b.file ? ` (${escapeHtml(b.file)})` : ''}; tolerance p95 +${(b.tolerance.p95 * 100).toFixed(1)}%, throughput -${(b.tolerance.throughput * 100).toFixed(1)}%</p>`);
    for (const note of b.notes) parts.push(`<p class="note">${escapeHtml(note)}</p>`);
    parts.push('<table><tr><th>scope</th><th class="text">metric</th><th>baseline</th><th>now</th><th>change</th><th>result</th></tr>');
    for (const f of b.findings) {
      parts.push(
        `<tr class="${f.regression ? 'failed' : ''}"><td class="text">${escapeHtml(f.scope)}</td><td class="text">${f.metric}</td><td>${num(f.baseline, 2)}</td><td>${num(f.current, 2)}</td><td>${(f.change * 100).toFixed(1)}%</td><td>${f.regression ? '<strong>REGRESSION</strong>' : 'ok'}</td></tr>`,
      );
    }
    parts.push('</table>');
  }

  parts.push('<h2>Charts</h2>');
  if (data.charts.length === 0) {
    parts.push(`<p class="note">This result has no time series (${result.engine === 'k6' ? "k6's end-of-test summary is aggregated; stream k6 metrics with --out for charts over time" : 'no request was recorded'}).</p>`);
  }
  for (const chart of data.charts) parts.push(`<div class="chart"><h3>${escapeHtml(chart.title)}</h3><div id="chart-${escapeHtml(chart.id)}" class="plot"></div></div>`);
  parts.push('<p class="note">Grey bands: the profile\'s phases. Red bands: fault windows. Latency is measured from each request\'s intended send time.</p>');

  parts.push(`<h2>Route groups</h2><table>${STATS_HEAD}${groups.map(([g, s]) => statsRow(g, s)).join('')}${statsRow('all', t)}</table>`);
  if (routes.length > 0) parts.push(`<h2>Routes</h2><table>${STATS_HEAD}${routes.map(([r, s]) => statsRow(r, s)).join('')}</table>`);

  parts.push('<h2>Journeys and checks</h2><table><tr><th>journey</th><th>started</th><th>completed</th><th>failed</th><th>interrupted</th></tr>');
  for (const [name, j] of Object.entries(result.journeys)) parts.push(`<tr><td class="text">${escapeHtml(name)}</td><td>${j.started}</td><td>${j.completed}</td><td>${j.failed}</td><td>${j.interrupted}</td></tr>`);
  parts.push('</table><table><tr><th>check</th><th>passed</th><th>failed</th></tr>');
  for (const c of result.checks) parts.push(`<tr class="${c.fails > 0 ? 'failed' : ''}"><td class="text">${escapeHtml(c.name)}</td><td>${c.passes}</td><td>${c.fails}</td></tr>`);
  parts.push('</table>');

  for (const section of options.extraSections ?? []) parts.push(`<h2>${escapeHtml(section.title)}</h2>\n${section.html}`);

  const c = result.config;
  parts.push('<h2>Profile</h2><table><tr><th>phase</th><th>from s</th><th>to s</th><th>journeys/s</th></tr>');
  for (const p of result.phases) parts.push(`<tr><td class="text">${escapeHtml(p.name)}</td><td>${num(p.startMs / 1000, 0)}</td><td>${num(p.endMs / 1000, 0)}</td><td>${num(p.fromRate, 1)} &rarr; ${num(p.toRate, 1)}</td></tr>`);
  parts.push(`</table><p class="note">VUs ${c.preAllocatedVUs} pre-allocated, ${c.maxVUs} at most; think time x${c.thinkTimeScale}; graceful stop ${c.gracefulStopS} s${c.workers !== undefined ? `; ${c.workers} worker thread(s)` : ''}${c.connections !== undefined ? `; ${c.connections} connections` : ''}.</p>`);
  if (result.generator) {
    const g = result.generator;
    parts.push(`<p class="note">Generator: schedule lag p99 ${num(g.scheduleLagMs.p99, 2)} ms, max ${num(g.scheduleLagMs.max, 2)} ms; CPU ${num(g.cpuSeconds, 2)} s (${(g.cpuShareOfOneCore * 100).toFixed(1)}% of one core).</p>`);
  }
  for (const note of result.notes) parts.push(`<p class="note">${escapeHtml(note)}</p>`);

  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>coffee load ${escapeHtml(result.profile)} ${escapeHtml(result.runId)}: ${result.verdict}</title>`,
    `<style>${css}\n${STYLE}</style>`,
    '</head><body>',
    ...parts,
    `<script type="application/json" id="report-data">${scriptJson(data)}</script>`,
    `<script>${js.replace(/<\/script/gi, '<\\/script')}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Writes `out/report.html` and returns its path. */
export async function writeReport(result: LoadResult, options: ReportOptions): Promise<string> {
  await mkdir(options.out, { recursive: true });
  const file = path.join(options.out, reportFileName);
  const { out: _out, ...rest } = options;
  await writeFile(file, await renderReport(result, rest));
  return file;
}
