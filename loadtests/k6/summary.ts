/**
 * k6's end-of-test summary data (what `handleSummary(data)` receives) turned into the same
 * `LoadResult` the Node engine writes. Pure: the k6 script calls it, and Node tests call it
 * on a hand-made summary shaped like k6's.
 *
 * What k6's summary cannot give: time series (it is aggregated over the run) and per-route
 * statistics; status codes outside `KNOWN_STATUSES` are counted as "other".
 */
import { JOURNEYS } from '../shared/journeys.ts';
import { phasesOf, profileConfig } from '../shared/profiles.ts';
import {
  finishStats,
  RESULT_SCHEMA_VERSION,
  verdictOf,
  type CheckResult,
  type JourneyStats,
  type LatencySummary,
  type LoadResult,
  type RequestStats,
} from '../shared/result.ts';
import { k6Threshold, observe, toResult, type Observations } from '../shared/thresholds.ts';
import {
  K6Metrics,
  KNOWN_STATUSES,
  profileOf,
  ROUTE_GROUPS,
  thresholdDefinitions,
  type K6Settings,
} from './options.ts';

/** One metric of the summary: `values` holds count/rate (counter), rate/passes/fails (rate) or the trend stats. */
export interface K6SummaryMetric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: 'default' | 'time' | 'data';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6SummaryCheck {
  name: string;
  path: string;
  id: string;
  passes: number;
  fails: number;
}

export interface K6SummaryGroup {
  name: string;
  path: string;
  id: string;
  groups: K6SummaryGroup[];
  checks: K6SummaryCheck[];
}

/** The `data` argument of `handleSummary`. */
export interface K6SummaryData {
  root_group: K6SummaryGroup;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, K6SummaryMetric>;
  setup_data?: unknown;
}

/** The note of a result built from the summary alone (replaced when k6's JSON output was read). */
export const K6_AGGREGATE_NOTE =
  "k6's end-of-test summary is aggregated over the run: no time series (stream k6's metrics with --out for those) and no per-route statistics";

function allChecks(group: K6SummaryGroup): K6SummaryCheck[] {
  return [...group.checks, ...group.groups.flatMap(allChecks)];
}

function latency(metric: K6SummaryMetric | undefined): LatencySummary | null {
  const v = metric?.values;
  if (!v || !v.count) return null;
  return {
    count: v.count,
    min: v.min ?? 0,
    mean: v.avg ?? 0,
    p50: v['p(50)'] ?? v.med ?? 0,
    p90: v['p(90)'] ?? 0,
    p95: v['p(95)'] ?? 0,
    p99: v['p(99)'] ?? 0,
    p999: v['p(99.9)'] ?? 0,
    max: v.max ?? 0,
  };
}

/** When the scenario started (setup's return), else the end less the run's duration; epoch ms. */
function startOf(data: K6SummaryData, endedAt: Date): number {
  const setup = data.setup_data as { startedAtMs?: unknown } | undefined;
  return typeof setup?.startedAtMs === 'number' ? setup.startedAtMs : endedAt.getTime() - data.state.testRunDurationMs;
}

export function resultFromK6Summary(data: K6SummaryData, settings: K6Settings, endedAt: Date): LoadResult {
  const m = data.metrics;
  const durationMs = data.state.testRunDurationMs;
  const profile = profileOf(settings);
  const count = (name: string): number => m[name]?.values.count ?? 0;

  const routeGroups: Record<string, RequestStats> = {};
  const totalCodes: Record<string, number> = {};
  for (const group of ROUTE_GROUPS) {
    const requests = count(`http_reqs{route_group:${group}}`);
    if (requests === 0) continue;
    const statusCodes: Record<string, number> = {};
    let known = 0;
    for (const status of KNOWN_STATUSES) {
      const n = count(`http_reqs{route_group:${group},status:${status}}`);
      if (n > 0) statusCodes[status] = n;
      known += n;
    }
    if (requests > known) statusCodes.other = requests - known;
    for (const [code, n] of Object.entries(statusCodes)) totalCodes[code] = (totalCodes[code] ?? 0) + n;
    // For http_req_failed, k6 counts a failed request as a "pass" of the rate (a true value).
    const failures = m[`http_req_failed{route_group:${group}}`]?.values.passes ?? 0;
    routeGroups[group] = finishStats(
      { requests, failures, statusCodes, latencyMs: latency(m[`http_req_duration{route_group:${group}}`]) },
      durationMs,
    );
  }

  const scenario = `{scenario:${profile.name}}`;
  const totals = finishStats(
    {
      requests: Object.values(routeGroups).reduce((n, s) => n + s.requests, 0),
      failures: Object.values(routeGroups).reduce((n, s) => n + s.failures, 0),
      statusCodes: totalCodes,
      latencyMs: latency(m[`http_req_duration${scenario}`]),
    },
    durationMs,
  );

  const journeys: Record<string, JourneyStats> = {};
  for (const journey of JOURNEYS) {
    const of = (outcome: string) => count(`${K6Metrics.Journeys}{journey:${journey.name},outcome:${outcome}}`);
    const started = of('started');
    if (started === 0) continue;
    const completed = of('completed');
    const failed = of('failed');
    journeys[journey.name] = { started, completed, failed, interrupted: Math.max(0, started - completed - failed) };
  }
  const started = Object.values(journeys).reduce((n, j) => n + j.started, 0);
  const completed = Object.values(journeys).reduce((n, j) => n + j.completed, 0);
  const failed = Object.values(journeys).reduce((n, j) => n + j.failed, 0);

  const checks: CheckResult[] = [];
  for (const c of allChecks(data.root_group)) {
    const existing = checks.find((e) => e.name === c.name);
    if (existing) {
      existing.passes += c.passes;
      existing.fails += c.fails;
    } else checks.push({ name: c.name, passes: c.passes, fails: c.fails });
  }
  const checkPasses = m.checks?.values.passes ?? 0;
  const checkFails = m.checks?.values.fails ?? 0;

  const observations: Observations = {
    latencyPercentile: (group, percentile) =>
      routeGroups[group] ? (m[`http_req_duration{route_group:${group}}`]?.values[`p(${percentile})`] ?? null) : null,
    errorRate: (group) => routeGroups[group]?.errorRate ?? null,
    checkRate: () => (checkPasses + checkFails > 0 ? checkPasses / (checkPasses + checkFails) : null),
  };
  const thresholds = thresholdDefinitions(settings).map((definition) => {
    const observed = observe(definition, observations);
    const { metric, expression } = k6Threshold(definition);
    const k6Verdict = m[metric]?.thresholds?.[expression]?.ok;
    // k6 evaluated the threshold itself: its verdict stands; without one, judge the observation.
    const pass =
      k6Verdict ??
      (observed === null ||
        (definition.comparator === '<=' ? observed <= definition.limit : observed >= definition.limit));
    return toResult(definition, observed, pass);
  });

  const result: LoadResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: settings.runId,
    engine: 'k6',
    profile: profile.name,
    seed: settings.seed,
    target: settings.target,
    startedAt: new Date(startOf(data, endedAt)).toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs,
    config: profileConfig(profile),
    phases: phasesOf(profile),
    totals: {
      ...totals,
      iterations: {
        started,
        completed,
        failed,
        interrupted: Math.max(0, started - completed - failed),
        dropped: count('dropped_iterations'),
      },
      checks: {
        passes: checkPasses,
        fails: checkFails,
        rate: checkPasses + checkFails > 0 ? checkPasses / (checkPasses + checkFails) : 1,
      },
      retries: count(K6Metrics.Retries),
    },
    routeGroups,
    journeys,
    checks,
    timeline: { bucketMs: 1000, buckets: [] },
    thresholds,
    verdict: 'pass',
    notes: [K6_AGGREGATE_NOTE, `status codes other than ${KNOWN_STATUSES.join(', ')} are counted as "other"`],
  };
  result.verdict = verdictOf(result.thresholds);
  return result;
}

/**
 * The machine-readable summary k6 1.5+ gives `handleSummary` with
 * `--new-machine-readable-summary` (and is to make its default): metrics as a list, rates as
 * matches/total, trends with avg, min, med, max, p(90) and p(95) only, checks apart, no
 * threshold outcomes (field names as in k6's internal/lib/summary/machinereadable).
 */
export interface K6MachineReadableSummary {
  version: string;
  config: { duration: number; execution: 'local' | 'cloud'; script?: string };
  metadata: { generatedAt: string; k6Version: string };
  results: {
    checks?: {
      metrics?: K6MachineReadableMetric[];
      results?: { name: string; passes: number; fails: number }[];
    };
    metrics: K6MachineReadableMetric[];
  };
}

export interface K6MachineReadableMetric {
  name: string;
  type: K6SummaryMetric['type'];
  contains: K6SummaryMetric['contains'];
  values: Record<string, number>;
}

export function isMachineReadableSummary(data: unknown): data is K6MachineReadableSummary {
  const d = data as Partial<K6MachineReadableSummary> | null;
  return typeof d === 'object' && d !== null && typeof d.version === 'string' && Array.isArray(d.results?.metrics);
}

function legacyValues(metric: K6MachineReadableMetric, durationS: number): Record<string, number> {
  const v = metric.values;
  switch (metric.type) {
    case 'rate':
      return { rate: v.rate ?? 0, passes: v.matches ?? 0, fails: (v.total ?? 0) - (v.matches ?? 0) };
    case 'counter':
      return { count: v.count ?? 0, rate: durationS > 0 ? (v.count ?? 0) / durationS : 0 };
    default:
      return { ...v };
  }
}

/**
 * The legacy summary data from either shape, so one reader serves k6 v1 and v2. The new
 * shape carries no p(99) and no threshold outcomes: those thresholds are observed as
 * nothing measured here, and k6's own verdict (exit code 99) decides.
 */
export function toLegacySummary(data: K6SummaryData | K6MachineReadableSummary, trendStats: string[]): K6SummaryData {
  if (!isMachineReadableSummary(data)) return data;
  const metrics: Record<string, K6SummaryMetric> = {};
  for (const metric of [...data.results.metrics, ...(data.results.checks?.metrics ?? [])]) {
    metrics[metric.name] = {
      type: metric.type,
      contains: metric.contains,
      values: legacyValues(metric, data.config.duration),
    };
  }
  const checks = (data.results.checks?.results ?? []).map((c, i) => ({
    name: c.name,
    path: `::${c.name}`,
    id: String(i),
    passes: c.passes,
    fails: c.fails,
  }));
  // k6 names its check metrics checks_total, checks_succeeded and checks_failed in this shape.
  const succeeded = metrics.checks_succeeded;
  if (!metrics.checks && succeeded) metrics.checks = { ...succeeded, values: { ...succeeded.values } };
  if (!metrics.checks && checks.length > 0) {
    const passes = checks.reduce((n, c) => n + c.passes, 0);
    const fails = checks.reduce((n, c) => n + c.fails, 0);
    metrics.checks = { type: 'rate', contains: 'default', values: { passes, fails, rate: passes / (passes + fails) } };
  }
  return {
    root_group: { name: '', path: '', id: 'root', groups: [], checks },
    options: { summaryTrendStats: trendStats, summaryTimeUnit: '', noColor: true },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: data.config.duration * 1000 },
    metrics,
  };
}
