/**
 * Builds the service's Lambda bundle into a fresh temporary directory at synth time, so
 * `cdk synth` always packages the code of the working tree (no stale `dist/`), and the
 * CDK copies the directory into the cloud assembly as the function's asset.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LambdaAsset {
  /** The directory holding `index.mjs` (and its source map): pass it to `Code.fromAsset`. */
  readonly dir: string;
  readonly bytes: number;
  /** Removes the directory; call it after `app.synth()` has staged the asset. */
  dispose(): Promise<void>;
}

/** Builds the bundle (minified, with its source map) with the service's `buildLambdaBundle`. */
export async function buildLambdaAsset(): Promise<LambdaAsset> {
  const dir = await mkdtemp(join(tmpdir(), 'coffee-lambda-'));
  try {
    // Lazy: esbuild is loaded only when an app is actually synthesized.
    const { buildLambdaBundle } = await import('../service/index.ts');
    const { bytes } = await buildLambdaBundle({ outdir: dir });
    return { dir, bytes, dispose: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
