/**
 * The one report writer: a self-contained HTML page (uPlot and its CSS inlined from
 * node_modules, the chart data embedded as JSON), so it opens offline, from a CI artifact
 * or an e-mail. A page is a headline and sections; a section is a title, trusted HTML and
 * optionally charts that the page's script draws with uPlot (time series with shaded
 * windows such as load phases and fault windows, and horizontal lines such as objectives).
 * The load report, the fault experiments and the demo compose their pages from sections.
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The report's file name in its output directory. */
export const REPORT_FILE_NAME = 'report.html';

/** A shaded x range: a load phase (grey, named at the top) or a fault window (red, named at the bottom). */
export interface ChartBand {
  kind: 'phase' | 'fault';
  label: string;
  /** In the chart's x unit (seconds since the run's start). */
  start: number;
  end: number;
}

/** A horizontal line across the chart (an objective, a threshold). */
export interface ChartLine {
  label: string;
  value: number;
}

export interface ChartSeries {
  label: string;
  /** One value per x; null leaves a gap. */
  values: (number | null)[];
}

/** A time-series chart, drawn with uPlot. */
export interface ReportChart {
  /** Unique in the page; the plot's element is `#chart-<id>`. */
  id: string;
  title: string;
  /** The y axis' label. */
  unit: string;
  /** Seconds since the run's start. */
  xs: number[];
  series: ChartSeries[];
  bands?: ChartBand[];
  lines?: ChartLine[];
  /**
   * The section's HTML holds the chart's `<div id="chart-<id>" class="plot">` itself (a tile
   * of a dashboard grid), so the writer adds no title and element of its own.
   */
  placed?: boolean;
  /** The plot's height in pixels. Default 260. */
  height?: number;
  /**
   * Per x, the id of an element to open when that point is clicked (a `<details>` is opened
   * and scrolled to); null where there is none.
   */
  links?: (string | null)[];
}

export interface ReportSection {
  title: string;
  /** Trusted HTML, inserted as it is (escape every value with `escapeHtml`). */
  html: string;
  /** Drawn below the HTML, in this order. */
  charts?: ReportChart[];
}

export interface ReportPage {
  /** The document's title (text). */
  title: string;
  /** Trusted HTML at the top of the page: the h1, the verdict, the run's facts. */
  headline: string;
  sections: readonly ReportSection[];
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

export const BadgeTones = { Ok: 'ok', Bad: 'bad', Skip: 'skip' } as const;
export type BadgeTone = (typeof BadgeTones)[keyof typeof BadgeTones];

/** A verdict or status, as a coloured label: `badge('held', 'ok')`. */
export function badge(text: string, tone: BadgeTone): string {
  return `<span class="badge ${tone}">${escapeHtml(text)}</span>`;
}

const require = createRequire(import.meta.url);

async function uplotAssets(): Promise<{ js: string; css: string }> {
  const dir = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const [js, css] = await Promise.all([
    readFile(path.join(dir, 'uPlot.iife.min.js'), 'utf8'),
    readFile(path.join(dir, 'uPlot.min.css'), 'utf8'),
  ]);
  return { js, css };
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The page's own script: draws every chart with uPlot, bands under the series, lines over them. */
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
  var px = function (n) { return Math.round(n * devicePixelRatio); };
  function bands(chart) {
    return function (u) {
      var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height, phase = 0;
      ctx.save();
      ctx.font = px(11) + 'px sans-serif';
      // uPlot leaves the axes' alignment on the context.
      ctx.textAlign = 'left';
      ctx.textBaseline = 'alphabetic';
      chart.bands.forEach(function (b) {
        var x0 = u.valToPos(b.start, 'x', true), x1 = u.valToPos(b.end, 'x', true);
        if (b.kind === 'phase') {
          ctx.fillStyle = phase++ % 2 ? 'rgba(100,116,139,0.07)' : 'rgba(100,116,139,0.14)';
          ctx.fillRect(x0, top, x1 - x0, height);
          ctx.fillStyle = '#475569';
          ctx.fillText(b.label, x0 + 4, top + px(12));
        } else {
          ctx.fillStyle = 'rgba(220,38,38,0.16)';
          ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
          ctx.fillStyle = '#b91c1c';
          ctx.fillText('fault: ' + b.label, x0 + 4, top + height - px(6));
        }
      });
      ctx.restore();
    };
  }
  function lines(chart) {
    return function (u) {
      var ctx = u.ctx, left = u.bbox.left, right = u.bbox.left + u.bbox.width;
      ctx.save();
      ctx.font = px(11) + 'px sans-serif';
      ctx.strokeStyle = ctx.fillStyle = '#b91c1c';
      ctx.lineWidth = px(1);
      ctx.setLineDash([px(4), px(3)]);
      chart.lines.forEach(function (l) {
        var y = u.valToPos(l.value, 'y', true);
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(right, y);
        ctx.stroke();
        ctx.textAlign = 'right';
        ctx.textBaseline = 'alphabetic';
        ctx.fillText(l.label, right - 4, y - px(4));
      });
      ctx.restore();
    };
  }
  function countPoints(root) {
    return function (u) {
      var points = 0;
      for (var i = 1; i < u.data.length; i++) for (var j = 0; j < u.data[i].length; j++) if (u.data[i][j] != null) points++;
      root.setAttribute('data-points', String(points));
    };
  }
  /** The y range reaches every line, so an objective above the data still shows. */
  function yRange(chart) {
    var top = Math.max.apply(null, [0].concat(chart.lines.map(function (l) { return l.value; })));
    return function (u, min, max) {
      var hi = Math.max(max == null ? 0 : max, top);
      return [Math.min(0, min == null ? 0 : min), hi > 0 ? hi * 1.08 : 1];
    };
  }
  /** Opens the element a point links to: its <details> (and those around it), scrolled into view. */
  function openLink(id) {
    var el = document.getElementById(id);
    if (!el) return;
    for (var p = el; p; p = p.parentElement) if (p.tagName === 'DETAILS') p.open = true;
    el.scrollIntoView({ block: 'start' });
    document.body.setAttribute('data-opened', id);
  }
  function linkClicks(chart, plot, root) {
    if (!chart.links) return;
    root.classList.add('linked');
    plot.over.addEventListener('click', function () {
      var i = plot.cursor.idx;
      if (i != null && chart.links[i]) openLink(chart.links[i]);
    });
  }
  var plots = [];
  data.charts.forEach(function (chart) {
    var root = document.getElementById('chart-' + chart.id);
    var series = [{ label: 'time (s)' }].concat(chart.series.map(function (s, i) {
      return { label: s.label, stroke: palette[i % palette.length], width: 1.5, spanGaps: false, points: { show: chart.links ? true : chart.xs.length < 40 } };
    }));
    var opts = {
      width: Math.max(chart.placed ? 120 : 320, root.clientWidth),
      height: chart.height,
      scales: chart.lines.length ? { x: { time: false }, y: { range: yRange(chart) } } : { x: { time: false } },
      axes: chart.placed
        ? [{ size: 28 }, { label: chart.unit, labelSize: 16, size: 44 }]
        : [{ label: 'seconds since start' }, { label: chart.unit }],
      series: series,
      hooks: { drawAxes: [bands(chart)], draw: [lines(chart), countPoints(root)] },
    };
    var plot = new uPlot(opts, [chart.xs].concat(chart.series.map(function (s) { return s.values; })), root);
    linkClicks(chart, plot, root);
    plots.push({ plot: plot, root: root, chart: chart });
  });
  window.addEventListener('resize', function () {
    plots.forEach(function (p) {
      p.plot.setSize({ width: Math.max(p.chart.placed ? 120 : 320, p.root.clientWidth), height: p.chart.height });
    });
  });
  document.body.setAttribute('data-charts-ready', String(plots.length));
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #0f172a; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; }
header.headline { border-bottom: 2px solid #e2e8f0; } header.headline .summary { font-size: 16px; }
.meta { color: #475569; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 4px; font-size: 12px; font-weight: 700; vertical-align: middle; }
.badge.ok { background: #dcfce7; color: #14532d; } .badge.bad { background: #fee2e2; color: #7f1d1d; } .badge.skip { background: #f1f5f9; color: #475569; }
h1 .badge { font-size: 15px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; margin: 8px 0; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #f1f5f9; } th { background: #f8fafc; }
table.numbers th, table.numbers td { text-align: right; } table.numbers th:first-child, table.numbers td:first-child, table.numbers .text { text-align: left; }
td.codes { text-align: left; font-size: 12px; color: #475569; }
tr.failed td, tr.failed th { background: #fef2f2; }
code { font-size: 12px; word-break: break-all; }
.chart { margin: 12px 0 24px; } .chart h3 { font-size: 14px; margin: 0 0 4px; }
.note { color: #475569; font-size: 13px; }
.cw-grid { display: grid; grid-template-columns: repeat(24, minmax(0, 1fr)); gap: 6px; margin: 8px 0 24px; }
.cw-tile { border: 1px solid #e2e8f0; border-radius: 4px; padding: 4px 6px; overflow: auto; min-width: 0; font-size: 12px; }
.cw-tile.cw-text { border-color: transparent; } .cw-tile h3, .cw-tile h4, .cw-tile h5 { margin: 2px 0; } .cw-tile p { margin: 2px 0; }
.cw-title { font-weight: 600; font-size: 13px; margin-bottom: 2px; }
.cw-label, .cw-tile .u-legend { color: #475569; font-size: 11px; }
.cw-only { color: #475569; font-style: italic; }
.cw-values { display: flex; flex-wrap: wrap; gap: 4px 16px; } .cw-value { display: flex; flex-direction: column; }
.cw-number { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.cw-bar-row { display: grid; grid-template-columns: 30% 1fr 4em; align-items: center; gap: 6px; }
.cw-bar { display: block; height: 10px; background: #2563eb; border-radius: 2px; } .cw-number-small { text-align: right; }
.cw-alarms { list-style: none; padding: 0; margin: 0; columns: 2 260px; } .cw-alarms li { margin: 1px 0; }
.cw-table td, .cw-table th { padding: 1px 4px; font-size: 11px; }
.linked .u-over { cursor: pointer; } .st-bad { color: #b91c1c; }
`;

/** Every chart of the page, in order; throws on an id used twice (both would draw into one element). */
function chartsOf(
  sections: readonly ReportSection[],
): (ReportChart & Required<Pick<ReportChart, 'bands' | 'lines' | 'placed' | 'height'>>)[] {
  const charts = sections
    .flatMap((s) => s.charts ?? [])
    .map((c) => ({ bands: [], lines: [], placed: false, height: 260, ...c }));
  const seen = new Set<string>();
  for (const chart of charts) {
    if (seen.has(chart.id)) throw new Error(`two charts of the report have the id "${chart.id}"`);
    seen.add(chart.id);
  }
  return charts;
}

function sectionHtml(section: ReportSection): string {
  const charts = (section.charts ?? [])
    .filter((c) => !c.placed)
    .map(
      (c) =>
        `<div class="chart"><h3>${escapeHtml(c.title)}</h3><div id="chart-${escapeHtml(c.id)}" class="plot"></div></div>`,
    );
  return `<section><h2>${escapeHtml(section.title)}</h2>\n${section.html}${charts.join('\n')}</section>`;
}

/** Renders the page (the HTML text). */
export async function renderReportPage(page: ReportPage): Promise<string> {
  const { js, css } = await uplotAssets();
  const charts = chartsOf(page.sections);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${css}\n${STYLE}</style>`,
    '</head><body>',
    `<header class="headline">${page.headline}</header>`,
    ...page.sections.map(sectionHtml),
    `<script type="application/json" id="report-data">${scriptJson({ charts })}</script>`,
    `<script>${js.replace(/<\/script/gi, '<\\/script')}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Writes the page as `out/report.html` and returns its path. */
export async function writeReportPage(out: string, page: ReportPage): Promise<string> {
  await mkdir(out, { recursive: true });
  const file = path.join(out, REPORT_FILE_NAME);
  await writeFile(file, await renderReportPage(page));
  return file;
}
