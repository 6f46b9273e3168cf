/**
 * The load engine against plain autocannon (part of `coffee bench`), each generator in a
 * process of its own with a raw GET /menu target of its own (generators.ts):
 * - primary: each generator's own CPU per request (its process's user + system) with both
 *   at the same fixed arrival rate at the same time on one CPU: plain autocannon's over
 *   the engine's, budget >= 0.95 (at saturation the generator's CPU is what limits its rate);
 * - information: the rate each achieves flat out, alone, the engine running a one-request
 *   journey at more arrivals than it can serve, with four virtual users per connection
 *   (the surplus arrivals dropped, as k6 drops them).
 *
 * The arrival rate is fixed (`ENGINE_RATE`, or `--rates load-engine=N`) rather than a share
 * of the throughput measured in the run: a generator's CPU per request depends on the rate
 * (how many requests share one wake-up), so a rate that moved with the machine's noise
 * would move the figure with it. Plain autocannon's `overallRate` sends each second's quota
 * flat out at the second's start, the engine spreads it over the second (1 ms grid).
 */
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { compareGenerators, GENERATOR_DURATION_FACTOR, generatorRounds } from './generators.ts';

type Side = 'autocannon' | 'engine';

export async function loadEngineFigures(ctx: BenchContext): Promise<FigureInput[]> {
  ctx.options.log('Load engine vs plain autocannon');
  const { rate, pinning, flatOut, atRate } = await compareGenerators<Side>(ctx, {
    id: 'load-engine',
    label: 'load engine',
    sides: { autocannon: { generator: 'autocannon' }, engine: { generator: 'engine' } },
    durationS: ctx.options.durationS * GENERATOR_DURATION_FACTOR,
    rounds: ctx.options.rounds,
  });
  return [
    {
      name: 'Load engine (autocannon engine) vs plain autocannon, generator CPU per request at the same arrival rate',
      kind: 'primary',
      measure: `each generator process's CPU per request, plain autocannon / the engine, both at ${rate} req/s at once on one CPU`,
      unit: 'ratio',
      comparator: '>=',
      budget: 0.95,
      rounds: generatorRounds(atRate, (r) => r.autocannon.cpuUs / r.engine.cpuUs),
      details: {
        rate,
        connections: ctx.options.connections,
        pinning,
        target: 'a raw node:http GET /menu server in a child process for each generator',
      },
    },
    {
      name: 'Load engine (autocannon engine) achieved rate vs plain autocannon flat out (information)',
      kind: 'info',
      measure: 'requests per second flat out, each alone, the engine / plain autocannon',
      unit: 'ratio',
      comparator: '>=',
      rounds: generatorRounds(flatOut, (r) => r.engine.rps / r.autocannon.rps),
    },
  ];
}
