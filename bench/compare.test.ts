import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { compareSides } from './compare.ts';
import type { BenchContext } from './context.ts';
import { judgeFigure } from './figure.ts';
import { withMainThreadFigures } from './main-thread.ts';
import { runRounds } from './rounds.ts';
import type { BenchTarget } from './start-targets.ts';

// The least a target can be: a node:http server on port 0 in a child process of its own
// (the comparison pins and reads the CPU of each target's pid, so never this process).
const SERVER = `
const server = require('node:http').createServer((req, res) => res.end('{"products":[]}'));
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + server.address().port })));
process.on('SIGTERM', () => process.exit(0));
`;

async function startTiny(started: BenchTarget[]): Promise<BenchTarget> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  let exited = false;
  child.once('exit', () => (exited = true));
  const target: BenchTarget = {
    url: (JSON.parse(line) as { url: string }).url,
    pid: child.pid!,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
  started.push(target);
  return target;
}

/** Two kept rounds of 0.3 s at 40 req/s after `warmup` rounds; targets come from the spec's `start`. */
function tinyContext(warmup: number): BenchContext {
  const options = {
    ...{ durationS: 0.3, rounds: 2, warmup, saturationS: 0.3, saturationRounds: 1, loadShare: 0.3 },
    ...{ rates: { menu: 40 }, connections: 2, log: () => {} },
  };
  return {
    options,
    otlp: 'http://127.0.0.1:9',
    work: '',
    rounds: (label, fn, counts) => runRounds(label, { rounds: 2, warmup, log: options.log, ...counts }, fn),
    startRaw: () => Promise.reject(new Error('not used')),
    startService: () => Promise.reject(new Error('not used')),
  };
}

describe('a comparison of sides at a fixed rate', () => {
  it('gives a pair marked for it new processes in every round, and stops them after it', async () => {
    const started: BenchTarget[] = [];
    const labels: string[] = [];
    const ctx = tinyContext(1);
    const result = await compareSides(ctx, {
      route: 'menu',
      labels: ['a', 'c'],
      start: (label) => (labels.push(label), startTiny(started)),
      // The other pairs' cadence (new processes every 3 kept rounds) is run.test.ts's.
      pairs: [{ name: 'a vs c', over: 'a', under: 'c', newProcessesEachRound: true }],
    });
    const cpu = (name: string) => result.figures.find((f) => f.name === `${name}, CPU per request`)!;
    // Its own two processes in each of the 3 rounds (warm-up included).
    expect(cpu('a vs c').details).toMatchObject({ processSets: 3 });
    expect(cpu('a vs c').rounds).toHaveLength(2);
    for (const round of cpu('a vs c').rounds ?? []) expect(round.sides).toHaveProperty('c.cpuUs');
    // One per side for the throughput rounds, then a pair of processes per round.
    expect(labels).toEqual(['a', 'c', 'a', 'c', 'a', 'c', 'a', 'c']);
    // Nothing is left running.
    const alive = started.filter((t) => {
      try {
        process.kill(t.pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  }, 60_000);

  it('judges a pair marked for it on its main thread, the whole process beside it as information', async () => {
    const started: BenchTarget[] = [];
    const ctx = tinyContext(0);
    const pair = { name: 'a vs c', over: 'a', under: 'c', budget: 0.5, judge: 'mainThread' } as const;
    try {
      const result = await compareSides(ctx, {
        route: 'menu',
        labels: ['a', 'c'],
        start: () => startTiny(started),
        pairs: [pair],
      });
      const figures = withMainThreadFigures(result, [pair]).map(judgeFigure);
      expect(figures.map((f) => [f.name, f.kind, f.budget])).toEqual([
        ['a vs c, CPU per request (whole process, information)', 'info', undefined],
        ['a vs c, main-thread CPU per request', 'primary', 0.5],
        ['a vs c, throughput at saturation (information)', 'info', undefined],
      ]);
      const [whole, main] = figures;
      // The judged figure's rounds are the main threads' ratios of the same rounds.
      expect(main!.rounds.map((r) => r.value)).toEqual(
        whole!.rounds.map((r) => (r.sides!.c!.mainCpuUs ?? 0) / (r.sides!.a!.mainCpuUs ?? 1)),
      );
      expect(['met', 'inconclusive', 'missed']).toContain(main!.verdict);
      expect(whole!.verdict).toBe('info');
    } finally {
      await Promise.all(started.map((t) => t.stop()));
    }
  }, 60_000);
});
