/**
 * A request's server span, and the ids its log lines carry: made the same way whether the
 * span starts with the request or later, when something first reads it (see
 * `DeferredRequestState` in active-request.ts).
 */
import { SpanKind, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import type { SamplingResult } from '@opentelemetry/sdk-trace-base';
import type { RequestFields } from './logger.ts';
import type { RequestStart } from './types.ts';

/** The server span's options, made once: the tracer only reads them. */
const SERVER_SPAN = { kind: SpanKind.SERVER } as const;

/**
 * A root span its sampler did not record, not started yet: the trace id the sampler was
 * asked about and its decision, to start the non-recording span on if it is ever read.
 */
export class UnsampledRoot {
  readonly traceId: string;
  readonly sampling: SamplingResult;

  constructor(traceId: string, sampling: SamplingResult) {
    this.traceId = traceId;
    this.sampling = sampling;
  }
}

/**
 * What a tracer may offer beyond the API for a request's root span (the server's
 * `LeanTracer` does; the SDK's tracer in Lambda does not): whether its sampler drops every
 * root span, and a root span started only when its sampler records it.
 */
export interface RootSampling {
  readonly dropsEveryRoot?: boolean;
  readonly recordsEveryRoot?: boolean;
  /**
   * A root span (no valid span in `context`), started as `startSpan` would when its
   * sampler records it, else its `UnsampledRoot`; undefined where `startSpan` would not
   * start a root.
   */
  startOrDeferRoot?(name: string, options: SpanOptions, context: Context): Span | UnsampledRoot | undefined;
  /** The non-recording span of an `UnsampledRoot`, in its trace: the sampler is not asked again. */
  startRoot?(name: string, options: SpanOptions, unsampled: UnsampledRoot): Span;
}

/** Starts the server spans of one service's requests. */
export class ServerSpans {
  /**
   * A request that continues no trace may start its span when first read, undecided
   * (`DeferredRequestState`): the tracer's sampler drops every root span.
   */
  readonly defersRoots: boolean;
  /**
   * A request that continues no trace is decided before its span starts (`startOrDefer`):
   * the tracer can, and its sampler's answer is not known beforehand. A sampler that
   * records every root (the default) starts the span at once, without the detour.
   */
  readonly decidesRoots: boolean;
  readonly #tracer: Tracer & RootSampling;

  constructor(tracer: Tracer & RootSampling) {
    this.#tracer = tracer;
    this.defersRoots = tracer.dropsEveryRoot === true;
    // Both or neither: an unsampled root the tracer cannot start would ask the sampler again.
    this.decidesRoots =
      !this.defersRoots &&
      tracer.recordsEveryRoot !== true &&
      tracer.startOrDeferRoot !== undefined &&
      tracer.startRoot !== undefined;
  }

  /**
   * The server span of `start`, a request that continues no trace, when its sampler
   * records it; else the sampler's decision, to start it on when read (`start`).
   * Undefined when the tracer cannot tell them apart: start the span then.
   */
  startOrDefer(start: RequestStart, runId: string | undefined, parent: Context): Span | UnsampledRoot | undefined {
    if (!this.decidesRoots) return undefined;
    const started = this.#tracer.startOrDeferRoot!(spanName(start), SERVER_SPAN, parent);
    return started === undefined || started instanceof UnsampledRoot ? started : described(started, start, runId);
  }

  /** The request's server span, in `parent` (the context its headers carried), or the `unsampled` root's. */
  start(start: RequestStart, runId: string | undefined, parent: Context, unsampled?: UnsampledRoot): Span {
    const span =
      unsampled && this.#tracer.startRoot
        ? this.#tracer.startRoot(spanName(start), SERVER_SPAN, unsampled)
        : this.#tracer.startSpan(spanName(start), SERVER_SPAN, parent);
    return described(span, start, runId);
  }
}

/**
 * `span` with the request's attributes, when it records: an unsampled request builds none
 * (the samplers the OTEL_TRACES_SAMPLER variable names decide without them).
 */
function described(span: Span, start: RequestStart, runId: string | undefined): Span {
  if (!span.isRecording()) return span;
  span.setAttributes({
    'http.request.method': start.method,
    'http.route': start.route,
    'url.path': start.path,
    'url.scheme': 'http',
    'user_agent.original': start.headers.get('user-agent') ?? '',
    'coffee.request_id': start.requestId,
    ...(runId ? { 'coffee.load_run_id': runId, 'coffee.synthetic': true } : {}),
  });
  return span;
}

/** A server span's name: the method and the route template. */
function spanName(start: RequestStart): string {
  return `${start.method} ${start.route}`;
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
