/**
 * The bench's targets, each in a process of its own so the load generator and the target
 * do not share an event loop: the service as users run it (`coffee serve`, configured by
 * environment variables only) and the raw comparators of target.ts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServiceProcess } from '../service/index.ts';

const RAW_TARGET = fileURLToPath(new URL('./target.ts', import.meta.url));

export interface BenchTarget {
  url: string;
  /** A customer's token for the order routes (the service only). */
  token?: string;
  /** The measured process. */
  pid: number;
  /** Processes the target needs but that are not measured (its store), pinned with the load generator. */
  companionPids?: readonly number[];
  /** SIGTERM; resolves once the process is gone (at once if it already is). */
  stop(): Promise<void>;
}

export type RawTargetKind = 'raw-menu' | 'raw-menu-bare' | 'raw-put';

/**
 * A raw comparison target of target.ts, ready once it prints its `{"url": ...}` line;
 * `raw-put` on the store at `storeEndpoint` when given, else on an embedded store of its own.
 */
export function startRawTarget(kind: RawTargetKind, storeEndpoint?: string): Promise<BenchTarget> {
  return startTargetScript(kind === 'raw-put' && storeEndpoint !== undefined ? [kind, storeEndpoint] : [kind]);
}

/** The embedded DynamoDB in a process of its own; its `url` is the endpoint. */
export function startStoreTarget(): Promise<BenchTarget> {
  return startTargetScript(['store']);
}

/**
 * `start(endpoint)` on a store process of its own, started first: the target's process
 * then holds its own work only, as in AWS, where DynamoDB's CPU is not the service's. The
 * store is the target's companion (not measured; compare.ts pins it with the load
 * generator, off the measured CPU) and stops after it.
 */
export async function withStoreApart(start: (storeEndpoint: string) => Promise<BenchTarget>): Promise<BenchTarget> {
  const store = await startStoreTarget();
  let target: BenchTarget;
  try {
    target = await start(store.url);
  } catch (error) {
    await store.stop();
    throw error;
  }
  return {
    ...target,
    companionPids: [...(target.companionPids ?? []), store.pid],
    stop: async () => {
      try {
        await target.stop();
      } finally {
        await store.stop();
      }
    },
  };
}

async function startTargetScript(args: readonly string[]): Promise<BenchTarget> {
  const kind = args[0]!;
  // node itself with tsx's loader (not the tsx CLI, which runs the script in a second
  // process): the child's pid is the target's.
  const child = spawn(process.execPath, ['--import', 'tsx', RAW_TARGET, ...args], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.startsWith('{"url"'));
      if (line === undefined) return;
      child.stdout.off('data', onData);
      resolve((JSON.parse(line) as { url: string }).url);
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bench target ${kind} exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The service's configurations the budgets compare (environment variables of `coffee
 * serve`), and two that split the telemetry's cost for the report: metrics alone, and
 * tracing with nothing sampled (the instrumentation in place, no span recorded).
 */
export type ServiceKind = 'off' | 'metrics' | 'unsampled' | 'traced' | 'traced+access';

export function serviceEnv(kind: ServiceKind, otlp: string, workDir: string): Record<string, string> {
  if (kind === 'off')
    return {
      OTEL_SDK_DISABLED: 'true',
      COFFEE_TRACING: 'false',
      COFFEE_METRICS_EXPORTER: 'none',
      COFFEE_LOG_LEVEL: 'silent',
    };
  // Tracing at 100% sampling exported over OTLP to the sink, EMF metrics every second to a
  // file, logs at info; the access line at debug (the budget's configuration) or at info.
  return {
    ...(kind === 'metrics'
      ? { OTEL_SDK_DISABLED: 'true', COFFEE_TRACING: 'false' }
      : {
          OTEL_SDK_DISABLED: 'false',
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
          OTEL_TRACES_SAMPLER: kind === 'unsampled' ? 'always_off' : 'always_on',
          COFFEE_TRACING: 'true',
        }),
    COFFEE_METRICS_EXPORTER: 'emf',
    COFFEE_EMF_FILE: join(workDir, `emf-${kind}.log`),
    COFFEE_METRICS_INTERVAL_MS: '1000',
    COFFEE_LOG_LEVEL: 'info',
    COFFEE_LOG_FILE: join(workDir, `service-${kind}.log`),
    COFFEE_ACCESS_LOG_LEVEL: kind === 'traced+access' ? 'info' : 'debug',
  };
}

/**
 * The service as users run it: `coffee serve` (compiled, no TypeScript loader; its heap
 * settings), on its embedded store in memory, configured by `env` alone (none of the
 * shell's COFFEE_* or OTEL_* variables), with a dev token for the order routes.
 */
export async function startServiceTarget(label: string, env: Record<string, string>): Promise<BenchTarget> {
  // Load tests measure the service, not its rate limiter.
  const service = await startServiceProcess({
    env: { COFFEE_RATE_LIMIT_RPS: '0', ...env },
    inheritConfig: false,
    echoStderr: true,
    // A busy machine can take far longer than usual to start the process and its store.
    startTimeoutMs: 120_000,
  });
  try {
    const res = await fetch(`${service.url}/auth/dev-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'bench-customer', role: 'customer' }),
    });
    if (!res.ok) throw new Error(`bench target ${label}: POST /auth/dev-token answered ${res.status}`);
    const { token } = (await res.json()) as { token: string };
    return { url: service.url, token, pid: service.pid!, stop: async () => void (await service.stop()) };
  } catch (error) {
    await service.kill();
    throw error;
  }
}
