/**
 * `coffee load --engine k6`: runs `loadtests/k6/script.ts` with the k6 binary on PATH and
 * reads back the result.json its `handleSummary` wrote (same schema as the Node engine).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../cli/index.ts';
import { resultFileName } from './shared/outputs.ts';
import type { LoadResult } from './shared/result.ts';

export const K6_SCRIPT = fileURLToPath(new URL('./k6/script.ts', import.meta.url));

export const K6_MISSING_MESSAGE =
  'k6 is not on PATH. Install k6 v1.0 or newer (https://grafana.com/docs/k6/latest/set-up/install-k6/: ' +
  '"brew install k6", "winget install k6", the k6 apt/rpm repository, or the grafana/k6 container image) and run again, ' +
  'or use --engine autocannon, which needs nothing installed.';

/** k6's exit codes that the CLI maps (from k6's errext/exitcodes). */
export const K6ExitCodes = {
  ThresholdsHaveFailed: 99,
  ScriptException: 107,
  ScriptAborted: 108,
} as const;

/** The k6 executable on PATH, or undefined. */
export async function findK6(envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  const names = process.platform === 'win32' ? ['k6.exe', 'k6'] : ['k6'];
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export interface RunK6Options {
  binary: string;
  target: string;
  profile: string;
  runId: string;
  seed: number;
  out: string;
  durationS?: number;
  rate?: number;
  thresholdOverrides?: Record<string, number>;
  /** Absolute path of a `--tokens` file; the script reads it with k6's `open()`. */
  tokensFile?: string;
  signal?: AbortSignal;
}

/** The `--env` settings the script reads (see loadtests/k6/script.ts). */
export function k6Env(options: Omit<RunK6Options, 'binary' | 'signal'>): Record<string, string> {
  return {
    COFFEE_TARGET: options.target,
    COFFEE_PROFILE: options.profile,
    COFFEE_RUN_ID: options.runId,
    COFFEE_SEED: String(options.seed),
    COFFEE_OUT: options.out,
    ...(options.durationS !== undefined ? { COFFEE_DURATION_S: String(options.durationS) } : {}),
    ...(options.rate !== undefined ? { COFFEE_RATE: String(options.rate) } : {}),
    ...(options.thresholdOverrides && Object.keys(options.thresholdOverrides).length > 0
      ? { COFFEE_THRESHOLDS: JSON.stringify(options.thresholdOverrides) }
      : {}),
    ...(options.tokensFile ? { COFFEE_TOKENS_FILE: options.tokensFile } : {}),
  };
}

export async function runK6(options: RunK6Options): Promise<LoadResult> {
  await mkdir(options.out, { recursive: true });
  const env = k6Env(options);
  const args = ['run', ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]), K6_SCRIPT];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(options.binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    const stop = () => child.kill('SIGINT');
    options.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', reject);
    child.on('exit', (exitCode, signal) => {
      options.signal?.removeEventListener('abort', stop);
      resolve(exitCode ?? (signal ? 128 : 1));
    });
  });
  // The script aborts in setup() when the target is down; k6 still calls handleSummary,
  // so a result file may exist, but it measured nothing.
  if (code === K6ExitCodes.ScriptAborted || code === K6ExitCodes.ScriptException) {
    throw new UsageError(
      `k6 stopped the test (exit ${code}): the target ${options.target} is unreachable or the script failed; see k6's output above`,
    );
  }
  let result: LoadResult;
  try {
    result = JSON.parse(await readFile(path.join(options.out, resultFileName), 'utf8')) as LoadResult;
  } catch {
    throw new UsageError(`k6 exited with code ${code} without writing ${resultFileName}; see its output above`);
  }
  // k6 judged the thresholds itself (exit 99); the result carries the same verdict.
  if (code === K6ExitCodes.ThresholdsHaveFailed) result.verdict = 'fail';
  else if (code !== 0) result.aborted ??= `k6 exited with code ${code}`;
  return result;
}
