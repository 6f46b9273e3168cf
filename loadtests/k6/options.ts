/**
 * The shared definitions turned into k6 `options`: the profile becomes one scenario on an
 * arrival-rate executor, the SLO thresholds become k6 thresholds, and "observation"
 * thresholds that always pass make k6 keep the per-route-group sub-metrics that
 * `handleSummary` needs for result.json (k6 puts a sub-metric into the end-of-test summary
 * only when a threshold names it). Pure: no k6 or Node imports, so Node tests check it.
 */
import { RouteGroups } from '../../service/catalog/index.ts';
import { JOURNEYS, type Journey } from '../shared/journeys.ts';
import { isProfileName, peakRate, PROFILES, scaleProfile, type Profile, type ProfileName } from '../shared/profiles.ts';
import { k6Threshold, thresholdsFromSlos, type ThresholdDefinition } from '../shared/thresholds.ts';

export interface K6Settings {
  target: string;
  profile: ProfileName;
  runId: string;
  seed: number;
  durationS?: number;
  rate?: number;
  /** Threshold limits replaced by id. */
  overrides: Record<string, number>;
  /** Directory for result.json and junit.xml; the working directory when absent. */
  out?: string;
  /** A token file (see ../shared/tokens.ts), read by the script with `open()` in the init context. */
  tokensFile?: string;
}

/** Statuses counted one by one in result.json; any other lands in "other". */
export const KNOWN_STATUSES: readonly number[] = [
  0, 200, 201, 204, 400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 502, 503, 504,
];

export const ROUTE_GROUPS: readonly string[] = Object.values(RouteGroups);

/** Journey outcomes counted by the `coffee_journeys` counter (tag `outcome`). */
export const JOURNEY_OUTCOMES = ['started', 'completed', 'failed'] as const;

/** Custom metrics, prefixed `coffee_` so they never clash with k6's own. */
export const K6Metrics = {
  Journeys: 'coffee_journeys',
  JourneyDuration: 'coffee_journey_duration',
  OrdersPlaced: 'coffee_orders_placed',
  Retries: 'coffee_retries',
} as const;

/**
 * Per-request values the script puts in `exec.vu.metrics.metadata` (never tags: a tag would
 * make a series per request). k6 writes them on every sample of that request in its JSON
 * output, where the exemplar reader finds them.
 */
export const K6Metadata = {
  TraceId: 'trace_id',
  SpanId: 'span_id',
  /** The path sent, e.g. `/orders/abc` (the `url` tag holds only the route's name). */
  Path: 'path',
  /** The step's expected statuses, space-separated: an unexpected 4xx is a failed request. */
  ExpectedStatuses: 'expected_statuses',
} as const;

/** Observation thresholds: always true, they only make k6 report the sub-metric. */
const OBSERVE_TREND = 'max>=0';
const OBSERVE_COUNT = 'count>=0';
const OBSERVE_RATE = 'rate>=0';

/** Reads the `--env` settings (`COFFEE_*`), with local defaults, failing on a bad value. */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): K6Settings {
  const profile = env.COFFEE_PROFILE ?? 'smoke';
  if (!isProfileName(profile))
    throw new Error(`COFFEE_PROFILE must be one of ${Object.keys(PROFILES).join(', ')}, got "${profile}"`);
  const number = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
    return n;
  };
  let overrides: Record<string, number> = {};
  if (env.COFFEE_THRESHOLDS) {
    const parsed = JSON.parse(env.COFFEE_THRESHOLDS) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Object.values(parsed).some((v) => typeof v !== 'number')) {
      throw new Error('COFFEE_THRESHOLDS must be a JSON object of threshold id to number');
    }
    overrides = parsed as Record<string, number>;
  }
  const durationS = number('COFFEE_DURATION_S');
  const rate = number('COFFEE_RATE');
  return {
    target: (env.COFFEE_TARGET ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''),
    profile,
    runId: env.COFFEE_RUN_ID ?? `k6-${profile}`,
    seed: number('COFFEE_SEED') ?? 1,
    ...(durationS !== undefined ? { durationS } : {}),
    ...(rate !== undefined ? { rate } : {}),
    overrides,
    ...(env.COFFEE_OUT ? { out: env.COFFEE_OUT.replace(/\/+$/, '') } : {}),
    ...(env.COFFEE_TOKENS_FILE ? { tokensFile: env.COFFEE_TOKENS_FILE } : {}),
  };
}

export function profileOf(settings: K6Settings): Profile {
  return scaleProfile(PROFILES[settings.profile], {
    ...(settings.durationS !== undefined ? { durationS: settings.durationS } : {}),
    ...(settings.rate !== undefined ? { rate: settings.rate } : {}),
  });
}

function duration(seconds: number): string {
  return `${Math.max(1, Math.round(seconds * 1000))}ms`;
}

/**
 * k6's arrival-rate executors take whole iterations per `timeUnit`: whole-number rates go
 * per second, others per minute (rounded), so a scaled profile keeps its shape.
 */
function rateUnit(profile: Profile): { timeUnit: string; perUnit: (rate: number) => number } {
  const rates = [profile.startRate, ...profile.stages.map((s) => s.target)];
  if (rates.every((r) => Number.isInteger(r))) return { timeUnit: '1s', perUnit: (r) => r };
  return { timeUnit: '1m', perUnit: (r) => Math.round(r * 60) };
}

/** Time one request is allowed in the sizing below (a healthy local target answers far faster). */
const REQUEST_ALLOWANCE_S = 0.1;
/** Headroom over the mean concurrency, for long journeys that bunch up. */
const VU_HEADROOM = 1.5;

/** A journey's expected length in seconds: its mean think times (scaled) and a request allowance per step. */
export function expectedJourneyS(journey: Journey, thinkTimeScale: number): number {
  const meanThinkS = ((journey.thinkTimeMs.min + journey.thinkTimeMs.max) / 2 / 1000) * thinkTimeScale;
  return Math.max(0, journey.steps.length - 1) * meanThinkS + journey.steps.length * REQUEST_ALLOWANCE_S;
}

/**
 * Virtual users to allocate before the start: the peak arrival rate times the journeys'
 * mean expected length (Little's law: the journeys in flight at once), with headroom for
 * the longer journeys bunching up. k6 adds VUs beyond `preAllocatedVUs` only slowly,
 * mid-test, and drops the arrivals that find none free.
 */
export function vusFor(
  profile: Profile,
  journeys: readonly Journey[] = JOURNEYS,
): { preAllocatedVUs: number; maxVUs: number } {
  const weights = journeys.reduce((n, j) => n + j.weight, 0);
  const meanS = journeys.reduce((n, j) => n + j.weight * expectedJourneyS(j, profile.thinkTimeScale), 0) / weights;
  const needed = Math.ceil(peakRate(profile) * meanS * VU_HEADROOM);
  const preAllocatedVUs = Math.max(profile.preAllocatedVUs, needed);
  return { preAllocatedVUs, maxVUs: Math.max(profile.maxVUs, preAllocatedVUs) };
}

/** The k6 scenario of a profile: constant-arrival-rate when it is flat, ramping-arrival-rate otherwise. */
export function k6Scenario(profile: Profile): Record<string, unknown> {
  const { timeUnit, perUnit } = rateUnit(profile);
  const flat = profile.stages.length === 1 && profile.stages[0]!.target === profile.startRate;
  const common = {
    timeUnit,
    ...vusFor(profile),
    gracefulStop: duration(profile.gracefulStopS),
    tags: { profile: profile.name },
  };
  if (flat) {
    return {
      executor: 'constant-arrival-rate',
      rate: perUnit(profile.startRate),
      duration: duration(profile.stages[0]!.durationS),
      ...common,
    };
  }
  return {
    executor: 'ramping-arrival-rate',
    startRate: perUnit(profile.startRate),
    stages: profile.stages.map((s) => ({ duration: duration(s.durationS), target: perUnit(s.target) })),
    ...common,
  };
}

type ThresholdEntry = string | { threshold: string; abortOnFail: boolean; delayAbortEval: string };

/** The thresholds: the SLO ones (abort on fail for the breakpoint profile) plus the observation ones. */
export function k6Thresholds(
  definitions: readonly ThresholdDefinition[],
  profile: Profile,
): Record<string, ThresholdEntry[]> {
  const thresholds: Record<string, ThresholdEntry[]> = {};
  const add = (metric: string, entry: ThresholdEntry) => (thresholds[metric] ??= []).push(entry);
  for (const definition of definitions) {
    const { metric, expression } = k6Threshold(definition);
    add(metric, profile.abortOnFail ? { threshold: expression, abortOnFail: true, delayAbortEval: '10s' } : expression);
  }
  const scenario = `{scenario:${profile.name}}`;
  add(`http_req_duration${scenario}`, OBSERVE_TREND);
  add(`http_req_failed${scenario}`, OBSERVE_RATE);
  add(`http_reqs${scenario}`, OBSERVE_COUNT);
  for (const group of ROUTE_GROUPS) {
    add(`http_req_duration{route_group:${group}}`, OBSERVE_TREND);
    add(`http_req_failed{route_group:${group}}`, OBSERVE_RATE);
    add(`http_reqs{route_group:${group}}`, OBSERVE_COUNT);
    for (const status of KNOWN_STATUSES) add(`http_reqs{route_group:${group},status:${status}}`, OBSERVE_COUNT);
  }
  for (const journey of JOURNEYS) {
    for (const outcome of JOURNEY_OUTCOMES)
      add(`${K6Metrics.Journeys}{journey:${journey.name},outcome:${outcome}}`, OBSERVE_COUNT);
  }
  return thresholds;
}

/** The trend statistics the summary must carry: result.json's percentiles plus any threshold's. */
export function summaryTrendStats(definitions: readonly ThresholdDefinition[]): string[] {
  const stats = ['avg', 'min', 'med', 'max', 'count', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)'];
  for (const d of definitions)
    if (d.percentile !== undefined && !stats.includes(`p(${d.percentile})`)) stats.push(`p(${d.percentile})`);
  return stats;
}

export function thresholdDefinitions(settings: K6Settings): ThresholdDefinition[] {
  return thresholdsFromSlos({ overrides: settings.overrides });
}

/** The whole `options` export of the k6 script. */
export function buildK6Options(settings: K6Settings) {
  const profile = profileOf(settings);
  const definitions = thresholdDefinitions(settings);
  return {
    scenarios: { [profile.name]: k6Scenario(profile) },
    thresholds: k6Thresholds(definitions, profile),
    summaryTrendStats: summaryTrendStats(definitions),
    // Every metric sample carries the run id, so k6 outputs can be tied to the service's telemetry.
    tags: { run_id: settings.runId, profile: profile.name, synthetic: 'true' },
    setupTimeout: '30s',
    userAgent: 'coffee-load/1.0 (k6; synthetic)',
    discardResponseBodies: false,
  };
}

/** One runner's slice of a run split over `count` instances: k6's execution segment and sequence. */
export interface ExecutionSegment {
  /** e.g. `1/3:2/3` */
  segment: string;
  /** e.g. `0,1/3,2/3,1`, the same for every runner so their slices interleave evenly. */
  sequence: string;
}

/** The segments of `count` runners: consecutive slices that cover 0..1 exactly once. */
export function executionSegments(count: number): ExecutionSegment[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`instances must be a whole number >= 1, got ${count}`);
  const point = (i: number) => (i === 0 ? '0' : i === count ? '1' : `${i}/${count}`);
  const sequence = Array.from({ length: count + 1 }, (_, i) => point(i)).join(',');
  return Array.from({ length: count }, (_, i) => ({ segment: `${point(i)}:${point(i + 1)}`, sequence }));
}
