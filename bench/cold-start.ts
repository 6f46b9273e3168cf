/**
 * The Lambda bundle's cold init (import + first GET /menu) with telemetry and without,
 * each a fresh `node` process running service/lambda/cold-start-probe.mjs.
 *
 * A pair's two cold starts run at the same time on the same CPU (affinity.ts), and each CPU
 * runs pairs of its own at once. One after the other, two cold starts of the same bundle
 * differed by 37 ms (standard deviation of the main-thread CPU time, about 11%) on this
 * kind of VM, and the difference of a pair by as much; started together on one CPU, the
 * difference of a pair varied by 7 ms: the machine's slow and fast moments fall on both.
 *
 * The figure is the main thread's CPU time from the import to the first answer (read by the
 * probe itself), on minus off: the init's own critical path. A cold start's wall time also
 * counts every moment the machine's other work held the core, and on a shared machine it
 * spread several times wider; the whole process's CPU time adds the threads that run beside
 * the init (V8's compiler and collector threads), which do not delay the answer. Both are
 * kept in the rounds and the details. Cold starts are cheap, so a round is
 * several pairs and its value their median difference; the warm-up round creates the table
 * and fills the file cache.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Pinning } from './affinity.ts';
import { buildLambdaBundle, httpApiEvent, localLambdaEnv, startEmbeddedDynamo } from '../service/index.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { median } from './judge.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE = join(ROOT, 'service', 'lambda', 'cold-start-probe.mjs');
/** Kept rounds (the run's `--rounds` if more), each of `PAIRS_PER_ROUND` pairs, after one warm-up round. */
const ROUNDS = 9;
/** Pairs each CPU runs in a round, one after the other (a round is this times the CPUs). */
const PAIRS_PER_LANE = 4;
/** The budget: telemetry may add this much to the cold init, and the margin of its verdict. */
const BUDGET_MS = 30;
const MARGIN_MS = 3;
const runFile = promisify(execFile);

type Side = 'off' | 'on';

/** What the probe prints of one cold start: wall time, the process's and the main thread's CPU time. */
type ColdStart = { totalMs: number; cpuMs: number; mainCpuMs: number };

const KEYS = ['totalMs', 'cpuMs', 'mainCpuMs'] as const;
const tenth = (ms: number) => Math.round(ms * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** One round: a few pairs, the order alternated within it; per side and for the differences, the median of each key. */
interface PairsRound {
  sides: Record<Side, ColdStart>;
  difference: ColdStart;
  /** The median of the pairs' main-thread CPU on / off. */
  ratio: number;
}

function summarizePairs(pairs: Record<Side, ColdStart>[]): PairsRound {
  const medians = (value: (pair: Record<Side, ColdStart>, key: keyof ColdStart) => number): ColdStart => {
    const [totalMs, cpuMs, mainCpuMs] = KEYS.map((key) => tenth(median(pairs.map((pair) => value(pair, key)))));
    return { totalMs: totalMs!, cpuMs: cpuMs!, mainCpuMs: mainCpuMs! };
  };
  return {
    sides: { off: medians((p, k) => p.off[k]), on: medians((p, k) => p.on[k]) },
    difference: medians((p, k) => p.on[k] - p.off[k]),
    ratio: median(pairs.map((p) => p.on.mainCpuMs / p.off.mainCpuMs)),
  };
}

class ColdStarts {
  readonly #bundle: string;
  readonly #event = JSON.stringify(httpApiEvent({ path: '/menu' }));
  readonly #env: Record<Side, Record<string, string>>;
  readonly #pinning: Pinning;

  constructor(bundle: string, env: Record<Side, Record<string, string>>, pinning: Pinning) {
    this.#bundle = bundle;
    this.#env = env;
    this.#pinning = pinning;
  }

  get pairsPerRound(): number {
    return PAIRS_PER_LANE * this.#pinning.lanes.length;
  }

  async one(side: Side, cpu: number | undefined): Promise<ColdStart> {
    const [file, args] = Pinning.command(cpu, process.execPath, [PROBE, this.#bundle, this.#event]);
    const { stdout } = await runFile(file, args, { env: { ...process.env, ...this.#env[side] } });
    const { totalMs, cpuMs, mainCpuMs } = JSON.parse(stdout.trim().split('\n').at(-1)!) as ColdStart;
    return { totalMs, cpuMs, mainCpuMs: mainCpuMs ?? cpuMs };
  }

  /** Both sides at once on `cpu`, the one started first alternated. */
  async pair(cpu: number | undefined, onFirst: boolean): Promise<Record<Side, ColdStart>> {
    const sides: Side[] = onFirst ? ['on', 'off'] : ['off', 'on'];
    const [a, b] = await Promise.all(sides.map((side) => this.one(side, cpu)));
    return onFirst ? { on: a!, off: b! } : { off: a!, on: b! };
  }

  async round(reversed: boolean): Promise<PairsRound> {
    const lanes = await Promise.all(
      this.#pinning.lanes.map(async (cpu, lane) => {
        const pairs: Record<Side, ColdStart>[] = [];
        for (let i = 0; i < PAIRS_PER_LANE; i++) pairs.push(await this.pair(cpu, ((i + lane) % 2 === 1) !== reversed));
        return pairs;
      }),
    );
    return summarizePairs(lanes.flat());
  }
}

/** Each round is a few pairs of cold starts, the order alternated; its value is on minus off (main-thread CPU ms). */
export async function coldStartFigure(ctx: BenchContext): Promise<FigureInput[]> {
  const { log } = ctx.options;
  log('Lambda cold init, with and without telemetry');
  const outdir = await mkdtemp(join(ROOT, 'out', 'bench-lambda-'));
  const bundle = await buildLambdaBundle({ outdir });
  const db = await startEmbeddedDynamo();
  const base = localLambdaEnv(db.endpoint);
  const pinning = await Pinning.detect();
  const starts = new ColdStarts(
    bundle.file,
    {
      off: { ...base, COFFEE_METRICS_EXPORTER: 'none', COFFEE_TRACING: 'false' },
      on: {
        ...base,
        COFFEE_METRICS_EXPORTER: 'emf',
        COFFEE_EMF_FILE: join(outdir, 'emf.log'),
        COFFEE_TRACING: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: ctx.otlp,
      },
    },
    pinning,
  );
  let rounds;
  try {
    rounds = await ctx.rounds('cold init', (_, reversed) => starts.round(reversed), {
      rounds: Math.max(ROUNDS, ctx.options.rounds),
      warmup: 1,
    });
  } finally {
    await db.stop();
    await rm(outdir, { recursive: true, force: true });
  }
  const of = (side: Side, key: keyof ColdStart) => tenth(median(rounds.map((r) => r.result.sides[side][key])));
  const diff = (key: keyof ColdStart) => tenth(median(rounds.map((r) => r.result.difference[key])));
  const withoutMs = of('off', 'mainCpuMs');
  log(
    `  cold init (import + first GET /menu): main-thread CPU ${withoutMs} ms without telemetry, ${of('on', 'mainCpuMs')} ms ` +
      `with; wall ${of('off', 'totalMs')} / ${of('on', 'totalMs')} ms`,
  );
  const measured = (value: (r: PairsRound) => number) =>
    rounds.map((r) => ({
      value: value(r.result),
      stealPct: r.stealPct,
      load1: r.load1,
      repeated: r.repeated,
      sides: { ...r.result.sides, difference: r.result.difference },
    }));
  const together = pinning.pinned ? 'at once on one CPU' : 'at once (not pinned)';
  const perRound = `median of ${starts.pairsPerRound} pairs per round, a pair's two cold starts ${together}`;
  const ratio = {
    name: `Lambda bundle cold init: with telemetry / without (budget +${BUDGET_MS} ms)`,
    kind: 'primary',
    measure:
      `main-thread CPU from the import to the first answer, one fresh node process per cold start, on / off (${perRound}); ` +
      `the budget is 1 + ${BUDGET_MS} ms / the cold init without telemetry measured in this run`,
    rounds: measured((r) => r.ratio),
    budget: round3(1 + BUDGET_MS / withoutMs),
    margin: round3(MARGIN_MS / withoutMs),
    comparator: '<=',
    unit: 'ratio',
    details: {
      differenceMs: tenth(median(rounds.map((r) => r.result.ratio - 1)) * withoutMs),
      withoutMainCpuMs: of('off', 'mainCpuMs'),
      withMainCpuMs: of('on', 'mainCpuMs'),
      processCpuDifferenceMs: diff('cpuMs'),
      withoutCpuMs: of('off', 'cpuMs'),
      withCpuMs: of('on', 'cpuMs'),
      withoutWallMs: of('off', 'totalMs'),
      withWallMs: of('on', 'totalMs'),
      wallDifferenceMs: diff('totalMs'),
      pairs: rounds.length * starts.pairsPerRound,
      pinning: pinning.pinned ? `each pair on one CPU, ${pinning.lanes.length} pairs at once` : 'not pinned',
      bundleKiB: Math.round(bundle.bytes / 1024),
    },
  } satisfies FigureInput;
  const difference: FigureInput = {
    name: 'Lambda bundle cold init: with telemetry minus without (information)',
    kind: 'info',
    measure: `main-thread CPU ms from the import to the first answer, on minus off (${perRound}); it grows and shrinks with the machine's speed, the ratio does not`,
    rounds: measured((r) => r.difference.mainCpuMs),
    comparator: '<=',
    unit: 'ms',
  };
  return [ratio, difference];
}
