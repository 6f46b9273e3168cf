/**
 * The cost of Prometheus remote write to the Node engine (part of `coffee bench`), set up as
 * the load engine's figure (load-engine.ts, generators.ts): two engine processes, one
 * pushing its buckets to a real Prometheus every second and one not, each against a raw
 * GET /menu target of its own.
 * - primary: each engine's CPU per request with both at the same fixed arrival rate at the
 *   same time on one CPU: sink off / sink on, budget >= 0.95;
 * - information: the rate the engine achieves flat out, on / off.
 * The sink works per time bucket and per series, never per request, so the figure shows
 * what encoding and pushing add to each request's share of the generator's CPU.
 */
import { startPrometheus } from '../loadtests/index.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { compareGenerators, GENERATOR_DURATION_FACTOR, generatorRounds } from './generators.ts';

/** Rounds at least, whatever `--rounds` says: the sink costs a few percent at most, more rounds narrow the median. */
const REMOTE_WRITE_ROUNDS = 7;

type Sink = 'off' | 'on';

/** The figure module: CPU per request at a fixed rate (primary), achieved rate flat out (information). */
export async function remoteWriteFigure(ctx: BenchContext): Promise<FigureInput[]> {
  const { connections, log } = ctx.options;
  log('Prometheus remote write on vs off, the load engine');
  const prometheus = await startPrometheus();
  try {
    // Each run lasts at least 3 s so that it spans several pushes.
    const durationS = Math.max(3, ctx.options.durationS * GENERATOR_DURATION_FACTOR);
    const { rate, pinning, flatOut, atRate } = await compareGenerators<Sink>(ctx, {
      id: 'remote-write',
      label: 'remote write',
      sides: {
        off: { generator: 'engine' },
        on: { generator: 'engine', remoteWrite: `${prometheus.url}/api/v1/write` },
      },
      durationS,
      rounds: Math.max(REMOTE_WRITE_ROUNDS, ctx.options.rounds),
    });
    const runs = [...flatOut, ...atRate];
    return [
      {
        name: 'Load engine (autocannon engine) with Prometheus remote write on vs off, CPU per request',
        kind: 'primary',
        measure: `each engine process's CPU per request, sink off / sink on, both at ${rate} req/s at once on one CPU`,
        unit: 'ratio',
        comparator: '>=',
        budget: 0.95,
        rounds: generatorRounds(atRate, (r) => r.off.cpuUs / r.on.cpuUs),
        details: {
          rate,
          connections,
          durationS,
          pinning,
          pushFailures: runs.reduce((sum, r) => sum + r.result.on.pushFailures, 0),
          runsWithTheSink: runs.length,
          receiver: 'Prometheus (native histograms), push every 1 s',
        },
      },
      {
        name: 'Load engine (autocannon engine) achieved rate flat out with Prometheus remote write on vs off (information)',
        kind: 'info',
        measure: 'requests per second flat out, each alone, on / off',
        unit: 'ratio',
        comparator: '>=',
        rounds: generatorRounds(flatOut, (r) => r.on.rps / r.off.rps),
      },
    ];
  } finally {
    await prometheus.stop();
  }
}
