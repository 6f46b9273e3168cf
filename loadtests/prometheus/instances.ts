/**
 * `coffee load <profile> --instances N`: a distributed run rehearsed on one machine. N engine
 * processes split the arrivals (the Node engine: instance i of N takes arrivals i, i+N, ...;
 * k6: `--execution-segment` of one `--execution-segment-sequence`), every one remote-writes to
 * Prometheus under the same run id, and the verdict is Prometheus's over all of them.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../cli/index.ts';
import type { LoadCommandOptions } from '../cli.ts';
import { k6Env, K6_SCRIPT } from '../k6-runner.ts';
import { executionSegments } from '../k6/options.ts';
import { PrometheusClient, PrometheusProblem } from './prometheus-client.ts';
import { findExecutable, PROMETHEUS_MISSING_MESSAGE, startPrometheus } from './prometheus-process.ts';
import { judgeFromPrometheus } from './verdict-command.ts';
import type { LoadResult } from '../shared/result.ts';

const COFFEE = fileURLToPath(new URL('../../bin/coffee.js', import.meta.url));

export const REMOTE_WRITE_PATH = '/api/v1/write';

export interface InstancesPlan {
  profile: string;
  instances: number;
  target: string;
  runId: string;
  remoteWriteUrl: string;
  out: string;
  thresholdOverrides: Record<string, number>;
  options: LoadCommandOptions;
}

/** The command line of Node engine instance `index`. */
export function nodeInstanceArgs(plan: InstancesPlan, index: number): string[] {
  const { options } = plan;
  return [
    COFFEE,
    'load',
    plan.profile,
    '--target',
    plan.target,
    '--run-id',
    plan.runId,
    '--seed',
    String(options.seed),
    '--instance',
    `${index}/${plan.instances}`,
    '--remote-write',
    plan.remoteWriteUrl,
    '--out',
    path.join(plan.out, `instance-${index}`),
    '--workers',
    String(options.workers),
    '--no-progress',
    ...(options.duration !== undefined ? ['--duration', String(options.duration)] : []),
    ...(options.rate !== undefined ? ['--rate', String(options.rate)] : []),
    ...(options.connections !== undefined ? ['--connections', String(options.connections)] : []),
    ...options.threshold.flatMap((t) => ['--threshold', t]),
  ];
}

/** The command line and environment of k6 runner `index`: its segment, remote write, testid. */
export function k6InstanceArgs(plan: InstancesPlan, index: number): { args: string[]; env: Record<string, string> } {
  const { segment, sequence } = executionSegments(plan.instances)[index]!;
  const env = k6Env({
    target: plan.target,
    profile: plan.profile,
    runId: plan.runId,
    seed: plan.options.seed,
    out: path.join(plan.out, `instance-${index}`),
    ...(plan.options.duration !== undefined ? { durationS: plan.options.duration } : {}),
    ...(plan.options.rate !== undefined ? { rate: plan.options.rate } : {}),
  });
  return {
    args: [
      'run',
      '--execution-segment',
      segment,
      '--execution-segment-sequence',
      sequence,
      '-o',
      'experimental-prometheus-rw',
      '--tag',
      `testid=${plan.runId}`,
      '--tag',
      `instance=${index}`,
      ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
      K6_SCRIPT,
    ],
    env: {
      K6_PROMETHEUS_RW_SERVER_URL: plan.remoteWriteUrl,
      K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: 'true',
      K6_PROMETHEUS_RW_PUSH_INTERVAL: '1s',
    },
  };
}

function runChild(command: string, args: string[], env: Record<string, string>, signal: AbortSignal) {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
    const stop = () => child.kill('SIGINT');
    signal.addEventListener('abort', stop, { once: true });
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      signal.removeEventListener('abort', stop);
      resolve(code ?? (sig ? 128 : 1));
    });
  });
}

/** Prometheus to write to: the given one (checked), or one started here when none is given. */
async function resolvePrometheus(url: string | undefined): Promise<{ url: string; stop(): Promise<void> }> {
  if (url) {
    try {
      await new PrometheusClient(url).checkReceiver();
    } catch (error) {
      if (error instanceof PrometheusProblem) throw new UsageError(error.message);
      throw error;
    }
    return { url, stop: async () => {} };
  }
  if (!(await findExecutable('prometheus'))) throw new UsageError(PROMETHEUS_MISSING_MESSAGE);
  process.stderr.write('starting Prometheus (no --prometheus given)...\n');
  return startPrometheus();
}

export async function runInstances(plan: Omit<InstancesPlan, 'remoteWriteUrl'> & { prometheus?: string }) {
  const k6 = plan.options.engine === 'k6' ? await findExecutable('k6') : undefined;
  if (plan.options.engine === 'k6' && !k6) {
    const { K6_MISSING_MESSAGE } = await import('../k6-runner.ts');
    throw new UsageError(K6_MISSING_MESSAGE);
  }
  const prometheus = await resolvePrometheus(plan.prometheus);
  const full: InstancesPlan = { ...plan, remoteWriteUrl: `${prometheus.url.replace(/\/+$/, '')}${REMOTE_WRITE_PATH}` };
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const started = Date.now();
  const ticker = setInterval(
    () => process.stderr.write(`${plan.instances} instances running, ${Math.round((Date.now() - started) / 1000)} s\n`),
    5000,
  );
  try {
    process.stdout.write(
      `coffee load ${plan.profile}: ${plan.instances} instances, run id ${plan.runId}, ` +
        `remote write to ${full.remoteWriteUrl}\n`,
    );
    const codes = await Promise.all(
      Array.from({ length: plan.instances }, (_, i) => {
        if (k6) {
          const { args, env } = k6InstanceArgs(full, i);
          return runChild(k6, args, env, controller.signal);
        }
        return runChild(process.execPath, nodeInstanceArgs(full, i), {}, controller.signal);
      }),
    );
    clearInterval(ticker);
    // 0: passed, 1: its own slice failed a threshold, k6's 99 likewise; the verdict below is the one that counts.
    const broken = codes.map((code, i) => ({ code, i })).filter(({ code }) => ![0, 1, 99].includes(code));
    if (broken.length > 0)
      throw new UsageError(
        `instance ${broken.map((b) => `${b.i} exited with ${b.code}`).join(', ')}: see its output above`,
      );
    return await judgeFromPrometheus({
      prometheus: prometheus.url,
      runId: plan.runId,
      profile: plan.profile,
      thresholdOverrides: plan.thresholdOverrides,
      out: plan.out,
      known: { seed: plan.options.seed, target: plan.target },
    });
  } finally {
    clearInterval(ticker);
    process.removeListener('SIGINT', onSignal);
    await prometheus.stop();
  }
}

/** `coffee load <profile> --instances N`: the embedded service when no --target, then the instances. */
export async function instancesCommand(
  profile: string,
  options: LoadCommandOptions,
  run: { runId: string; out: string; thresholdOverrides: Record<string, number> },
): Promise<LoadResult> {
  // Before starting anything: a missing Prometheus costs nothing.
  if (!options.prometheus && !(await findExecutable('prometheus'))) throw new UsageError(PROMETHEUS_MISSING_MESSAGE);
  let stack: { url: string; stop(): Promise<void> } | undefined;
  if (!options.target) {
    const { startLocalStack } = await import('../../service/index.ts');
    process.stderr.write('starting the embedded service (no --target given)...\n');
    stack = await startLocalStack({ rateLimit: false });
  }
  try {
    return await runInstances({
      profile,
      instances: options.instances ?? 1,
      target: options.target ?? stack!.url,
      ...run,
      options,
      ...(options.prometheus ? { prometheus: options.prometheus } : {}),
    });
  } finally {
    await stack?.stop();
  }
}
