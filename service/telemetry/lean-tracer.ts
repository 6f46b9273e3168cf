/**
 * The server's tracer behind `@opentelemetry/api`: the SDK's sampler and id generator
 * decide and name a span as the SDK's Tracer does, and a sampled span is a `LeanSpan`
 * (plain data) that goes, once ended, straight into the hand-off's batch for the export
 * thread. An unsampled span is the API's non-recording span: ids and nothing else.
 */
import {
  context as apiContext,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SamplingDecision,
  SpanKind,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  ParentBasedSampler,
  type IdGenerator,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import { LeanSpan, linkRecord, type SpanClock, type SpanSink } from './lean-span.ts';
import type { RootDecision, RootSampling } from './server-span.ts';

/** What a tracer needs from the hand-off: where ended spans go, and a number for its resource and scope. */
export interface LeanSink extends SpanSink {
  register(resource: Resource, scope: InstrumentationScope): number;
  readonly clock: SpanClock;
}

export interface InstrumentationScope {
  name: string;
  version?: string;
  schemaUrl?: string;
}

export interface LeanTracerProviderOptions {
  resource: Resource;
  sampler: Sampler;
  idGenerator: IdGenerator;
  sink: LeanSink;
}

const NO_LINKS: never[] = [];
const NO_ATTRIBUTES: Attributes = Object.freeze({});

export class LeanTracerProvider implements TracerProvider {
  readonly #options: LeanTracerProviderOptions;
  readonly #tracers = new Map<string, LeanTracer>();

  constructor(options: LeanTracerProviderOptions) {
    this.#options = options;
  }

  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let tracer = this.#tracers.get(key);
    if (!tracer) {
      const scope: InstrumentationScope = { name, version, schemaUrl: options?.schemaUrl };
      tracer = new LeanTracer(this.#options, this.#options.sink.register(this.#options.resource, scope));
      this.#tracers.set(key, tracer);
    }
    return tracer;
  }
}

/**
 * Whether `sampler` drops every root span (one that continues no trace, or continues one
 * with no valid span context) whatever its ids, name, kind and attributes: the SDK's
 * `AlwaysOffSampler`, and its `ParentBasedSampler` with that as the root sampler (what
 * OTEL_TRACES_SAMPLER=always_off and parentbased_always_off make). Known by the exact
 * classes and their own `shouldSample`, never guessed: a subclass, a patched method, any
 * other sampler, or a ParentBasedSampler whose root this cannot read (its `_root` field,
 * not public API) is asked for every span.
 */
export function dropsEveryRoot(sampler: Sampler): boolean {
  if (isExactly(sampler, AlwaysOffSampler.prototype)) return true;
  if (!isExactly(sampler, ParentBasedSampler.prototype)) return false;
  const root = (sampler as unknown as { _root?: Sampler })._root;
  return root !== undefined && isExactly(root, AlwaysOffSampler.prototype);
}

/** `sampler` is an instance of the class of `prototype` itself, deciding with that class's own method. */
function isExactly(sampler: Sampler, prototype: Sampler): boolean {
  return Object.getPrototypeOf(sampler) === prototype && sampler.shouldSample === prototype.shouldSample;
}

export class LeanTracer implements Tracer, RootSampling {
  /**
   * The sampler drops every root span (`dropsEveryRoot`): a caller that only needs such a
   * span's ids may start it when they are first read (active-request.ts).
   */
  readonly dropsEveryRoot: boolean;
  readonly #sampler: Sampler;
  readonly #ids: IdGenerator;
  readonly #sink: LeanSink;
  readonly #scope: number;

  constructor({ sampler, idGenerator, sink }: LeanTracerProviderOptions, scope: number) {
    this.#sampler = sampler;
    this.dropsEveryRoot = dropsEveryRoot(sampler);
    this.#ids = idGenerator;
    this.#sink = sink;
    this.#scope = scope;
  }

  /**
   * The SDK Tracer's steps in its order (ids, sampler, trace state), without its span
   * object. A span started in the root context (a request that continues no trace) skips
   * the context's look-ups: the root context holds no parent and no suppression.
   */
  startSpan(name: string, options: SpanOptions = {}, context: Context = apiContext.active()): Span {
    if (options.root) context = trace.deleteSpan(context);
    const root = context === ROOT_CONTEXT;
    if (!root && isTracingSuppressed(context)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = root ? undefined : trace.getSpan(context)?.spanContext();
    const spanId = this.#ids.generateSpanId();
    const valid = parent !== undefined && trace.isSpanContextValid(parent);
    const traceId = valid ? parent.traceId : this.#ids.generateTraceId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    // The SDK's samplers only read the attributes: an unsampled span copies none.
    const links = options.links ?? NO_LINKS;
    const sampling = this.#sampler.shouldSample(
      context,
      traceId,
      name,
      kind,
      options.attributes ?? NO_ATTRIBUTES,
      links,
    );
    return this.#make(name, kind, options, spanId, traceId, sampling, valid ? parent : undefined);
  }

  /**
   * The sampler's decision for a span named `name` of `kind`, with no attributes or links,
   * that would start in `context` as a root (no valid parent span there), taken as
   * `startSpan` takes it (a new trace id) but without starting the span: `startRoot`
   * starts it later, on that decision. Undefined where `startSpan` would not decide a
   * root: the context holds a valid span, or suppresses tracing.
   */
  decideRoot(name: string, kind: SpanKind, context: Context): RootDecision | undefined {
    if (context !== ROOT_CONTEXT) {
      if (isTracingSuppressed(context)) return undefined;
      const parent = trace.getSpan(context)?.spanContext();
      if (parent !== undefined && trace.isSpanContextValid(parent)) return undefined;
    }
    const traceId = this.#ids.generateTraceId();
    return { traceId, sampling: this.#sampler.shouldSample(context, traceId, name, kind, NO_ATTRIBUTES, NO_LINKS) };
  }

  /** The root span `decideRoot` decided, in its trace: the sampler is not asked again. */
  startRoot(name: string, options: SpanOptions, decision: RootDecision): Span {
    const { traceId, sampling } = decision;
    return this.#make(name, options.kind ?? SpanKind.INTERNAL, options, this.#ids.generateSpanId(), traceId, sampling);
  }

  #make(
    name: string,
    kind: SpanKind,
    options: SpanOptions,
    spanId: string,
    traceId: string,
    sampling: SamplingResult,
    parent?: SpanContext,
  ): Span {
    const sampled = sampling.decision === SamplingDecision.RECORD_AND_SAMPLED;
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: sampling.traceState ?? parent?.traceState,
    };
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const attributes: Attributes = { ...options.attributes, ...sampling.attributes };
    const links = options.links ?? NO_LINKS;
    return new LeanSpan(
      {
        name,
        kind,
        context: spanContext,
        parentSpanId: parent?.spanId,
        parentIsRemote: parent?.isRemote,
        attributes,
        links: links.length === 0 ? undefined : links.map(linkRecord),
        startTime: options.startTime,
        scope: this.#scope,
      },
      this.#sink,
      this.#sink.clock,
    );
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
    const fn = args.pop() as F;
    const [options, context] = args as [SpanOptions | undefined, Context | undefined];
    const parent = context ?? apiContext.active();
    const span = this.startSpan(name, options, parent);
    return apiContext.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}
