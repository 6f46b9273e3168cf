/**
 * What one engine (one thread) measures, cut into time buckets. The engine records into
 * the open bucket; when a sample falls into a later bucket, or the bucket's time is up,
 * the open bucket is handed to the sink as a `BucketReport` (deltas) and a fresh one
 * starts. The aggregator sums the reports of every engine thread.
 */
import { createHistogram, encodeHistogram, recordMs, type Histogram } from './histograms.ts';
import { isFailure, type JourneyStats } from '../shared/result.ts';

export interface StatsDelta<H> {
  requests: number;
  failures: number;
  statusCodes: Record<string, number>;
  /** Latency of answered requests (status > 0), ms from the intended send time. */
  histogram: H;
}

export interface BucketReport<H = Histogram> {
  /** floor(ms since the run's start / bucketMs). */
  index: number;
  routeGroups: Record<string, StatsDelta<H>>;
  routes: Record<string, StatsDelta<H>>;
  iterationsStarted: number;
  iterationsDropped: number;
  retries: number;
  checks: Record<string, { passes: number; fails: number }>;
  journeys: Record<string, JourneyStats>;
  /** How late iterations started against their schedule (ms). */
  lag: H;
}

/** A report with its histograms encoded, to cross a thread boundary. */
export type EncodedBucketReport = BucketReport<string>;

function emptyJourney(): JourneyStats {
  return { started: 0, completed: 0, failed: 0, interrupted: 0 };
}

function count(delta: StatsDelta<Histogram>, status: number): void {
  delta.requests++;
  if (isFailure(status)) delta.failures++;
  delta.statusCodes[status] = (delta.statusCodes[status] ?? 0) + 1;
}

export class Recorder {
  private open: BucketReport;
  private readonly spare: Histogram[] = [];
  /** The route group of each route seen, to build the groups' histograms from the routes'. */
  private readonly groupOf = new Map<string, string>();

  constructor(
    private readonly t0: number,
    private readonly bucketMs: number,
    private readonly emit: (report: BucketReport) => void,
  ) {
    this.open = this.fresh(0);
  }

  private histogram(): Histogram {
    return this.spare.pop() ?? createHistogram();
  }

  private fresh(index: number): BucketReport {
    return {
      index,
      routeGroups: {},
      routes: {},
      iterationsStarted: 0,
      iterationsDropped: 0,
      retries: 0,
      checks: {},
      journeys: {},
      lag: this.histogram(),
    };
  }

  /** The open bucket for a moment (epoch ms), closing the open one if that moment is past it. */
  private at(time: number): BucketReport {
    const index = Math.max(0, Math.floor((time - this.t0) / this.bucketMs));
    if (index > this.open.index) this.rotate(index);
    return this.open;
  }

  /** Hands the open bucket over if its time is up (call periodically, so quiet periods still report). */
  tick(now: number): void {
    this.at(now);
  }

  /** Hands the open bucket over (at the end of the run). */
  flush(): void {
    this.rotate(this.open.index + 1);
  }

  private rotate(index: number): void {
    const closed = this.open;
    // A latency is recorded once, in its route's histogram; each group's histogram is the
    // merge of its routes', made here once per bucket instead of a second record per answer.
    for (const route in closed.routes) {
      const group = closed.routeGroups[this.groupOf.get(route) as string];
      group?.histogram.add((closed.routes[route] as StatsDelta<Histogram>).histogram);
    }
    this.open = this.fresh(index);
    this.emit(closed);
    // The sink has merged (or encoded) the histograms synchronously: reuse them.
    for (const delta of [...Object.values(closed.routeGroups), ...Object.values(closed.routes)]) {
      delta.histogram.reset();
      this.spare.push(delta.histogram);
    }
    closed.lag.reset();
    this.spare.push(closed.lag);
  }

  private delta(map: Record<string, StatsDelta<Histogram>>, key: string): StatsDelta<Histogram> {
    let delta = map[key];
    if (!delta) {
      delta = { requests: 0, failures: 0, statusCodes: {}, histogram: this.histogram() };
      map[key] = delta;
    }
    return delta;
  }

  response(time: number, routeGroup: string, route: string, status: number, latencyMs: number): void {
    const bucket = this.at(time);
    count(this.delta(bucket.routeGroups, routeGroup), status);
    let routeDelta = bucket.routes[route];
    if (!routeDelta) {
      routeDelta = this.delta(bucket.routes, route);
      this.groupOf.set(route, routeGroup);
    }
    count(routeDelta, status);
    if (status > 0) recordMs(routeDelta.histogram, latencyMs);
  }

  iterationStarted(time: number, journey: string, lagMs: number): void {
    const bucket = this.at(time);
    bucket.iterationsStarted++;
    recordMs(bucket.lag, lagMs);
    (bucket.journeys[journey] ??= emptyJourney()).started++;
  }

  iterationEnded(time: number, journey: string, outcome: 'completed' | 'failed' | 'interrupted'): void {
    (this.at(time).journeys[journey] ??= emptyJourney())[outcome]++;
  }

  dropped(time: number, count = 1): void {
    this.at(time).iterationsDropped += count;
  }

  retry(time: number): void {
    this.at(time).retries++;
  }

  check(time: number, name: string, passed: boolean): void {
    const entry = (this.at(time).checks[name] ??= { passes: 0, fails: 0 });
    if (passed) entry.passes++;
    else entry.fails++;
  }
}

/** Encodes a report's histograms so it can be posted to another thread. */
export function encodeReport(report: BucketReport): EncodedBucketReport {
  const encode = (map: Record<string, StatsDelta<Histogram>>) =>
    Object.fromEntries(Object.entries(map).map(([key, d]) => [key, { ...d, histogram: encodeHistogram(d.histogram) }]));
  return {
    ...report,
    routeGroups: encode(report.routeGroups),
    routes: encode(report.routes),
    lag: encodeHistogram(report.lag),
  };
}
