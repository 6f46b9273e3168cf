import type { Attributes } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type IMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TelemetryConfig } from '../config/config.ts';
import { Dimensions, Metrics } from '../catalog/metrics.ts';
import { DirectMetrics, type DirectInstrument } from './direct-metrics.ts';
import { EmfExporter } from './emf.ts';
import { PushingReader, startMetricReaders, type MetricExport } from './metric-readers.ts';

const SCOPE = 'coffee-cloud';
const DURATION = Metrics.HttpRequestDuration;
const BOUNDARIES = DURATION.buckets;
const HISTOGRAM = { name: DURATION.otelName, description: DURATION.description, unit: 'ms' };
/** Catalog counters made before and after the histogram (catalog order): the order shows in every output. */
const BEFORE = Metrics.Errors;
const AFTER = Metrics.DynamoDbRetries;
const attr = (key: keyof typeof Dimensions) => Dimensions[key].attribute;
const HOUR = 3_600_000;
const resource = resourceFromAttributes({ 'service.name': 'direct-metrics-test' });

/** What every reader kind the service uses made of the collections: EMF, Prometheus, OTLP cumulative and delta. */
interface Readers {
  emfLines: string[];
  cumulative: InMemoryMetricExporter;
  delta: InMemoryMetricExporter;
  /** One collection of every reader; Prometheus' as its text. */
  collect(): Promise<string>;
  shutdown(): Promise<void>;
}

/** One side: the same instruments and readers, aggregated by the SDK or by the service's code. */
interface Side {
  readers: Readers;
  /** Records as the service does: through a kept recorder when `kept`, else by attribute values. */
  record(value: number, attributes: Attributes, kept: boolean): void;
  /** Adds to the two counters. */
  count(): void;
}

/** The SDK's instruments on one provider, read by the SDK's readers: what the service's output must equal. */
function sdkSide(cardinalityLimit?: number): Side {
  const emfLines: string[] = [];
  const cumulative = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const delta = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  const periodic = [new EmfExporter({ write: (line) => emfLines.push(line) }), cumulative, delta].map(
    (exporter) => new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: HOUR }),
  );
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ resource, readers: limited([...periodic, prometheus], cardinalityLimit) });
  const meter = provider.getMeter(SCOPE);
  const before = meter.createCounter(BEFORE.otelName, { description: BEFORE.description });
  const histogram = meter.createHistogram(HISTOGRAM.name, {
    description: HISTOGRAM.description,
    unit: HISTOGRAM.unit,
    advice: { explicitBucketBoundaries: [...BOUNDARIES] },
  });
  const after = meter.createCounter(AFTER.otelName, { description: AFTER.description });
  return {
    readers: {
      emfLines,
      cumulative,
      delta,
      async collect() {
        for (const reader of periodic) await reader.forceFlush();
        return new PrometheusSerializer().serialize((await prometheus.collect()).resourceMetrics);
      },
      shutdown: () => provider.shutdown(),
    },
    record: (value, attributes) => histogram.record(value, attributes),
    count: () => {
      before.add(1, { [attr('ErrorCode')]: 'NOT_FOUND' });
      after.add(2, { [attr('Operation')]: 'PutItem' });
    },
  };
}

/**
 * The service's side: its aggregation, read as the service reads it: EMF and Prometheus
 * as `startMetricReaders` starts them, the OTLP temporalities through its push export.
 */
async function directSide(cardinalityLimit?: number): Promise<Side> {
  // The service's readers name no limit, so the producers apply the one given here.
  const metrics = new DirectMetrics(resource, SCOPE, cardinalityLimit === undefined ? {} : { cardinalityLimit });
  const emfLines: string[] = [];
  const config = (exporter: TelemetryConfig['metrics']) =>
    ({ metrics: exporter, exportIntervalMs: HOUR }) as TelemetryConfig;
  const fail = (error: unknown) => expect.fail(String(error));
  const emf = await startMetricReaders(config('emf'), metrics, fail, (line) => emfLines.push(line));
  const { prometheus } = await startMetricReaders(config('prometheus'), metrics, fail, undefined);
  const cumulative = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const delta = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  const pushes = [...emf.exports, ...[cumulative, delta].map((exporter) => pushed(metrics, exporter))];
  const before = metrics.counter({ name: BEFORE.otelName, description: BEFORE.description });
  const histogram: DirectInstrument = metrics.histogram({ ...HISTOGRAM, boundaries: BOUNDARIES });
  const after = metrics.counter({ name: AFTER.otelName, description: AFTER.description });
  return {
    readers: {
      emfLines,
      cumulative,
      delta,
      async collect() {
        for (const push of pushes) await push.forceFlush();
        return prometheus!();
      },
      shutdown: async () => {
        for (const push of pushes) await push.shutdown();
      },
    },
    record: (value, attributes, kept) =>
      kept ? histogram.series(attributes).record(value) : histogram.record(value, { ...attributes }),
    count: () => {
      before.record(1, { [attr('ErrorCode')]: 'NOT_FOUND' });
      after.series({ [attr('Operation')]: 'PutItem' }).record(2);
    },
  };
}

/** A push export of `metrics` to `exporter`, started. */
function pushed(metrics: DirectMetrics, exporter: PushMetricExporter): MetricExport {
  const reader = metrics.reader(
    ([producer]) =>
      new PushingReader({ exporter, producer: producer!, intervalMs: HOUR, onError: (e) => expect.fail(String(e)) }),
  );
  reader.start();
  return reader;
}

/** The readers, with the cardinality limit set when `limit` is given (the SDK reads it from each reader). */
function limited(readers: IMetricReader[], limit: number | undefined): IMetricReader[] {
  if (limit !== undefined) {
    // Prometheus' exporter takes no limit option; the SDK asks this method.
    for (const reader of readers) Object.assign(reader, { selectCardinalityLimit: () => limit });
  }
  return readers;
}

const series = (route: string, method: string, status: string): Attributes => ({
  [attr('Route')]: route,
  [attr('Method')]: method,
  [attr('StatusClass')]: status,
  [attr('RouteGroup')]: `${method} ${route}`,
});
const MENU = series('/menu', 'GET', '2xx');
const ORDERS = series('/orders', 'POST', '2xx');
const MENU_5XX = series('/menu', 'GET', '5xx');
const ITEM = series('/menu/:id', 'GET', '4xx');
const NAN_ONLY = series('/nan', 'GET', '2xx');

/** Every boundary, values on each side of it, 0, large values, and values the SDK drops. */
const VALUES = [0, ...BOUNDARIES.flatMap((b) => [b - 0.001, b, b + 0.001]), 0.1, 0.3, 123_456.789, 1e9, -1];

/** Three collections: series that start, pause, come back and start late, through kept recorders and not. */
async function drive(side: Side): Promise<string[]> {
  const prometheus: string[] = [];
  let now = 1_700_000_000_000;
  const tick = () => vi.setSystemTime((now += 7));
  const collect = async () => {
    vi.setSystemTime((now += 1_000));
    prometheus.push(await side.readers.collect());
  };
  // Interval 1.
  for (const value of VALUES) {
    tick();
    side.record(value, MENU, true);
  }
  tick();
  side.record(0.7, ORDERS, true);
  side.record(3, MENU_5XX, false);
  side.count();
  await collect();
  // Interval 2: MENU pauses, a new series, one that only saw NaN.
  tick();
  side.record(12.5, ITEM, true);
  side.record(0.25, ORDERS, false);
  tick();
  side.record(Number.NaN, NAN_ONLY, true);
  await collect();
  // Interval 3: MENU comes back after ITEM, partly through new attribute objects.
  tick();
  side.record(4, ITEM, true);
  for (const value of VALUES.slice(0, 20)) {
    tick();
    side.record(value * 3, MENU, value > 5);
  }
  side.record(0.5, ORDERS, true);
  side.count();
  await collect();
  // Interval 4: nothing recorded.
  await collect();
  return prometheus;
}

/** What every exporter made of the collections. */
async function outputs(side: Side) {
  const prometheus = await drive(side);
  const json = new TextDecoder();
  const otlp = (metrics: ResourceMetrics[]) => ({
    data: metrics,
    json: metrics.map((m) => json.decode(JsonMetricsSerializer.serializeRequest(m))),
    protobuf: metrics.map((m) => Buffer.from(ProtobufMetricsSerializer.serializeRequest(m) ?? []).toString('hex')),
  });
  return {
    emf: side.readers.emfLines,
    prometheus,
    cumulative: otlp(side.readers.cumulative.getMetrics()),
    delta: otlp(side.readers.delta.getMetrics()),
  };
}

describe('direct metrics', () => {
  const sides: Side[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const side of sides.splice(0)) await side.readers.shutdown();
  });

  it('give every reader kind the same output as the SDK histogram and counters, timestamps included', async () => {
    const sdk = sdkSide();
    const direct = await directSide();
    sides.push(sdk, direct);

    const expected = await outputs(sdk);
    const actual = await outputs(direct);

    expect(expected.emf.length).toBeGreaterThan(3);
    expect(expected.prometheus[0]).toContain('coffee_http_server_duration_bucket');
    expect(expected.cumulative.data).toHaveLength(4);
    expect(actual.emf).toEqual(expected.emf);
    expect(actual.prometheus).toEqual(expected.prometheus);
    expect(actual.cumulative.json).toEqual(expected.cumulative.json);
    expect(actual.cumulative.protobuf).toEqual(expected.cumulative.protobuf);
    expect(actual.delta.json).toEqual(expected.delta.json);
    expect(actual.delta.protobuf).toEqual(expected.delta.protobuf);
    expect(actual.cumulative.data).toEqual(expected.cumulative.data);
    expect(actual.delta.data).toEqual(expected.delta.data);
  });

  it('fold series past the cardinality limit into the overflow series, as the SDK does', async () => {
    const sdk = sdkSide(3);
    const direct = await directSide(3);
    sides.push(sdk, direct);

    const expected = await outputs(sdk);
    const actual = await outputs(direct);

    expect(JSON.stringify(expected.cumulative.data)).toContain('otel.metric.overflow');
    expect(actual.emf).toEqual(expected.emf);
    expect(actual.prometheus).toEqual(expected.prometheus);
    expect(actual.cumulative.json).toEqual(expected.cumulative.json);
    expect(actual.delta.json).toEqual(expected.delta.json);
    expect(actual.cumulative.data).toEqual(expected.cumulative.data);
    expect(actual.delta.data).toEqual(expected.delta.data);
  });

  it('refuse a reader added after an instrument was made (its recorders could not reach it)', () => {
    const metrics = new DirectMetrics(resource, SCOPE);
    metrics.counter({ name: 'c' });
    expect(() => metrics.reader((metricProducers) => new PrometheusExporter({ metricProducers }))).toThrow(
      /before the first instrument/,
    );
  });
});

describe('direct gauges', () => {
  /** What a gauge reads at each collection: values, and collections where it reads nothing. */
  const READS = [5, undefined, 7, 8, undefined, undefined, 9];
  const INFLIGHT = { name: Metrics.InFlightRequests.otelName, description: Metrics.InFlightRequests.description };

  /** The points one reader gets from a gauge that reads READS, one collection a second. */
  async function collected(reader: 'delta' | 'cumulative' | 'prometheus', side: 'sdk' | 'direct') {
    let reads = 0;
    const read = () => READS[reads++];
    const exporter = new InMemoryMetricExporter(
      reader === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
    );
    let collect: () => Promise<string | undefined>;
    let stop: () => Promise<void>;
    if (side === 'sdk') {
      const sdkReader =
        reader === 'prometheus'
          ? new PrometheusExporter({ preventServerStart: true })
          : new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: HOUR });
      const provider = new MeterProvider({ resource, readers: [sdkReader] });
      provider
        .getMeter(SCOPE)
        .createObservableGauge(INFLIGHT.name, { description: INFLIGHT.description })
        .addCallback((result) => {
          const value = read();
          if (value !== undefined) result.observe(value);
        });
      collect = async () => {
        if (!(sdkReader instanceof PrometheusExporter)) return void (await sdkReader.forceFlush());
        return new PrometheusSerializer().serialize((await sdkReader.collect()).resourceMetrics);
      };
      stop = () => provider.shutdown();
    } else {
      const metrics = new DirectMetrics(resource, SCOPE);
      const fail = (error: unknown) => expect.fail(String(error));
      const config = { metrics: 'prometheus', exportIntervalMs: HOUR } as TelemetryConfig;
      const { prometheus } = reader === 'prometheus' ? await startMetricReaders(config, metrics, fail, undefined) : {};
      const push = reader === 'prometheus' ? undefined : pushed(metrics, exporter);
      metrics.gauge(INFLIGHT, () => read);
      collect = async () => (prometheus ? prometheus() : void (await push!.forceFlush()));
      stop = async () => push?.shutdown();
    }
    const texts: (string | undefined)[] = [];
    for (let i = 0; i < READS.length; i++) {
      vi.setSystemTime(1_700_000_000_000 + i * 1_000);
      texts.push(await collect());
    }
    await stop();
    return { texts, points: exporter.getMetrics().map((m) => m.scopeMetrics[0]?.metrics[0]) };
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('report to each reader kind what the SDK reports to a reader of its own, timestamps included', async () => {
    for (const reader of ['delta', 'cumulative', 'prometheus'] as const) {
      const expected = await collected(reader, 'sdk');
      const actual = await collected(reader, 'direct');
      expect(actual, reader).toEqual(expected);
    }
    // What that is: a delta reader gets only the values read (5, 7, 8, 9), a cumulative one
    // the last value again when nothing was read.
    const delta = await collected('delta', 'direct');
    expect(delta.points.map((m) => m?.dataPoints[0]?.value)).toEqual([5, 7, 8, 9]);
    const cumulative = await collected('cumulative', 'direct');
    // (and an eighth at the shutdown)
    expect(cumulative.points.map((m) => m?.dataPoints[0]?.value)).toEqual([5, 5, 7, 8, 8, 8, 9, 9]);
  });

  it('give each reader a read of its own, and report a read that throws without losing the rest', async () => {
    const metrics = new DirectMetrics(resource, SCOPE);
    const errors: unknown[] = [];
    const exporters = [0, 1].map(() => new InMemoryMetricExporter(AggregationTemporality.DELTA));
    const pushes = exporters.map((exporter) =>
      metrics.reader(
        ([producer]) =>
          new PushingReader({ exporter, producer: producer!, intervalMs: HOUR, onError: (e) => errors.push(e) }),
      ),
    );
    let made = 0;
    metrics.gauge(INFLIGHT, () => {
      const reader = made++;
      return () => {
        if (reader === 1) throw new Error('the gauge broke');
        return 10 + reader;
      };
    });
    const counter = metrics.counter({ name: 'coffee.test' }).series();
    counter.record(3);
    for (const push of pushes) await push.forceFlush();

    const names = (exporter: InMemoryMetricExporter) =>
      exporter.getMetrics().flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics.map((x) => x.descriptor.name)));
    const gauge = exporters[0]!
      .getMetrics()[0]
      ?.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === INFLIGHT.name);
    expect(gauge?.dataPoints[0]?.value).toBe(10);
    expect(names(exporters[0]!)).toEqual([INFLIGHT.name, 'coffee.test']);
    expect(names(exporters[1]!)).toEqual(['coffee.test']);
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as AggregateError).errors[0])).toMatch(/the gauge broke/);
    for (const push of pushes) await push.shutdown();
  });
});

/** An exporter whose exports take `ms` and end with `code`, counting how many run at once. */
class SlowExporter extends InMemoryMetricExporter {
  active = 0;
  mostAtOnce = 0;
  code = ExportResultCode.SUCCESS;
  shutDown = false;
  constructor(readonly ms: number) {
    super(AggregationTemporality.DELTA);
  }
  override export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.active++;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.active);
    setTimeout(() => {
      this.active--;
      if (this.code !== ExportResultCode.SUCCESS)
        return done({ code: this.code, error: new Error('collector said no') });
      super.export(metrics, done);
    }, this.ms);
  }
  override async shutdown(): Promise<void> {
    this.shutDown = true;
  }
}

describe('PushingReader', () => {
  const counted = (
    exporter: PushMetricExporter,
    onError: (error: unknown) => void = (e) => expect.fail(String(e)),
    intervalMs = 200,
  ) => {
    const metrics = new DirectMetrics(resource, SCOPE);
    const reader = metrics.reader(
      ([producer]) => new PushingReader({ exporter, producer: producer!, intervalMs, onError }),
    );
    return { reader, counter: metrics.counter({ name: 'coffee.test' }).series() };
  };
  const total = (exporter: InMemoryMetricExporter) =>
    exporter
      .getMetrics()
      .flatMap((m) =>
        m.scopeMetrics.flatMap((s) => s.metrics.flatMap((metric) => metric.dataPoints as DataPoint<number>[])),
      )
      .reduce((sum, point) => sum + point.value, 0);

  it('never runs two pushes at once, and a flush pushes what came while one was under way', async () => {
    const exporter = new SlowExporter(30);
    const { reader, counter } = counted(exporter);
    counter.record(1);
    const first = reader.forceFlush();
    counter.record(2);
    const second = reader.forceFlush();
    counter.record(4);
    await Promise.all([first, second, reader.forceFlush()]);

    expect(exporter.mostAtOnce).toBe(1);
    expect(total(exporter)).toBe(7);
    await reader.shutdown();
  });

  it('pushes nothing when nothing was recorded', async () => {
    const exporter = new SlowExporter(0);
    const { reader } = counted(exporter);
    await reader.forceFlush();
    expect(exporter.getMetrics()).toHaveLength(0);
    await reader.shutdown();
  });

  it('rejects a flush whose push failed, and tells onError of a failed timer push', async () => {
    const exporter = new SlowExporter(0);
    exporter.code = ExportResultCode.FAILED;
    const errors: unknown[] = [];
    const { reader, counter } = counted(exporter, (error) => errors.push(error));
    counter.record(1);
    await expect(reader.forceFlush()).rejects.toThrow(/collector said no/);

    counter.record(1);
    reader.start();
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 2_000, interval: 10 });
    expect(String(errors[0])).toMatch(/collector said no/);
    exporter.code = ExportResultCode.SUCCESS;
    await reader.shutdown();
  });

  it('lets a shutdown wait for a push under way, once for every caller, and does nothing after it', async () => {
    const exporter = new SlowExporter(40);
    const { reader, counter } = counted(exporter);
    counter.record(1);
    const flushing = reader.forceFlush();
    counter.record(2);
    const first = reader.shutdown();
    const second = reader.shutdown();
    expect(second).toBe(first);
    await Promise.all([flushing, second]);

    expect(total(exporter)).toBe(3);
    expect(exporter.shutDown).toBe(true);
    counter.record(4);
    await reader.forceFlush();
    expect(total(exporter)).toBe(3);
  });

  it('fails a push the exporter never answers, and pushes again after it', async () => {
    const exporter = new SlowExporter(0);
    // The timer's pushes may also time out meanwhile: told to onError, not asserted here.
    const { reader, counter } = counted(exporter, () => undefined, 50);
    const answer = exporter.export.bind(exporter);
    exporter.export = () => undefined; // never calls back
    counter.record(1);
    await expect(reader.forceFlush()).rejects.toThrow(/longer than 50 ms/);

    exporter.export = answer;
    counter.record(2);
    await reader.forceFlush();
    expect(total(exporter)).toBe(2); // the first push's collection was lost with it, as the SDK's would be
    await reader.shutdown();
  });

  it('pushes what is left on shutdown, then shuts the exporter down and stops its timer', async () => {
    const exporter = new SlowExporter(0);
    const { reader, counter } = counted(exporter);
    reader.start();
    counter.record(5);
    await reader.shutdown();

    expect(total(exporter)).toBe(5);
    expect(exporter.shutDown).toBe(true);
    counter.record(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(total(exporter)).toBe(5);
  });
});
