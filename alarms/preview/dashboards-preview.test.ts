/**
 * The dashboards drawn from a real short run, opened in headless Chromium: every widget of
 * every CloudWatch body is on the page, each widget naming a metric the run emitted drew
 * data, the AWS-vended ones say so, and the page loads offline with no console error.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../service/index.ts';
import { requireOnPath } from '../../service/testing/index.ts';
import { runLoad } from '../../loadtests/index.ts';
import { buildCloudWatchDashboards } from '../../dashboards/index.ts';
import { writeReportPage } from '../../cli/index.ts';
import { seriesFromEmf } from '../emf-series.ts';
import { dashboardsPreview, type DashboardsPreview } from './dashboards-preview.ts';

interface DrawnTile {
  kind: string;
  outcome: string;
  emitted: boolean;
  title: string;
  /** Points the tile's chart drew, or -1 without a chart. */
  points: number;
}

let dir: string;
let browser: Browser;
let preview: DashboardsPreview;
let drawn: Record<string, DrawnTile[]>;
const errors: string[] = [];

beforeAll(async () => {
  const executablePath = requireOnPath('chromium');
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-preview-'));
  const emfFile = path.join(dir, 'emf.jsonl');
  const logFile = path.join(dir, 'service.log');
  const stack = await startLocalStack({
    rateLimit: false,
    telemetry: { metrics: 'emf', emfFile, exportIntervalMs: 1_000, logLevel: 'info', logFile },
  });
  try {
    await runLoad({ target: stack.url, profile: 'smoke', durationS: 3, rate: 8, seed: 5, runId: 'preview-test' });
  } finally {
    await stack.stop();
  }
  const series = seriesFromEmf((await readFile(emfFile, 'utf8')).split('\n'));
  const logLines = (await readFile(logFile, 'utf8')).split('\n');
  preview = dashboardsPreview({ series, logLines });
  const file = await writeReportPage(dir, {
    title: 'preview',
    headline: '<h1>preview</h1>',
    sections: preview.sections,
  });

  browser = await chromium.launch({ executablePath });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-charts-ready]');
  drawn = await page.$$eval('.cw-grid', (grids) =>
    Object.fromEntries(
      grids.map((grid) => [
        grid.getAttribute('data-dashboard')!,
        [...grid.querySelectorAll(':scope > .cw-tile')].map((tile) => {
          const plot = tile.querySelector('.plot');
          return {
            kind: tile.getAttribute('data-kind')!,
            outcome: tile.getAttribute('data-outcome')!,
            emitted: tile.getAttribute('data-emitted') === 'true',
            title: tile.querySelector('.cw-title')?.textContent ?? '',
            points: plot ? Number(plot.getAttribute('data-points')) : -1,
          };
        }),
      ]),
    ),
  );
  await page.close();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the dashboards drawn from a run', () => {
  it('has every widget of every CloudWatch body, in the same number, and loads with no console error', () => {
    const bodies = buildCloudWatchDashboards({ accountId: '000000000000' });
    expect(Object.keys(drawn)).toEqual(bodies.map((b) => b.name));
    for (const body of bodies) {
      expect(
        drawn[body.name]!.map((t) => t.kind),
        body.name,
      ).toEqual(body.body.widgets.map((w) => w.type));
    }
    expect(errors).toEqual([]);
  });

  it('draws data in every widget that names a metric the run emitted', () => {
    const emitted = Object.values(drawn)
      .flat()
      .filter((t) => t.emitted);
    // The smoke run touches the request, DynamoDB, cache and business metrics at least.
    expect(emitted.length).toBeGreaterThan(20);
    for (const tile of emitted) {
      expect(tile.outcome, tile.title).toBe('drawn');
      if (tile.points !== -1) expect(tile.points, tile.title).toBeGreaterThan(0);
    }
  });

  it('marks the AWS-vended widgets "in AWS only", runs the log widgets and shows the alarms', () => {
    const tiles = Object.values(drawn).flat();
    const cost = drawn['coffee-cloud-cost']!.filter((t) => t.kind === 'metric');
    expect(cost.every((t) => t.outcome === 'aws-only')).toBe(true);
    expect(tiles.find((t) => t.title === 'Lambda duration (ms)')?.outcome).toBe('aws-only');
    expect(tiles.find((t) => t.title === 'Slowest requests (Logs Insights)')?.outcome).toBe('drawn');
    expect(tiles.filter((t) => t.kind === 'alarm').every((t) => t.outcome === 'drawn')).toBe(true);
  });
});
