/**
 * The running telemetry of one service: starts each request's server span and scope, and
 * instruments DynamoDB clients so their calls become children of the running request.
 * Built by `createTelemetry` (telemetry.ts), which starts its pipelines.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ROOT_CONTEXT,
  SpanKind,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  ActiveRequest,
  RequestState,
  type FailureReporter,
  type RequestRecorder,
  type RunningRequest,
} from './active-request.ts';
import type { CatalogMetrics } from './catalog-metrics.ts';
import { instrumentDynamoClient } from './dynamo.ts';
import type { Loggers, RequestFields } from './logger.ts';
import type { Tracing } from './tracing.ts';
import type { Logger, RequestScope, RequestStart, ServiceMetrics, Telemetry } from './types.ts';

const LOAD_RUN_ID = /^[\w.:-]{1,64}$/;
/** The server span's options, made once: the tracer only reads them. */
const SERVER_SPAN = { kind: SpanKind.SERVER } as const;

/** Reads an incoming request's headers for the propagators. */
const HEADER_GETTER: TextMapGetter<RequestStart['headers']> = {
  get(carrier, key) {
    return carrier.get(key) ?? undefined;
  },
  keys() {
    return [];
  },
};

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
  meterProvider: MeterProvider | undefined;
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
  }

  startRequest(start: RequestStart): RequestScope {
    const t0 = performance.now();
    this.#parts.metrics.requestStarted();
    const headerRunId = start.headers.get('x-load-run-id');
    const baggage = start.headers.get('baggage');
    const runId = headerRunId && LOAD_RUN_ID.test(headerRunId) ? headerRunId : runIdFromBaggage(baggage);
    const tracer = this.#parts.tracer;
    if (!tracer) {
      const fields: RequestFields = runId
        ? { request_id: start.requestId, load_run_id: runId }
        : { request_id: start.requestId };
      return new ActiveRequest(start, t0, undefined, new RequestState(fields), this.#recorder);
    }
    // Most requests carry no context to continue; skip the propagators for them.
    const parent =
      start.headers.get('traceparent') == null && baggage == null
        ? ROOT_CONTEXT
        : this.#parts.propagator.extract(ROOT_CONTEXT, start.headers, HEADER_GETTER);
    const span = this.#startServerSpan(tracer, start, runId, parent);
    const { traceId, spanId } = span.spanContext();
    // Made whole in one literal: fields added one by one would grow the object each time.
    const fields: RequestFields = runId
      ? { request_id: start.requestId, load_run_id: runId, trace_id: traceId, span_id: spanId }
      : { request_id: start.requestId, trace_id: traceId, span_id: spanId };
    return new ActiveRequest(start, t0, span, new RequestState(fields, span, parent), this.#recorder);
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
    const { tracing, meterProvider, failures, loggers } = this.#parts;
    await Promise.allSettled([tracing?.flush(), meterProvider?.forceFlush()]).then((results) => {
      for (const r of results) if (r.status === 'rejected') failures.report('telemetry flush failed', r.reason);
    });
    await loggers.flush();
  }

  async shutdown(): Promise<void> {
    await this.flush();
    const { metrics, loggers, tracing, meterProvider } = this.#parts;
    metrics.stop();
    loggers.close();
    await Promise.allSettled([tracing?.shutdown(), meterProvider?.shutdown()]);
  }

  #startServerSpan(tracer: Tracer, start: RequestStart, runId: string | undefined, parent: Context): Span {
    const route = start.route;
    // Attributes are set only on a span that records, so an unsampled request builds none;
    // the samplers the OTEL_TRACES_SAMPLER variable names decide without them.
    const span = tracer.startSpan(`${start.method} ${route}`, SERVER_SPAN, parent);
    if (!span.isRecording()) return span;
    span.setAttributes({
      'http.request.method': start.method,
      'http.route': route,
      'url.path': start.path,
      'url.scheme': 'http',
      'user_agent.original': start.headers.get('user-agent') ?? '',
      'coffee.request_id': start.requestId,
      ...(runId ? { 'coffee.load_run_id': runId, 'coffee.synthetic': true } : {}),
    });
    return span;
  }
}
