/**
 * The Node engine's remote-write output: a sink on the main thread that receives every
 * bucket report (as the aggregator does), keeps each series cumulative (counters, native
 * histograms, check rates) with k6's names and labels, and pushes them to Prometheus's
 * remote-write endpoint every `flushMs`, protobuf + snappy. The per-request path is untouched:
 * the work is per bucket and per series.
 */
import snappy from 'snappyjs';
import { routeGroupOf } from '../../service/catalog/index.ts';
import type { BucketReport, StatsDelta } from '../engine/recorder.ts';
import type { Histogram } from '../engine/histograms.ts';
import { splitRoute } from '../shared/journeys.ts';
import { NativeHistogram } from './native-histogram.ts';
import { RwLabels, RwMetrics } from './names.ts';
import { encodeWriteRequest, type Label, type TimeSeries } from './protobuf.ts';

export interface RemoteWriterOptions {
  /** The receiver, e.g. `http://127.0.0.1:9090/api/v1/write`. */
  url: string;
  runId: string;
  profile: string;
  /** Written as the `instance` label, so several writers' series never collide. */
  instance: string;
  /** Push interval (default 1 s; k6's is 5 s). */
  flushMs?: number;
  /** Called with a failed push's reason (the run goes on; the next push carries the totals). */
  onError?: (message: string) => void;
}

type Kind = 'counter' | 'gauge' | 'histogram';

interface Series {
  kind: Kind;
  labels: Label[];
  value: number;
  histogram?: NativeHistogram;
  lastTimestamp: number;
}

export const REMOTE_WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
} as const;

/** Posts one compressed WriteRequest; throws with the receiver's answer when it is not 2xx. */
export async function postWriteRequest(url: string, series: readonly TimeSeries[]): Promise<void> {
  const body = snappy.compress(encodeWriteRequest(series));
  const response = await fetch(url, { method: 'POST', headers: REMOTE_WRITE_HEADERS, body });
  if (!response.ok) {
    const text = (await response.text()).trim().split('\n')[0];
    throw new Error(`remote write to ${url} answered ${response.status}: ${text}`);
  }
}

export class RemoteWriter {
  private readonly series = new Map<string, Series>();
  private readonly checks = new Map<string, { passes: number; fails: number }>();
  private readonly base: Label[];
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();
  private dirty = false;
  failures = 0;

  constructor(private readonly options: RemoteWriterOptions) {
    this.base = [
      { name: RwLabels.TestId, value: options.runId },
      { name: RwLabels.Scenario, value: options.profile },
      { name: RwLabels.Profile, value: options.profile },
      { name: RwLabels.Instance, value: options.instance },
    ];
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.flushMs ?? 1000);
    this.timer.unref();
  }

  private get(kind: Kind, name: string, extra: Record<string, string>): Series {
    const key = `${name}\u0000${Object.entries(extra).join('\u0000')}`;
    let series = this.series.get(key);
    if (!series) {
      const labels = [
        { name: RwLabels.Name, value: name },
        ...this.base,
        ...Object.entries(extra).map(([n, value]) => ({ name: n, value })),
      ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      series = { kind, labels, value: 0, lastTimestamp: 0 };
      if (kind === 'histogram') series.histogram = new NativeHistogram();
      this.series.set(key, series);
    }
    return series;
  }

  /** The engine sink: adds one bucket report to the cumulative series (synchronously). */
  bucket(report: BucketReport): void {
    for (const route in report.routes) this.addRoute(route, report.routes[route] as StatsDelta<Histogram>);
    for (const [check, c] of Object.entries(report.checks)) {
      const totals = this.checks.get(check) ?? { passes: 0, fails: 0 };
      totals.passes += c.passes;
      totals.fails += c.fails;
      this.checks.set(check, totals);
      this.get('gauge', RwMetrics.Checks, { [RwLabels.Check]: check }).value =
        totals.passes / (totals.passes + totals.fails);
    }
    for (const [journey, j] of Object.entries(report.journeys)) {
      for (const outcome of ['started', 'completed', 'failed'] as const)
        if (j[outcome]) this.get('counter', RwMetrics.Journeys, { journey, outcome }).value += j[outcome];
      const ended = j.completed + j.failed + j.interrupted;
      if (ended) this.get('counter', RwMetrics.Iterations, {}).value += ended;
    }
    if (report.iterationsDropped)
      this.get('counter', RwMetrics.DroppedIterations, {}).value += report.iterationsDropped;
    this.dirty = true;
  }

  private addRoute(route: string, delta: StatsDelta<Histogram>): void {
    const { method, template } = splitRoute(route);
    const common = {
      [RwLabels.Method]: method,
      [RwLabels.RequestName]: route,
      [RwLabels.Route]: route,
      [RwLabels.RouteGroup]: routeGroupOf(method, template),
    };
    for (const [status, n] of Object.entries(delta.statusCodes)) {
      const code = Number(status);
      const expected = String(code > 0 && code < 400);
      this.get('counter', RwMetrics.HttpReqs, { ...common, status, [RwLabels.ExpectedResponse]: expected }).value += n;
    }
    if (delta.histogram.totalCount > 0)
      this.get('histogram', RwMetrics.HttpReqDuration, common).histogram!.addHdr(delta.histogram);
  }

  private snapshot(): TimeSeries[] {
    const now = Date.now();
    const out: TimeSeries[] = [];
    for (const series of this.series.values()) {
      // Prometheus rejects a sample not later than the series' last one.
      const timestamp = Math.max(now, series.lastTimestamp + 1);
      series.lastTimestamp = timestamp;
      if (series.kind === 'histogram') {
        out.push({ labels: series.labels, histograms: [series.histogram!.sample(timestamp)] });
      } else out.push({ labels: series.labels, samples: [{ value: series.value, timestamp }] });
    }
    return out;
  }

  /** Pushes every series' current value; pushes run one after another, never overlapping. */
  flush(): Promise<void> {
    if (!this.dirty) return this.pending;
    this.dirty = false;
    const series = this.snapshot();
    this.pending = this.pending.then(() =>
      postWriteRequest(this.options.url, series).catch((error: unknown) => {
        this.failures++;
        this.options.onError?.((error as Error).message);
      }),
    );
    return this.pending;
  }

  /** Stops the timer and pushes the final totals. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.dirty = true;
    await this.flush();
  }
}
