/** One request's telemetry while it runs, and what all requests share to record theirs. */
import { SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { CatalogMetrics } from './catalog-metrics.ts';
import type { Loggers, RequestFields } from './logger.ts';
import { requestFields, type ServerSpans, type UnsampledRoot } from './server-span.ts';
import type { Logger, RequestEnd, RequestScope, RequestStart } from './types.ts';

/** What the log lines and DynamoDB spans of a request read while its code runs. */
export interface RequestState {
  /** The ids every log line of the request carries. */
  readonly fields: RequestFields;
  /** The request's context for its child spans; undefined without tracing. */
  readonly ctx: Context | undefined;
}

/** The state of a request whose server span (if any) started with it. */
export class StartedRequestState implements RequestState {
  readonly fields: RequestFields;
  /** The request's server span, when tracing. */
  readonly span: Span | undefined;
  readonly #parent: Context | undefined;
  #ctx: Context | undefined;

  /** `span` (when tracing) and the context it was started in, whose child context is `ctx`. */
  constructor(fields: RequestFields, span?: Span, parent?: Context) {
    this.fields = fields;
    this.span = span;
    this.#parent = parent;
  }

  /**
   * The request's context for its child spans, made on first use: a request that makes
   * none (GET /menu from the cache) never copies the context's map (about 2 µs).
   */
  get ctx(): Context | undefined {
    if (this.#ctx === undefined && this.span && this.#parent) this.#ctx = trace.setSpan(this.#parent, this.span);
    return this.#ctx;
  }
}

/**
 * Starts `start`'s server span in `parent` (the context its headers carried), or the
 * `unsampled` root's, and the state its code reads.
 */
export function startedState(
  spans: ServerSpans,
  start: RequestStart,
  runId: string | undefined,
  parent: Context,
  unsampled?: UnsampledRoot,
): StartedRequestState {
  return requestState(start, runId, spans.start(start, runId, parent, unsampled), parent);
}

/** The state the code of `start`'s request reads, its server span `span` started in `parent`. */
export function requestState(
  start: RequestStart,
  runId: string | undefined,
  span: Span,
  parent: Context,
): StartedRequestState {
  return new StartedRequestState(requestFields(start.requestId, runId, span), span, parent);
}

/**
 * The state of an unsampled request that continues no trace: its non-recording span is
 * started (in the `unsampled` root's trace, when the sampler was asked) only when a log
 * line reads its ids or a DynamoDB call its context, so a cached GET /menu makes none.
 * Started with every request, that span cost about 3 µs of it, cold (docs/performance.md).
 */
export class DeferredRequestState implements RequestState {
  readonly #spans: ServerSpans;
  readonly #start: RequestStart;
  readonly #runId: string | undefined;
  readonly #parent: Context;
  readonly #unsampled: UnsampledRoot | undefined;
  #started: StartedRequestState | undefined = undefined;

  /** Without `unsampled`, only when the sampler drops every root span (`ServerSpans.defersRoots`). */
  constructor(
    spans: ServerSpans,
    start: RequestStart,
    runId: string | undefined,
    parent: Context,
    unsampled?: UnsampledRoot,
  ) {
    this.#spans = spans;
    this.#start = start;
    this.#runId = runId;
    this.#parent = parent;
    this.#unsampled = unsampled;
  }

  get fields(): RequestFields {
    return this.#state().fields;
  }

  get ctx(): Context | undefined {
    return this.#state().ctx;
  }

  #state(): StartedRequestState {
    this.#started ??= startedState(this.#spans, this.#start, this.#runId, this.#parent, this.#unsampled);
    return this.#started;
  }
}

/**
 * The request whose code is running now, synchronously (see call-scope.ts); undefined
 * whenever the stack is empty, so a callback can never see another request's context.
 */
export class RunningRequest {
  current: RequestState | undefined = undefined;
}

/** Logs the first telemetry failure and stays silent after it: telemetry never throws into its caller. */
export class FailureReporter {
  readonly #logger: Logger;
  #reported = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  report(message: string, error: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    try {
      this.#logger.warn({ err: error }, `${message}; later failures are not logged`);
    } catch {
      // nothing left to tell
    }
  }
}

/** What every request records its end with (one per telemetry). */
export interface RequestRecorder {
  readonly running: RunningRequest;
  readonly metrics: CatalogMetrics;
  readonly access: Loggers['access'];
  readonly failures: FailureReporter;
}

/**
 * One request's telemetry. A class, not an object of closures: under tsx (which keeps
 * function names) every named closure made per request costs an Object.defineProperty.
 */
export class ActiveRequest implements RequestScope {
  readonly #start: RequestStart;
  readonly #t0: number;
  readonly #span: Span | undefined;
  readonly #state: RequestState;
  readonly #recorder: RequestRecorder;

  constructor(start: RequestStart, t0: number, span: Span | undefined, state: RequestState, recorder: RequestRecorder) {
    this.#start = start;
    this.#t0 = t0;
    this.#span = span;
    this.#state = state;
    this.#recorder = recorder;
  }

  run<T>(fn: () => T): T {
    const running = this.#recorder.running;
    const outer = running.current;
    running.current = this.#state;
    try {
      return fn();
    } finally {
      running.current = outer;
    }
  }

  end({ route, status, error, errorCode }: RequestEnd): void {
    const start = this.#start;
    const ms = performance.now() - this.#t0;
    try {
      this.#recorder.metrics.requestEnded(start.method, route, status, ms, errorCode);
      if (this.#span) this.#endSpan(this.#span, route, status, error, errorCode);
      this.#recorder.access?.({
        ...this.#state.fields,
        method: start.method,
        route,
        path: start.path,
        status,
        duration_ms: Math.round(ms * 100) / 100,
        ...(errorCode ? { error_code: errorCode } : {}),
      });
    } catch (failure) {
      this.#recorder.failures.report('request telemetry failed', failure);
    }
  }

  #endSpan(span: Span, route: string, status: number, error: unknown, errorCode: string | undefined): void {
    // An unsampled span records nothing: no attribute work for it.
    if (!span.isRecording()) return;
    const start = this.#start;
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
}
