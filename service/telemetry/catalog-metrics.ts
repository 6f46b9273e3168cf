/**
 * The catalog's instruments and what the service records with them: business and cache
 * metrics for the app, request and DynamoDB measurements for the telemetry's own use.
 * Without a meter provider every method is a no-op.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Dimensions, Metrics, OTEL_UNITS, type MetricDefinition, type MetricKey } from '../catalog/metrics.ts';
import { routeGroupOf } from '../catalog/slos.ts';
import type { OrderStatus } from '../domain/types.ts';
import type { DirectHistogram, DirectHistograms, SeriesRecorder } from './direct-histograms.ts';
import type { DynamoInstruments } from './dynamo.ts';
import type { MeasurementQueue } from './measurement-queue.ts';
import type { ServiceMetrics } from './types.ts';

/** The instrumentation scope of the service's tracer and meter. */
export const TRACER_NAME = 'coffee-cloud';

/**
 * Metrics read when a collection runs instead of recorded on every request: the level of
 * in-flight requests, the event-loop delay and the cache's hit and miss totals. A recorded
 * measurement is cheap on the request path only because it is queued (measurement-queue.ts)
 * or aggregated directly (direct-histograms.ts); these need not be recorded at all.
 */
const OBSERVED = [
  'InFlightRequests',
  'EventLoopDelay',
  'CacheHits',
  'CacheMisses',
] as const satisfies readonly MetricKey[];
type Observed = (typeof OBSERVED)[number];
const isObserved = (key: MetricKey): key is Observed => (OBSERVED as readonly MetricKey[]).includes(key);

/**
 * Histograms recorded on every request (or DynamoDB call), aggregated by our own code
 * (direct-histograms.ts): through the SDK, `record` cost a cached GET /menu about 2.4 µs,
 * half of what metrics cost it, mostly hashing the attributes on every record. They are
 * not queued: in a loop a direct record took about 7 ns, queuing one about 40 ns.
 */
const DIRECT = ['HttpRequestDuration', 'DynamoDbDuration'] as const satisfies readonly MetricKey[];
type Direct = (typeof DIRECT)[number];
const isDirect = (key: MetricKey): key is Direct => (DIRECT as readonly MetricKey[]).includes(key);

const RECORDED = (Object.keys(Metrics) as MetricKey[]).filter((key) => !isObserved(key));
/**
 * The order the SDK reports the meter's metrics in: the order `createInstruments` makes
 * them (the recorded ones in catalog order, then the observed ones). The readers put the
 * direct histograms back in their place with it (`mergeScopes`).
 */
export const INSTRUMENT_ORDER: readonly string[] = [...RECORDED, ...OBSERVED].map((key) => Metrics[key].otelName);

/** The recorded instruments: the direct histograms, the others queued (see measurement-queue.ts). */
type Instruments = { [K in Direct]: DirectHistogram } & {
  [K in Exclude<MetricKey, Observed | Direct>]: (typeof Metrics)[K]['kind'] extends 'histogram'
    ? Pick<Histogram, 'record'>
    : Pick<Counter, 'add'>;
};

const attr = (key: keyof typeof Dimensions) => Dimensions[key].attribute;

/** What the observed metrics read. */
interface Levels {
  inFlight: number;
  cacheHits: Map<string, number>;
  cacheMisses: Map<string, number>;
  loopDelay: ReturnType<typeof monitorEventLoopDelay>;
}

function createInstruments(
  provider: MeterProvider,
  levels: Levels,
  queue: MeasurementQueue,
  histograms: DirectHistograms,
): Instruments {
  const meter = provider.getMeter(TRACER_NAME);
  const options = (m: MetricDefinition) => ({ description: m.description, unit: OTEL_UNITS[m.unit] });
  const recorded: Record<string, DirectHistogram | Pick<Histogram, 'record'> | Pick<Counter, 'add'>> = {};
  for (const key of RECORDED) {
    const m: MetricDefinition = Metrics[key];
    recorded[key] = isDirect(key)
      ? histograms.histogram({ name: m.otelName, ...options(m), boundaries: m.buckets ?? [] })
      : m.kind === 'histogram'
        ? queue.histogram(
            meter.createHistogram(m.otelName, {
              ...options(m),
              advice: { explicitBucketBoundaries: [...(m.buckets ?? [])] },
            }),
          )
        : queue.counter(meter.createCounter(m.otelName, options(m)));
  }
  const inFlight = meter.createObservableGauge(Metrics.InFlightRequests.otelName, options(Metrics.InFlightRequests));
  inFlight.addCallback((result) => result.observe(levels.inFlight));
  // The SDK runs observable callbacks before it reads its storages, so every collection
  // first hands over what the request path queued.
  meter.addBatchObservableCallback(() => queue.drain(), [inFlight]);
  meter
    .createObservableGauge(Metrics.EventLoopDelay.otelName, options(Metrics.EventLoopDelay))
    .addCallback((result) => {
      if (levels.loopDelay.count === 0) return;
      // The monitor records the whole time between two of its timer's callbacks, the
      // resolution included (an idle loop reads about LOOP_DELAY_RESOLUTION_MS): the delay
      // is what lies beyond it.
      result.observe(Math.max(0, levels.loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS));
      levels.loopDelay.reset();
    });
  for (const [m, totals] of [
    [Metrics.CacheHits, levels.cacheHits],
    [Metrics.CacheMisses, levels.cacheMisses],
  ] as const) {
    meter.createObservableCounter(m.otelName, options(m)).addCallback((result) => {
      for (const [cache, total] of totals) result.observe(total, { [attr('Cache')]: cache });
    });
  }
  return recorded as Instruments;
}

/**
 * How often the event-loop delay monitor samples, in ms. Each sample is a timer that wakes
 * the loop, and waking an idle loop costs tens of µs of CPU on a small VM: at 10 ms (100
 * wake-ups a second) the monitor cost a GET /menu about 1 µs at 2,700 requests a second.
 * Every stall still lengthens the interval it falls in, so it is counted; at 20 ms the
 * p99 of a 60 s CloudWatch period rests on about 3,000 samples. The reported delay is
 * what lies beyond the resolution (the monitor's own reading includes it).
 */
export const LOOP_DELAY_RESOLUTION_MS = 20;

/** Request series whose recorders are kept (routes are templates, so a few dozen in practice). */
export const MAX_CACHED_SERIES = 2_000;

function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

export class CatalogMetrics implements ServiceMetrics {
  readonly #instruments: Instruments | undefined;
  readonly #levels: Levels | undefined;
  // The request duration's recorder per series, so a request neither builds nor hashes its
  // attributes. Looked up by route, method and status class without building a key string:
  // route and method are the same string objects on every request (their hashes are
  // cached), a joined key is a new string to flatten and hash each time (about a µs of a
  // GET /menu). Past MAX_CACHED_SERIES, a request's series is looked up by its attributes'
  // values (hashed, as the SDK would), so it is still counted in its series.
  readonly #requestRecorders = new Map<string, Map<string, (SeriesRecorder | undefined)[]>>();
  #requestSeries = 0;
  readonly #operations = new Map<string, { attributes: Attributes; duration: SeriesRecorder }>();

  /**
   * @param histograms where the request-path histograms are aggregated; its readers must
   * be the provider's (see telemetry.ts)
   */
  constructor(provider: MeterProvider | undefined, queue: MeasurementQueue, histograms: DirectHistograms) {
    if (!provider) return;
    this.#levels = {
      inFlight: 0,
      cacheHits: new Map(),
      cacheMisses: new Map(),
      loopDelay: monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS }),
    };
    this.#levels.loopDelay.enable();
    this.#instruments = createInstruments(provider, this.#levels, queue, histograms);
  }

  orderPlaced(total: number): void {
    this.#instruments?.OrdersPlaced.add(1);
    this.#instruments?.OrderValue.record(total);
  }

  userRegistered(): void {
    this.#instruments?.Registrations.add(1);
  }

  statusChanged(to: OrderStatus, preparationMs?: number): void {
    this.#instruments?.OrderStatusTransitions.add(1, { [attr('ToStatus')]: to });
    if (preparationMs !== undefined) this.#instruments?.OrderPreparationTime.record(preparationMs);
  }

  cacheHit(cache: string): void {
    const levels = this.#levels;
    if (levels) levels.cacheHits.set(cache, (levels.cacheHits.get(cache) ?? 0) + 1);
  }

  cacheMiss(cache: string): void {
    const levels = this.#levels;
    if (levels) levels.cacheMisses.set(cache, (levels.cacheMisses.get(cache) ?? 0) + 1);
  }

  coldStart(): void {
    this.#instruments?.ColdStarts.add(1);
  }

  requestStarted(): void {
    if (this.#levels) this.#levels.inFlight++;
  }

  requestEnded(method: string, route: string, status: number, ms: number, errorCode: string | undefined): void {
    if (this.#levels) this.#levels.inFlight--;
    const instruments = this.#instruments;
    if (!instruments) return;
    this.#requestRecorder(instruments.HttpRequestDuration, method, route, status).record(ms);
    if (errorCode) instruments.Errors.add(1, { [attr('ErrorCode')]: errorCode });
  }

  /** What the DynamoDB instrumentation records with, when metrics are on. */
  dynamoInstruments(): DynamoInstruments | undefined {
    const instruments = this.#instruments;
    if (!instruments) return undefined;
    return {
      duration: (operation, ms) => this.#operation(instruments, operation).duration.record(ms),
      retries: (operation, count) =>
        instruments.DynamoDbRetries.add(count, this.#operation(instruments, operation).attributes),
      throttle: (operation) => instruments.DynamoDbThrottles.add(1, this.#operation(instruments, operation).attributes),
    };
  }

  /** Stops sampling the event loop. */
  stop(): void {
    this.#levels?.loopDelay.disable();
  }

  #requestRecorder(histogram: DirectHistogram, method: string, route: string, status: number): SeriesRecorder {
    const statusIndex = Math.floor(status / 100);
    const cached = this.#requestRecorders.get(route)?.get(method)?.[statusIndex];
    if (cached) return cached;
    const attributes = {
      [attr('Route')]: route,
      [attr('Method')]: method,
      [attr('StatusClass')]: statusClass(status),
      [attr('RouteGroup')]: routeGroupOf(method, route),
    };
    const recorder = histogram.series(attributes);
    if (this.#requestSeries < MAX_CACHED_SERIES) {
      this.#requestSeries++;
      let byMethod = this.#requestRecorders.get(route);
      if (!byMethod) this.#requestRecorders.set(route, (byMethod = new Map()));
      let classes = byMethod.get(method);
      if (!classes) byMethod.set(method, (classes = []));
      classes[statusIndex] = recorder;
    }
    return recorder;
  }

  #operation(instruments: Instruments, operation: string): { attributes: Attributes; duration: SeriesRecorder } {
    let cached = this.#operations.get(operation);
    if (!cached) {
      const attributes = { [attr('Operation')]: operation };
      cached = { attributes, duration: instruments.DynamoDbDuration.series(attributes) };
      this.#operations.set(operation, cached);
    }
    return cached;
  }
}
