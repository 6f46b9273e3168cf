/**
 * The Lambda bundle's cold init (import + first GET /menu) with telemetry and without,
 * each a fresh `node` process running service/lambda/cold-start-probe.mjs, interleaved.
 *
 * The figure is the CPU time the process spends on the init (every thread, from the import
 * to the first answer, read by the probe itself), on minus off per pair: a cold start's wall
 * time also counts every moment the machine's other work held the core, and a difference of
 * two ~300 ms wall times swung by ±10 ms from one pair to the next. The wall time is kept in
 * the details. Pairs are cheap, so there are many; the warm-up pairs create the table and
 * fill the file cache.
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
/** Kept pairs of cold starts (the run's `--rounds` if more), after `WARMUP_PAIRS`. */
const COLD_STARTS = 15;
const WARMUP_PAIRS = 2;
const runFile = promisify(execFile);

/** What the probe prints of one cold start: wall time and the process's CPU time over it. */
interface ColdStart {
  totalMs: number;
  cpuMs: number;
}

/** Each round is one cold start of each side, the order alternated; its value is on minus off. */
export async function coldStartFigure(ctx: BenchContext): Promise<FigureInput> {
  const { log } = ctx.options;
  log('Lambda cold init, with and without telemetry');
  const outdir = await mkdtemp(join(ROOT, 'out', 'bench-lambda-'));
  const bundle = await buildLambdaBundle({ outdir });
  const db = await startEmbeddedDynamo();
  const base = localLambdaEnv(db.endpoint);
  const variants = {
    off: { ...base, COFFEE_METRICS_EXPORTER: 'none', COFFEE_TRACING: 'false' },
    on: {
      ...base,
      COFFEE_METRICS_EXPORTER: 'emf',
      COFFEE_EMF_FILE: join(outdir, 'emf.log'),
      COFFEE_TRACING: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: ctx.otlp,
    },
  };
  const event = JSON.stringify(httpApiEvent({ path: '/menu' }));
  const coldStart = async (side: 'off' | 'on'): Promise<ColdStart> => {
    const { stdout } = await runFile(process.execPath, [PROBE, bundle.file, event], {
      env: { ...process.env, ...variants[side] },
    });
    const { totalMs, cpuMs } = JSON.parse(stdout.trim().split('\n').at(-1)!) as ColdStart;
    return { totalMs, cpuMs };
  };
  let rounds;
  try {
    // The warm-up pairs create the table and the menu, and fill the file cache.
    rounds = await ctx.rounds(
      'cold init',
      async (_, reversed) => {
        const pair: Partial<Record<'off' | 'on', ColdStart>> = {};
        for (const side of reversed ? (['on', 'off'] as const) : (['off', 'on'] as const))
          pair[side] = await coldStart(side);
        return pair as Record<'off' | 'on', ColdStart>;
      },
      { rounds: Math.max(COLD_STARTS, ctx.options.rounds), warmup: WARMUP_PAIRS },
    );
  } finally {
    await db.stop();
    await rm(outdir, { recursive: true, force: true });
  }
  const of = (side: 'off' | 'on', key: keyof ColdStart) => median(rounds.map((r) => r.result[side][key]));
  const tenth = (ms: number) => Math.round(ms * 10) / 10;
  const wallDiff = median(rounds.map((r) => r.result.on.totalMs - r.result.off.totalMs));
  log(
    `  cold init (import + first GET /menu): CPU ${of('off', 'cpuMs').toFixed(1)} ms without telemetry, ` +
      `${of('on', 'cpuMs').toFixed(1)} ms with; wall ${of('off', 'totalMs').toFixed(1)} / ${of('on', 'totalMs').toFixed(1)} ms`,
  );
  return {
    name: 'Lambda bundle cold init: with telemetry minus without',
    kind: 'primary',
    measure:
      'CPU ms (every thread) from the import to the first answer, one fresh node process per cold start, on minus off per pair',
    rounds: rounds.map((r) => ({
      value: tenth(r.result.on.cpuMs - r.result.off.cpuMs),
      stealPct: r.stealPct,
      load1: r.load1,
      repeated: r.repeated,
      sides: {
        off: { cpuMs: tenth(r.result.off.cpuMs), wallMs: tenth(r.result.off.totalMs) },
        on: { cpuMs: tenth(r.result.on.cpuMs), wallMs: tenth(r.result.on.totalMs) },
      },
    })),
    budget: 30,
    margin: 3,
    comparator: '<=',
    unit: 'ms',
    details: {
      withoutCpuMs: tenth(of('off', 'cpuMs')),
      withCpuMs: tenth(of('on', 'cpuMs')),
      withoutWallMs: tenth(of('off', 'totalMs')),
      withWallMs: tenth(of('on', 'totalMs')),
      wallDifferenceMs: tenth(wallDiff),
      pairs: rounds.length,
      bundleKiB: Math.round(bundle.bytes / 1024),
    },
  };
}
