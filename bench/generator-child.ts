/**
 * A load generator in a process of its own, for the load engine's and remote write's
 * figures (generators.ts starts it): the bench runs two of them at once, pinned to one CPU,
 * each against a target of its own, and each reads its own CPU time over its run.
 *
 * Protocol: prints `{"ready":true}` once loaded, then reads one JSON `GeneratorJob` per
 * line on stdin and answers each with one JSON `GeneratorResult` line on stdout (or
 * `{"error": "..."}`); ends when stdin closes. The process stays up across jobs, so its
 * code is as warm in the last round as a long load run's would be.
 */
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { RemoteWriter, runHeaders, runLoad, type Journey } from '../loadtests/index.ts';
import { cpuTimes } from './proc.ts';

export interface GeneratorJob {
  /** Plain autocannon, or the toolkit's load engine running a one-request journey. */
  generator: 'autocannon' | 'engine';
  /** The target's base URL; every request is GET /menu. */
  url: string;
  durationS: number;
  /** Arrivals per second; absent: flat out (autocannon only: the engine is always given a rate). */
  rate?: number;
  connections: number;
  runId: string;
  /** The engine only: push its buckets to this Prometheus remote-write URL every second. */
  remoteWrite?: string;
}

export interface GeneratorResult {
  requests: number;
  rps: number;
  /** This process's CPU (every thread, user + system) per request over the run, µs. */
  cpuUs: number;
  /** Its main thread's, µs. */
  mainCpuUs: number;
  /** Remote-write pushes that failed. */
  pushFailures: number;
}

/** One GET /menu per journey: the engine's least work per request. */
export const MENU_ONLY: Journey = {
  name: 'bench-menu',
  description: 'one GET /menu',
  weight: 1,
  thinkTimeMs: { min: 0, max: 0 },
  steps: [{ name: 'menu read', request: () => ({ route: 'GET /menu', path: '/menu', expect: [200] }) }],
};

/** Four virtual users per connection: flat out, a free one always has an arrival waiting. */
const VUS_PER_CONNECTION = 4;
// autocannon sends the same headers as the engine, so the target does the same work.
const HEADERS = { ...runHeaders('bench'), accept: 'application/json' };

/** Requests sent and the seconds they took. */
interface Sent {
  requests: number;
  seconds: number;
  pushFailures: number;
}

async function autocannonRun(job: GeneratorJob): Promise<Sent> {
  const result = await autocannon({
    url: `${job.url}/menu`,
    connections: job.connections,
    duration: job.durationS,
    headers: HEADERS,
    ...(job.rate === undefined ? {} : { overallRate: job.rate }),
  });
  return { requests: result.requests.total, seconds: job.durationS, pushFailures: 0 };
}

async function engineRun(job: GeneratorJob): Promise<Sent> {
  // An open model has no "flat out": the engine is offered a rate above what it can serve.
  if (job.rate === undefined) throw new Error('the engine needs a rate (flat out: one above what it can serve)');
  const writer = job.remoteWrite
    ? new RemoteWriter({ url: job.remoteWrite, runId: job.runId, profile: 'smoke', instance: '0', flushMs: 1000 })
    : undefined;
  // The writer's start and its last push are inside the measured CPU: they are part of what the sink costs.
  writer?.start();
  let result;
  try {
    result = await runLoad({
      target: job.url,
      durationS: job.durationS,
      rate: job.rate,
      connections: job.connections,
      runId: job.runId,
      profile: 'smoke',
      journeys: [MENU_ONLY],
      maxVUs: job.connections * VUS_PER_CONNECTION,
      ...(writer ? { bucketSink: (report) => writer.bucket(report) } : {}),
    });
  } finally {
    // Its pushes must not run on into the next job's measured CPU.
    await writer?.close();
  }
  return { requests: result.totals.requests, seconds: result.durationMs / 1000, pushFailures: writer?.failures ?? 0 };
}

export async function runJob(job: GeneratorJob): Promise<GeneratorResult> {
  const before = await cpuTimes(process.pid);
  const { requests, seconds, pushFailures } = await (job.generator === 'autocannon' ? autocannonRun : engineRun)(job);
  const after = await cpuTimes(process.pid);
  const per = (us: number) => us / Math.max(1, requests);
  return {
    requests,
    rps: requests / seconds,
    cpuUs: per(after.processUs - before.processUs),
    mainCpuUs: per(after.mainUs - before.mainUs),
    pushFailures,
  };
}

async function main(): Promise<void> {
  // The bench that started this generator is gone when its pipe breaks: nobody to answer.
  process.stdout.on('error', () => process.exit(1));
  const answer = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
  answer({ ready: true });
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    try {
      answer(await runJob(JSON.parse(line) as GeneratorJob));
    } catch (error) {
      answer({ error: error instanceof Error ? error.message : String(error) });
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
