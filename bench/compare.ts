/**
 * A comparison of several targets on one route, in two parts:
 * - throughput: each side driven flat out by autocannon, rounds interleaved (information);
 * - CPU per request, the figure budgets judge: each side driven at the same fixed arrival
 *   rate (open-load.ts; a share of the slower side's throughput, so below either side's
 *   saturation), its process's CPU time (whole process and main thread) over the requests
 *   it served, rounds interleaved. With `fresh`, every round starts new processes of every
 *   side (a side whose state grows, such as stored orders, then has the same history as
 *   the others) and warms them up at the rate before measuring.
 */
import autocannon from 'autocannon';
import type { BenchContext } from './context.ts';
import type { FigureInput, Round } from './figure.ts';
import { median } from './judge.ts';
import { openLoad, type OpenRequest } from './open-load.ts';
import { cpuTimes, rssMb } from './proc.ts';
import type { MeasuredRound } from './rounds.ts';
import type { BenchTarget } from './start-targets.ts';

export type Route = 'menu' | 'orders';

/** A figure of a comparison: `over` against `under`, bigger is better. */
export interface Pair {
  name: string;
  over: string;
  under: string;
  budget?: number;
}

export interface ComparisonSpec {
  route: Route;
  labels: readonly string[];
  start: (label: string) => Promise<BenchTarget>;
  /** New processes for every round of the CPU part. */
  fresh: boolean;
  pairs: readonly Pair[];
}

/** What one side measured in one CPU round, per request served. */
export interface CpuSample {
  cpuUs: number;
  mainCpuUs: number;
  ticksCpuUs: number;
  achievedRps: number;
  errors: number;
  queuedPeak: number;
}

type CpuRounds = MeasuredRound<Record<string, CpuSample>>[];
type RateRounds = MeasuredRound<Record<string, number>>[];

export interface ComparisonResult {
  figures: FigureInput[];
  rate: number;
  /** Median CPU per request of each side (whole process and main thread), in µs. */
  cpuUs: Record<string, number>;
  mainCpuUs: Record<string, number>;
  /** Peak resident memory of each side during the throughput rounds, and its 2xx answers. */
  peakRssMb: Record<string, number>;
  okAnswers: Record<string, number>;
}

let orderCounter = 0;
const ORDER_BODY = JSON.stringify({
  items: [
    { productId: 'latte', quantity: 2 },
    { productId: 'croissant', quantity: 1 },
  ],
});

function orderHeaders(target: BenchTarget): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
    'idempotency-key': `bench-${process.pid}-${++orderCounter}`,
  };
}

function openRequest(route: Route, target: BenchTarget): OpenRequest {
  if (route === 'menu') return { method: 'GET', path: '/menu' };
  return { method: 'POST', path: '/orders', headers: orderHeaders(target), body: ORDER_BODY };
}

function cannonRequests(route: Route, target: BenchTarget): autocannon.Request[] {
  if (route === 'menu') return [{ method: 'GET', path: '/menu' }];
  return [
    {
      method: 'POST',
      path: '/orders',
      body: ORDER_BODY,
      setupRequest: (request: autocannon.Request) => ({ ...request, headers: orderHeaders(target) }),
    },
  ];
}

/** A rate with two significant digits, rounded down, so runs on one machine tend to pick the same. */
export function roundRate(rate: number): number {
  if (rate < 10) return Math.max(1, Math.floor(rate));
  const step = 10 ** (Math.floor(Math.log10(rate)) - 1);
  return Math.floor(rate / step) * step;
}

const ordered = <T>(xs: readonly T[], reversed: boolean) => (reversed ? [...xs].reverse() : [...xs]);

class Comparison {
  readonly #ctx: BenchContext;
  readonly #spec: ComparisonSpec;
  readonly peakRssMb: Record<string, number> = {};
  readonly okAnswers: Record<string, number> = {};

  constructor(ctx: BenchContext, spec: ComparisonSpec) {
    this.#ctx = ctx;
    this.#spec = spec;
  }

  async run(): Promise<ComparisonResult> {
    const { labels, fresh } = this.#spec;
    const targets = await this.#startAll();
    const saturation = await this.#throughputRounds(targets);
    if (fresh) await Promise.all(Object.values(targets).map((t) => t.stop()));
    const slowest = Math.min(...labels.map((l) => median(saturation.map((r) => r.result[l]!))));
    const rate = this.#ctx.options.rates?.[this.#spec.route] ?? roundRate(slowest * this.#ctx.options.loadShare);
    this.#ctx.options.log(`  ${this.#spec.route}: CPU per request at ${rate} req/s`);
    const cpu = await this.#cpuRounds(rate, fresh ? undefined : targets);
    if (!fresh) await Promise.all(Object.values(targets).map((t) => t.stop()));
    const cpuUs = Object.fromEntries(labels.map((l) => [l, median(cpu.map((r) => r.result[l]!.cpuUs))]));
    const mainCpuUs = Object.fromEntries(labels.map((l) => [l, median(cpu.map((r) => r.result[l]!.mainCpuUs))]));
    const figures = this.#spec.pairs.flatMap((pair) => [
      this.#cpuFigure(pair, cpu, rate),
      this.#throughputFigure(pair, saturation),
    ]);
    return { figures, rate, cpuUs, mainCpuUs, peakRssMb: this.peakRssMb, okAnswers: this.okAnswers };
  }

  /** One at a time: several processes starting at once on two busy cores can miss their start timeout. */
  async #startAll(): Promise<Record<string, BenchTarget>> {
    const targets: Record<string, BenchTarget> = {};
    for (const label of this.#spec.labels) targets[label] = await this.#spec.start(label);
    return targets;
  }

  async #throughputRounds(targets: Record<string, BenchTarget>): Promise<RateRounds> {
    const { saturationRounds, saturationS, connections } = this.#ctx.options;
    return this.#ctx.rounds(
      `${this.#spec.route} throughput`,
      async (_, reversed) => {
        const rps: Record<string, number> = {};
        for (const label of ordered(this.#spec.labels, reversed)) {
          const target = targets[label]!;
          let peak = 0;
          const sampler = setInterval(() => void rssMb(target.pid).then((mb) => (peak = Math.max(peak, mb))), 250);
          const result = await autocannon({
            url: target.url,
            connections,
            duration: saturationS,
            requests: cannonRequests(this.#spec.route, target),
          });
          clearInterval(sampler);
          this.peakRssMb[label] = Math.max(this.peakRssMb[label] ?? 0, peak);
          this.okAnswers[label] = (this.okAnswers[label] ?? 0) + result['2xx'];
          rps[label] = result.requests.total / saturationS;
        }
        return rps;
      },
      { rounds: saturationRounds, warmup: 1 },
    );
  }

  async #cpuRounds(rate: number, persistent: Record<string, BenchTarget> | undefined): Promise<CpuRounds> {
    return this.#ctx.rounds(`${this.#spec.route} CPU per request`, async (_, reversed) => {
      const targets = persistent ?? (await this.#startAll());
      try {
        const samples: Record<string, CpuSample> = {};
        const labels = ordered(this.#spec.labels, reversed);
        // Fresh processes: the JIT and V8's young generation warm up at the rate first.
        const warmS = Math.max(1, this.#ctx.options.durationS / 2);
        if (!persistent) for (const l of labels) await this.#atRate(targets[l]!, rate, warmS);
        for (const l of labels) samples[l] = await this.#atRate(targets[l]!, rate, this.#ctx.options.durationS);
        return samples;
      } finally {
        if (!persistent) await Promise.all(Object.values(targets).map((t) => t.stop()));
      }
    });
  }

  async #atRate(target: BenchTarget, rate: number, durationS: number): Promise<CpuSample> {
    const before = await cpuTimes(target.pid);
    const result = await openLoad({
      url: target.url,
      rate,
      durationS,
      connections: this.#ctx.options.connections,
      request: () => openRequest(this.#spec.route, target),
    });
    const after = await cpuTimes(target.pid);
    const served = Math.max(1, result.ok + result.errors);
    return {
      cpuUs: (after.processUs - before.processUs) / served,
      mainCpuUs: (after.mainUs - before.mainUs) / served,
      ticksCpuUs: (after.processTicksUs - before.processTicksUs) / served,
      achievedRps: result.achievedRps,
      errors: result.errors,
      queuedPeak: result.queuedPeak,
    };
  }

  #cpuFigure(pair: Pair, cpu: CpuRounds, rate: number): FigureInput {
    const rounds: Round[] = cpu.map((r) => {
      const [over, under] = [r.result[pair.over]!, r.result[pair.under]!];
      return {
        value: under.cpuUs / over.cpuUs,
        stealPct: r.stealPct,
        load1: r.load1,
        repeated: r.repeated,
        sides: { [pair.over]: { ...over }, [pair.under]: { ...under } },
      };
    });
    const mainRatios = cpu.map((r) => r.result[pair.under]!.mainCpuUs / r.result[pair.over]!.mainCpuUs);
    const sideMedian = (label: string, key: keyof CpuSample) => round2(median(cpu.map((r) => r.result[label]![key])));
    return {
      name: `${pair.name}, CPU per request`,
      kind: pair.budget === undefined ? 'info' : 'primary',
      measure: `CPU per request (whole process, user + system) of ${pair.under} / ${pair.over}, at ${rate} req/s`,
      unit: 'ratio',
      comparator: '>=',
      ...(pair.budget === undefined ? {} : { budget: pair.budget }),
      rounds,
      details: {
        rate,
        [`${pair.over}CpuUs`]: sideMedian(pair.over, 'cpuUs'),
        [`${pair.under}CpuUs`]: sideMedian(pair.under, 'cpuUs'),
        mainThreadRatio: round2(median(mainRatios)),
        mainThreadRatioMin: round2(Math.min(...mainRatios)),
        mainThreadRatioMax: round2(Math.max(...mainRatios)),
        errors: cpu.reduce((s, r) => s + r.result[pair.over]!.errors + r.result[pair.under]!.errors, 0),
      },
    };
  }

  #throughputFigure(pair: Pair, saturation: RateRounds): FigureInput {
    return {
      name: `${pair.name}, throughput at saturation (information)`,
      kind: 'info',
      measure: `requests per second flat out (autocannon, ${this.#ctx.options.connections} connections), ${pair.over} / ${pair.under}`,
      unit: 'ratio',
      comparator: '>=',
      rounds: saturation.map((r) => ({
        value: r.result[pair.over]! / r.result[pair.under]!,
        stealPct: r.stealPct,
        load1: r.load1,
        sides: {
          [pair.over]: { rps: Math.round(r.result[pair.over]!) },
          [pair.under]: { rps: Math.round(r.result[pair.under]!) },
        },
      })),
    };
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export async function compareSides(ctx: BenchContext, spec: ComparisonSpec): Promise<ComparisonResult> {
  return new Comparison(ctx, spec).run();
}
