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
import type { BenchFigure } from './figure.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE = join(ROOT, 'service', 'lambda', 'cold-start-probe.mjs');
const COLD_STARTS = 7;
const runFile = promisify(execFile);

export async function coldStartFigure(log: (line: string) => void, otlp: string): Promise<BenchFigure> {
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
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    },
  };
  const samples: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const event = JSON.stringify(httpApiEvent({ path: '/menu' }));
  try {
    // The first run creates the table and the menu; then the cold starts of each, interleaved.
    await runFile('node', [PROBE, bundle.file, event], { env: { ...process.env, ...variants.off } });
    for (let i = 0; i < COLD_STARTS; i++) {
      for (const side of ['off', 'on'] as const) {
        const { stdout } = await runFile('node', [PROBE, bundle.file, event], {
          env: { ...process.env, ...variants[side] },
        });
        samples[side].push((JSON.parse(stdout.trim().split('\n').at(-1)!) as { totalMs: number }).totalMs);
      }
    }
  } finally {
    await db.stop();
    await rm(outdir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const off = median(samples.off);
  const on = median(samples.on);
  log(`  cold init (import + first GET /menu): ${off.toFixed(1)} ms without telemetry, ${on.toFixed(1)} ms with`);
  return {
    name: 'Lambda bundle cold init: with telemetry minus without',
    value: Math.round((on - off) * 10) / 10,
    budget: 30,
    comparator: '<=',
    unit: 'ms',
    details: {
      withoutMs: Math.round(off * 10) / 10,
      withMs: Math.round(on * 10) / 10,
      bundleKiB: Math.round(bundle.bytes / 1024),
    },
  };
}
