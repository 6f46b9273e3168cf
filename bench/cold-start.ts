/**
 * The Lambda bundle's cold init (import + first GET /menu) with telemetry and without,
 * each a fresh `node` process running service/lambda/cold-start-probe.mjs, interleaved.
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
const COLD_STARTS = 7;
const runFile = promisify(execFile);

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
  const coldStart = async (side: 'off' | 'on') => {
    const { stdout } = await runFile('node', [PROBE, bundle.file, event], {
      env: { ...process.env, ...variants[side] },
    });
    return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { totalMs: number }).totalMs;
  };
  let rounds;
  try {
    // The warm-up round creates the table and the menu (and fills the file cache).
    rounds = await ctx.rounds(
      'cold init',
      async (_, reversed) => {
        const ms: Record<string, number> = {};
        for (const side of reversed ? (['on', 'off'] as const) : (['off', 'on'] as const))
          ms[side] = await coldStart(side);
        return ms;
      },
      { rounds: Math.max(COLD_STARTS, ctx.options.rounds), warmup: 1 },
    );
  } finally {
    await db.stop();
    await rm(outdir, { recursive: true, force: true });
  }
  const off = median(rounds.map((r) => r.result.off!));
  const on = median(rounds.map((r) => r.result.on!));
  log(`  cold init (import + first GET /menu): ${off.toFixed(1)} ms without telemetry, ${on.toFixed(1)} ms with`);
  return {
    name: 'Lambda bundle cold init: with telemetry minus without',
    kind: 'primary',
    measure: 'ms from the import to the first answer, one fresh node process per cold start, on minus off per round',
    rounds: rounds.map((r) => ({
      value: Math.round((r.result.on! - r.result.off!) * 10) / 10,
      stealPct: r.stealPct,
      load1: r.load1,
      repeated: r.repeated,
      sides: { off: { ms: r.result.off! }, on: { ms: r.result.on! } },
    })),
    budget: 30,
    margin: 3,
    comparator: '<=',
    unit: 'ms',
    details: {
      withoutMs: Math.round(off * 10) / 10,
      withMs: Math.round(on * 10) / 10,
      bundleKiB: Math.round(bundle.bytes / 1024),
    },
  };
}
