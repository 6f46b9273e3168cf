import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statistic } from './evaluate.ts';
import { HistoryFileError, readHistoryFile } from './history-file.ts';
import { withRecordedHistory } from './history.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffee-history-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const EXPORT = {
  MetricDataQueries: [
    {
      Id: 'total',
      MetricStat: {
        Metric: {
          Namespace: 'CoffeeCloud',
          MetricName: 'HttpRequestDuration',
          Dimensions: [
            { Name: 'Service', Value: 'coffee-cloud' },
            { Name: 'RouteGroup', Value: 'order-write' },
          ],
        },
        Period: 60,
        Stat: 'SampleCount',
      },
    },
  ],
  MetricDataResults: [
    { Id: 'total', Timestamps: ['2026-01-01T00:01:00Z', '2026-01-01T00:00:00Z'], Values: [1200, 1000] },
  ],
};

describe('history files', () => {
  it('read a GetMetricData export with its queries: a SampleCount becomes that many samples', async () => {
    const file = join(dir, 'export.json');
    await writeFile(file, JSON.stringify(EXPORT));
    const history = await readHistoryFile(file);
    if (history.kind !== 'recorded') throw new Error('expected a recorded history');
    expect(history.series).toHaveLength(1);
    const [series] = history.series;
    expect(series!.dimensions).toEqual({ Service: 'coffee-cloud', RouteGroup: 'order-write' });
    expect(statistic('SampleCount', series!.observations)).toBe(2200);
    // Shifted to end a minute before the run, and cut to the longest window.
    const runStart = Date.UTC(2026, 5, 1);
    const [shifted] = withRecordedHistory([], history.series, { runStart, lengthMs: 120_000 });
    expect(shifted!.observations.map((o) => o.timestamp).sort()).toEqual([runStart - 120_000, runStart - 60_000]);
    const [cut] = withRecordedHistory([], history.series, { runStart, lengthMs: 90_000 });
    expect(cut!.observations.map((o) => o.timestamp)).toEqual([runStart - 60_000]);
  });

  it('read EMF lines, and say what is wrong with a file that holds neither', async () => {
    const emf = join(dir, 'emf.jsonl');
    await writeFile(
      emf,
      `${JSON.stringify({ _aws: { Timestamp: 1000, CloudWatchMetrics: [{ Namespace: 'CoffeeCloud', Dimensions: [['Service']], Metrics: [{ Name: 'OrdersPlaced' }] }] }, Service: 'coffee-cloud', OrdersPlaced: 3 })}\n`,
    );
    expect((await readHistoryFile(emf)).kind).toBe('recorded');
    const empty = join(dir, 'empty.txt');
    await writeFile(empty, 'nothing here\n');
    await expect(readHistoryFile(empty)).rejects.toThrow(HistoryFileError);
    await expect(readHistoryFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read the history file/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, JSON.stringify({ MetricDataQueries: [], MetricDataResults: [{ Id: 'x' }] }));
    await expect(readHistoryFile(broken)).rejects.toThrow(/result x has no MetricStat query/);
  });
});
