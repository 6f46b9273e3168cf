/**
 * `runLoad`: one load run on the Node engine, from a profile to a `LoadResult` with a
 * verdict (and, when `out` is set, result.json, junit.xml and report.html).
 *
 * @example
 * const result = await runLoad({ target: stack.url, profile: 'smoke', durationS: 5, out: 'out/load/x' });
 * if (result.verdict === 'fail') process.exitCode = 1;
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Aggregator, bucketMsFor } from './engine/aggregator.ts';
import type { ResponseEvent } from './engine/engine.ts';
import { HttpClient } from './engine/http-client.ts';
import type { BucketReport } from './engine/recorder.ts';
import { runEngines } from './engine/threads.ts';
import { progressPrinter, type ProgressUpdate } from './progress.ts';
import { writeReport } from './report/load-report.ts';
import { compareWithBaseline, DEFAULT_TOLERANCE, type Tolerance } from './shared/baseline.ts';
import { ExemplarCollector, type Exemplar } from './shared/exemplars.ts';
import { runHeaders, type Journey } from './shared/journeys.ts';
import { junitFileName, resultFileName } from './shared/outputs.ts';
import { toJunitXml } from './shared/junit.ts';
import {
  phasesOf,
  PROFILES,
  profileConfig,
  profileDurationS,
  rateAt,
  scaleProfile,
  type ProfileName,
} from './shared/profiles.ts';
import { RESULT_SCHEMA_VERSION, verdictOf, type FaultWindow, type LoadResult } from './shared/result.ts';
import { thresholdsFromSlos } from './shared/thresholds.ts';
import type { TokenPool } from './shared/tokens.ts';

/** The target did not answer `GET /health` with 200 before the run. */
export class TargetUnreachableError extends Error {
  override readonly name = 'TargetUnreachableError';
}

export interface RunLoadOptions {
  /** Origin of the service, e.g. `http://127.0.0.1:3000`. */
  target: string;
  profile: ProfileName;
  /** Stretch or shrink the profile to this many seconds in total. */
  durationS?: number;
  /** Scale the profile so its peak is this many journeys per second. */
  rate?: number;
  /** Seed of the journeys and their data (default 1). */
  seed?: number;
  runId?: string;
  /** When set: write result.json, junit.xml and report.html into this directory. */
  out?: string;
  /**
   * Fault windows to mark on the report. `startMs`/`endMs` are ms from the run's start;
   * values above 10^12 are taken as epoch ms (`Date.now()`) and converted.
   */
  faultWindows?: FaultWindow[];
  /** Every response (and network error), e.g. to collect acknowledged orders. */
  onResponse?: (response: ResponseEvent) => void;
  /**
   * Each exemplar as soon as it is chosen, on this thread: a failed request at once (within
   * about 100 ms), a second's slowest once that second has closed in every engine thread.
   * A trace capture keeps these traces and drops the rest.
   */
  onExemplar?: (exemplar: Exemplar) => void;
  /** Send `traceparent` on every request and keep exemplars (default true). */
  traceContext?: boolean;
  /** `true`: print progress on stderr; a function: receive it (about once per second). */
  progress?: boolean | ((update: ProgressUpdate) => void);
  signal?: AbortSignal;
  /** Engine worker threads; 0 (default) runs the engine in this thread. */
  workers?: number;
  /** Sockets to the target (default: the profile's maxVUs, at most 256). */
  connections?: number;
  /** Journeys running at once at most; an arrival beyond is dropped (default: the profile's). */
  maxVUs?: number;
  /** Replace threshold limits by id, e.g. `{ 'menu-read-latency': 50 }`. */
  thresholdOverrides?: Record<string, number>;
  /** An earlier result (or the path of its result.json) to compare with. */
  baseline?: LoadResult | string;
  tolerance?: Tolerance;
  /** Override the profile's think-time scale (0 = no think time). */
  thinkTimeScale?: number;
  requestTimeoutMs?: number;
  /** Pre-issued customer and barista tokens (a target whose issuer is Cognito), instead of registering. */
  tokens?: TokenPool;
  /** Other journeys than the shared ones (in-thread only). */
  journeys?: readonly Journey[];
  /** Another consumer of every bucket report, on the main thread (e.g. Prometheus remote write); must not keep it. */
  bucketSink?: (report: BucketReport) => void;
  /** This process's share of the arrivals when several processes split one run (instance `index` of `count`). */
  share?: { index: number; count: number };
}

/** A run id: sortable by time, unique enough, safe in a path, a header and baggage. */
export function newRunId(date = new Date()): string {
  const stamp = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase();
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Converts fault windows given in epoch ms to ms from the run's start. */
export function normalizeFaultWindows(windows: readonly FaultWindow[], startEpochMs: number): FaultWindow[] {
  const relative = (ms: number) => (ms > 1e12 ? ms - startEpochMs : ms);
  return windows.map((w) => ({ label: w.label, startMs: relative(w.startMs), endMs: relative(w.endMs) }));
}

/** Fails fast when the target is down: one `GET /health`, 5 s at most. */
export async function checkTarget(target: string, runId: string): Promise<void> {
  let client: HttpClient;
  try {
    client = new HttpClient({ origin: target, connections: 1, timeoutMs: 5_000 });
  } catch (error) {
    throw new TargetUnreachableError(`target ${target} is not a usable URL: ${(error as Error).message}`);
  }
  try {
    const response = await client.request({ method: 'GET', path: '/health', headers: runHeaders(runId) });
    if (response.status === 0)
      throw new TargetUnreachableError(`target ${target} is unreachable: ${response.error ?? 'network error'}`);
    if (response.status !== 200)
      throw new TargetUnreachableError(`target ${target} is not healthy: GET /health answered ${response.status}`);
  } finally {
    client.close();
  }
}

async function loadBaseline(baseline: LoadResult | string): Promise<{ result: LoadResult; file?: string }> {
  if (typeof baseline !== 'string') return { result: baseline };
  const parsed = JSON.parse(await readFile(baseline, 'utf8')) as LoadResult;
  if (parsed.schemaVersion !== RESULT_SCHEMA_VERSION)
    throw new Error(`${baseline} is not a result.json of schema version ${RESULT_SCHEMA_VERSION}`);
  return { result: parsed, file: baseline };
}

/** Writes result.json, junit.xml and report.html into `out`; returns their paths. */
export async function writeOutputs(
  result: LoadResult,
  out: string,
): Promise<{ result: string; junit: string; report: string }> {
  await mkdir(out, { recursive: true });
  const resultPath = path.join(out, resultFileName);
  const junitPath = path.join(out, junitFileName);
  await writeFile(resultPath, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(junitPath, toJunitXml(result));
  const report = await writeReport(result, {
    out,
    ...(result.faultWindows ? { faultWindows: result.faultWindows } : {}),
  });
  return { result: resultPath, junit: junitPath, report };
}

/** The run's profile: the named one scaled to the options' duration and rate, with their overrides. */
function profileOf(options: RunLoadOptions) {
  const base = PROFILES[options.profile];
  if (!base) throw new Error(`unknown profile "${options.profile}"`);
  const scaled = scaleProfile(base, {
    ...(options.durationS !== undefined ? { durationS: options.durationS } : {}),
    ...(options.rate !== undefined ? { rate: options.rate } : {}),
  });
  return {
    ...scaled,
    ...(options.thinkTimeScale !== undefined ? { thinkTimeScale: options.thinkTimeScale } : {}),
    ...(options.maxVUs !== undefined
      ? { maxVUs: options.maxVUs, preAllocatedVUs: Math.min(scaled.preAllocatedVUs, options.maxVUs) }
      : {}),
  };
}

/** The generator's CPU seconds, and the result's notes on how they and the latencies were measured. */
function generatorCpu(activeSeconds: number | undefined, cpu: NodeJS.CpuUsage) {
  const notes: string[] = [
    "latency is measured from each request's intended send time (scheduled arrival, end of think time or back-off), so generator queueing counts (no coordinated omission)",
  ];
  if (activeSeconds !== undefined) {
    notes.push('generator CPU is the event-loop active time of the engine worker threads');
    return { cpuSeconds: activeSeconds, notes };
  }
  notes.push(
    "generator CPU is this process's CPU time: it includes anything else running in the process (such as an embedded service)",
  );
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, notes };
}

export async function runLoad(options: RunLoadOptions): Promise<LoadResult> {
  const {
    target: rawTarget,
    seed = 1,
    runId = newRunId(),
    out,
    onResponse,
    onExemplar,
    traceContext = true,
    signal,
    workers = 0,
    thresholdOverrides,
    tolerance = DEFAULT_TOLERANCE,
  } = options;
  const target = rawTarget.replace(/\/+$/, '');
  const profile = profileOf(options);
  const thresholdDefinitions = thresholdsFromSlos(thresholdOverrides ? { overrides: thresholdOverrides } : {});
  const baseline = options.baseline === undefined ? undefined : await loadBaseline(options.baseline);

  await checkTarget(target, runId);

  const totalMs = profileDurationS(profile) * 1000;
  const bucketMs = bucketMsFor(totalMs);
  const aggregator = new Aggregator(bucketMs, profile);
  const exemplars = traceContext ? new ExemplarCollector(Math.max(1, workers), onExemplar) : undefined;
  const controller = new AbortController();
  let abortReason: string | undefined;
  const onAbort = () => {
    abortReason ??= 'aborted by the caller';
    controller.abort();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();

  const printer = options.progress === true ? progressPrinter(process.stderr) : undefined;
  const report = typeof options.progress === 'function' ? options.progress : printer?.update;
  const phases = phasesOf(profile);
  let t0 = Date.now();
  const cpuBefore = process.cpuUsage();

  const outcome = await runEngines({
    target,
    profile,
    runId,
    seed,
    bucketMs,
    workers,
    ...(options.connections !== undefined ? { connections: options.connections } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.journeys ? { journeys: options.journeys } : {}),
    ...(options.tokens ? { tokens: options.tokens } : {}),
    traceContext,
    ...(exemplars ? { onExemplars: (source: number, batch) => exemplars.add(source, batch) } : {}),
    signal: controller.signal,
    onStart: (start) => (t0 = start),
    ...(options.share ? { share: options.share } : {}),
    onBucket: (bucket) => {
      const decoded = aggregator.add(bucket);
      options.bucketSink?.(decoded);
      const elapsedMs = Date.now() - t0;
      if (report) {
        const live = aggregator.live(elapsedMs);
        report({
          ...live,
          totalMs,
          phase: phases.find((p) => elapsedMs < p.endMs)?.name ?? 'graceful stop',
          targetRate: rateAt(profile, elapsedMs),
          errorRate: live.requests > 0 ? live.failures / live.requests : 0,
        });
      }
      // Breakpoint: stop at the first failed threshold (after a settling period, like k6's delayAbortEval).
      if (profile.abortOnFail && !controller.signal.aborted && elapsedMs >= 10_000) {
        const failed = aggregator.thresholds(thresholdDefinitions).find((t) => !t.pass);
        if (failed) {
          abortReason = `threshold ${failed.id} (${failed.expression}) failed at ${rateAt(profile, elapsedMs).toFixed(1)} journeys/s, ${(elapsedMs / 1000).toFixed(0)} s in`;
          controller.abort();
        }
      }
    },
    ...(onResponse ? { onResponse } : {}),
  });
  signal?.removeEventListener('abort', onAbort);
  printer?.done();

  const endedAt = Date.now();
  const durationMs = endedAt - t0;
  const cpu = process.cpuUsage(cpuBefore);
  const { cpuSeconds, notes } = generatorCpu(outcome.generatorActiveSeconds, cpu);
  const summary = aggregator.summary(durationMs);
  const thresholds = aggregator.thresholds(thresholdDefinitions);
  const result: LoadResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId,
    engine: 'autocannon',
    profile: profile.name,
    seed,
    target,
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    durationMs,
    config: {
      ...profileConfig(profile),
      workers,
      connections: options.connections ?? Math.max(1, Math.min(256, profile.maxVUs)),
    },
    phases,
    totals: summary.totals,
    routeGroups: summary.routeGroups,
    routes: summary.routes,
    journeys: summary.journeys,
    checks: summary.checks,
    timeline: summary.timeline,
    generator: {
      scheduleLagMs: summary.scheduleLagMs,
      cpuSeconds,
      cpuShareOfOneCore: durationMs > 0 ? cpuSeconds / (durationMs / 1000) : 0,
    },
    thresholds,
    verdict: 'pass',
    ...(options.faultWindows?.length ? { faultWindows: normalizeFaultWindows(options.faultWindows, t0) } : {}),
    ...(exemplars ? { exemplars: exemplars.finish() } : {}),
    ...(outcome.aborted || abortReason ? { aborted: abortReason ?? 'aborted' } : {}),
    notes,
  };
  if (baseline) result.baseline = compareWithBaseline(result, baseline.result, tolerance, baseline.file);
  result.verdict = verdictOf(result.thresholds, result.baseline);
  if (out) await writeOutputs(result, out);
  return result;
}
