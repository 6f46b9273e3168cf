/**
 * The result of a load run: the schema of `result.json`, written by both engines (the Node
 * engine from its histograms, k6 from `handleSummary`). Pure types and helpers; no Node or
 * k6 APIs. Times are milliseconds, rates per second, shares in [0, 1].
 */
import type { ExemplarSet } from './exemplars.ts';
import type { Phase, ProfileName, Stage } from './profiles.ts';

export const RESULT_SCHEMA_VERSION = 1;

export const Engines = { Autocannon: 'autocannon', K6: 'k6' } as const;
export type Engine = (typeof Engines)[keyof typeof Engines];

/** Latency percentiles in ms; p999 is p99.9. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** The percentiles every summary carries, with their keys. */
export const PERCENTILE_KEYS = [
  [50, 'p50'],
  [90, 'p90'],
  [95, 'p95'],
  [99, 'p99'],
  [99.9, 'p999'],
] as const;

export interface RequestStats {
  requests: number;
  /** Requests that failed the availability objective: a 5xx or a network error (status 0). */
  failures: number;
  errorRate: number;
  throughputRps: number;
  /** Count per HTTP status ("0" for network errors). */
  statusCodes: Record<string, number>;
  /** `null` when the group had no answered request. */
  latencyMs: LatencySummary | null;
}

export interface CheckResult {
  name: string;
  passes: number;
  fails: number;
}

export interface JourneyStats {
  started: number;
  /** Ran every step it needed, every check passing. */
  completed: number;
  /** Ended early on a failed check. */
  failed: number;
  /** Still running at the end of the graceful stop (or when the run was aborted). */
  interrupted: number;
}

/** One time bucket of the timeline (by response time), for the charts. */
export interface TimeBucket {
  /** From the run's start. */
  startMs: number;
  requests: number;
  failures: number;
  statusCodes: Record<string, number>;
  /** Arrival rate the profile asked for at the bucket's start. */
  targetRate: number;
  iterationsStarted: number;
  iterationsDropped: number;
  routeGroups: Record<
    string,
    {
      requests: number;
      failures: number;
      p50: number | null;
      p90: number | null;
      p99: number | null;
      max: number | null;
    }
  >;
}

export const ThresholdMetrics = {
  /** A latency percentile of a route group, in ms. */
  Latency: 'latency',
  /** Share of a route group's requests that failed (5xx or network error). */
  ErrorRate: 'error-rate',
  /** Share of all checks that passed. */
  CheckRate: 'check-rate',
} as const;
export type ThresholdMetric = (typeof ThresholdMetrics)[keyof typeof ThresholdMetrics];

export interface ThresholdResult {
  id: string;
  description: string;
  /** `slo:<id>` when it comes from the catalog's SLOs, `load-test` otherwise. */
  source: string;
  metric: ThresholdMetric;
  routeGroup?: string;
  /** Human form, e.g. `p(99) <= 300 ms`. */
  expression: string;
  /** The same threshold as k6 writes it: metric (with tags) and expression. */
  k6: { metric: string; expression: string };
  limit: number;
  /** `null` when nothing was measured (no request in the group). */
  observed: number | null;
  pass: boolean;
}

export interface BaselineFinding {
  /** A route group, or `total`. */
  scope: string;
  metric: 'p95' | 'throughput';
  baseline: number;
  current: number;
  /** Relative change, (current - baseline) / baseline. */
  change: number;
  regression: boolean;
}

export interface BaselineComparison {
  file?: string;
  baselineRunId: string;
  tolerance: { p95: number; throughput: number };
  findings: BaselineFinding[];
  pass: boolean;
  notes: string[];
}

/**
 * A window in which a fault was injected, relative to the run's start (ms). `runLoad`
 * also accepts absolute epoch ms and converts them.
 */
export interface FaultWindow {
  label: string;
  startMs: number;
  endMs: number;
}

export interface LoadResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  runId: string;
  engine: Engine;
  profile: ProfileName;
  seed: number;
  target: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** The (scaled) profile that ran. */
  config: {
    startRate: number;
    stages: Stage[];
    preAllocatedVUs: number;
    maxVUs: number;
    thinkTimeScale: number;
    gracefulStopS: number;
    workers?: number;
    connections?: number;
  };
  phases: Phase[];
  totals: RequestStats & {
    iterations: JourneyStats & { dropped: number };
    checks: { passes: number; fails: number; rate: number };
    /** Requests sent again after a 429, 503 or network error (POST /orders). */
    retries: number;
  };
  routeGroups: Record<string, RequestStats>;
  /** Per route (`METHOD /template`); the Node engine only. */
  routes?: Record<string, RequestStats>;
  journeys: Record<string, JourneyStats>;
  checks: CheckResult[];
  timeline: { bucketMs: number; buckets: TimeBucket[] };
  /** How well the generator kept to the schedule (Node engine). */
  generator?: {
    /** How late journeys started against their intended time. */
    scheduleLagMs: { p99: number; max: number };
    /** CPU time the generator used, and its share of one core over the run. */
    cpuSeconds: number;
    cpuShareOfOneCore: number;
  };
  thresholds: ThresholdResult[];
  verdict: 'pass' | 'fail';
  baseline?: BaselineComparison;
  faultWindows?: FaultWindow[];
  /**
   * The requests kept by trace id (`traceparent` sent by the client): per route group and
   * second the slowest few, and the failed ones (see ../shared/exemplars.ts).
   */
  exemplars?: ExemplarSet;
  /** Why the run stopped early, if it did. */
  aborted?: string;
  notes: string[];
}

/** Error rate and throughput for a stats record being built. */
export function finishStats(
  stats: Omit<RequestStats, 'errorRate' | 'throughputRps'>,
  durationMs: number,
): RequestStats {
  return {
    ...stats,
    errorRate: stats.requests > 0 ? stats.failures / stats.requests : 0,
    throughputRps: durationMs > 0 ? stats.requests / (durationMs / 1000) : 0,
  };
}

/** Whether a status fails the availability objective. */
export function isFailure(status: number): boolean {
  return status === 0 || status >= 500;
}

/** The verdict from thresholds and an optional baseline comparison. */
export function verdictOf(thresholds: readonly ThresholdResult[], baseline?: BaselineComparison): 'pass' | 'fail' {
  return thresholds.every((t) => t.pass) && (baseline?.pass ?? true) ? 'pass' : 'fail';
}
