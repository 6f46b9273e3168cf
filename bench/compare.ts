/**
 * A comparison of several targets on one route, in two parts:
 * - CPU per request, the figure budgets judge. Each figure's two sides are measured side by
 *   side: both driven at the same fixed arrival rate at the same time (open-load.ts; a
 *   share of the slower side's throughput, so below either side's saturation), each
 *   process's CPU time (whole process and main thread) read over the same window and
 *   divided by the requests it served. A machine whose speed drifts from one second to the
 *   next (a shared host's neighbours, the other core's work) then slows both sides of a
 *   ratio alike; measured one after the other, that drift was most of the spread
 *   (docs/performance.md, "The method"). Rounds interleave every pair, the order of pairs
 *   and of the two sides' sends alternating; both targets are pinned to one CPU and the
 *   generator to another (affinity.ts). Every pair has two processes of its own, so
 *   a side whose state grows (stored orders) has the same history as the side it is set
 *   against.
 * - throughput: each side driven flat out by autocannon on processes of their own, rounds
 *   interleaved (information); it also gives the rate.
 */
import autocannon from 'autocannon';
import { Pinning } from './affinity.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput, Round } from './figure.ts';
import { median } from './judge.ts';
import { openLoad, type OpenRequest } from './open-load.ts';
import { cpuTimes } from './proc.ts';
import type { MeasuredRound } from './rounds.ts';
import type { BenchTarget } from './start-targets.ts';

export type Route = 'menu' | 'orders';

/** A figure of a comparison: `over` against `under`, bigger is better. */
export interface Pair {
  name: string;
  over: string;
  under: string;
  budget?: number;
  /**
   * New processes for every round (else every `ROUNDS_PER_PROCESS` kept rounds), for a
   * pair whose sides are different programs (the service against a raw server). Two
   * processes of one program differ by a few percent in CPU per request (code and heap
   * laid out differently, collections at other moments); two different programs differ
   * from one start to the next by more, and differently: in two runs of one commit the
   * service-against-raw ratio of one set of processes ranged from 0.71 to 0.83 while the
   * rounds on one set moved by a few percent, so its median over three sets moved 5%
   * between runs. Its own processes every round make its median one over nine sets.
   */
  newProcessesEachRound?: boolean;
  /**
   * Which CPU the budget judges: the whole process (default), or the main thread, for
   * telemetry designed to move its work off the main thread (spans are recorded there as
   * plain data and a worker thread serialises and sends them; docs/performance.md, "Which
   * CPU"). A Node service's throughput is its main thread's; the whole process's figure
   * is kept beside it (information, main-thread.ts).
   */
  judge?: 'process' | 'mainThread';
}

export interface ComparisonSpec {
  route: Route;
  labels: readonly string[];
  start: (label: string) => Promise<BenchTarget>;
  pairs: readonly Pair[];
  /** A CPU round's measurement lasts this many times `--duration` (default 1). */
  durationFactor?: number;
  /** The fixed rate's share of the slower side's saturation, when `--rates` names none (default `--load-share`). */
  loadShare?: number;
  /** What the CPU figures' measure says besides the rate (e.g. what the measured process leaves out). */
  measureNote?: string;
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

/** Both sides of a pair, measured over the same window. */
export interface PairSample {
  over: CpuSample;
  under: CpuSample;
}

/** Each round: every pair's sample, by the pair's name. */
type CpuRounds = MeasuredRound<Record<string, PairSample>>[];
type RateRounds = MeasuredRound<Record<string, number>>[];

export interface ComparisonResult {
  figures: FigureInput[];
  rate: number;
  /** Median CPU per request of each side (whole process and main thread), in µs. */
  cpuUs: Record<string, number>;
  mainCpuUs: Record<string, number>;
  /** Each side's 2xx answers over the throughput rounds. */
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

/** autocannon's requests for `route` (a new idempotency key per order). */
export function cannonRequests(route: Route, target: BenchTarget): autocannon.Request[] {
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

/** Kept rounds measured on one set of processes before the pairs get new ones. */
const ROUNDS_PER_PROCESS = 3;

const ordered = <T>(xs: readonly T[], reversed: boolean) => (reversed ? [...xs].reverse() : [...xs]);

class Comparison {
  readonly #ctx: BenchContext;
  readonly #spec: ComparisonSpec;
  readonly #pinning: Pinning;
  readonly okAnswers: Record<string, number> = {};
  /** How many times the CPU rounds started the processes of each pair. */
  readonly #processSets = new Map<Pair, number>();

  constructor(ctx: BenchContext, spec: ComparisonSpec, pinning: Pinning) {
    this.#ctx = ctx;
    this.#spec = spec;
    this.#pinning = pinning;
  }

  async run(): Promise<ComparisonResult> {
    const { labels } = this.#spec;
    const targets = await this.#startEach(labels);
    let saturation: RateRounds;
    try {
      saturation = await this.#throughputRounds(Object.fromEntries(labels.map((l, i) => [l, targets[i]!])));
    } finally {
      await Promise.all(targets.map((t) => t.stop()));
    }
    const slowest = Math.min(...labels.map((l) => median(saturation.map((r) => r.result[l]!))));
    const share = this.#spec.loadShare ?? this.#ctx.options.loadShare;
    const rate = this.#ctx.options.rates?.[this.#spec.route] ?? roundRate(slowest * share);
    this.#ctx.options.log(`  ${this.#spec.route}: CPU per request at ${rate} req/s, each pair's sides at once`);
    const cpu = await this.#cpuRounds(rate);
    const cpuUs = this.#sideMedians(cpu, 'cpuUs');
    const mainCpuUs = this.#sideMedians(cpu, 'mainCpuUs');
    const figures = this.#spec.pairs.flatMap((pair) => [
      this.#cpuFigure(pair, cpu, rate),
      this.#throughputFigure(pair, saturation),
    ]);
    return { figures, rate, cpuUs, mainCpuUs, okAnswers: this.okAnswers };
  }

  /** Each label's median over every pair and round it was measured in. */
  #sideMedians(cpu: CpuRounds, key: 'cpuUs' | 'mainCpuUs'): Record<string, number> {
    const values = new Map<string, number[]>();
    for (const round of cpu)
      for (const pair of this.#spec.pairs) {
        const sample = round.result[pair.name]!;
        for (const [label, side] of [
          [pair.over, sample.over],
          [pair.under, sample.under],
        ] as const)
          values.set(label, [...(values.get(label) ?? []), side[key]]);
      }
    return Object.fromEntries([...values].map(([label, xs]) => [label, median(xs)]));
  }

  async #throughputRounds(targets: Record<string, BenchTarget>): Promise<RateRounds> {
    const { saturationRounds, saturationS, connections } = this.#ctx.options;
    return this.#ctx.rounds(
      `${this.#spec.route} throughput`,
      async (_, reversed) => {
        const rps: Record<string, number> = {};
        for (const label of ordered(this.#spec.labels, reversed)) {
          const target = targets[label]!;
          const result = await autocannon({
            url: target.url,
            connections,
            duration: saturationS,
            requests: cannonRequests(this.#spec.route, target),
          });
          this.okAnswers[label] = (this.okAnswers[label] ?? 0) + result['2xx'];
          rps[label] = result.requests.total / saturationS;
        }
        return rps;
      },
      { rounds: saturationRounds, warmup: 1 },
    );
  }

  /**
   * Every pair gets two processes of its own: both take the same requests at the same
   * rate at the same time, so a side whose state grows (stored orders) has the same
   * history as the side it is set against. Every `ROUNDS_PER_PROCESS` kept rounds the
   * pairs get new processes: two processes of the same build differ by a few percent in
   * CPU per request (their code and heap laid out differently), more than the rounds of
   * one pair move, and a median over one pair of processes would keep that difference.
   * A pair marked `newProcessesEachRound` starts its two processes in its turn of every
   * round, warms them up for a whole measurement and stops them after it.
   */
  async #cpuRounds(rate: number): Promise<CpuRounds> {
    const kept = this.#spec.pairs.filter((p) => !p.newProcessesEachRound);
    const pairs = new Map<Pair, BenchTarget[]>();
    const pinning = this.#pinning;
    const { warmup } = this.#ctx.options;
    let roundsOnThese = 0;
    let sets = 0;
    const stopAll = () => Promise.all([...pairs.values()].flat().map((t) => t.stop()));
    /** Starts `which` pairs' processes, pinned; the generator is unpinned meanwhile (children inherit its CPU). */
    const startPairs = async (which: readonly Pair[]) => {
      await pinning.restoreSelf();
      for (const pair of which) {
        pairs.set(pair, await this.#startEach([pair.over, pair.under]));
        for (const target of pairs.get(pair)!) {
          await pinning.pinTarget(target.pid);
          // A store is not measured: on the generator's CPU it leaves the measured one to the
          // two sides (docs/performance.md, "POST /orders on stores apart").
          for (const pid of target.companionPids ?? []) await pinning.pinGenerator(pid);
        }
        this.#processSets.set(pair, (this.#processSets.get(pair) ?? 0) + 1);
      }
      await pinning.pinSelf();
    };
    try {
      await startPairs(kept);
      sets = 1;
      return await this.#ctx.rounds(`${this.#spec.route} CPU per request`, async (_, reversed) => {
        // The first processes also carry the run's warm-up rounds; a round measured again
        // for its steal counts like any other.
        if (roundsOnThese >= ROUNDS_PER_PROCESS + (sets === 1 ? warmup : 0)) {
          await Promise.all(kept.map((pair) => pairs.get(pair)!.map((t) => t.stop())).flat());
          for (const pair of kept) pairs.delete(pair);
          await startPairs(kept);
          sets++;
          roundsOnThese = 0;
        }
        // New processes after the first set get a longer warm-up (the first set's is the warm-up round).
        const fresh = roundsOnThese === 0 && sets > 1;
        roundsOnThese++;
        const samples: Record<string, PairSample> = {};
        for (const pair of ordered(this.#spec.pairs, reversed)) {
          if (!pair.newProcessesEachRound) {
            samples[pair.name] = await this.#pairAtRate(pairs.get(pair)!, rate, reversed, fresh);
            continue;
          }
          await startPairs([pair]);
          try {
            samples[pair.name] = await this.#pairAtRate(pairs.get(pair)!, rate, reversed, true);
          } finally {
            await Promise.all(pairs.get(pair)!.map((t) => t.stop()));
            pairs.delete(pair);
          }
        }
        return samples;
      });
    } finally {
      try {
        await pinning.restoreSelf();
      } finally {
        await stopAll();
      }
    }
  }

  /**
   * One pair's sample: its two processes under load together, after an unmeasured warm-up
   * (as long as the measurement for processes just started, a third of it otherwise).
   */
  async #pairAtRate(
    [over, under]: BenchTarget[],
    rate: number,
    reversed: boolean,
    fresh: boolean,
  ): Promise<PairSample> {
    const durationS = this.#ctx.options.durationS * (this.#spec.durationFactor ?? 1);
    const targets = reversed ? [under!, over!] : [over!, under!];
    // The pair sat idle while the others ran: V8 has aged its code and shrunk its heap since.
    await this.#together(targets, rate, fresh ? durationS : Math.max(1, durationS / 3));
    const [first, second] = await this.#together(targets, rate, durationS);
    return reversed ? { over: second!, under: first! } : { over: first!, under: second! };
  }

  /** One at a time: several processes starting at once on two busy cores can miss their start timeout. */
  async #startEach(labels: readonly string[]): Promise<BenchTarget[]> {
    const targets: BenchTarget[] = [];
    try {
      for (const label of labels) targets.push(await this.#spec.start(label));
    } catch (error) {
      await Promise.all(targets.map((t) => t.stop()));
      throw error;
    }
    return targets;
  }

  /** Every target driven at `rate` at once, each process's CPU read over the same window. */
  async #together(targets: readonly BenchTarget[], rate: number, durationS: number): Promise<CpuSample[]> {
    const before = await Promise.all(targets.map((t) => cpuTimes(t.pid)));
    const results = await Promise.all(
      targets.map((target) =>
        openLoad({
          url: target.url,
          rate,
          durationS,
          connections: this.#ctx.options.connections,
          request: () => openRequest(this.#spec.route, target),
        }),
      ),
    );
    const after = await Promise.all(targets.map((t) => cpuTimes(t.pid)));
    return results.map((result, i) => {
      const [b, a] = [before[i]!, after[i]!];
      const served = Math.max(1, result.ok + result.errors);
      return {
        cpuUs: (a.processUs - b.processUs) / served,
        mainCpuUs: (a.mainUs - b.mainUs) / served,
        ticksCpuUs: (a.processTicksUs - b.processTicksUs) / served,
        achievedRps: result.achievedRps,
        errors: result.errors,
        queuedPeak: result.queuedPeak,
      };
    });
  }

  #cpuFigure(pair: Pair, cpu: CpuRounds, rate: number): FigureInput {
    const samples = cpu.map((r) => r.result[pair.name]!);
    const rounds: Round[] = cpu.map((r, i) => {
      const { over, under } = samples[i]!;
      return {
        value: under.cpuUs / over.cpuUs,
        stealPct: r.stealPct,
        load1: r.load1,
        repeated: r.repeated,
        sides: { [pair.over]: { ...over }, [pair.under]: { ...under } },
      };
    });
    const mainRatios = samples.map((s) => s.under.mainCpuUs / s.over.mainCpuUs);
    const sideMedian = (side: 'over' | 'under', key: keyof CpuSample) =>
      round2(median(samples.map((s) => s[side][key])));
    const judged = pair.budget !== undefined && pair.judge !== 'mainThread';
    return {
      name: `${pair.name}, ${cpuFigureSuffix(pair)}`,
      kind: judged ? 'primary' : 'info',
      measure: `CPU per request (whole process, user + system) of ${pair.under} / ${pair.over}, both at ${rate} req/s at once${this.#spec.measureNote ? `; ${this.#spec.measureNote}` : ''}`,
      unit: 'ratio',
      comparator: '>=',
      ...(judged ? { budget: pair.budget } : {}),
      rounds,
      details: {
        rate,
        pinning: this.#pinning.description,
        processSets: this.#processSets.get(pair) ?? 0,
        [`${pair.over}CpuUs`]: sideMedian('over', 'cpuUs'),
        [`${pair.under}CpuUs`]: sideMedian('under', 'cpuUs'),
        [`${pair.over}MainCpuUs`]: sideMedian('over', 'mainCpuUs'),
        [`${pair.under}MainCpuUs`]: sideMedian('under', 'mainCpuUs'),
        mainThreadRatio: round2(median(mainRatios)),
        mainThreadRatioMin: round2(Math.min(...mainRatios)),
        mainThreadRatioMax: round2(Math.max(...mainRatios)),
        errors: samples.reduce((s, { over, under }) => s + over.errors + under.errors, 0),
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

/** How a pair's whole-process CPU figure is named after the pair. */
export function cpuFigureSuffix(pair: Pair): string {
  return pair.budget !== undefined && pair.judge === 'mainThread'
    ? 'CPU per request (whole process, information)'
    : 'CPU per request';
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export async function compareSides(ctx: BenchContext, spec: ComparisonSpec): Promise<ComparisonResult> {
  return new Comparison(ctx, spec, await Pinning.detect()).run();
}
