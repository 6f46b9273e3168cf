/**
 * Sums the bucket reports of every engine thread into the run's statistics: per bucket
 * (for the charts), per route group and route (for the summary and the thresholds), live
 * figures for the progress line, and finally the `LoadResult`.
 */
import { createHistogram, decodeHistogram, percentileMs, summarize, type Histogram } from './histograms.ts';
import type { BucketReport, EncodedBucketReport, StatsDelta } from './recorder.ts';
import { rateAt, type Profile } from '../shared/profiles.ts';
import {
  finishStats,
  type CheckResult,
  type JourneyStats,
  type RequestStats,
  type TimeBucket,
} from '../shared/result.ts';
import { evaluateThresholds, type Observations, type ThresholdDefinition } from '../shared/thresholds.ts';
import type { ThresholdResult } from '../shared/result.ts';

interface Totals {
  requests: number;
  failures: number;
  statusCodes: Record<string, number>;
  histogram: Histogram;
}

interface BucketTotals {
  requests: number;
  failures: number;
  statusCodes: Record<string, number>;
  iterationsStarted: number;
  iterationsDropped: number;
  routeGroups: Record<string, Totals>;
}

export interface LiveStatus {
  elapsedMs: number;
  requests: number;
  failures: number;
  /** Requests per second over the last complete bucket. */
  currentRps: number;
  /** p99 latency so far over all requests, ms. */
  p99Ms: number | null;
  iterationsDropped: number;
}

function emptyTotals(): Totals {
  return { requests: 0, failures: 0, statusCodes: {}, histogram: createHistogram() };
}

function addCodes(into: Record<string, number>, from: Record<string, number>): void {
  for (const [code, n] of Object.entries(from)) into[code] = (into[code] ?? 0) + n;
}

function addDelta(into: Totals, delta: StatsDelta<Histogram>): void {
  into.requests += delta.requests;
  into.failures += delta.failures;
  addCodes(into.statusCodes, delta.statusCodes);
  into.histogram.add(delta.histogram);
}

export class Aggregator {
  private readonly buckets = new Map<number, BucketTotals>();
  private readonly all = emptyTotals();
  private readonly routeGroups = new Map<string, Totals>();
  private readonly routes = new Map<string, Totals>();
  private readonly checks = new Map<string, { passes: number; fails: number }>();
  private readonly journeys = new Map<string, JourneyStats>();
  private readonly lag = createHistogram();
  private iterationsStarted = 0;
  private iterationsDropped = 0;
  private retries = 0;

  constructor(
    private readonly bucketMs: number,
    private readonly profile: Profile,
  ) {}

  /** Adds a report; returns it decoded (for another sink on the same reports). */
  add(input: BucketReport | EncodedBucketReport): BucketReport {
    const report = typeof input.lag === 'string' ? decodeReport(input as EncodedBucketReport) : (input as BucketReport);
    let bucket = this.buckets.get(report.index);
    if (!bucket) {
      bucket = {
        requests: 0,
        failures: 0,
        statusCodes: {},
        iterationsStarted: 0,
        iterationsDropped: 0,
        routeGroups: {},
      };
      this.buckets.set(report.index, bucket);
    }
    bucket.iterationsStarted += report.iterationsStarted;
    bucket.iterationsDropped += report.iterationsDropped;
    this.iterationsStarted += report.iterationsStarted;
    this.iterationsDropped += report.iterationsDropped;
    this.retries += report.retries;
    this.lag.add(report.lag);
    for (const [group, delta] of Object.entries(report.routeGroups)) {
      bucket.requests += delta.requests;
      bucket.failures += delta.failures;
      addCodes(bucket.statusCodes, delta.statusCodes);
      addDelta((bucket.routeGroups[group] ??= emptyTotals()), delta);
      addDelta(this.totalsOf(this.routeGroups, group), delta);
      addDelta(this.all, delta);
    }
    for (const [route, delta] of Object.entries(report.routes)) addDelta(this.totalsOf(this.routes, route), delta);
    for (const [name, c] of Object.entries(report.checks)) {
      const entry = this.checks.get(name) ?? { passes: 0, fails: 0 };
      entry.passes += c.passes;
      entry.fails += c.fails;
      this.checks.set(name, entry);
    }
    for (const [name, j] of Object.entries(report.journeys)) {
      const entry = this.journeys.get(name) ?? { started: 0, completed: 0, failed: 0, interrupted: 0 };
      entry.started += j.started;
      entry.completed += j.completed;
      entry.failed += j.failed;
      entry.interrupted += j.interrupted;
      this.journeys.set(name, entry);
    }
    return report;
  }

  private totalsOf(map: Map<string, Totals>, key: string): Totals {
    let totals = map.get(key);
    if (!totals) {
      totals = emptyTotals();
      map.set(key, totals);
    }
    return totals;
  }

  live(elapsedMs: number): LiveStatus {
    const lastComplete = Math.floor(elapsedMs / this.bucketMs) - 1;
    const last = this.buckets.get(lastComplete);
    return {
      elapsedMs,
      requests: this.all.requests,
      failures: this.all.failures,
      currentRps: last ? last.requests / (this.bucketMs / 1000) : 0,
      p99Ms: percentileMs(this.all.histogram, 99),
      iterationsDropped: this.iterationsDropped,
    };
  }

  observations(): Observations {
    return {
      latencyPercentile: (group, percentile) => {
        const totals = this.routeGroups.get(group);
        return totals ? percentileMs(totals.histogram, percentile) : null;
      },
      errorRate: (group) => {
        const totals = this.routeGroups.get(group);
        return totals && totals.requests > 0 ? totals.failures / totals.requests : null;
      },
      checkRate: () => {
        let passes = 0;
        let total = 0;
        for (const c of this.checks.values()) {
          passes += c.passes;
          total += c.passes + c.fails;
        }
        return total > 0 ? passes / total : null;
      },
    };
  }

  thresholds(definitions: readonly ThresholdDefinition[]): ThresholdResult[] {
    return evaluateThresholds(definitions, this.observations());
  }

  private stats(totals: Totals, durationMs: number): RequestStats {
    return finishStats(
      {
        requests: totals.requests,
        failures: totals.failures,
        statusCodes: { ...totals.statusCodes },
        latencyMs: summarize(totals.histogram),
      },
      durationMs,
    );
  }

  /** Everything the result needs from the measurements, over a run of `durationMs`. */
  summary(durationMs: number) {
    const checks: CheckResult[] = [...this.checks].map(([name, c]) => ({ name, ...c }));
    const passes = checks.reduce((n, c) => n + c.passes, 0);
    const fails = checks.reduce((n, c) => n + c.fails, 0);
    const journeys = Object.fromEntries(this.journeys);
    const ended = [...this.journeys.values()].reduce(
      (sum, j) => ({
        completed: sum.completed + j.completed,
        failed: sum.failed + j.failed,
        interrupted: sum.interrupted + j.interrupted,
      }),
      { completed: 0, failed: 0, interrupted: 0 },
    );
    const lastIndex = Math.max(Math.ceil(durationMs / this.bucketMs) - 1, ...this.buckets.keys(), 0);
    const buckets: TimeBucket[] = [];
    for (let index = 0; index <= lastIndex; index++) {
      const b = this.buckets.get(index);
      const startMs = index * this.bucketMs;
      buckets.push({
        startMs,
        requests: b?.requests ?? 0,
        failures: b?.failures ?? 0,
        statusCodes: { ...(b?.statusCodes ?? {}) },
        targetRate: rateAt(this.profile, startMs),
        iterationsStarted: b?.iterationsStarted ?? 0,
        iterationsDropped: b?.iterationsDropped ?? 0,
        routeGroups: Object.fromEntries(
          Object.entries(b?.routeGroups ?? {}).map(([group, t]) => [
            group,
            {
              requests: t.requests,
              failures: t.failures,
              p50: percentileMs(t.histogram, 50),
              p90: percentileMs(t.histogram, 90),
              p99: percentileMs(t.histogram, 99),
              max: t.histogram.totalCount ? t.histogram.maxValue / 1000 : null,
            },
          ]),
        ),
      });
    }
    return {
      totals: {
        ...this.stats(this.all, durationMs),
        iterations: { started: this.iterationsStarted, ...ended, dropped: this.iterationsDropped },
        checks: { passes, fails, rate: passes + fails > 0 ? passes / (passes + fails) : 1 },
        retries: this.retries,
      },
      routeGroups: Object.fromEntries([...this.routeGroups].map(([g, t]) => [g, this.stats(t, durationMs)])),
      routes: Object.fromEntries([...this.routes].map(([r, t]) => [r, this.stats(t, durationMs)])),
      journeys,
      checks,
      timeline: { bucketMs: this.bucketMs, buckets },
      scheduleLagMs: { p99: percentileMs(this.lag, 99) ?? 0, max: this.lag.totalCount ? this.lag.maxValue / 1000 : 0 },
    };
  }
}

function decodeReport(report: EncodedBucketReport): BucketReport {
  const decode = (map: Record<string, StatsDelta<string>>) =>
    Object.fromEntries(Object.entries(map).map(([key, d]) => [key, { ...d, histogram: decodeHistogram(d.histogram) }]));
  return {
    ...report,
    routeGroups: decode(report.routeGroups),
    routes: decode(report.routes),
    lag: decodeHistogram(report.lag),
  };
}

/**
 * Bucket size for a run: about 120 points on a chart, never below 250 ms, whole seconds
 * above one second.
 */
export function bucketMsFor(totalMs: number): number {
  const raw = totalMs / 120;
  for (const candidate of [250, 500, 1000]) if (raw <= candidate) return candidate;
  return Math.ceil(raw / 1000) * 1000;
}
