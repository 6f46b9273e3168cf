/**
 * A request's server span, and the ids its log lines carry: made the same way whether the
 * span starts with the request or later, when something first reads it (see
 * `DeferredRequestState` in active-request.ts).
 */
import { SpanKind, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { RequestFields } from './logger.ts';
import type { RequestStart } from './types.ts';

/** The server span's options, made once: the tracer only reads them. */
const SERVER_SPAN = { kind: SpanKind.SERVER } as const;

/** A tracer that can say its sampler drops every root span (the server's `LeanTracer` does). */
export interface RootSampling {
  readonly dropsEveryRoot?: boolean;
}

/** Starts the server spans of one service's requests. */
export class ServerSpans {
  /**
   * A request that continues no trace may start its span when first read
   * (`DeferredRequestState`): the tracer's sampler drops every root span.
   */
  readonly defersRoots: boolean;
  readonly #tracer: Tracer;

  constructor(tracer: Tracer & RootSampling) {
    this.#tracer = tracer;
    this.defersRoots = tracer.dropsEveryRoot === true;
  }

  /**
   * The request's server span, in `parent` (the context its headers carried). Attributes
   * are set only on a span that records, so an unsampled request builds none; the
   * samplers the OTEL_TRACES_SAMPLER variable names decide without them.
   */
  start(start: RequestStart, runId: string | undefined, parent: Context): Span {
    const route = start.route;
    const span = this.#tracer.startSpan(`${start.method} ${route}`, SERVER_SPAN, parent);
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

/**
 * The ids every log line of a request carries, made whole in one literal: fields added one
 * by one would grow the object each time.
 */
export function requestFields(requestId: string, runId: string | undefined, span?: Span): RequestFields {
  if (!span) return runId ? { request_id: requestId, load_run_id: runId } : { request_id: requestId };
  const { traceId, spanId } = span.spanContext();
  return runId
    ? { request_id: requestId, load_run_id: runId, trace_id: traceId, span_id: spanId }
    : { request_id: requestId, trace_id: traceId, span_id: spanId };
}
