/**
 * The running telemetry of one service: starts each request's server span and scope, and
 * instruments DynamoDB clients so their calls become children of the running request.
 * Built by `createTelemetry` (telemetry.ts), which starts its pipelines.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ROOT_CONTEXT,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import {
  ActiveRequest,
  DeferredRequestState,
  requestState,
  startedState,
  StartedRequestState,
  type FailureReporter,
  type RequestRecorder,
  type RunningRequest,
} from './active-request.ts';
import type { CatalogMetrics } from './catalog-metrics.ts';
import { instrumentDynamoClient } from './dynamo.ts';
import type { Loggers } from './logger.ts';
import type { MetricExport } from './metric-readers.ts';
import { requestFields, ServerSpans, UnsampledRoot } from './server-span.ts';
import type { Tracing } from './tracing.ts';
import type { Logger, RequestScope, RequestStart, ServiceMetrics, Telemetry } from './types.ts';

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

/** No valid span in `parent`: a span started there is a root (an all-zero `traceparent` is no trace). */
function continuesNoTrace(parent: Context): boolean {
  if (parent === ROOT_CONTEXT) return true;
  const incoming = trace.getSpanContext(parent);
  return incoming === undefined || !trace.isSpanContextValid(incoming);
}

/** Reads `coffee.run_id` from a W3C baggage header without a full parse. */
function runIdFromBaggage(baggage: string | null | undefined): string | undefined {
  if (!baggage) return undefined;
  const match = /(?:^|,)\s*coffee\.run_id\s*=\s*([^,;\s]+)/.exec(baggage);
  const value = match?.[1] ? decodeURIComponent(match[1]) : undefined;
  return value && LOAD_RUN_ID.test(value) ? value : undefined;
}

export interface FullTelemetry extends Telemetry {
  /** Counts a Lambda cold start (once per execution environment). */
  coldStart(): void;
  readonly resource: Resource;
  readonly tracerProvider?: TracerProvider;
}

/** What `createTelemetry` started, handed to the running telemetry. */
export interface TelemetryParts {
  resource: Resource;
  region: string;
  running: RunningRequest;
  loggers: Loggers;
  failures: FailureReporter;
  metrics: CatalogMetrics;
  /** What a flush pushes and a shutdown ends: the push exports, and a provider of SDK readers. */
  metricExports: MetricExport[];
  prometheus: Telemetry['prometheus'] | undefined;
  /** The trace pipeline `createTelemetry` started (absent when a provider was given or tracing is off). */
  tracing: Tracing | undefined;
  tracerProvider: TracerProvider | undefined;
  tracer: Tracer | undefined;
  propagator: TextMapPropagator;
}

export class ServiceTelemetry implements FullTelemetry {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly resource: Resource;
  declare readonly tracerProvider?: TracerProvider;
  declare readonly prometheus?: () => Promise<string>;
  readonly #parts: TelemetryParts;
  readonly #recorder: RequestRecorder;
  readonly #spans: ServerSpans | undefined;

  constructor(parts: TelemetryParts) {
    this.#parts = parts;
    this.logger = parts.loggers.logger;
    this.metrics = parts.metrics;
    this.resource = parts.resource;
    if (parts.tracerProvider) this.tracerProvider = parts.tracerProvider;
    if (parts.prometheus) this.prometheus = parts.prometheus;
    this.#recorder = {
      running: parts.running,
      metrics: parts.metrics,
      access: parts.loggers.access,
      failures: parts.failures,
    };
    this.#spans = parts.tracer ? new ServerSpans(parts.tracer) : undefined;
  }

  startRequest(start: RequestStart): RequestScope {
    const t0 = performance.now();
    this.#parts.metrics.requestStarted();
    const headerRunId = start.headers.get('x-load-run-id');
    const baggage = start.headers.get('baggage');
    const runId = headerRunId && LOAD_RUN_ID.test(headerRunId) ? headerRunId : runIdFromBaggage(baggage);
    const spans = this.#spans;
    if (!spans) {
      return new ActiveRequest(
        start,
        t0,
        undefined,
        new StartedRequestState(requestFields(start.requestId, runId)),
        this.#recorder,
      );
    }
    // Most requests carry no context to continue; skip the propagators for them.
    const parent =
      start.headers.get('traceparent') == null && baggage == null
        ? ROOT_CONTEXT
        : this.#parts.propagator.extract(ROOT_CONTEXT, start.headers, HEADER_GETTER);
    // A request that continues no trace, unsampled, starts its span only when read.
    if ((spans.defersRoots || spans.decidesRoots) && continuesNoTrace(parent)) {
      if (spans.defersRoots) return this.#deferred(spans, start, t0, runId, parent);
      const started = spans.startOrDefer(start, runId, parent);
      if (started instanceof UnsampledRoot) return this.#deferred(spans, start, t0, runId, parent, started);
      if (started)
        return new ActiveRequest(start, t0, started, requestState(start, runId, started, parent), this.#recorder);
    }
    const state = startedState(spans, start, runId, parent);
    return new ActiveRequest(start, t0, state.span, state, this.#recorder);
  }

  #deferred(
    spans: ServerSpans,
    start: RequestStart,
    t0: number,
    runId: string | undefined,
    parent: Context,
    unsampled?: UnsampledRoot,
  ): RequestScope {
    const state = new DeferredRequestState(spans, start, runId, parent, unsampled);
    return new ActiveRequest(start, t0, undefined, state, this.#recorder);
  }

  instrumentDynamo(client: DynamoDBClient, tableName: string): void {
    const { tracer, region, running, metrics } = this.#parts;
    const instruments = metrics.dynamoInstruments();
    instrumentDynamoClient(client, {
      tableName,
      region,
      ...(tracer ? { tracer } : {}),
      parent: () => running.current?.ctx,
      ...(instruments ? { instruments } : {}),
    });
  }

  coldStart(): void {
    this.#parts.metrics.coldStart();
  }

  async flush(): Promise<void> {
    const { tracing, metricExports, failures, loggers } = this.#parts;
    await Promise.allSettled([tracing?.flush(), ...metricExports.map((e) => e.forceFlush())]).then((results) => {
      for (const r of results) if (r.status === 'rejected') failures.report('telemetry flush failed', r.reason);
    });
    await loggers.flush();
  }

  async shutdown(): Promise<void> {
    await this.flush();
    const { metrics, loggers, tracing, metricExports } = this.#parts;
    metrics.stop();
    loggers.close();
    await Promise.allSettled([tracing?.shutdown(), ...metricExports.map((e) => e.shutdown())]);
  }
}
