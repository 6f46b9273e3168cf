/**
 * The report opened in a real headless Chromium: it must load with no console error, and
 * every chart must have drawn data (points in its series and ink on its canvas).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireOnPath, startLocalStack, type LocalStack } from '../../service/index.ts';
import { runLoad } from '../run-load.ts';
import type { LoadResult } from '../shared/result.ts';
import { writeReport } from './html.ts';

let dir: string;
let stack: LocalStack;
let browser: Browser;
let result: LoadResult;

beforeAll(async () => {
  const executablePath = requireOnPath('chromium');
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-report-'));
  stack = await startLocalStack({ rateLimit: false });
  const start = Date.now();
  result = await runLoad({ target: stack.url, profile: 'smoke', durationS: 2.5, rate: 6, seed: 3, runId: 'report-test' });
  // A fault window in epoch ms, as the fault experiments pass it.
  await writeReport(result, {
    out: dir,
    faultWindows: [{ label: 'dynamodb throttling', startMs: start + 500, endMs: start + 1500 }],
    extraSections: [{ title: 'Invariants', html: '<table id="invariants"><tr><td>no acknowledged order lost</td><td>pass</td></tr></table>' }],
  });
  browser = await chromium.launch({ executablePath });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('report.html', () => {
  it('opens offline with no console error and every chart drawn with data', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(path.join(dir, 'report.html')).href);
    await page.waitForSelector('body[data-charts-ready]');

    const charts = await page.$$eval('.plot', (plots) =>
      plots.map((plot) => {
        const canvas = plot.querySelector('canvas')!;
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        // Pixels in a series colour (blue, green or purple: the first, third and fourth of the
        // palette), so axes, grid, bands and the red fault label do not count as data.
        const colours = [[37, 99, 235], [22, 163, 74], [147, 51, 234]];
        let inked = 0;
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3]! < 128) continue;
          if (colours.some(([r, g, b]) => Math.abs(pixels[i]! - r!) < 40 && Math.abs(pixels[i + 1]! - g!) < 40 && Math.abs(pixels[i + 2]! - b!) < 40)) inked++;
        }
        return { id: plot.id, points: Number(plot.getAttribute('data-points')), inked };
      }),
    );
    expect(errors).toEqual([]);
    // Self-contained: nothing but the file itself was loaded.
    expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
    const groups = Object.keys(result.routeGroups).sort();
    expect(charts.map((c) => c.id)).toEqual(['chart-throughput', ...groups.map((g) => `chart-latency-${g}`), 'chart-status-codes']);
    for (const chart of charts) {
      expect(chart.points, chart.id).toBeGreaterThan(0);
      expect(chart.inked, chart.id).toBeGreaterThan(0);
    }
    expect(await page.textContent('#invariants')).toContain('no acknowledged order lost');
    await page.close();
  });

  it('embeds the phases and the fault window (converted to run time) for the bands', async () => {
    const html = await readFile(path.join(dir, 'report.html'), 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as { phases: { name: string }[]; faults: { label: string; start: number; end: number }[] };
    expect(data.phases.map((p) => p.name)).toEqual(['steady']);
    expect(data.faults).toHaveLength(1);
    expect(data.faults[0]!.label).toBe('dynamodb throttling');
    expect(data.faults[0]!.end - data.faults[0]!.start).toBeCloseTo(1, 5);
    expect(data.faults[0]!.start).toBeGreaterThan(-5);
    expect(data.faults[0]!.start).toBeLessThan(5);
  });
});
