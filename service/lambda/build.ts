/**
 * Bundles the Lambda handler with esbuild into one ESM file for the Node.js 24 runtime.
 * The AWS SDK v3 is left out (the runtime provides it) and so is the embedded DynamoDB,
 * which the handler never imports.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

export const LAMBDA_ENTRY = fileURLToPath(new URL('./handler.ts', import.meta.url));

export function lambdaBuildOptions(outdir: string): BuildOptions {
  return {
    entryPoints: { index: LAMBDA_ENTRY },
    outdir: resolve(outdir),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // The ES module builds first (OpenTelemetry ships both, CommonJS as `main`): esbuild can
    // then leave out what is never imported and evaluate the trace pipeline's modules
    // without the CommonJS wrappers. The cold init was about 20 ms shorter with telemetry
    // and 16 ms without (docs/performance.md, "Lambda cold init").
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    external: ['@aws-sdk/*', '@smithy/*', 'dynalite'],
    // Some CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
    metafile: true,
  };
}

export interface LambdaBundle {
  /** The bundle (`index.mjs`); its source map is beside it. */
  file: string;
  bytes: number;
  /** The largest inputs, for the size report. */
  largest: { path: string; bytes: number }[];
}

export async function buildLambdaBundle({ outdir }: { outdir: string }): Promise<LambdaBundle> {
  // Loaded here, not on import: the service's face exports this, and `coffee serve` must not load esbuild.
  const { build } = await import('esbuild');
  const result = await build(lambdaBuildOptions(outdir));
  const file = join(resolve(outdir), 'index.mjs');
  const { size } = await stat(file);
  const inputs = Object.entries(result.metafile?.outputs[file.replace(`${process.cwd()}/`, '')]?.inputs ?? {})
    .map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  return { file, bytes: size, largest: inputs };
}
