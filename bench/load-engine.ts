/**
 * The load engine's benchmark figure (part of `coffee bench`): the request rate the
 * engine achieves against plain autocannon with the same connections on the same target,
 * budget >= 0.95, with both generators' own CPU use.
 *
 * The target is target.ts's raw GET /menu server in a child process. The engine runs a
 * one-request journey (GET /menu, no think time) flat out: an arrival rate three times what
 * autocannon reached, and four virtual users per connection, so a socket that answers
 * always has the next request waiting for it (written from the answer's callback, as
 * autocannon does) and the surplus arrivals are dropped, as k6 drops them. Rounds are interleaved (autocannon,
 * engine, autocannon, engine) and the best of each side counts, so a noisy neighbour on
 * the machine hurts neither side more.
 */
import autocannon from 'autocannon';
import { runHeaders, runLoad, type Journey } from '../loadtests/index.ts';
import type { BenchFigure } from './figure.ts';
import { startRawTarget } from './start-targets.ts';

export interface LoadEngineBenchOptions {
  connections?: number;
  durationS?: number;
  rounds?: number;
  log?: (line: string) => void;
}

const menuOnly: Journey = {
  name: 'bench-menu',
  description: 'one GET /menu',
  weight: 1,
  thinkTimeMs: { min: 0, max: 0 },
  steps: [{ name: 'menu read', request: () => ({ route: 'GET /menu', path: '/menu', expect: [200] }) }],
};

function cpuSeconds(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

export async function benchLoadEngine(options: LoadEngineBenchOptions = {}): Promise<BenchFigure[]> {
  const { connections = 32, durationS = 4, rounds = 2, log = () => {} } = options;
  const target = await startRawTarget('raw-menu');
  try {
    // autocannon sends the same headers as the engine, so the target does the same work.
    const headers = { ...runHeaders('bench'), accept: 'application/json' };
    const plain: { rps: number; cpu: number }[] = [];
    const engine: { rps: number; cpu: number; dropped: number }[] = [];
    // A short warm-up of both, so neither side pays for JIT compilation in its first round.
    await autocannon({ url: `${target.url}/menu`, connections, duration: 1, headers });
    await runLoad({
      target: target.url,
      profile: 'smoke',
      durationS: 1,
      rate: 20_000,
      journeys: [menuOnly],
      connections,
      maxVUs: connections * 4,
      runId: 'bench-warmup',
    });
    for (let round = 0; round < rounds; round++) {
      let cpu = process.cpuUsage();
      const a = await autocannon({ url: `${target.url}/menu`, connections, duration: durationS, headers });
      plain.push({ rps: a.requests.total / durationS, cpu: cpuSeconds(cpu) / durationS });
      log(`load engine bench round ${round + 1}: autocannon ${plain.at(-1)!.rps.toFixed(0)} req/s`);

      cpu = process.cpuUsage();
      const rate = Math.ceil(Math.max(...plain.map((p) => p.rps)) * 3);
      const result = await runLoad({
        target: target.url,
        profile: 'smoke',
        durationS,
        rate,
        journeys: [menuOnly],
        connections,
        maxVUs: connections * 4,
        runId: 'bench',
      });
      const seconds = result.durationMs / 1000;
      engine.push({
        rps: result.totals.requests / seconds,
        cpu: cpuSeconds(cpu) / seconds,
        dropped: result.totals.iterations.dropped,
      });
      log(
        `load engine bench round ${round + 1}: engine ${engine.at(-1)!.rps.toFixed(0)} req/s (${result.totals.failures} failures)`,
      );
    }
    const best = <T extends { rps: number }>(runs: T[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
    const a = best(plain);
    const e = best(engine);
    return [
      {
        name: 'Load engine (autocannon engine) achieved rate vs plain autocannon, same connections, same target',
        value: e.rps / a.rps,
        budget: 0.95,
        comparator: '>=',
        unit: 'ratio',
        details: {
          connections,
          durationS,
          rounds,
          autocannonRps: Math.round(a.rps),
          engineRps: Math.round(e.rps),
          autocannonCpuShareOfOneCore: Number(a.cpu.toFixed(3)),
          engineCpuShareOfOneCore: Number(e.cpu.toFixed(3)),
          autocannonCpuMicrosPerRequest: Number(((a.cpu / a.rps) * 1e6).toFixed(2)),
          engineCpuMicrosPerRequest: Number(((e.cpu / e.rps) * 1e6).toFixed(2)),
          target: 'raw node:http GET /menu server in a child process',
        },
      },
    ];
  } finally {
    await target.stop();
  }
}
