/**
 * k6's own JSON output (`k6 run --out json=k6-out.json.gz`) read back into what the Node
 * engine records: the same time buckets (through the engine's `Recorder` and `Aggregator`),
 * the per-route statistics, and the same exemplars (through the same `ExemplarPicker`), so
 * a k6 run's result.json and report carry the Node engine's charts and exemplar list.
 *
 * Streaming: the file is gunzipped and split into lines as it is read, and only the lines
 * of the metrics needed are parsed. k6 writes samples about in time order but not exactly
 * (VUs flush their samples independently), so samples pass through a reorder window before
 * they are recorded in answer-time order, as an engine thread records them.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Aggregator } from './engine/aggregator.ts';
import { Recorder } from './engine/recorder.ts';
import { K6Metadata, K6Metrics } from './k6/options.ts';
import {
  ExemplarCollector,
  ExemplarPicker,
  ExemplarReasons,
  isFailedAnswer,
  type Exemplar,
  type ExemplarSet,
} from './shared/exemplars.ts';
import { splitRoute } from './shared/journeys.ts';
import type { Profile } from './shared/profiles.ts';
import { isFailure, type RequestStats, type TimeBucket } from './shared/result.ts';

/** The output file `coffee load --engine k6` asks k6 for, in the run's directory. */
export const K6_OUTPUT_FILE = 'k6-out.json.gz';

/** k6's built-in metrics the reader uses. */
const K6BuiltIn = { Duration: 'http_req_duration', Dropped: 'dropped_iterations' } as const;

/** Samples that may still be overtaken by an earlier one are held this long (ms of sample time). */
const REORDER_WINDOW_MS = 10_000;

/** One request as k6 measured it (an `http_req_duration` point). */
export interface K6Request {
  kind: 'request';
  /** Epoch ms the answer came (k6 stamps HTTP samples with the request's end). */
  time: number;
  routeGroup: string;
  route: string;
  method: string;
  path: string;
  status: number;
  /** `http_req_duration`: from the request going out to the answer's last byte. */
  latencyMs: number;
  /** Empty when the script set no trace id metadata. */
  traceId: string;
  spanId: string;
  /** The step's expected statuses, when the script recorded them. */
  expected?: number[];
}

/** An iteration start (`coffee_journeys{outcome:started}`) or dropped arrivals (`dropped_iterations`). */
export interface K6Arrival {
  kind: 'started' | 'dropped';
  time: number;
  journey: string;
  count: number;
}

export type K6Sample = K6Request | K6Arrival;

interface K6Point {
  metric: string;
  type: string;
  data: { time: string; value: number; tags?: Record<string, string>; metadata?: Record<string, string> };
}

/** k6's RFC 3339 time with nanoseconds and a zone (`2026-12-06T06:53:51.099749431Z`) in epoch ms, sub-ms kept. */
export function parseK6Time(text: string): number {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) throw new Error(`not a k6 sample time: "${text}"`);
  const [, seconds, fraction, zone] = match as unknown as [string, string, string | undefined, string];
  return Date.parse(`${seconds}${zone}`) + (fraction ? Number(fraction) * 1000 : 0);
}

/** The sample a JSON output line holds, or undefined for lines the reader does not use. */
export function sampleOf(point: K6Point): K6Sample | undefined {
  if (point.type !== 'Point') return undefined;
  const tags = point.data.tags ?? {};
  // setup() and teardown() samples carry no scenario: the engine does not count its health check either.
  if (tags.scenario === undefined) return undefined;
  const time = parseK6Time(point.data.time);
  if (point.metric === K6BuiltIn.Duration) {
    const route = tags.route ?? tags.name ?? '';
    const meta = point.data.metadata ?? {};
    const expected = meta[K6Metadata.ExpectedStatuses];
    return {
      kind: 'request',
      time,
      routeGroup: tags.route_group ?? 'unknown',
      route,
      method: tags.method ?? splitRoute(route).method,
      path: meta[K6Metadata.Path] ?? splitRoute(route).template,
      status: Number(tags.status ?? 0),
      latencyMs: point.data.value,
      traceId: meta[K6Metadata.TraceId] ?? '',
      spanId: meta[K6Metadata.SpanId] ?? '',
      ...(expected !== undefined ? { expected: expected.split(' ').filter(Boolean).map(Number) } : {}),
    };
  }
  if (point.metric === K6Metrics.Journeys && tags.outcome === 'started')
    return { kind: 'started', time, journey: tags.journey ?? '', count: point.data.value };
  if (point.metric === K6BuiltIn.Dropped) return { kind: 'dropped', time, journey: '', count: point.data.value };
  return undefined;
}

/** Cheap test on the raw line, so only the lines of the metrics used are parsed. */
const WANTED = [K6BuiltIn.Duration, K6Metrics.Journeys, K6BuiltIn.Dropped].map((m) => `"metric":"${m}"`);

/** Every sample the reader uses, from a stream of k6 JSON output lines, in file order. */
export async function* k6Samples(input: Readable): AsyncGenerator<K6Sample> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (!WANTED.some((w) => line.includes(w))) continue;
    let point: K6Point;
    try {
      point = JSON.parse(line) as K6Point;
    } catch (error) {
      throw new Error(`k6 output line ${number} is not JSON: ${(error as Error).message}`);
    }
    const sample = sampleOf(point);
    if (sample) yield sample;
  }
}

/** Opens a k6 JSON output file, gunzipping it when its name ends in `.gz`. */
export function openK6Output(file: string): Readable {
  const raw = createReadStream(file);
  if (!file.endsWith('.gz')) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

export interface K6TimelineOptions {
  /** Epoch ms of the run's start (t = 0 of the buckets and of the exemplars' seconds). */
  t0: number;
  bucketMs: number;
  /** The profile that ran (the buckets' target rates). */
  profile: Profile;
  /** The run's duration (throughput of the per-route statistics). */
  durationMs: number;
  onExemplar?: (exemplar: Exemplar) => void;
}

export interface K6Timeline {
  timeline: { bucketMs: number; buckets: TimeBucket[] };
  routes: Record<string, RequestStats>;
  exemplars: ExemplarSet;
  /** Requests read (answers and network errors). */
  requests: number;
}

/** Records samples in time order into the Node engine's recorder and exemplar picker. */
class K6Replay {
  readonly aggregator: Aggregator;
  private readonly recorder: Recorder;
  private readonly picker: ExemplarPicker;
  private readonly collector: ExemplarCollector;
  private held: K6Sample[] = [];
  private latest = -Infinity;
  requests = 0;

  constructor(private readonly options: K6TimelineOptions) {
    this.aggregator = new Aggregator(options.bucketMs, options.profile);
    this.recorder = new Recorder(options.t0, options.bucketMs, (report) => this.aggregator.add(report));
    this.picker = new ExemplarPicker(options.t0);
    this.collector = new ExemplarCollector(1, options.onExemplar);
  }

  push(sample: K6Sample): void {
    this.held.push(sample);
    if (sample.time > this.latest) this.latest = sample.time;
    if (this.held.length >= 4096) this.release(this.latest - REORDER_WINDOW_MS);
  }

  finish(): K6Timeline {
    this.release(Infinity);
    this.recorder.flush();
    this.picker.flush();
    this.handOver();
    const summary = this.aggregator.summary(this.options.durationMs);
    return {
      timeline: summary.timeline,
      routes: summary.routes,
      exemplars: this.collector.finish(),
      requests: this.requests,
    };
  }

  /** Records, in time order, the held samples up to `through` (epoch ms). */
  private release(through: number): void {
    // A stable sort: samples with one time keep the file's order.
    this.held.sort((a, b) => a.time - b.time);
    let count = 0;
    while (count < this.held.length && (this.held[count] as K6Sample).time <= through)
      this.record(this.held[count++] as K6Sample);
    this.held = this.held.slice(count);
    this.handOver();
  }

  private record(sample: K6Sample): void {
    if (sample.kind === 'request') this.request(sample);
    else if (sample.kind === 'dropped') this.recorder.dropped(sample.time, sample.count);
    else for (let i = 0; i < sample.count; i++) this.recorder.iterationStarted(sample.time, sample.journey, 0);
  }

  private request(sample: K6Request): void {
    this.requests++;
    const { time, routeGroup, route, status, latencyMs } = sample;
    this.recorder.response(time, routeGroup, route, status, latencyMs);
    // Without trace id metadata (a script other than ours) there is nothing to keep a trace by.
    if (!sample.traceId) return;
    const failed = sample.expected ? isFailedAnswer(status, sample.expected) : isFailure(status);
    if (this.picker.wants(routeGroup, time, latencyMs, failed))
      this.picker.add(exemplarOf(sample, this.picker, failed));
  }

  private handOver(): void {
    const batch = this.picker.drain();
    if (batch) this.collector.add(0, batch);
  }
}

/**
 * k6 measures a request from when it goes out (`http_req_duration`), so its intended and
 * sent times are one: the answer's time less the duration.
 */
export function exemplarOf(request: K6Request, picker: ExemplarPicker, failed: boolean): Exemplar {
  const sentAt = request.time - request.latencyMs;
  return {
    traceId: request.traceId,
    spanId: request.spanId,
    routeGroup: request.routeGroup,
    route: request.route,
    method: request.method,
    path: request.path,
    status: request.status,
    latencyMs: request.latencyMs,
    intendedAt: sentAt,
    sentAt,
    answeredAt: request.time,
    second: picker.secondOf(request.time),
    reason: failed ? ExemplarReasons.Failed : ExemplarReasons.Slowest,
  };
}

/** The timeline, per-route statistics and exemplars of a k6 JSON output stream. */
export async function k6Timeline(input: Readable, options: K6TimelineOptions): Promise<K6Timeline> {
  const replay = new K6Replay(options);
  for await (const sample of k6Samples(input)) replay.push(sample);
  return replay.finish();
}

/** The same, from a file (`.gz` or plain). */
export async function readK6Output(file: string, options: K6TimelineOptions): Promise<K6Timeline> {
  return k6Timeline(openK6Output(file), options);
}
