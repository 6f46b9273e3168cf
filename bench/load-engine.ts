/**
 * The load engine against plain autocannon (part of `coffee bench`), each generator in a
 * process of its own with a raw GET /menu target of its own (generators.ts):
 * - primary: each generator's own CPU per request (its process's user + system) with both
 *   flat out at the same time on one CPU, plain autocannon's over the engine's, budget
 *   >= 0.95: what the budget asks of the engine is its achieved rate against plain
 *   autocannon's, and flat out a generator's rate is its CPU per request's inverse;
 *   measured side by side, a slow moment of the machine slows both;
 * - information: the same at a fixed arrival rate (`ENGINE_RATE`, or `--rates
 *   load-engine=N`), and the rate each achieves flat out alone, the engine running a
 *   one-request journey at more arrivals than it can serve, with four virtual users per
 *   connection (the surplus arrivals dropped, as k6 drops them).
 *
 * Why not the fixed rate as the primary figure: plain autocannon's `overallRate` sends each
 * second's quota flat out at the second's start, and its CPU per request then depends on
 * how many answers share one wake-up, which moves with how busy the machine is: in two runs
 * of one commit its side ranged 40 to 55 µs and 53 to 74 µs per request while the
 * engine's, spreading its arrivals over the second (1 ms grid), stayed at 63 to 87 µs, and
 * the figure moved from 0.67 to 0.80. Flat out both generators batch all they can, and
 * their costs move together.
 */
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { compareGenerators, GENERATOR_DURATION_FACTOR, generatorRounds } from './generators.ts';

type Side = 'autocannon' | 'engine';

export async function loadEngineFigures(ctx: BenchContext): Promise<FigureInput[]> {
  ctx.options.log('Load engine vs plain autocannon');
  const { rate, pinning, flatOut, atRate, flatOutTogether } = await compareGenerators<Side>(ctx, {
    id: 'load-engine',
    label: 'load engine',
    sides: { autocannon: { generator: 'autocannon' }, engine: { generator: 'engine' } },
    durationS: ctx.options.durationS * GENERATOR_DURATION_FACTOR,
    rounds: ctx.options.rounds,
    // Each round two mirrored halves (generators.ts): as long as the 18 single rounds
    // that came before, whose median moved with the order of starts.
    flatOutTogetherRounds: ctx.options.rounds,
  });
  const details = {
    connections: ctx.options.connections,
    pinning,
    target: 'a raw node:http GET /menu server in a child process for each generator',
  };
  return [
    {
      name: 'Load engine (autocannon engine) vs plain autocannon, generator CPU per request flat out',
      kind: 'primary',
      measure:
        "each generator process's CPU per request, plain autocannon / the engine, both flat out at once on one CPU",
      unit: 'ratio',
      comparator: '>=',
      budget: 0.95,
      rounds: generatorRounds(flatOutTogether, (r) => r.autocannon.cpuUs / r.engine.cpuUs),
      details,
    },
    {
      name: 'Load engine (autocannon engine) vs plain autocannon, generator CPU per request at the same arrival rate (information)',
      kind: 'info',
      measure: `each generator process's CPU per request, plain autocannon / the engine, both at ${rate} req/s at once on one CPU`,
      unit: 'ratio',
      comparator: '>=',
      rounds: generatorRounds(atRate, (r) => r.autocannon.cpuUs / r.engine.cpuUs),
      details: { rate, ...details },
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
