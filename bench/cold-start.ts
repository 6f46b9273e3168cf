/**
 * The Lambda bundle's cold init (import + first GET /menu) with telemetry and without,
 * each a fresh `node` process running service/lambda/cold-start-probe.mjs, interleaved.
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
import { buildLambdaBundle, httpApiEvent, localLambdaEnv, startEmbeddedDynamo } from '../service/index.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { median } from './judge.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE = join(ROOT, 'service', 'lambda', 'cold-start-probe.mjs');
/** Kept rounds (the run's `--rounds` if more), each of `PAIRS_PER_ROUND` pairs, after one warm-up round. */
const ROUNDS = 9;
const PAIRS_PER_ROUND = 3;
const runFile = promisify(execFile);

type Side = 'off' | 'on';

/** What the probe prints of one cold start: wall time, the process's and the main thread's CPU time. */
type ColdStart = { totalMs: number; cpuMs: number; mainCpuMs: number };

const KEYS = ['totalMs', 'cpuMs', 'mainCpuMs'] as const;
const tenth = (ms: number) => Math.round(ms * 10) / 10;

/** One round: a few pairs, the order alternated within it; per side and for the differences, the median of each key. */
interface PairsRound {
  sides: Record<Side, ColdStart>;
  difference: ColdStart;
}

function summarizePairs(pairs: Record<Side, ColdStart>[]): PairsRound {
  const medians = (value: (pair: Record<Side, ColdStart>, key: keyof ColdStart) => number): ColdStart => {
    const [totalMs, cpuMs, mainCpuMs] = KEYS.map((key) => tenth(median(pairs.map((pair) => value(pair, key)))));
    return { totalMs: totalMs!, cpuMs: cpuMs!, mainCpuMs: mainCpuMs! };
  };
  return {
    sides: { off: medians((p, k) => p.off[k]), on: medians((p, k) => p.on[k]) },
    difference: medians((p, k) => p.on[k] - p.off[k]),
  };
}

class ColdStarts {
  readonly #bundle: string;
  readonly #event = JSON.stringify(httpApiEvent({ path: '/menu' }));
  readonly #env: Record<Side, Record<string, string>>;

  constructor(bundle: string, env: Record<Side, Record<string, string>>) {
    this.#bundle = bundle;
    this.#env = env;
  }

  async one(side: Side): Promise<ColdStart> {
    const { stdout } = await runFile(process.execPath, [PROBE, this.#bundle, this.#event], {
      env: { ...process.env, ...this.#env[side] },
    });
    const { totalMs, cpuMs, mainCpuMs } = JSON.parse(stdout.trim().split('\n').at(-1)!) as ColdStart;
    return { totalMs, cpuMs, mainCpuMs: mainCpuMs ?? cpuMs };
  }

  async round(reversed: boolean): Promise<PairsRound> {
    const pairs: Record<Side, ColdStart>[] = [];
    for (let i = 0; i < PAIRS_PER_ROUND; i++) {
      const pair: Partial<Record<Side, ColdStart>> = {};
      for (const side of (i % 2 === 1) !== reversed ? (['on', 'off'] as const) : (['off', 'on'] as const))
        pair[side] = await this.one(side);
      pairs.push(pair as Record<Side, ColdStart>);
    }
    return summarizePairs(pairs);
  }
}

/** Each round is a few pairs of cold starts, the order alternated; its value is on minus off (main-thread CPU ms). */
export async function coldStartFigure(ctx: BenchContext): Promise<FigureInput> {
  const { log } = ctx.options;
  log('Lambda cold init, with and without telemetry');
  const outdir = await mkdtemp(join(ROOT, 'out', 'bench-lambda-'));
  const bundle = await buildLambdaBundle({ outdir });
  const db = await startEmbeddedDynamo();
  const base = localLambdaEnv(db.endpoint);
  const starts = new ColdStarts(bundle.file, {
    off: { ...base, COFFEE_METRICS_EXPORTER: 'none', COFFEE_TRACING: 'false' },
    on: {
      ...base,
      COFFEE_METRICS_EXPORTER: 'emf',
      COFFEE_EMF_FILE: join(outdir, 'emf.log'),
      COFFEE_TRACING: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: ctx.otlp,
    },
  });
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
  log(
    `  cold init (import + first GET /menu): main-thread CPU ${of('off', 'mainCpuMs')} ms without telemetry, ${of('on', 'mainCpuMs')} ms ` +
      `with; wall ${of('off', 'totalMs')} / ${of('on', 'totalMs')} ms`,
  );
  return {
    name: 'Lambda bundle cold init: with telemetry minus without',
    kind: 'primary',
    measure: `main-thread CPU ms from the import to the first answer, one fresh node process per cold start, on minus off (median of ${PAIRS_PER_ROUND} pairs per round)`,
    rounds: rounds.map((r) => ({
      value: r.result.difference.mainCpuMs,
      stealPct: r.stealPct,
      load1: r.load1,
      repeated: r.repeated,
      sides: { ...r.result.sides, difference: r.result.difference },
    })),
    budget: 30,
    margin: 3,
    comparator: '<=',
    unit: 'ms',
    details: {
      withoutMainCpuMs: of('off', 'mainCpuMs'),
      withMainCpuMs: of('on', 'mainCpuMs'),
      processCpuDifferenceMs: diff('cpuMs'),
      withoutCpuMs: of('off', 'cpuMs'),
      withCpuMs: of('on', 'cpuMs'),
      withoutWallMs: of('off', 'totalMs'),
      withWallMs: of('on', 'totalMs'),
      wallDifferenceMs: diff('totalMs'),
      pairs: rounds.length * PAIRS_PER_ROUND,
      bundleKiB: Math.round(bundle.bytes / 1024),
    },
  };
}
