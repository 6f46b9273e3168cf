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
import { bucketMsFor } from './engine/aggregator.ts';
import { K6_OUTPUT_FILE, readK6Output } from './k6-runner-output.ts';
import { profileOf, settingsFromEnv } from './k6/options.ts';
import { K6_AGGREGATE_NOTE } from './k6/summary.ts';
import type { Exemplar } from './shared/exemplars.ts';
import { resultFileName } from './shared/outputs.ts';
import { profileDurationS, type Profile } from './shared/profiles.ts';
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
  /** Each exemplar, as k6's JSON output is read after the run. */
  onExemplar?: (exemplar: Exemplar) => void;
  signal?: AbortSignal;
}

/** The `--env` settings the script reads (see loadtests/k6/script.ts). */
export function k6Env(options: Omit<RunK6Options, 'binary' | 'signal' | 'onExemplar'>): Record<string, string> {
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
  const output = path.join(options.out, K6_OUTPUT_FILE);
  const args = [
    'run',
    // Every sample with its tags and metadata (trace ids): the timeline and exemplars come from it.
    '--out',
    `json=${output}`,
    ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    K6_SCRIPT,
  ];
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
  return addK6Output(result, output, profileOf(settingsFromEnv(env)), options.onExemplar);
}

/**
 * Adds what k6's JSON output holds and its summary does not: the timeline, per-route
 * statistics and exemplars. A missing or unreadable output leaves the summary's result, with a note.
 */
export async function addK6Output(
  result: LoadResult,
  file: string,
  profile: Profile,
  onExemplar?: (exemplar: Exemplar) => void,
): Promise<LoadResult> {
  try {
    const read = await readK6Output(file, {
      t0: Date.parse(result.startedAt),
      bucketMs: bucketMsFor(profileDurationS(profile) * 1000),
      profile,
      durationMs: result.durationMs,
      ...(onExemplar ? { onExemplar } : {}),
    });
    result.timeline = read.timeline;
    result.routes ??= read.routes;
    result.exemplars = read.exemplars;
    result.notes = [
      ...(result.notes ?? []).filter((note) => note !== K6_AGGREGATE_NOTE),
      `time series, per-route statistics and exemplars from k6's JSON output (${path.basename(file)}, ${read.requests} requests); k6 measures latency from when a request goes out, so an exemplar's intended and sent times are one`,
    ];
  } catch (error) {
    result.notes = [...(result.notes ?? []), `k6's JSON output ${file} could not be read: ${(error as Error).message}`];
  }
  return result;
}
