/**
 * The cost of Prometheus remote write to the Node engine (part of `coffee bench`), set up as
 * the load engine's figure (load-engine.ts): target.ts's raw GET /menu server in a child
 * process, a one-request journey, the engine in this process.
 * - primary: the engine's own CPU per request (this process's user + system) at the same
 *   fixed arrival rate with its remote-write sink off and on (a real Prometheus receiving,
 *   a push every second): off / on, budget >= 0.95. Rounds interleave (off, on, then on, off).
 * - information: the rate the engine achieves flat out, on / off.
 * The sink works per time bucket and per series, never per request, so the figure shows
 * what encoding and pushing add to each request's share of the generator's CPU.
 */
import { RemoteWriter, startPrometheus } from '../loadtests/index.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput, Round } from './figure.ts';
import { median } from './judge.ts';
import { engineRate, engineRun, type GeneratorRun } from './load-engine.ts';
import type { MeasuredRound } from './rounds.ts';
import type { BenchTarget } from './start-targets.ts';

/** A rate no engine reaches here: surplus arrivals are dropped, as k6 drops them. */
const FLAT_OUT_RATE = 60_000;
const REMOTE_WRITE_ROUNDS = 7;

type Sink = 'off' | 'on';

class RemoteWriteBench {
  readonly #ctx: BenchContext;
  readonly #target: BenchTarget;
  readonly #receiver: string;
  pushFailures = 0;
  pushes = 0;

  constructor(ctx: BenchContext, target: BenchTarget, receiver: string) {
    this.#ctx = ctx;
    this.#target = target;
    this.#receiver = receiver;
  }

  /** Both sides of one round, in the order `reversed` says. */
  async round(index: number, reversed: boolean, durationS: number, rate: number): Promise<Record<Sink, GeneratorRun>> {
    const runs: Partial<Record<Sink, GeneratorRun>> = {};
    for (const sink of reversed ? (['on', 'off'] as const) : (['off', 'on'] as const))
      runs[sink] = await this.#side(sink, `bench-rw-${sink}-${index}-${rate}`, durationS, rate);
    return runs as Record<Sink, GeneratorRun>;
  }

  async #side(sink: Sink, runId: string, durationS: number, rate: number): Promise<GeneratorRun> {
    const base = { target: this.#target.url, durationS, rate, connections: this.#ctx.options.connections, runId };
    if (sink === 'off') return engineRun(base);
    const writer = new RemoteWriter({
      url: `${this.#receiver}/api/v1/write`,
      runId,
      profile: 'smoke',
      instance: '0',
      flushMs: 1000,
    });
    // The writer's start and its last push are inside the measured CPU: they are part of what the sink costs.
    const before = process.cpuUsage();
    writer.start();
    try {
      const run = await engineRun({ ...base, bucketSink: (report) => writer.bucket(report) });
      await writer.close();
      const used = process.cpuUsage(before);
      return { ...run, cpuUs: (used.user + used.system) / Math.max(1, run.requests) };
    } finally {
      this.pushFailures += writer.failures;
      this.pushes++;
    }
  }
}

const sideOf = ({ rps, cpuUs }: GeneratorRun) => ({ rps, cpuUs });

const asRounds = (
  rounds: MeasuredRound<Record<Sink, GeneratorRun>>[],
  value: (r: Record<Sink, GeneratorRun>) => number,
) =>
  rounds.map((r): Round => ({
    value: value(r.result),
    stealPct: r.stealPct,
    load1: r.load1,
    repeated: r.repeated,
    sides: { off: sideOf(r.result.off), on: sideOf(r.result.on) },
  }));

/** The figure module: CPU per request at a fixed rate (primary), achieved rate flat out (information). */
export async function remoteWriteFigure(ctx: BenchContext): Promise<FigureInput[]> {
  const { connections, log, saturationS, saturationRounds } = ctx.options;
  log('Prometheus remote write on vs off, the load engine');
  const [target, prometheus] = await Promise.all([ctx.startRaw('raw-menu'), startPrometheus()]);
  try {
    const bench = new RemoteWriteBench(ctx, target, prometheus.url);
    const flatOut = await ctx.rounds(
      'remote write throughput',
      (index, reversed) => bench.round(index, reversed, saturationS, FLAT_OUT_RATE),
      { rounds: saturationRounds, warmup: 1 },
    );
    const rate = engineRate(
      ctx,
      'remote-write',
      median(flatOut.map((r) => Math.min(r.result.off.rps, r.result.on.rps))),
    );
    log(`  remote write: the engine's CPU per request at ${rate} req/s`);
    // Each side runs at least 3 s so that it spans several pushes.
    const durationS = Math.max(3, ctx.options.durationS);
    // The sink's cost is a few percent at most: more rounds than the run's default narrow the median.
    const atRate = await ctx.rounds(
      'remote write CPU per request',
      (index, reversed) => bench.round(index, reversed, durationS, rate),
      { rounds: Math.max(REMOTE_WRITE_ROUNDS, ctx.options.rounds), warmup: ctx.options.warmup },
    );
    return [
      {
        name: 'Load engine (autocannon engine) with Prometheus remote write on vs off, CPU per request',
        kind: 'primary',
        measure: `this process's CPU per request at ${rate} req/s, sink off / sink on`,
        unit: 'ratio',
        comparator: '>=',
        budget: 0.95,
        rounds: asRounds(atRate, (r) => r.off.cpuUs / r.on.cpuUs),
        details: {
          rate,
          connections,
          durationS,
          pushFailures: bench.pushFailures,
          runsWithTheSink: bench.pushes,
          receiver: 'Prometheus (native histograms), push every 1 s',
        },
      },
      {
        name: 'Load engine (autocannon engine) achieved rate flat out with Prometheus remote write on vs off (information)',
        kind: 'info',
        measure: 'requests per second flat out, on / off',
        unit: 'ratio',
        comparator: '>=',
        rounds: asRounds(flatOut, (r) => r.on.rps / r.off.rps),
      },
    ];
  } finally {
    await Promise.all([target.stop(), prometheus.stop()]);
  }
}
