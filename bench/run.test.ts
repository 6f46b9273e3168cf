import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareSides } from './compare.ts';
import type { FigureSource } from './context.ts';
import { formatBench, runBench } from './run.ts';
import { benchFileSchema } from './schema.ts';

// One cheap figure through the whole machinery: two raw targets in child processes, the
// throughput and fixed-rate rounds, the judging, the file and the table.
const cheap: FigureSource = {
  id: 'raw-vs-bare',
  measure: async (ctx) =>
    (
      await compareSides(ctx, {
        route: 'menu',
        labels: ['raw', 'bare'],
        start: (label) => ctx.startRaw(label === 'raw' ? 'raw-menu' : 'raw-menu-bare'),
        pairs: [{ name: 'raw vs bare', over: 'raw', under: 'bare', budget: 0.5 }],
      })
    ).figures,
};

const dir = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('coffee bench, end to end', () => {
  it('writes every figure with its rounds, range, verdict and the machine in the documented schema', async () => {
    const file = join(dir, 'bench.json');
    const lines: string[] = [];
    const returned = await runBench({
      // Half-second rounds: 30 requests per side at 60/s, enough to read CPU per request.
      durationS: 0.5,
      // Enough rounds for the pairs to get new processes once (every 3 kept rounds).
      rounds: 4,
      warmup: 1,
      saturationS: 0.5,
      saturationRounds: 1,
      loadShare: 0.3,
      rates: { menu: 60 },
      connections: 4,
      file,
      sources: [cheap],
      log: (l) => lines.push(l),
    });
    const written = benchFileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    expect(written).toEqual(returned);
    expect(written.options.figures).toEqual(['raw-vs-bare']);
    expect(written.figures.map((f) => [f.name, f.kind, f.rounds.length])).toEqual([
      ['raw vs bare, CPU per request', 'primary', 4],
      ['raw vs bare, throughput at saturation (information)', 'info', 1],
    ]);
    expect(written.figures[0]!.rounds[0]!.sides).toHaveProperty('raw.cpuUs');
    expect(written.figures[0]!.details).toMatchObject({ rate: 60, processSets: 2 });
    expect(written.figures[0]!.rounds[0]!.stealPct).toEqual(expect.any(Number));
    expect(lines.some((l) => l.includes('round 4/4'))).toBe(true);
    expect(formatBench(written)).toContain('raw vs bare, CPU per request');
  });

  it('names the figure modules it knows when asked for one it does not', async () => {
    await expect(
      runBench({
        ...{ durationS: 1, rounds: 1, warmup: 0, saturationS: 1, saturationRounds: 1 },
        loadShare: 0.5,
        connections: 1,
        file: join(dir, 'x.json'),
        only: ['nope'],
        log: () => {},
      }),
    ).rejects.toThrow(/unknown bench figure nope \(known: menu, orders, cold-start, load-engine/);
  });
});
