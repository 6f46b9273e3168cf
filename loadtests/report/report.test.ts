/**
 * The report opened in a real headless Chromium: it must load offline with no console
 * error, and every chart must have drawn data (points in its series and ink on its
 * canvas), fault windows shaded and objective lines drawn. First the page writer with
 * charts of its own, then the load report of a real run.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../service/index.ts';
import { requireOnPath } from '../../service/testing/index.ts';
import { runLoad } from '../run-load.ts';
import type { LoadResult } from '../shared/result.ts';
import { exemplarTables, writeReport } from './load-report.ts';
import type { Exemplar } from '../shared/exemplars.ts';
import { renderReportPage, writeReportPage, type ReportChart, type ReportPage } from '../../cli/index.ts';

/** A colour as the canvas holds it (unpremultiplied), and the alpha range that counts. */
interface Ink {
  rgb: [number, number, number];
  alpha: [number, number];
}

const SERIES_INK: Ink[] = [
  // The palette's blue, green and purple (first, third and fourth), so axes, grid, bands
  // and the red fault labels and lines do not count as data.
  { rgb: [37, 99, 235], alpha: [128, 255] },
  { rgb: [22, 163, 74], alpha: [128, 255] },
  { rgb: [147, 51, 234], alpha: [128, 255] },
];
/** A fault band: rgba(220,38,38,0.16). */
const FAULT_TINT: Ink[] = [{ rgb: [220, 38, 38], alpha: [34, 48] }];
/** An objective line (and a fault label): #b91c1c. */
const LINE_INK: Ink[] = [{ rgb: [185, 28, 28], alpha: [128, 255] }];

interface DrawnChart {
  id: string;
  points: number;
  series: number;
  faultTint: number;
  lineInk: number;
  /** The canvas' pixel count. */
  pixels: number;
}

let dir: string;
let browser: Browser;

/** Opens a report and reads every chart's canvas; fails on a console error or a request off the file. */
async function openReport(
  file: string,
): Promise<{ charts: DrawnChart[]; text: (selector: string) => Promise<string | null>; close: () => Promise<void> }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-charts-ready]');
  const charts = await page.$$eval(
    '.plot',
    (plots, inks) =>
      plots.map((plot) => {
        const canvas = plot.querySelector('canvas')!;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        const count = (colours: typeof inks.series) => {
          let n = 0;
          for (let i = 0; i < pixels.length; i += 4) {
            const a = pixels[i + 3]!;
            if (
              colours.some(
                ({ rgb: [r, g, b], alpha: [lo, hi] }) =>
                  a >= lo &&
                  a <= hi &&
                  Math.abs(pixels[i]! - r) < 40 &&
                  Math.abs(pixels[i + 1]! - g) < 40 &&
                  Math.abs(pixels[i + 2]! - b) < 40,
              )
            )
              n++;
          }
          return n;
        };
        return {
          id: plot.id,
          points: Number(plot.getAttribute('data-points')),
          series: count(inks.series),
          faultTint: count(inks.fault),
          lineInk: count(inks.line),
          pixels: canvas.width * canvas.height,
        };
      }),
    { series: SERIES_INK, fault: FAULT_TINT, line: LINE_INK },
  );
  expect(errors).toEqual([]);
  // Self-contained: nothing but the file itself was loaded.
  expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
  return { charts, text: (selector) => page.textContent(selector), close: () => page.close() };
}

beforeAll(async () => {
  const executablePath = requireOnPath('chromium');
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-report-'));
  browser = await chromium.launch({ executablePath });
});

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the report writer', () => {
  const xs = Array.from({ length: 10 }, (_, i) => i + 0.5);
  const values = xs.map((x) => 10 + Math.round(x));
  const chart = (id: string, over: Partial<ReportChart>): ReportChart => ({
    id,
    title: id,
    unit: 'ms',
    xs,
    series: [{ label: 'p99', values }],
    ...over,
  });
  const page: ReportPage = {
    title: 'A <report>',
    headline: '<h1 id="headline">Verdict first</h1>',
    sections: [
      {
        title: 'Faults <b>',
        html: '<p id="trusted">trusted <em>HTML</em></p>',
        charts: [chart('faulted', { bands: [{ kind: 'fault', label: 'throttling', start: 3, end: 6 }] })],
      },
      // The objective lies above every value: the y axis must reach it for the line to show.
      {
        title: 'Objective',
        html: '',
        charts: [chart('objective', { lines: [{ label: 'objective 50 ms', value: 50 }] }), chart('plain', {})],
      },
    ],
  };

  it('shades fault windows and draws objective lines over the series, offline', async () => {
    const file = await writeReportPage(path.join(dir, 'page'), page);
    const report = await openReport(file);
    const byId = Object.fromEntries(report.charts.map((c) => [c.id, c]));
    expect(Object.keys(byId)).toEqual(['chart-faulted', 'chart-objective', 'chart-plain']);
    for (const drawn of report.charts) {
      expect(drawn.points, drawn.id).toBe(values.length);
      expect(drawn.series, drawn.id).toBeGreaterThan(0);
    }
    // The band spans a third of the x range; a line's anti-aliased edges tint a few pixels too.
    const tinted = (id: string) => byId[id]!.faultTint / byId[id]!.pixels;
    expect(tinted('chart-faulted')).toBeGreaterThan(0.1);
    expect(tinted('chart-objective')).toBeLessThan(0.01);
    expect(byId['chart-objective']!.lineInk).toBeGreaterThan(0);
    expect(byId['chart-plain']!.lineInk).toBe(0);
    expect(await report.text('#headline')).toBe('Verdict first');
    expect(await report.text('#trusted')).toBe('trusted HTML');
    await report.close();
  });

  it('escapes titles, keeps the sections in order and embeds each chart with its bands and lines', async () => {
    const html = await renderReportPage(page);
    expect(html).toContain('<title>A &lt;report&gt;</title>');
    expect(html).toContain('<h2>Faults &lt;b&gt;</h2>');
    expect(html.indexOf('id="headline"')).toBeLessThan(html.indexOf('<h2>Faults'));
    expect(html.indexOf('<h2>Faults')).toBeLessThan(html.indexOf('<h2>Objective'));
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as {
      charts: ReportChart[];
    };
    expect(data.charts.map((c) => [c.id, c.bands, c.lines])).toEqual([
      ['faulted', [{ kind: 'fault', label: 'throttling', start: 3, end: 6 }], []],
      ['objective', [], [{ label: 'objective 50 ms', value: 50 }]],
      ['plain', [], []],
    ]);
  });

  it('refuses two charts with one id, which would draw into one element', async () => {
    await expect(
      renderReportPage({
        ...page,
        sections: [...page.sections, { title: 'again', html: '', charts: [chart('plain', {})] }],
      }),
    ).rejects.toThrow(/"plain"/);
  });
});

describe('the load report', () => {
  let stack: LocalStack;
  let result: LoadResult;
  const out = () => path.join(dir, 'load');

  beforeAll(async () => {
    stack = await startLocalStack({ rateLimit: false });
    const start = Date.now();
    result = await runLoad({
      target: stack.url,
      profile: 'smoke',
      durationS: 2.5,
      rate: 6,
      seed: 3,
      runId: 'report-test',
    });
    // A fault window in epoch ms, as the fault experiments pass it.
    await writeReport(result, {
      out: out(),
      faultWindows: [{ label: 'dynamodb throttling', startMs: start + 500, endMs: start + 1500 }],
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('opens offline with no console error and every chart drawn with data', async () => {
    const report = await openReport(path.join(out(), 'report.html'));
    const groups = Object.keys(result.routeGroups).sort();
    expect(report.charts.map((c) => c.id)).toEqual([
      'chart-throughput',
      ...groups.map((g) => `chart-latency-${g}`),
      'chart-status-codes',
    ]);
    for (const chart of report.charts) {
      expect(chart.points, chart.id).toBeGreaterThan(0);
      expect(chart.series, chart.id).toBeGreaterThan(0);
    }
    expect(await report.text('h1')).toContain(result.verdict.toUpperCase());
    await report.close();
  });

  it('shades the phases and the fault window (converted to run time) on every chart', async () => {
    const html = await readFile(path.join(out(), 'report.html'), 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as {
      charts: Required<ReportChart>[];
    };
    for (const chart of data.charts) {
      expect(
        chart.bands.filter((b) => b.kind === 'phase').map((b) => b.label),
        chart.id,
      ).toEqual(['steady']);
      const faults = chart.bands.filter((b) => b.kind === 'fault');
      expect(
        faults.map((f) => f.label),
        chart.id,
      ).toEqual(['dynamodb throttling']);
      expect(faults[0]!.end - faults[0]!.start).toBeCloseTo(1, 5);
      expect(faults[0]!.start).toBeGreaterThan(-5);
      expect(faults[0]!.start).toBeLessThan(5);
    }
  });

  it('lists the slowest and failed requests per route group by the trace ids the client sent', async () => {
    const kept = result.exemplars!.items;
    expect(kept.length).toBeGreaterThan(0);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(path.join(out(), 'report.html')).href);
    const rows = await page.$$eval('section table.exemplars tr.exemplar', (trs) =>
      trs.map((tr) => ({ traceId: tr.getAttribute('data-trace-id'), group: tr.closest('table')!.dataset.routeGroup })),
    );
    await page.close();
    expect(rows.map((r) => `${r.group} ${r.traceId}`).sort()).toEqual(
      kept.map((e) => `${e.routeGroup} ${e.traceId}`).sort(),
    );
  });
});

describe('the exemplar table', () => {
  const exemplar = (second: number, latencyMs: number, over: Partial<Exemplar> = {}): Exemplar => ({
    traceId: `${second}${latencyMs}`.padStart(32, '0'),
    spanId: '1'.padStart(16, '0'),
    routeGroup: 'order-write',
    route: 'POST /orders',
    method: 'POST',
    path: '/orders?<x>',
    status: 201,
    latencyMs,
    intendedAt: 0,
    sentAt: 0,
    answeredAt: 0,
    second,
    reason: 'slowest',
    ...over,
  });

  it('shows every failure and the slowest up to its cap, escapes the path and counts what it left out', () => {
    const html = exemplarTables(
      {
        bounds: { slowestPerGroupPerSecond: 3, failuresPerRun: 500 },
        droppedFailures: 7,
        items: [
          exemplar(0, 5),
          exemplar(0, 80, { status: 0, reason: 'failed' }),
          exemplar(1, 60),
          exemplar(2, 9),
          exemplar(2, 3, { routeGroup: 'menu-read' }),
        ],
      },
      { maxRowsPerGroup: 3 },
    );
    const rows = [
      ...html.matchAll(
        /<tr class="exemplar( failed)?"[^>]*data-second="(\d+)"><td>\d+<\/td><td class="text">(\w+)<\/td><td>(\w+)<\/td><td>([\d.]+)/g,
      ),
    ];
    expect(rows.map((m) => [m[2], m[3], m[4], m[5]])).toEqual([
      ['2', 'slowest', '201', '3.00'],
      ['0', 'failed', 'net', '80.00'],
      ['1', 'slowest', '201', '60.00'],
      ['2', 'slowest', '201', '9.00'],
    ]);
    expect(html.indexOf('menu-read')).toBeLessThan(html.indexOf('order-write'));
    expect(html).toContain('1 more (the fastest of the slowest) in result.json');
    expect(html).toContain('7 failed requests past the cap of 500');
    expect(html).toContain('/orders?&lt;x&gt;');
    expect(html).not.toContain('<x>');
  });
});
