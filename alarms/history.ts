/**
 * The history in front of a run. A local run lasts minutes, an SLO alarm looks back a day:
 * evaluated over the run alone, a one-day window holds nothing but the run and a 15-second
 * blip looks like a day-long outage. These helpers put a history before the run:
 * - `steady`: each series' own rate before the first fault (its profile), repeated once a
 *   minute back over the longest window any alarm uses;
 * - `none`: no history (a cold start: every window holds only the run);
 * - recorded series (EMF or a CloudWatch `GetMetricData` export, see history-file.ts),
 *   shifted so that they end where the run starts.
 *
 * The same profiles extend a fault window forward ("had the fault gone on at the
 * severity observed"), which is how detection times are predicted (detection.ts).
 */
import type { AlarmDefinition } from '../dashboards/index.ts';
import type { MetricSeries, Observation } from './evaluate.ts';

export const HistoryKinds = {
  /** The run's steady state before the first fault, extended back over the longest alarm window. */
  Steady: 'steady',
  /** No history: a cold start. */
  None: 'none',
  /** Recorded series from a file. */
  Recorded: 'recorded',
} as const;

export type History =
  | { readonly kind: typeof HistoryKinds.Steady }
  | { readonly kind: typeof HistoryKinds.None }
  | { readonly kind: typeof HistoryKinds.Recorded; readonly source: string; readonly series: readonly MetricSeries[] };

/** One minute: the step of synthetic observations (CloudWatch's standard resolution). */
export const HISTORY_STEP_MS = 60_000;

/**
 * The rate of one series over an interval: what one second holds on average. Values keep
 * their distribution (a histogram stays a histogram); counts become counts per second.
 */
export interface SeriesProfile {
  readonly values: readonly number[];
  /** Per second. */
  readonly counts: readonly number[];
  /** Per second, when the observations carried exact statistics. */
  readonly statistics?: { readonly sum: number; readonly count: number; readonly min: number; readonly max: number };
}

/** The longest window any alarm evaluates, in ms: period × evaluation periods (one day for the SLO tickets). */
export function longestWindowMs(alarms: readonly AlarmDefinition[]): number {
  let longest = 0;
  for (const alarm of alarms) {
    if (alarm.kind === 'composite') continue;
    const period = alarm.kind === 'metric' ? alarm.metric.period : alarm.period;
    longest = Math.max(longest, period * 1000 * alarm.evaluationPeriods);
  }
  return longest;
}

/** The profile of a series over [from, to), or undefined when it has no observation there. */
export function profileOf(series: MetricSeries, from: number, to: number): SeriesProfile | undefined {
  const seconds = (to - from) / 1000;
  if (seconds <= 0) return undefined;
  const merged = new Map<number, number>();
  let statistics: { sum: number; count: number; min: number; max: number } | undefined;
  let seen = 0;
  for (const o of series.observations) {
    if (o.timestamp < from || o.timestamp >= to) continue;
    seen++;
    o.values.forEach((v, i) => merged.set(v, (merged.get(v) ?? 0) + (o.counts?.[i] ?? 1)));
    if (o.statistics) {
      statistics ??= { sum: 0, count: 0, min: Infinity, max: -Infinity };
      statistics.sum += o.statistics.sum;
      statistics.count += o.statistics.count;
      statistics.min = Math.min(statistics.min, o.statistics.min);
      statistics.max = Math.max(statistics.max, o.statistics.max);
    }
  }
  if (seen === 0) return undefined;
  const values = [...merged.keys()];
  return {
    values,
    counts: values.map((v) => merged.get(v)! / seconds),
    ...(statistics
      ? { statistics: { ...statistics, sum: statistics.sum / seconds, count: statistics.count / seconds } }
      : {}),
  };
}

/** The profile of a series over several intervals together (undefined when none holds data). */
export function profileOver(
  series: MetricSeries,
  intervals: readonly { from: number; to: number }[],
): SeriesProfile | undefined {
  const seconds = intervals.reduce((n, i) => n + Math.max(0, i.to - i.from), 0) / 1000;
  const inside = series.observations.filter((o) => intervals.some((i) => o.timestamp >= i.from && o.timestamp < i.to));
  if (seconds <= 0 || inside.length === 0) return undefined;
  // One interval of the total length over the observations found: the rate over all of them.
  return profileOf({ ...series, observations: inside.map((o, k) => ({ ...o, timestamp: k })) }, 0, seconds * 1000);
}

/**
 * Observations that repeat a profile over [from, to), one per `stepMs` (the last one
 * partial). Each is stamped at the end of the time it stands for, as an exporter stamps
 * what it flushes, so no evaluation sees time that has not passed yet.
 */
export function synthesize(profile: SeriesProfile, from: number, to: number, stepMs = HISTORY_STEP_MS): Observation[] {
  const out: Observation[] = [];
  for (let t = from; t < to; t += stepMs) {
    const end = Math.min(t + stepMs, to);
    const seconds = (end - t) / 1000;
    out.push({
      timestamp: end - 1,
      values: profile.values,
      counts: profile.counts.map((c) => c * seconds),
      ...(profile.statistics
        ? {
            statistics: {
              sum: profile.statistics.sum * seconds,
              count: profile.statistics.count * seconds,
              min: profile.statistics.min,
              max: profile.statistics.max,
            },
          }
        : {}),
    });
  }
  return out;
}

/** Fine steps first, where detection times are read to the second; one a minute after that. */
const FINE_STEP_MS = 5_000;
const FINE_SPAN_MS = 15 * 60_000;
function synthesizeForward(profile: SeriesProfile, from: number, to: number): Observation[] {
  const fineEnd = Math.min(to, from + FINE_SPAN_MS);
  return [...synthesize(profile, from, fineEnd, FINE_STEP_MS), ...synthesize(profile, fineEnd, to)];
}

/** The same series with `observations` replaced. */
function withObservations(series: MetricSeries, observations: readonly Observation[]): MetricSeries {
  return {
    namespace: series.namespace,
    metricName: series.metricName,
    dimensions: series.dimensions,
    observations,
  };
}

export interface SteadyHistoryOptions {
  /** Where the steady state is measured: from the run's start to the first fault (epoch ms). */
  steadyFrom: number;
  steadyTo: number;
  /**
   * Where a series with no data before the first fault (a route nobody called in the first
   * seconds) is measured instead: the run outside its fault windows. Without it, such a
   * series would have no history and behave as on a cold start.
   */
  fallback?: readonly { from: number; to: number }[];
  /** The history ends here (the run's start) and reaches back `lengthMs`. */
  runStart: number;
  lengthMs: number;
}

/** The run's series with each one's steady profile repeated over [runStart - lengthMs, runStart). */
export function withSteadyHistory(series: readonly MetricSeries[], options: SteadyHistoryOptions): MetricSeries[] {
  const { steadyFrom, steadyTo, runStart, lengthMs, fallback = [] } = options;
  return series.map((s) => {
    const profile = profileOf(s, steadyFrom, steadyTo) ?? profileOver(s, fallback);
    if (!profile) return s;
    const history = synthesize(profile, runStart - lengthMs, runStart);
    return withObservations(s, [...history, ...s.observations.filter((o) => o.timestamp >= runStart)]);
  });
}

function seriesId(s: MetricSeries): string {
  return JSON.stringify([s.namespace, s.metricName, Object.entries(s.dimensions).sort()]);
}

/** The run's series with recorded ones in front, shifted to end at `runStart`; older than `lengthMs` is dropped. */
export function withRecordedHistory(
  series: readonly MetricSeries[],
  recorded: readonly MetricSeries[],
  { runStart, lengthMs }: { runStart: number; lengthMs: number },
): MetricSeries[] {
  const last = Math.max(...recorded.flatMap((s) => s.observations.map((o) => o.timestamp)));
  if (!Number.isFinite(last)) return [...series];
  // The last recorded datapoint lands one minute before the run.
  const shift = runStart - HISTORY_STEP_MS - last;
  const byId = new Map(series.map((s) => [seriesId(s), s]));
  const out = new Map<string, MetricSeries>();
  for (const r of recorded) {
    const shifted = r.observations
      .map((o) => ({ ...o, timestamp: o.timestamp + shift }))
      .filter((o) => o.timestamp >= runStart - lengthMs);
    const id = seriesId(r);
    const prior = out.get(id) ?? withObservations(r, []);
    out.set(id, withObservations(prior, [...prior.observations, ...shifted]));
  }
  for (const [id, s] of byId) {
    const prior = out.get(id);
    const run = s.observations.filter((o) => o.timestamp >= runStart);
    out.set(id, withObservations(s, [...(prior?.observations ?? []), ...run]));
  }
  return [...out.values()];
}

/** The series with one window's profile extended from `from` to `to` (what came before `from` is kept). */
export function extendWindow(
  series: readonly MetricSeries[],
  window: { from: number; to: number },
  extend: { from: number; to: number },
): MetricSeries[] {
  return series.map((s) => {
    const profile = profileOf(s, window.from, window.to);
    const before = s.observations.filter((o) => o.timestamp < extend.from);
    return withObservations(s, profile ? [...before, ...synthesizeForward(profile, extend.from, extend.to)] : before);
  });
}

/** The series with `from`..`to` filled with each series' steady profile (what follows a fault that ended). */
export function followWithSteady(
  series: readonly MetricSeries[],
  steady: { from: number; to: number },
  follow: { from: number; to: number },
  base: readonly MetricSeries[],
): MetricSeries[] {
  const steadyById = new Map(base.map((s) => [seriesId(s), profileOf(s, steady.from, steady.to)]));
  return series.map((s) => {
    const profile = steadyById.get(seriesId(s));
    const before = s.observations.filter((o) => o.timestamp < follow.from);
    return withObservations(s, profile ? [...before, ...synthesizeForward(profile, follow.from, follow.to)] : before);
  });
}
