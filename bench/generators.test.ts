import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchContext } from './context.ts';
import { compareGenerators, GeneratorProcess, mergeHalves, type GeneratorResult } from './generators.ts';
import { runRounds } from './rounds.ts';
import { startRawTarget, type BenchTarget } from './start-targets.ts';

let target: BenchTarget;
let generator: GeneratorProcess;

beforeAll(async () => {
  [target, generator] = await Promise.all([startRawTarget('raw-menu'), GeneratorProcess.start()]);
});
afterAll(() => Promise.all([generator?.stop(), target?.stop()]));

describe('two mirrored halves of a flat-out round', () => {
  const result = (requests: number, seconds: number, cpuUs: number, pushFailures = 0): GeneratorResult => ({
    requests,
    rps: requests / seconds,
    cpuUs,
    mainCpuUs: cpuUs / 2,
    pushFailures,
  });

  it('weigh each half by the requests it sent', () => {
    const merged = mergeHalves(
      { engine: result(1000, 1, 60), autocannon: result(3000, 1, 40, 1) },
      { engine: result(3000, 2, 80), autocannon: result(1000, 1, 20, 2) },
    );
    expect(merged.engine).toEqual({ requests: 4000, rps: 4000 / 3, cpuUs: 75, mainCpuUs: 37.5, pushFailures: 0 });
    expect(merged.autocannon).toEqual({ requests: 4000, rps: 2000, cpuUs: 35, mainCpuUs: 17.5, pushFailures: 3 });
  });

  it('give no CPU per request for sides that sent nothing', () => {
    const merged = mergeHalves({ engine: result(0, 1, 0) }, { engine: result(0, 1, 0) });
    expect(merged.engine).toEqual({ requests: 0, rps: 0, cpuUs: 0, mainCpuUs: 0, pushFailures: 0 });
  });
});

describe('a load generator in a process of its own', () => {
  it('runs the engine and plain autocannon at a fixed rate and reads its own CPU per request', async () => {
    const base = { url: target.url, durationS: 1, rate: 100, connections: 2, runId: 'generators-test' };
    const engine = await generator.run({ ...base, generator: 'engine' });
    const cannon = await generator.run({ ...base, generator: 'autocannon' });
    for (const run of [engine, cannon]) {
      expect(run.requests).toBeGreaterThan(50);
      expect(run.requests).toBeLessThanOrEqual(110);
      expect(run.cpuUs).toBeGreaterThan(0);
      expect(run.mainCpuUs).toBeGreaterThan(0);
      expect(run.mainCpuUs).toBeLessThanOrEqual(run.cpuUs);
      expect(run.pushFailures).toBe(0);
    }
  });

  it('counts the pushes a remote-write sink could not make, and goes on serving jobs', async () => {
    const run = await generator.run({
      generator: 'engine',
      url: target.url,
      durationS: 1,
      rate: 50,
      connections: 2,
      runId: 'generators-test-rw',
      // A port nothing listens on: every push fails, the run does not.
      remoteWrite: 'http://127.0.0.1:9/api/v1/write',
    });
    expect(run.requests).toBeGreaterThan(20);
    expect(run.pushFailures).toBeGreaterThan(0);
  });

  it('answers a job it cannot run with an error naming it, and stays up', async () => {
    await expect(
      generator.run({ generator: 'engine', url: 'not a url', durationS: 1, rate: 10, connections: 1, runId: 'x' }),
    ).rejects.toThrow(/bench load generator \(engine\): .+/);
    const again = await generator.run({
      generator: 'engine',
      url: target.url,
      durationS: 1,
      rate: 20,
      connections: 1,
      runId: 'generators-test-again',
    });
    expect(again.requests).toBeGreaterThan(5);
  });

  it('says a generator that died has exited, rather than hanging or crashing the bench', async () => {
    const doomed = await GeneratorProcess.start();
    const job = { generator: 'engine' as const, url: target.url, durationS: 5, rate: 20, connections: 1, runId: 'x' };
    const running = doomed.run(job);
    process.kill(doomed.pid, 'SIGKILL');
    await expect(running).rejects.toThrow(/exited during its engine run/);
    await expect(doomed.run(job)).rejects.toThrow(/has exited/);
    await doomed.stop();
  });
});

describe('two generators compared', () => {
  it('runs both at a fixed rate side by side and, when asked, flat out side by side', async () => {
    const options = {
      ...{ durationS: 0.5, rounds: 1, warmup: 0, saturationS: 0.5, saturationRounds: 1, loadShare: 0.25 },
      ...{ rates: { 'generators-test': 50 }, connections: 2, log: () => {} },
    };
    const started: BenchTarget[] = [];
    const ctx: BenchContext = {
      options,
      otlp: 'http://127.0.0.1:9',
      work: '',
      rounds: (label, fn, counts) => runRounds(label, { rounds: 1, warmup: 0, log: () => {}, ...counts }, fn),
      startRaw: async (kind) => {
        const t = await startRawTarget(kind);
        started.push(t);
        return t;
      },
      startService: () => Promise.reject(new Error('not used')),
    };
    try {
      const result = await compareGenerators(ctx, {
        id: 'generators-test',
        label: 'test',
        sides: { autocannon: { generator: 'autocannon' }, engine: { generator: 'engine' } },
        durationS: 0.5,
        rounds: 1,
        flatOutTogetherRounds: 1,
      });
      expect(result.rate).toBe(50);
      expect(result.atRate).toHaveLength(1);
      expect(result.flatOutTogether).toHaveLength(1);
      const [together] = result.flatOutTogether;
      const [atRate] = result.atRate;
      for (const side of ['autocannon', 'engine'] as const) {
        expect(together!.result[side].cpuUs).toBeGreaterThan(0);
        // Flat out each sent far more than the fixed rate allowed in the same time (25 at
        // 50 req/s; flat out sent 311 in a full suite on a busy machine).
        expect(together!.result[side].requests).toBeGreaterThan(atRate!.result[side].requests * 2);
      }
    } finally {
      await Promise.all(started.map((t) => t.stop()));
    }
  }, 90_000);
});
