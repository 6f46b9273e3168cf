/**
 * The load engine against plain autocannon on the same target (target.ts's raw GET /menu
 * server in a child process), both generators running in this process:
 * - primary: each generator's own CPU per request (this process's user + system) at the
 *   same arrival rate, below either's saturation: plain autocannon's over the engine's,
 *   budget >= 0.95 (at saturation the generator's CPU is what limits its rate);
 * - information: the rate each achieves flat out, the engine running a one-request journey
 *   at three times autocannon's rate with four virtual users per connection (the surplus
 *   arrivals dropped, as k6 drops them).
 *
 * The arrival rate is fixed (`ENGINE_RATE`, or `--rates load-engine=N`) rather than a share
 * of the throughput measured in the run: a generator's CPU per request depends on the rate
 * (how many requests share one wake-up), so a rate that moved with the machine's noise
 * would move the figure with it. Plain autocannon's `overallRate` sends each second's quota
 * flat out at the second's start, the engine spreads it over the second (1 ms grid).
 */
import autocannon from 'autocannon';
import { runHeaders, runLoad, type Journey, type RunLoadOptions } from '../loadtests/index.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { median } from './judge.ts';
import type { BenchTarget } from './start-targets.ts';

/** One GET /menu per journey: the engine's least work per request. */
export const MENU_ONLY: Journey = {
  name: 'bench-menu',
  description: 'one GET /menu',
  weight: 1,
  thinkTimeMs: { min: 0, max: 0 },
  steps: [{ name: 'menu read', request: () => ({ route: 'GET /menu', path: '/menu', expect: [200] }) }],
};

/** The generators' fixed arrival rate (req/s): well below either's saturation on a 2-core machine. */
export const ENGINE_RATE = 7000;

/** Above this share of its saturation a generator's CPU per request is no longer the one of a steady load. */
const SATURATION_SHARE = 0.8;

/**
 * The fixed rate of figure `id`: `--rates ID=N`, else `ENGINE_RATE`, whatever this run's
 * throughput (a rate that followed it would not repeat from run to run); a warning when
 * `flatOut`, the slower side's saturation here, is too close to it for a fair figure.
 */
export function engineRate(ctx: BenchContext, id: string, flatOut: number): number {
  const rate = ctx.options.rates?.[id] ?? ENGINE_RATE;
  if (rate > flatOut * SATURATION_SHARE)
    ctx.options.log(
      `  ${id}: warning: ${rate} req/s is above ${SATURATION_SHARE * 100}% of the saturation measured here ` +
        `(${Math.round(flatOut)} req/s): the machine is busy, the figure measures a generator near its limit`,
    );
  return rate;
}

export interface GeneratorRun {
  requests: number;
  rps: number;
  /** This process's CPU (user + system) per request, µs. */
  cpuUs: number;
}

/** Four virtual users per connection: flat out, a free one always has an arrival waiting. */
const VUS_PER_CONNECTION = 4;

/** One engine run on MENU_ONLY: its achieved rate and this process's CPU per request. */
export async function engineRun(
  options: Pick<RunLoadOptions, 'target' | 'durationS' | 'rate' | 'connections' | 'runId' | 'bucketSink'>,
): Promise<GeneratorRun> {
  const before = process.cpuUsage();
  const result = await runLoad({
    ...options,
    profile: 'smoke',
    journeys: [MENU_ONLY],
    maxVUs: (options.connections ?? 32) * VUS_PER_CONNECTION,
  });
  return generatorRun(before, result.totals.requests, result.durationMs / 1000);
}

function generatorRun(before: NodeJS.CpuUsage, requests: number, seconds: number): GeneratorRun {
  const used = process.cpuUsage(before);
  return { requests, rps: requests / seconds, cpuUs: (used.user + used.system) / Math.max(1, requests) };
}

type Side = 'autocannon' | 'engine';

class LoadEngineBench {
  readonly #ctx: BenchContext;
  readonly #target: BenchTarget;
  // autocannon sends the same headers as the engine, so the target does the same work.
  readonly #headers = { ...runHeaders('bench'), accept: 'application/json' };

  constructor(ctx: BenchContext, target: BenchTarget) {
    this.#ctx = ctx;
    this.#target = target;
  }

  /** `rate` undefined: flat out. */
  async autocannon(durationS: number, rate?: number): Promise<GeneratorRun> {
    const before = process.cpuUsage();
    const result = await autocannon({
      url: `${this.#target.url}/menu`,
      connections: this.#ctx.options.connections,
      duration: durationS,
      headers: this.#headers,
      ...(rate === undefined ? {} : { overallRate: rate }),
    });
    return generatorRun(before, result.requests.total, durationS);
  }

  engine(durationS: number, rate: number): Promise<GeneratorRun> {
    const { connections } = this.#ctx.options;
    return engineRun({ target: this.#target.url, durationS, rate, connections, runId: 'bench' });
  }
}

const order = (reversed: boolean): Side[] => (reversed ? ['engine', 'autocannon'] : ['autocannon', 'engine']);

export async function loadEngineFigures(ctx: BenchContext): Promise<FigureInput[]> {
  ctx.options.log('Load engine vs plain autocannon');
  const target = await ctx.startRaw('raw-menu');
  const bench = new LoadEngineBench(ctx, target);
  const { saturationS, durationS } = ctx.options;
  let best = 0;
  const flatOut = await ctx.rounds(
    'load engine throughput',
    async (_, reversed) => {
      const runs: Partial<Record<Side, GeneratorRun>> = {};
      for (const side of order(reversed)) {
        if (side === 'autocannon') best = Math.max(best, (runs.autocannon = await bench.autocannon(saturationS)).rps);
        else runs.engine = await bench.engine(saturationS, Math.ceil(Math.max(best, 1000) * 3));
      }
      return runs as Record<Side, GeneratorRun>;
    },
    { rounds: ctx.options.saturationRounds, warmup: 1 },
  );
  const slower = Math.min(
    ...(['autocannon', 'engine'] as const).map((s) => median(flatOut.map((r) => r.result[s].rps))),
  );
  const rate = engineRate(ctx, 'load-engine', slower);
  ctx.options.log(`  load engine: generator CPU per request at ${rate} req/s`);
  const atRate = await ctx.rounds('load engine CPU per request', async (_, reversed) => {
    const runs: Partial<Record<Side, GeneratorRun>> = {};
    for (const side of order(reversed))
      runs[side] =
        side === 'autocannon' ? await bench.autocannon(durationS, rate) : await bench.engine(durationS, rate);
    return runs as Record<Side, GeneratorRun>;
  });
  await target.stop();
  const side = ({ rps, cpuUs }: GeneratorRun) => ({ rps, cpuUs });
  const sides = (r: Record<Side, GeneratorRun>) => ({ autocannon: side(r.autocannon), engine: side(r.engine) });
  return [
    {
      name: 'Load engine (autocannon engine) vs plain autocannon, generator CPU per request at the same arrival rate',
      kind: 'primary',
      measure: `this process's CPU per request, plain autocannon / the engine, at ${rate} req/s`,
      unit: 'ratio',
      comparator: '>=',
      budget: 0.95,
      rounds: atRate.map((r) => ({
        value: r.result.autocannon.cpuUs / r.result.engine.cpuUs,
        stealPct: r.stealPct,
        load1: r.load1,
        repeated: r.repeated,
        sides: sides(r.result),
      })),
      details: {
        rate,
        connections: ctx.options.connections,
        target: 'raw node:http GET /menu server in a child process',
      },
    },
    {
      name: 'Load engine (autocannon engine) achieved rate vs plain autocannon flat out (information)',
      kind: 'info',
      measure: 'requests per second flat out, the engine / plain autocannon',
      unit: 'ratio',
      comparator: '>=',
      rounds: flatOut.map((r) => ({
        value: r.result.engine.rps / r.result.autocannon.rps,
        stealPct: r.stealPct,
        load1: r.load1,
        sides: sides(r.result),
      })),
    },
  ];
}
