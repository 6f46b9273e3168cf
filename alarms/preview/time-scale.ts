/**
 * How a dashboard's periods map onto a short run. A dashboard is built for hours (periods
 * of 5 min, 1 h, 1 day, 30 days); a local run lasts a minute. One factor for the whole page
 * shrinks every period alike, so the ratios between them (a 5 min against a 1 h burn rate)
 * hold: the dashboard's base period (300 s) becomes a bucket of about a thirtieth of the
 * run, never shorter than the service's EMF interval. A scaled period longer than the run
 * covers the whole run.
 */

/** The periods of a run's preview: every period P of the dashboards is drawn as P / factor. */
export interface TimeScale {
  /** The run's span, epoch ms. */
  readonly startMs: number;
  readonly endMs: number;
  /** Real seconds of the dashboard per second of the run. */
  readonly factor: number;
  /** The dashboards' base period, seconds. */
  readonly basePeriodS: number;
  /** The base period as drawn, ms. */
  readonly bucketMs: number;
  /** The shortest period drawn (the EMF export interval). */
  readonly minPeriodMs: number;
}

export interface TimeScaleOptions {
  startMs: number;
  endMs: number;
  /** Default 300 s, the period of the technical and SLO dashboards' time series. */
  basePeriodS?: number;
  /** The service's EMF export interval. Default 1,000 ms. */
  emfIntervalMs?: number;
  /** About how many base periods fit the run. Default 30. */
  buckets?: number;
}

/** Bucket lengths a reader can multiply in their head, in ms. */
const NICE_BUCKETS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);

/**
 * The scale for a run: e.g. a 60 s run with 1 s EMF gives 2 s buckets, so 300 s periods are
 * drawn as 2 s and 3600 s as 24 s (factor 150).
 *
 * @example timeScaleFor({ startMs: t0, endMs: t0 + 60_000 }).factor // 150
 */
export function timeScaleFor({
  startMs,
  endMs,
  basePeriodS = 300,
  emfIntervalMs = 1_000,
  buckets = 30,
}: TimeScaleOptions): TimeScale {
  if (!(endMs > startMs)) throw new Error(`the run's span is empty: ${startMs} to ${endMs}`);
  const wanted = Math.max(emfIntervalMs, (endMs - startMs) / buckets);
  const bucketMs = Math.max(
    emfIntervalMs,
    NICE_BUCKETS_MS.find((b) => b >= wanted) ?? Math.ceil(wanted / 3_600_000) * 3_600_000,
  );
  // A scaled run never shows finer detail than real time.
  const factor = Math.max(1, (basePeriodS * 1000) / bucketMs);
  return { startMs, endMs, factor, basePeriodS, bucketMs: (basePeriodS * 1000) / factor, minPeriodMs: emfIntervalMs };
}

/** A dashboard period (seconds) as drawn (ms): scaled, at least one EMF interval, at most the whole run. */
export function scaledPeriodMs(scale: TimeScale, periodS: number): number {
  const scaled = (periodS * 1000) / scale.factor;
  return Math.min(Math.max(scaled, scale.minPeriodMs), runMs(scale));
}

export function runMs(scale: TimeScale): number {
  return scale.endMs - scale.startMs;
}

const seconds = (ms: number) => `${Number((ms / 1000).toPrecision(3))} s`;

/** "period 300 s drawn as 2 s buckets of a 60 s run (time ×150)". */
export function describePeriod(scale: TimeScale, periodS: number): string {
  const drawn = scaledPeriodMs(scale, periodS);
  const whole = drawn >= runMs(scale);
  return `period ${periodS} s drawn as ${whole ? 'the whole' : `${seconds(drawn)} buckets of a`} ${seconds(runMs(scale))} run (time ×${Number(scale.factor.toPrecision(3))})`;
}
