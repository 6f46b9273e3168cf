/**
 * The service's metrics, aggregated here, per series, and handed to readers as a
 * `MetricProducer` (the SDK's extension point for metrics it does not aggregate itself):
 * the SDK's readers (a `MeterProvider`'s), the push export of metric-readers.ts (EMF,
 * OTLP) and the Prometheus exposition all read what comes out of here. No SDK meter runs.
 *
 * Why not the SDK's instruments:
 * - On the request path, `histogram.record` cost a cached GET /menu about 2.4 µs of the
 *   5 µs that metrics cost it, mostly hashing the attributes (`Object.keys`, sort,
 *   `JSON.stringify` on every record), then the series lookup and the bucket search. Here
 *   the caller keeps a `SeriesRecorder` per series (catalog-metrics.ts does), so a record
 *   is a bucket search and four updates: no string, no hash, no clock read (the clock is
 *   read once per series and interval).
 * - On a Lambda cold start, the SDK's meter, instruments, storages and collection pipeline
 *   ran for the first time in the first invocation: making the catalog's instruments cost
 *   about 4 ms and the first collection about 7, of about 24 ms that telemetry added to
 *   a cold init of about 290 ms (docs/performance.md, "Lambda cold init").
 *
 * What comes out is what the SDK would give for the same records, data point for data
 * point (direct-metrics.test.ts compares both through every reader kind), for histograms
 * and counters: each reader has storage of its own, as the SDK gives each reader a storage
 * of its own; within an interval a series accumulates from its first record (its start
 * time), and a collection reports, per the reader's temporality, the interval (delta:
 * start time the previous collection when the series was reported then) or the interval
 * merged into the totals (cumulative: start time the series' first record). Series come
 * out in the SDK's order: delta by first record in the interval, cumulative by first
 * record ever; metrics in the order they were made. The cardinality limit is the reader's
 * (`selectCardinalityLimit`, 2,000 by default), applied as the SDK applies it: per
 * interval, the limit's last slot is the overflow series `{ 'otel.metric.overflow': true }`.
 * Negative and non-number values are dropped; NaN opens a series without counting (the
 * SDK's histogram does the same; its counter would turn the sum into NaN).
 *
 * Gauges are read when a collection runs (`gauge`), each reader through a read of its own,
 * and reported as the SDK reports an observable gauge to a reader of its own: a delta
 * point starts at the previous collection when the gauge was reported then and at the
 * collection otherwise, a cumulative point at the first read that gave a value; a read
 * that gives nothing reports nothing to a delta reader and the last value again to a
 * cumulative one. (With several readers on one provider, the SDK shares the observations
 * between them.) A read that throws is reported in the collection's `errors`; the other
 * metrics are collected.
 *
 * Unlike the SDK, a series' state is kept once seen (the SDK forgets a delta reader's idle
 * series): series are looked up by attribute values once and the recorder reused, so the
 * series must be few (routes are templates, operations a handful).
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type IMetricReader,
  type MetricData,
  type MetricDescriptor,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';

/** A gauge's value now, or `undefined` when it has none. */
export type GaugeRead = () => number | undefined;

/** Records into one series; keep it for the series' attribute values. For a counter, `record` adds. */
export interface SeriesRecorder {
  record(value: number): void;
}

export interface DirectInstrumentOptions {
  name: string;
  description?: string;
  unit?: string;
}

export interface DirectHistogramOptions extends DirectInstrumentOptions {
  /** The explicit bucket boundaries (as the SDK's `advice.explicitBucketBoundaries`). */
  boundaries: readonly number[];
}

/** What the producers ask of the reader they report to (an SDK reader has both). */
export type ReaderPreferences = Pick<IMetricReader, 'selectAggregationTemporality'> &
  Partial<Pick<IMetricReader, 'selectCardinalityLimit'>>;

/** The SDK's default cardinality limit (per reader and instrument), when a reader names none. */
const DEFAULT_CARDINALITY_LIMIT = 2_000;
const OVERFLOW_ATTRIBUTES: Attributes = { 'otel.metric.overflow': true };

/** The instrument descriptor as the SDK's `createInstrumentDescriptor` makes it (with the type and advice). */
type Descriptor = MetricDescriptor & { type: InstrumentType; advice: { explicitBucketBoundaries?: number[] } };

function descriptor(
  options: DirectInstrumentOptions,
  type: InstrumentType,
  advice: Descriptor['advice'] = {},
): Descriptor {
  return {
    name: options.name,
    type,
    description: options.description ?? '',
    unit: options.unit ?? '',
    valueType: ValueType.DOUBLE,
    advice,
  };
}

/**
 * The instruments and the producers that hand them to readers. Make every reader first
 * (`reader`), then the instruments: a recorder writes to the storage of each reader known
 * when its instrument was made.
 */
export class DirectMetrics {
  readonly #resource: Resource;
  readonly #scope: { name: string; version: string; schemaUrl?: string };
  readonly #producers: DirectProducer[] = [];
  readonly #cardinalityLimit: number;
  #instruments = 0;

  /**
   * @param scopeName the instrumentation scope the metrics are reported under (the meter's name)
   * @param cardinalityLimit the limit for readers that name none (the SDK's default)
   */
  constructor(resource: Resource, scopeName: string, { cardinalityLimit = DEFAULT_CARDINALITY_LIMIT } = {}) {
    this.#resource = resource;
    this.#cardinalityLimit = cardinalityLimit;
    // As the SDK's `getMeter(name)` gives it.
    this.#scope = { name: scopeName, version: '', schemaUrl: undefined };
  }

  /** Whether any reader was added. */
  get hasReaders(): boolean {
    return this.#producers.length > 0;
  }

  /**
   * A reader built by `make` with a producer of these metrics among its
   * `metricProducers`; the producer reports in the reader's temporality.
   *
   * @example metrics.reader((metricProducers) => new PeriodicExportingMetricReader({ exporter, metricProducers }))
   * (an SDK reader collects only once registered with a `MeterProvider`, as telemetry.ts does)
   */
  reader<R extends ReaderPreferences>(make: (metricProducers: MetricProducer[]) => R): R {
    if (this.#instruments > 0) throw new Error('a reader must be added before the first instrument is made');
    const producer = new DirectProducer(this.#resource, this.#scope, this.#cardinalityLimit);
    const reader = make([producer]);
    producer.bind(reader);
    this.#producers.push(producer);
    return reader;
  }

  /** A histogram reported by every reader added so far. */
  histogram(options: DirectHistogramOptions): DirectInstrument {
    const boundaries = bucketBoundaries(options.boundaries);
    const made = descriptor(options, InstrumentType.HISTOGRAM, {
      explicitBucketBoundaries: [...options.boundaries],
    });
    return this.#instrument((p) =>
      p.storage(made, (storage, attributes) => new HistogramSeries(storage, attributes, boundaries)),
    );
  }

  /** A monotonic counter (`record` adds) reported by every reader added so far. */
  counter(options: DirectInstrumentOptions): DirectInstrument {
    const made = descriptor(options, InstrumentType.COUNTER);
    return this.#instrument((p) => p.storage(made, (storage, attributes) => new SumSeries(storage, attributes)));
  }

  /**
   * A gauge without attributes, read when a collection runs. `reading` is called once for
   * each reader added so far and gives the function that reader reads the gauge with
   * (`undefined`: no value now), so a read that consumes what it reads (a delay since the
   * last read) can keep that per reader.
   */
  gauge(options: DirectInstrumentOptions, reading: () => GaugeRead): void {
    this.#instruments++;
    const made = descriptor(options, InstrumentType.OBSERVABLE_GAUGE);
    for (const producer of this.#producers) producer.gauge(made, reading());
  }

  #instrument(storage: (producer: DirectProducer) => Storage): DirectInstrument {
    this.#instruments++;
    return new DirectInstrument(this.#producers.map(storage));
  }
}

/** The boundaries as the SDK's explicit-bucket aggregation keeps them: sorted, without ±Infinity. */
function bucketBoundaries(given: readonly number[]): number[] {
  const sorted = [...given].sort((a, b) => a - b);
  const infinity = sorted.indexOf(Infinity);
  return sorted.slice(sorted.lastIndexOf(-Infinity) + 1, infinity === -1 ? undefined : infinity);
}

/** One instrument: its series, looked up by attribute values. */
export class DirectInstrument {
  readonly #storages: Storage[];
  readonly #recorders = new Map<string, SeriesRecorder>();

  constructor(storages: Storage[]) {
    this.#storages = storages;
  }

  /**
   * The recorder of the series of `attributes`' values. Hashes them as the SDK does on
   * every record: look it up once per series and keep it.
   */
  series(attributes: Attributes = {}): SeriesRecorder {
    const key = attributesKey(attributes);
    let recorder = this.#recorders.get(key);
    if (!recorder) {
      const series = this.#storages.map((s) => s.series(attributes));
      recorder = series.length === 1 ? series[0]! : new FanOut(series);
      this.#recorders.set(key, recorder);
    }
    return recorder;
  }

  /**
   * Records (a counter: adds) in the series of `attributes`' values, looked up for this
   * record (the SDK's cost); the service keeps its recorders instead (tests compare both).
   */
  record(value: number, attributes?: Attributes): void {
    this.series(attributes).record(value);
  }
}

/** The SDK's key of an attribute set: stable on the keys' order. */
function attributesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  return keys.length === 0 ? '' : JSON.stringify(keys.map((key) => [key, attributes[key]]));
}

/** A series reported by several readers: one record for each. */
class FanOut implements SeriesRecorder {
  readonly #series: Series[];
  constructor(series: Series[]) {
    this.#series = series;
  }
  record(value: number): void {
    for (const s of this.#series) s.record(value);
  }
}

/**
 * One series as one reader sees it: what was recorded this interval, and the totals
 * reported before. The kind of point (a histogram, a sum) is the subclass's.
 */
abstract class Series<V = unknown> implements SeriesRecorder {
  readonly attributes: Attributes;
  readonly #storage: Storage;
  startTime: HrTime = [0, 0];
  /** The first record's time: a cumulative point's start. */
  firstStart: HrTime | undefined;
  /** The storage's interval this series last recorded in (its accumulation is open then). */
  interval = -1;
  /** The collection (interval) that last reported the series, for a delta reader's start time. */
  reportedIn = -1;

  constructor(storage: Storage, attributes: Attributes) {
    this.#storage = storage;
    this.attributes = attributes;
  }

  record(value: number): void {
    if (typeof value !== 'number' || value < 0) return;
    // The first record of an interval opens the series' accumulation, or the overflow's.
    const series = this.interval === this.#storage.interval ? this : this.#storage.open(this);
    series.add(value);
  }

  /** Adds a valid value to this interval. */
  abstract add(value: number): void;
  /** The interval as a delta point. */
  abstract delta(): V;
  /** Merges the interval into the totals, as the SDK's aggregator merges accumulations. */
  abstract mergeInterval(): void;
  /** The totals as a cumulative point. */
  abstract cumulative(): V;
  abstract resetInterval(): void;
}

class HistogramSeries extends Series<Histogram> {
  readonly #boundaries: number[];
  // This interval.
  readonly counts: number[];
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  hasMinMax = false;
  // What a cumulative reader has been given.
  readonly totalCounts: number[];
  totalCount = 0;
  totalSum = 0;
  totalMin = Infinity;
  totalMax = -Infinity;
  totalHasMinMax = false;

  constructor(storage: Storage, attributes: Attributes, boundaries: number[]) {
    super(storage, attributes);
    this.#boundaries = boundaries;
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
    this.totalCounts = new Array<number>(boundaries.length + 1).fill(0);
  }

  add(value: number): void {
    if (Number.isNaN(value)) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.hasMinMax = true;
    // The first boundary >= value (a value on a boundary counts in the bucket it closes).
    // Linear: latencies are mostly in the first buckets, and there are few boundaries.
    const boundaries = this.#boundaries;
    const n = boundaries.length;
    let i = 0;
    while (i < n && boundaries[i]! < value) i++;
    this.counts[i]!++;
  }

  delta(): Histogram {
    return {
      min: this.hasMinMax ? this.min : undefined,
      max: this.hasMinMax ? this.max : undefined,
      sum: this.sum,
      buckets: { boundaries: this.#boundaries, counts: [...this.counts] },
      count: this.count,
    };
  }

  mergeInterval(): void {
    for (let i = 0; i < this.counts.length; i++) this.totalCounts[i]! += this.counts[i]!;
    this.totalCount += this.count;
    this.totalSum += this.sum;
    if (this.hasMinMax) {
      this.totalMin = Math.min(this.totalMin, this.min);
      this.totalMax = Math.max(this.totalMax, this.max);
      this.totalHasMinMax = true;
    }
  }

  cumulative(): Histogram {
    return {
      min: this.totalHasMinMax ? this.totalMin : undefined,
      max: this.totalHasMinMax ? this.totalMax : undefined,
      sum: this.totalSum,
      buckets: { boundaries: this.#boundaries, counts: [...this.totalCounts] },
      count: this.totalCount,
    };
  }

  resetInterval(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.hasMinMax = false;
  }
}

class SumSeries extends Series<number> {
  sum = 0;
  total = 0;

  add(value: number): void {
    if (!Number.isNaN(value)) this.sum += value;
  }

  delta(): number {
    return this.sum;
  }

  mergeInterval(): void {
    this.total += this.sum;
  }

  cumulative(): number {
    return this.total;
  }

  resetInterval(): void {
    this.sum = 0;
  }
}

type MakeSeries = (storage: Storage, attributes: Attributes) => Series;

/** One instrument as one reader sees it. */
class Storage {
  readonly #descriptor: Descriptor;
  readonly #make: MakeSeries;
  readonly #cardinalityLimit: () => number;
  /** Counts collections: a series whose `interval` is this one has recorded since the last. */
  interval = 0;
  /** Series recorded this interval, in the order of their first record. */
  #open: Series[] = [];
  /** Series ever recorded, in the order of their first record (a cumulative reader's order). */
  readonly #seen: Series[] = [];
  #overflow: Series | undefined;
  #lastCollection: HrTime | undefined;

  constructor(descriptor: Descriptor, make: MakeSeries, cardinalityLimit: () => number) {
    this.#descriptor = descriptor;
    this.#make = make;
    this.#cardinalityLimit = cardinalityLimit;
  }

  series(attributes: Attributes): Series {
    return this.#make(this, attributes);
  }

  /**
   * Opens `series`' accumulation for this interval, or the overflow series' when the
   * interval already holds as many series as the limit allows (the SDK's rule: the
   * limit's last slot is the overflow's).
   */
  open(series: Series): Series {
    if (this.#open.length >= this.#cardinalityLimit() - 1) {
      this.#overflow ??= this.#make(this, OVERFLOW_ATTRIBUTES);
      if (this.#overflow.interval === this.interval) return this.#overflow;
      series = this.#overflow;
    }
    series.interval = this.interval;
    series.startTime = millisToHrTime(Date.now());
    this.#open.push(series);
    if (!series.firstStart) {
      series.firstStart = series.startTime;
      this.#seen.push(series);
    }
    return series;
  }

  /** Ends the interval: its metric for a reader of `temporality`, or none when it has no series. */
  collect(temporality: AggregationTemporality, endTime: HrTime): MetricData | undefined {
    const open = this.#open;
    const previous = this.interval - 1;
    const lastCollection = this.#lastCollection;
    this.#open = [];
    this.interval++;
    this.#lastCollection = endTime;
    let dataPoints: DataPoint<unknown>[];
    if (temporality === AggregationTemporality.DELTA) {
      dataPoints = open.map((series) => {
        const startTime = series.reportedIn === previous && lastCollection ? lastCollection : series.startTime;
        series.reportedIn = previous + 1;
        const point = { attributes: series.attributes, startTime, endTime, value: series.delta() };
        series.resetInterval();
        return point;
      });
    } else {
      for (const series of open) {
        series.mergeInterval();
        series.resetInterval();
      }
      dataPoints = this.#seen.map((series) => ({
        attributes: series.attributes,
        startTime: series.firstStart ?? series.startTime,
        endTime,
        value: series.cumulative(),
      }));
    }
    if (dataPoints.length === 0) return undefined;
    const descriptor = this.#descriptor;
    const aggregationTemporality = temporality;
    return descriptor.type === InstrumentType.HISTOGRAM
      ? {
          descriptor,
          aggregationTemporality,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints: dataPoints as DataPoint<Histogram>[],
        }
      : {
          descriptor,
          aggregationTemporality,
          dataPointType: DataPointType.SUM,
          dataPoints: dataPoints as DataPoint<number>[],
          isMonotonic: true,
        };
  }
}

/** A gauge as one reader sees it: read at each collection. */
class GaugeStorage {
  readonly #descriptor: Descriptor;
  readonly #read: GaugeRead;
  /** The last value read, and the time of the first read that gave one (a cumulative point's start). */
  #last: number | undefined;
  #first: HrTime | undefined;
  /** The previous collection's time when it reported a value read then (a delta point's start). */
  #reportedAt: HrTime | undefined;

  constructor(descriptor: Descriptor, read: GaugeRead) {
    this.#descriptor = descriptor;
    this.#read = read;
  }

  collect(temporality: AggregationTemporality, endTime: HrTime): MetricData | undefined {
    const previous = this.#reportedAt;
    this.#reportedAt = undefined;
    const value = this.#read();
    let startTime: HrTime;
    if (value === undefined) {
      if (temporality === AggregationTemporality.DELTA || this.#last === undefined) return undefined;
      startTime = this.#first!;
    } else {
      this.#last = value;
      this.#first ??= endTime;
      this.#reportedAt = endTime;
      startTime = temporality === AggregationTemporality.DELTA ? (previous ?? endTime) : this.#first;
    }
    return {
      descriptor: this.#descriptor,
      aggregationTemporality: temporality,
      dataPointType: DataPointType.GAUGE,
      dataPoints: [{ attributes: {}, startTime, endTime, value: this.#last! }],
    };
  }
}

/** Hands one reader its storages' metrics, in that reader's temporality, in the order they were made. */
class DirectProducer implements MetricProducer {
  readonly #resource: Resource;
  readonly #scope: { name: string; version: string; schemaUrl?: string };
  readonly #metrics: { type: InstrumentType; storage: Storage | GaugeStorage }[] = [];
  #reader: ReaderPreferences | undefined;
  readonly #temporalities = new Map<InstrumentType, AggregationTemporality>();
  readonly #cardinalityLimits = new Map<InstrumentType, number>();
  readonly #defaultLimit: number;

  constructor(resource: Resource, scope: { name: string; version: string; schemaUrl?: string }, defaultLimit: number) {
    this.#resource = resource;
    this.#scope = scope;
    this.#defaultLimit = defaultLimit;
  }

  /** The reader whose temporality and cardinality limit apply. */
  bind(reader: ReaderPreferences): void {
    this.#reader = reader;
  }

  storage(descriptor: Descriptor, make: MakeSeries): Storage {
    // Asked of the reader when first needed, as the SDK asks (its first series, its first collection).
    const limit = () => {
      let cached = this.#cardinalityLimits.get(descriptor.type);
      if (cached === undefined) {
        cached = this.#reader?.selectCardinalityLimit?.(descriptor.type) ?? this.#defaultLimit;
        this.#cardinalityLimits.set(descriptor.type, cached);
      }
      return cached;
    };
    const storage = new Storage(descriptor, make, limit);
    this.#metrics.push({ type: descriptor.type, storage });
    return storage;
  }

  gauge(descriptor: Descriptor, read: GaugeRead): void {
    this.#metrics.push({ type: descriptor.type, storage: new GaugeStorage(descriptor, read) });
  }

  async collect(): Promise<CollectionResult> {
    const endTime = millisToHrTime(Date.now());
    const metrics: MetricData[] = [];
    const errors: unknown[] = [];
    for (const { type, storage } of this.#metrics) {
      try {
        const metric = storage.collect(this.#temporality(type), endTime);
        if (metric) metrics.push(metric);
      } catch (error) {
        errors.push(error); // a gauge's read threw; the other metrics are still collected
      }
    }
    return {
      resourceMetrics: {
        resource: this.#resource,
        scopeMetrics: metrics.length > 0 ? [{ scope: this.#scope, metrics }] : [],
      },
      errors,
    };
  }

  #temporality(type: InstrumentType): AggregationTemporality {
    let temporality = this.#temporalities.get(type);
    if (temporality === undefined) {
      temporality = this.#reader?.selectAggregationTemporality(type) ?? AggregationTemporality.CUMULATIVE;
      this.#temporalities.set(type, temporality);
    }
    return temporality;
  }
}
