/**
 * The catalog's instruments and what the service records with them: business and cache
 * metrics for the app, request and DynamoDB measurements for the telemetry's own use.
 * All are aggregated by the service's own code (direct-metrics.ts). Without metrics every
 * method is a no-op.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import { Dimensions, Metrics, OTEL_UNITS, type MetricDefinition, type MetricKey } from '../catalog/metrics.ts';
import { routeGroupOf } from '../catalog/slos.ts';
import type { OrderStatus } from '../domain/types.ts';
import type { DirectInstrument, DirectMetrics, GaugeRead, SeriesRecorder } from './direct-metrics.ts';
import type { DynamoInstruments } from './dynamo.ts';
import type { ServiceMetrics } from './types.ts';

/** The instrumentation scope of the service's tracer and meter. */
export const TRACER_NAME = 'coffee-cloud';

/** Gauges read when a collection runs: the level of in-flight requests and the event-loop delay. */
const GAUGES = ['InFlightRequests', 'EventLoopDelay'] as const satisfies readonly MetricKey[];
type Gauge = (typeof GAUGES)[number];
const isGauge = (key: MetricKey): key is Gauge => (GAUGES as readonly MetricKey[]).includes(key);

/** The recorded instruments, made in catalog order (the order they are reported in, before the gauges). */
type Instruments = Record<Exclude<MetricKey, Gauge>, DirectInstrument>;

const attr = (key: keyof typeof Dimensions) => Dimensions[key].attribute;

/** What the gauges read: the in-flight level, and an event-loop delay monitor per reader. */
interface Levels {
  inFlight: number;
  loopDelay: ReturnType<typeof monitorEventLoopDelay>[];
}

/**
 * A reader's read of the event-loop delay: the p99 of its monitor's samples since its last
 * read (a monitor per reader: the samples are consumed by a read, and Node cannot copy a
 * monitor's histogram into another), or nothing when none came.
 */
function loopDelayRead(levels: Levels): GaugeRead {
  const monitor = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  monitor.enable();
  levels.loopDelay.push(monitor);
  return () => {
    if (monitor.count === 0) return undefined;
    // The monitor records the whole time between two of its timer's callbacks, the
    // resolution included (an idle loop reads about LOOP_DELAY_RESOLUTION_MS): the delay
    // is what lies beyond it.
    const delay = Math.max(0, monitor.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS);
    monitor.reset();
    return delay;
  };
}

function createInstruments(metrics: DirectMetrics, levels: Levels): Instruments {
  const options = (m: MetricDefinition) => ({ name: m.otelName, description: m.description, unit: OTEL_UNITS[m.unit] });
  const recorded: Partial<Instruments> = {};
  for (const key of Object.keys(Metrics) as MetricKey[]) {
    const m: MetricDefinition = Metrics[key];
    if (isGauge(key)) continue;
    if (m.kind === 'gauge') throw new Error(`catalog gauge ${key} has nothing that reads it (catalog-metrics.ts)`);
    recorded[key] =
      m.kind === 'histogram'
        ? metrics.histogram({ ...options(m), boundaries: m.buckets ?? [] })
        : metrics.counter(options(m));
  }
  metrics.gauge(options(Metrics.InFlightRequests), () => () => levels.inFlight);
  metrics.gauge(options(Metrics.EventLoopDelay), () => loopDelayRead(levels));
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

/**
 * The recorders of one attribute's values (a cache, a status, an error code, an operation:
 * values the code names, so few), kept so that a measurement builds no attribute set.
 */
class ByValue<R> {
  readonly #make: (attributes: Attributes) => R;
  readonly #attribute: string;
  readonly #recorders = new Map<string, R>();
  constructor(attribute: string, make: (attributes: Attributes) => R) {
    this.#attribute = attribute;
    this.#make = make;
  }
  of(value: string): R {
    let recorder = this.#recorders.get(value);
    if (!recorder) this.#recorders.set(value, (recorder = this.#make({ [this.#attribute]: value })));
    return recorder;
  }
}

/** What the service records with: a recorder per series, kept. */
interface Recorders {
  ordersPlaced: SeriesRecorder;
  orderValue: SeriesRecorder;
  registrations: SeriesRecorder;
  preparationTime: SeriesRecorder;
  coldStarts: SeriesRecorder;
  transitions: ByValue<SeriesRecorder>;
  errors: ByValue<SeriesRecorder>;
  cacheHits: ByValue<SeriesRecorder>;
  cacheMisses: ByValue<SeriesRecorder>;
  requestDuration: DirectInstrument;
  operations: ByValue<{ duration: SeriesRecorder; retries: SeriesRecorder; throttles: SeriesRecorder }>;
}

function recorders(instruments: Instruments): Recorders {
  const byValue = (instrument: DirectInstrument, dimension: keyof typeof Dimensions) =>
    new ByValue(attr(dimension), (attributes) => instrument.series(attributes));
  return {
    ordersPlaced: instruments.OrdersPlaced.series(),
    orderValue: instruments.OrderValue.series(),
    registrations: instruments.Registrations.series(),
    preparationTime: instruments.OrderPreparationTime.series(),
    coldStarts: instruments.ColdStarts.series(),
    transitions: byValue(instruments.OrderStatusTransitions, 'ToStatus'),
    errors: byValue(instruments.Errors, 'ErrorCode'),
    cacheHits: byValue(instruments.CacheHits, 'Cache'),
    cacheMisses: byValue(instruments.CacheMisses, 'Cache'),
    requestDuration: instruments.HttpRequestDuration,
    operations: new ByValue(attr('Operation'), (attributes) => ({
      duration: instruments.DynamoDbDuration.series(attributes),
      retries: instruments.DynamoDbRetries.series(attributes),
      throttles: instruments.DynamoDbThrottles.series(attributes),
    })),
  };
}

export class CatalogMetrics implements ServiceMetrics {
  readonly #recorders: Recorders | undefined;
  readonly #levels: Levels | undefined;
  // The request duration's recorder per series, so a request neither builds nor hashes its
  // attributes. Looked up by route, method and status class without building a key string:
  // route and method are the same string objects on every request (their hashes are
  // cached), a joined key is a new string to flatten and hash each time (about a µs of a
  // GET /menu). Past MAX_CACHED_SERIES, a request's series is looked up by its attributes'
  // values (hashed, as the SDK would), so it is still counted in its series. This bounds the
  // fast path's cache, not the series kept (direct-metrics.ts keeps every series seen): the
  // routes are templates and the methods a fixed list, which is what bounds those.
  readonly #requestRecorders = new Map<string, Map<string, (SeriesRecorder | undefined)[]>>();
  #requestSeries = 0;

  /** @param metrics where the catalog's metrics are aggregated, its readers added (telemetry.ts); none: no metrics */
  constructor(metrics: DirectMetrics | undefined) {
    if (!metrics) return;
    this.#levels = { inFlight: 0, loopDelay: [] };
    this.#recorders = recorders(createInstruments(metrics, this.#levels));
  }

  orderPlaced(total: number): void {
    this.#recorders?.ordersPlaced.record(1);
    this.#recorders?.orderValue.record(total);
  }

  userRegistered(): void {
    this.#recorders?.registrations.record(1);
  }

  statusChanged(to: OrderStatus, preparationMs?: number): void {
    this.#recorders?.transitions.of(to).record(1);
    if (preparationMs !== undefined) this.#recorders?.preparationTime.record(preparationMs);
  }

  cacheHit(cache: string): void {
    this.#recorders?.cacheHits.of(cache).record(1);
  }

  cacheMiss(cache: string): void {
    this.#recorders?.cacheMisses.of(cache).record(1);
  }

  coldStart(): void {
    this.#recorders?.coldStarts.record(1);
  }

  requestStarted(): void {
    if (this.#levels) this.#levels.inFlight++;
  }

  requestEnded(method: string, route: string, status: number, ms: number, errorCode: string | undefined): void {
    if (this.#levels) this.#levels.inFlight--;
    const recorders = this.#recorders;
    if (!recorders) return;
    this.#requestRecorder(recorders.requestDuration, method, route, status).record(ms);
    if (errorCode) recorders.errors.of(errorCode).record(1);
  }

  /** What the DynamoDB instrumentation records with, when metrics are on. */
  dynamoInstruments(): DynamoInstruments | undefined {
    const operations = this.#recorders?.operations;
    if (!operations) return undefined;
    return {
      duration: (operation, ms) => operations.of(operation).duration.record(ms),
      retries: (operation, count) => operations.of(operation).retries.record(count),
      throttle: (operation) => operations.of(operation).throttles.record(1),
    };
  }

  /** Stops sampling the event loop. */
  stop(): void {
    for (const monitor of this.#levels?.loopDelay ?? []) monitor.disable();
  }

  #requestRecorder(histogram: DirectInstrument, method: string, route: string, status: number): SeriesRecorder {
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
}
