/**
 * Telemetry for the service: explicit OpenTelemetry spans (one server span per request,
 * one client span per DynamoDB call), catalog-driven metrics with the chosen exporter
 * (EMF, Prometheus, OTLP or none), and pino logs correlated by trace id.
 *
 * Providers are parameters that fall back to what the configuration starts; nothing is
 * registered globally here, so several services can live in one process (tests, the
 * local stack). Telemetry never throws into a request: a failing exporter logs once.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Span,
  type TextMapGetter,
  type Tracer,
  type TracerProvider,
  type UpDownCounter,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import type { DestinationStream } from 'pino';
import { Dimensions, Metrics, OTEL_UNITS, type MetricDefinition, type MetricKey } from '../catalog/metrics.ts';
import { routeGroupOf } from '../catalog/slos.ts';
import type { TelemetryConfig } from '../config/config.ts';
import { EmfExporter } from './emf.ts';
import { MeasurementQueue } from './measurement-queue.ts';
import { instrumentDynamoClient } from './dynamo.ts';
import { createLoggers, type RequestFields } from './logger.ts';
import type { Tracing } from './tracing.ts';
import type { Logger, RequestEnd, RequestScope, RequestStart, ServiceMetrics, Telemetry } from './types.ts';

export const TRACER_NAME = 'coffee-cloud';
const LOAD_RUN_ID = /^[\w.:-]{1,64}$/;

/** Reads an incoming request's headers for the propagators. */
const HEADER_GETTER: TextMapGetter<RequestStart['headers']> = {
  get(carrier, key) {
    return carrier.get(key) ?? undefined;
  },
  keys() {
    return [];
  },
};

export interface TelemetryOptions {
  config: TelemetryConfig;
  /** AWS region, for DynamoDB span attributes. */
  region?: string;
  /** Tracer provider; when absent and `config.tracing` is on, `startTracing` makes one. */
  tracerProvider?: TracerProvider;
  /**
   * Starts the trace pipeline when tracing is on and no provider is given: the Node SDK on
   * a server (`startNodeSdkTracing`), a lighter one in Lambda (`startLightTracing`). Passed
   * in, so the Lambda bundle never contains the Node SDK.
   */
  startTracing?: (resource: Resource) => Promise<Tracing>;
  /** Extra metric readers (tests use an in-memory one). */
  metricReaders?: MetricReader[];
  /** Where log lines go (tests); else `config.logFile` or stdout. */
  logDestination?: DestinationStream;
  /** Buffer log lines (default); the Lambda handler turns it off. */
  bufferLogs?: boolean;
  /** Where EMF lines go; else `config.emfFile` or stdout. */
  emfWrite?: (line: string) => void;
  /** Extra resource attributes (e.g. service.version). */
  resourceAttributes?: Attributes;
}

export interface FullTelemetry extends Telemetry {
  /** Counts a Lambda cold start (once per execution environment). */
  coldStart(): void;
  readonly resource: Resource;
  readonly tracerProvider?: TracerProvider;
}

interface RequestStore {
  ctx: Context | undefined;
  fields: RequestFields;
}

/**
 * Metrics read when a collection runs instead of recorded on every request: the level of
 * in-flight requests, the event-loop delay and the cache's hit and miss totals. A recorded
 * measurement is cheap on the request path only because it is queued (measurement-queue.ts);
 * these need not be recorded at all.
 */
const OBSERVED = ['InFlightRequests', 'EventLoopDelay', 'CacheHits', 'CacheMisses'] as const satisfies readonly MetricKey[];
type Observed = (typeof OBSERVED)[number];
const isObserved = (key: MetricKey): key is Observed => (OBSERVED as readonly MetricKey[]).includes(key);
/** The recorded instruments, queued (see measurement-queue.ts). */
type Instruments = {
  [K in Exclude<MetricKey, Observed>]: (typeof Metrics)[K]['kind'] extends 'histogram' ? Pick<Histogram, 'record'> : Pick<Counter, 'add'>;
};

const attr = (key: keyof typeof Dimensions) => Dimensions[key].attribute;

/** What the observed metrics read. */
interface Levels {
  inFlight: number;
  cacheHits: Map<string, number>;
  cacheMisses: Map<string, number>;
  loopDelay: ReturnType<typeof monitorEventLoopDelay>;
}

function createInstruments(provider: MeterProvider, levels: Levels, queue: MeasurementQueue): Instruments {
  const meter = provider.getMeter(TRACER_NAME);
  const options = (m: MetricDefinition) => ({ description: m.description, unit: OTEL_UNITS[m.unit] });
  const recorded: Record<string, Pick<Histogram, 'record'> | Pick<Counter, 'add'>> = {};
  for (const [key, m] of Object.entries(Metrics) as [MetricKey, MetricDefinition][]) {
    if (isObserved(key)) continue;
    recorded[key] =
      m.kind === 'histogram'
        ? queue.histogram(meter.createHistogram(m.otelName, { ...options(m), advice: { explicitBucketBoundaries: [...(m.buckets ?? [])] } }))
        : queue.counter(meter.createCounter(m.otelName, options(m)));
  }
  const inFlight = meter.createObservableGauge(Metrics.InFlightRequests.otelName, options(Metrics.InFlightRequests));
  inFlight.addCallback((result) => result.observe(levels.inFlight));
  // The SDK runs observable callbacks before it reads its storages, so every collection
  // first hands over what the request path queued.
  meter.addBatchObservableCallback(() => queue.drain(), [inFlight]);
  meter.createObservableGauge(Metrics.EventLoopDelay.otelName, options(Metrics.EventLoopDelay)).addCallback((result) => {
    if (levels.loopDelay.count === 0) return;
    result.observe(levels.loopDelay.percentile(99) / 1e6);
    levels.loopDelay.reset();
  });
  for (const [m, totals] of [[Metrics.CacheHits, levels.cacheHits], [Metrics.CacheMisses, levels.cacheMisses]] as const) {
    meter.createObservableCounter(m.otelName, options(m)).addCallback((result) => {
      for (const [cache, total] of totals) result.observe(total, { [attr('Cache')]: cache });
    });
  }
  return recorded as Instruments;
}

/** Reads `coffee.run_id` from a W3C baggage header without a full parse. */
function runIdFromBaggage(baggage: string | null | undefined): string | undefined {
  if (!baggage) return undefined;
  const match = /(?:^|,)\s*coffee\.run_id\s*=\s*([^,;\s]+)/.exec(baggage);
  const value = match?.[1] ? decodeURIComponent(match[1]) : undefined;
  return value && LOAD_RUN_ID.test(value) ? value : undefined;
}

function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

export async function createTelemetry(options: TelemetryOptions): Promise<FullTelemetry> {
  const { config, region = 'local' } = options;
  const resource = resourceFromAttributes({
    'service.name': config.serviceName,
    ...parseResourceAttributes(process.env.OTEL_RESOURCE_ATTRIBUTES),
    ...options.resourceAttributes,
  });
  // The request whose code is running now, synchronously (see call-scope.ts); undefined
  // whenever the stack is empty, so a callback can never see another request's context.
  let current: RequestStore | undefined;
  const loggers = createLoggers({
    level: config.logLevel,
    accessLevel: config.accessLogLevel,
    serviceName: config.serviceName,
    context: () => current?.fields,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
    ...(config.logFile ? { file: config.logFile } : {}),
    buffer: options.bufferLogs ?? true,
  });
  const logger: Logger = loggers.logger;
  const access = loggers.access;

  // Traces
  let tracing: Tracing | undefined;
  let tracerProvider = options.tracerProvider;
  if (!tracerProvider && config.tracing) {
    if (!options.startTracing) throw new Error('tracing is on but no trace pipeline was given (startTracing)');
    tracing = await options.startTracing(resource);
    tracerProvider = tracing.provider;
  }
  const tracer: Tracer | undefined = tracerProvider?.getTracer(TRACER_NAME);
  const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });

  // Metrics
  const queue = new MeasurementQueue(256, (error) => reportOnce('a metric measurement failed', error));
  const readers: IMetricReader[] = [...(options.metricReaders ?? [])];
  let prometheus: Telemetry['prometheus'];
  if (config.metrics === 'emf') {
    const write = options.emfWrite ?? emfWriter(config.emfFile);
    readers.push(new DrainingPeriodicReader(queue, { exporter: new EmfExporter({ write }), exportIntervalMillis: config.exportIntervalMs }));
  } else if (config.metrics === 'otlp') {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    readers.push(new DrainingPeriodicReader(queue, { exporter: new OTLPMetricExporter(), exportIntervalMillis: config.exportIntervalMs }));
  } else if (config.metrics === 'prometheus') {
    const { PrometheusExporter, PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const serializer = new PrometheusSerializer();
    readers.push(exporter);
    prometheus = async () => {
      queue.drain();
      const { resourceMetrics, errors } = await exporter.collect();
      if (errors.length > 0) logger.warn({ errors: errors.map(String) }, 'metric collection reported errors');
      return serializer.serialize(resourceMetrics);
    };
  }
  const meterProvider = readers.length > 0 ? new MeterProvider({ resource, readers: readers as MetricReader[] }) : undefined;
  let levels: Levels | undefined;
  if (meterProvider) {
    levels = { inFlight: 0, cacheHits: new Map(), cacheMisses: new Map(), loopDelay: monitorEventLoopDelay({ resolution: 10 }) };
    levels.loopDelay.enable();
  }
  const instruments = meterProvider && levels ? createInstruments(meterProvider, levels, queue) : undefined;

  // Attribute objects are reused per series: the SDK hashes them on every record.
  const requestAttributes = new Map<string, Attributes>();
  function requestAttrs(method: string, route: string, status: number): Attributes {
    const key = `${method} ${route} ${status}`;
    let attributes = requestAttributes.get(key);
    if (!attributes) {
      attributes = {
        [attr('Route')]: route,
        [attr('Method')]: method,
        [attr('StatusClass')]: statusClass(status),
        [attr('RouteGroup')]: routeGroupOf(method, route),
      };
      if (requestAttributes.size < 2_000) requestAttributes.set(key, attributes);
    }
    return attributes;
  }
  const opAttrs = new Map<string, Attributes>();
  const operationAttrs = (operation: string): Attributes => {
    let a = opAttrs.get(operation);
    if (!a) opAttrs.set(operation, (a = { [attr('Operation')]: operation }));
    return a;
  };

  const metrics: ServiceMetrics = {
    orderPlaced(total) {
      instruments?.OrdersPlaced.add(1);
      instruments?.OrderValue.record(total);
    },
    userRegistered() {
      instruments?.Registrations.add(1);
    },
    statusChanged(to, preparationMs) {
      instruments?.OrderStatusTransitions.add(1, { [attr('ToStatus')]: to });
      if (preparationMs !== undefined) instruments?.OrderPreparationTime.record(preparationMs);
    },
    cacheHit(cache) {
      if (levels) levels.cacheHits.set(cache, (levels.cacheHits.get(cache) ?? 0) + 1);
    },
    cacheMiss(cache) {
      if (levels) levels.cacheMisses.set(cache, (levels.cacheMisses.get(cache) ?? 0) + 1);
    },
  };

  /**
   * One request's telemetry. A class, not an object of closures: under tsx (which keeps
   * function names) every named closure made per request costs an Object.defineProperty.
   */
  class ActiveRequest implements RequestScope {
    readonly #start: RequestStart;
    readonly #t0: number;
    readonly #span: Span | undefined;
    readonly #store: RequestStore;

    constructor(start: RequestStart, t0: number, span: Span | undefined, store: RequestStore) {
      this.#start = start;
      this.#t0 = t0;
      this.#span = span;
      this.#store = store;
    }

    run<T>(fn: () => T): T {
      const outer = current;
      current = this.#store;
      try {
        return fn();
      } finally {
        current = outer;
      }
    }

    end({ route, status, error, errorCode }: RequestEnd): void {
      const start = this.#start;
      const span = this.#span;
      const ms = performance.now() - this.#t0;
      try {
        if (levels) levels.inFlight--;
        if (instruments) {
          instruments.HttpRequestDuration.record(ms, requestAttrs(start.method, route, status));
          if (errorCode) instruments.Errors.add(1, { [attr('ErrorCode')]: errorCode });
        }
        if (span) {
          span.setAttribute('http.response.status_code', status);
          if (route !== start.route) {
            span.setAttribute('http.route', route);
            span.updateName(`${start.method} ${route}`);
          }
          if (errorCode) span.setAttribute('error.type', errorCode);
          if (status >= 500) {
            if (error instanceof Error) span.recordException(error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode ?? String(status) });
          }
          span.end();
        }
        access?.({ ...this.#store.fields, method: start.method, route, path: start.path, status, duration_ms: Math.round(ms * 100) / 100, ...(errorCode ? { error_code: errorCode } : {}) });
      } catch (failure) {
        reportOnce('request telemetry failed', failure);
      }
    }
  }

  function startRequest(start: RequestStart): RequestScope {
    const t0 = performance.now();
    if (levels) levels.inFlight++;
    const fields: RequestFields = { request_id: start.requestId };
    const headerRunId = start.headers.get('x-load-run-id');
    const baggage = start.headers.get('baggage');
    const runId = headerRunId && LOAD_RUN_ID.test(headerRunId) ? headerRunId : runIdFromBaggage(baggage);
    if (runId) fields.load_run_id = runId;
    let span: Span | undefined;
    let ctx: Context | undefined;
    if (tracer) {
      // Most requests carry no context to continue; skip the propagators for them.
      const parent = start.headers.get('traceparent') == null && baggage == null ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, start.headers, HEADER_GETTER);
      const route = start.route;
      span = tracer.startSpan(
        `${start.method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': start.method,
            'http.route': route,
            'url.path': start.path,
            'url.scheme': 'http',
            'user_agent.original': start.headers.get('user-agent') ?? '',
            'coffee.request_id': start.requestId,
            ...(runId ? { 'coffee.load_run_id': runId, 'coffee.synthetic': true } : {}),
          },
        },
        parent,
      );
      ctx = trace.setSpan(parent, span);
      const sc = span.spanContext();
      fields.trace_id = sc.traceId;
      fields.span_id = sc.spanId;
    }
    return new ActiveRequest(start, t0, span, { ctx, fields });
  }

  let reported = false;
  function reportOnce(message: string, error: unknown) {
    if (reported) return;
    reported = true;
    try {
      logger.warn({ err: error }, `${message}; later failures are not logged`);
    } catch {
      // nothing left to tell
    }
  }

  async function flush(): Promise<void> {
    await Promise.allSettled([tracing?.flush(), meterProvider?.forceFlush()]).then((results) => {
      for (const r of results) if (r.status === 'rejected') reportOnce('telemetry flush failed', r.reason);
    });
    await loggers.flush();
  }

  return {
    logger,
    metrics,
    resource,
    ...(tracerProvider ? { tracerProvider } : {}),
    ...(prometheus ? { prometheus } : {}),
    startRequest,
    instrumentDynamo(client: DynamoDBClient, tableName: string) {
      instrumentDynamoClient(client, {
        tableName,
        region,
        ...(tracer ? { tracer } : {}),
        parent: () => current?.ctx,
        ...(instruments
          ? {
              instruments: {
                duration: (operation, ms) => instruments.DynamoDbDuration.record(ms, operationAttrs(operation)),
                retries: (operation, count) => instruments.DynamoDbRetries.add(count, operationAttrs(operation)),
                throttle: (operation) => instruments.DynamoDbThrottles.add(1, operationAttrs(operation)),
              },
            }
          : {}),
      });
    },
    coldStart() {
      instruments?.ColdStarts.add(1);
    },
    flush,
    async shutdown() {
      await flush();
      levels?.loopDelay.disable();
      loggers.close();
      await Promise.allSettled([tracing?.shutdown(), meterProvider?.shutdown()]);
    },
  };
}

/**
 * A periodic reader that hands the queued measurements over before its collection takes
 * its timestamp. The observable callback that drains the queue (createInstruments) runs
 * after it, so a series first seen in that batch would start a moment after the end of
 * the interval it is reported in, which strict OTLP backends reject; for other readers
 * (tests' in-memory ones) the callback is what drains.
 */
class DrainingPeriodicReader extends PeriodicExportingMetricReader {
  readonly #queue: MeasurementQueue;
  constructor(queue: MeasurementQueue, options: ConstructorParameters<typeof PeriodicExportingMetricReader>[0]) {
    super(options);
    this.#queue = queue;
  }
  override collect(options?: Parameters<PeriodicExportingMetricReader['collect']>[0]): ReturnType<PeriodicExportingMetricReader['collect']> {
    this.#queue.drain();
    return super.collect(options);
  }
}

function emfWriter(file: string | undefined): (line: string) => void {
  if (!file) return (line) => process.stdout.write(line);
  mkdirSync(dirname(file), { recursive: true });
  // Appends are small (a few lines per interval); sync keeps lines whole when the process exits.
  return (line) => appendFileSync(file, line);
}

function parseResourceAttributes(raw: string | undefined): Attributes {
  if (!raw) return {};
  const out: Attributes = {};
  for (const pair of raw.split(',')) {
    const [k, ...rest] = pair.split('=');
    if (k?.trim() && rest.length > 0) out[k.trim()] = decodeURIComponent(rest.join('=').trim());
  }
  return out;
}
