/**
 * A request's server span, and the ids its log lines carry: made the same way whether the
 * span starts with the request or later, when something first reads it (see
 * `DeferredRequestState` in active-request.ts).
 */
import { SamplingDecision, SpanKind, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import type { SamplingResult } from '@opentelemetry/sdk-trace-base';
import type { RequestFields } from './logger.ts';
import type { RequestStart } from './types.ts';

/** The server span's options, made once: the tracer only reads them. */
const SERVER_SPAN = { kind: SpanKind.SERVER } as const;

/** A root span's trace id and the sampler's decision on it, taken before the span starts. */
export interface RootDecision {
  readonly traceId: string;
  readonly sampling: SamplingResult;
}

/**
 * What a tracer may offer beyond the API for a request's root span (the server's
 * `LeanTracer` does; the SDK's tracer in Lambda does not): whether its sampler drops every
 * root span, and a root's decision taken before the span is started.
 */
export interface RootSampling {
  readonly dropsEveryRoot?: boolean;
  decideRoot?(name: string, kind: SpanKind, context: Context): RootDecision | undefined;
  startRoot?(name: string, options: SpanOptions, decision: RootDecision): Span;
}

/** Starts the server spans of one service's requests. */
export class ServerSpans {
  /**
   * A request that continues no trace may start its span when first read, undecided
   * (`DeferredRequestState`): the tracer's sampler drops every root span.
   */
  readonly defersRoots: boolean;
  readonly #tracer: Tracer & RootSampling;

  constructor(tracer: Tracer & RootSampling) {
    this.#tracer = tracer;
    this.defersRoots = tracer.dropsEveryRoot === true;
  }

  /**
   * The sampler's decision on the server span of `start`, a request that continues no
   * trace, before the span is started; undefined when the tracer cannot take it apart
   * (start the span then). `sampled` says whether to start it now.
   */
  decide(start: RequestStart, parent: Context): { decision: RootDecision; sampled: boolean } | undefined {
    // Both or neither: a decision the tracer cannot start on would ask the sampler again.
    if (!this.#tracer.decideRoot || !this.#tracer.startRoot) return undefined;
    const decision = this.#tracer.decideRoot(spanName(start), SpanKind.SERVER, parent);
    if (!decision) return undefined;
    return { decision, sampled: decision.sampling.decision !== SamplingDecision.NOT_RECORD };
  }

  /**
   * The request's server span, in `parent` (the context its headers carried), or on
   * `decision` (`decide`). Attributes are set only on a span that records, so an
   * unsampled request builds none; the samplers the OTEL_TRACES_SAMPLER variable names
   * decide without them.
   */
  start(start: RequestStart, runId: string | undefined, parent: Context, decision?: RootDecision): Span {
    const span =
      decision && this.#tracer.startRoot
        ? this.#tracer.startRoot(spanName(start), SERVER_SPAN, decision)
        : this.#tracer.startSpan(spanName(start), SERVER_SPAN, parent);
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
