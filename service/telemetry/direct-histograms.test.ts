import type { Attributes } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type MetricProducer,
  type PeriodicExportingMetricReaderOptions,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Dimensions, Metrics } from '../catalog/metrics.ts';
import { INSTRUMENT_ORDER } from './catalog-metrics.ts';
import { DirectHistograms, mergeScopes, type DirectHistogram } from './direct-histograms.ts';
import { EmfExporter } from './emf.ts';
import { MeasurementQueue } from './measurement-queue.ts';
import { DrainingPeriodicReader } from './metric-readers.ts';

const SCOPE = 'coffee-cloud';
const DURATION = Metrics.HttpRequestDuration;
const BOUNDARIES = DURATION.buckets;
const HISTOGRAM = { name: DURATION.otelName, description: DURATION.description, unit: 'ms' };
/** Catalog counters made before and after the histogram (catalog order): the merged order shows in every output. */
const BEFORE = Metrics.Errors;
const AFTER = Metrics.DynamoDbRetries;
const attr = (key: keyof typeof Dimensions) => Dimensions[key].attribute;

/**
 * Every reader kind the service uses, on one provider: EMF (delta), Prometheus
 * (cumulative), OTLP's default (cumulative) and delta, as in-memory exporters whose
 * collections are also serialised to OTLP JSON and protobuf.
 */
class Readers {
  readonly emfLines: string[] = [];
  readonly emf: PeriodicExportingMetricReader;
  readonly prometheus: PrometheusExporter;
  readonly cumulative = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  readonly delta = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  readonly #periodic: PeriodicExportingMetricReader[];
  readonly #merge: boolean;

  /**
   * Each reader made by `make` from its constructor. `service`: the service's periodic
   * reader and scope merge (metric-readers.ts), else the SDK's reader as it is.
   */
  constructor(make: <R extends IMetricReader>(build: (metricProducers: MetricProducer[]) => R) => R, service: boolean) {
    this.#merge = service;
    const queue = new MeasurementQueue(1, (error) => expect.fail(String(error)));
    const periodic = (exporter: PeriodicExportingMetricReaderOptions['exporter']) =>
      make((metricProducers) => {
        const options = { exporter, exportIntervalMillis: 3_600_000, metricProducers };
        return service ? new DrainingPeriodicReader(queue, options) : new PeriodicExportingMetricReader(options);
      });
    this.emf = periodic(new EmfExporter({ write: (line) => this.emfLines.push(line) }));
    this.prometheus = make((metricProducers) => new PrometheusExporter({ preventServerStart: true, metricProducers }));
    this.#periodic = [this.emf, periodic(this.cumulative), periodic(this.delta)];
  }

  get all(): IMetricReader[] {
    return [...this.#periodic, this.prometheus];
  }

  /** One collection of every reader; Prometheus' as its text. */
  async collect(): Promise<string> {
    for (const reader of this.#periodic) await reader.forceFlush();
    const result = await this.prometheus.collect();
    return new PrometheusSerializer().serialize(
      (this.#merge ? mergeScopes(result, INSTRUMENT_ORDER) : result).resourceMetrics,
    );
  }
}

/** One side: the same instruments and readers, the histogram the SDK's or ours. */
interface Side {
  readers: Readers;
  provider: MeterProvider;
  /** Records as the service does: through a kept recorder when `kept`, else by attribute values. */
  record(value: number, attributes: Attributes, kept: boolean): void;
  /** Adds to the two counters. */
  count(): void;
}

const resource = resourceFromAttributes({ 'service.name': 'direct-histograms-test' });

function sdkSide(cardinalityLimit?: number): Side {
  const readers = new Readers((build) => build([]), false);
  const provider = new MeterProvider({ resource, readers: limited(readers.all, cardinalityLimit) });
  const meter = provider.getMeter(SCOPE);
  const before = meter.createCounter(BEFORE.otelName, { description: BEFORE.description });
  const histogram = meter.createHistogram(HISTOGRAM.name, {
    description: HISTOGRAM.description,
    unit: HISTOGRAM.unit,
    advice: { explicitBucketBoundaries: [...BOUNDARIES] },
  });
  const after = meter.createCounter(AFTER.otelName, { description: AFTER.description });
  return {
    readers,
    provider,
    record: (value, attributes) => histogram.record(value, attributes),
    count: () => {
      before.add(1, { [attr('ErrorCode')]: 'NOT_FOUND' });
      after.add(2, { [attr('Operation')]: 'PutItem' });
    },
  };
}

function directSide(cardinalityLimit?: number): Side {
  const histograms = new DirectHistograms(resource, SCOPE);
  const readers = new Readers((build) => histograms.reader(build), true);
  const provider = new MeterProvider({ resource, readers: limited(readers.all, cardinalityLimit) });
  const meter = provider.getMeter(SCOPE);
  const before = meter.createCounter(BEFORE.otelName, { description: BEFORE.description });
  const histogram: DirectHistogram = histograms.histogram({ ...HISTOGRAM, boundaries: BOUNDARIES });
  const after = meter.createCounter(AFTER.otelName, { description: AFTER.description });
  return {
    readers,
    provider,
    record: (value, attributes, kept) =>
      kept ? histogram.series(attributes).record(value) : histogram.record(value, { ...attributes }),
    count: () => {
      before.add(1, { [attr('ErrorCode')]: 'NOT_FOUND' });
      after.add(2, { [attr('Operation')]: 'PutItem' });
    },
  };
}

/** The readers, with the histogram cardinality limit set when `limit` is given (the SDK reads it from each reader). */
function limited(readers: IMetricReader[], limit: number | undefined): IMetricReader[] {
  if (limit !== undefined) {
    // Prometheus' exporter takes no limit option; the SDK and the producer both ask this method.
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

describe('direct histograms', () => {
  const sides: Side[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const side of sides.splice(0)) await side.provider.shutdown();
  });

  it('give every reader kind the same output as the SDK histogram, timestamps included', async () => {
    const sdk = sdkSide();
    const direct = directSide();
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
    const direct = directSide(3);
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

  it('refuse a reader added after a histogram was made (its recorders could not reach it)', () => {
    const histograms = new DirectHistograms(resource, SCOPE);
    histograms.histogram({ ...HISTOGRAM, boundaries: [1] });
    expect(() => histograms.reader((metricProducers) => new PrometheusExporter({ metricProducers }))).toThrow(
      /before the first histogram/,
    );
  });
});
