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
  AlwaysOnSampler,
  ParentBasedSampler,
  type IdGenerator,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import { LeanSpan, linkRecord, type SpanClock, type SpanSink } from './lean-span.ts';
import { UnsampledRoot, type RootSampling } from './server-span.ts';

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
  return rootIs(sampler, AlwaysOffSampler.prototype);
}

/** `sampler` is exactly the sampler of `prototype`, or a ParentBasedSampler whose root is. */
function rootIs(sampler: Sampler, prototype: Sampler): boolean {
  if (isExactly(sampler, prototype)) return true;
  if (!isExactly(sampler, ParentBasedSampler.prototype)) return false;
  const root = (sampler as unknown as { _root?: Sampler })._root;
  return root !== undefined && isExactly(root, prototype);
}

/**
 * Whether `sampler` records every root span: the SDK's `AlwaysOnSampler`, and its
 * `ParentBasedSampler` rooted in one (OTEL_TRACES_SAMPLER=always_on, parentbased_always_on
 * and the default), known as `dropsEveryRoot` knows its samplers.
 */
export function recordsEveryRoot(sampler: Sampler): boolean {
  return rootIs(sampler, AlwaysOnSampler.prototype);
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
  /** The sampler records every root span (`recordsEveryRoot`): nothing to defer. */
  readonly recordsEveryRoot: boolean;
  readonly #sampler: Sampler;
  readonly #ids: IdGenerator;
  readonly #sink: LeanSink;
  readonly #scope: number;

  constructor({ sampler, idGenerator, sink }: LeanTracerProviderOptions, scope: number) {
    this.#sampler = sampler;
    this.dropsEveryRoot = dropsEveryRoot(sampler);
    this.recordsEveryRoot = recordsEveryRoot(sampler);
    this.#ids = idGenerator;
    this.#sink = sink;
    this.#scope = scope;
  }

  /**
   * The SDK Tracer's steps in its order (ids, sampler, trace state), without its span
   * object. A span started in the root context (a request that continues no trace) skips
   * the context's look-ups: the root context holds no parent and no suppression. It makes
   * its span itself rather than through `#make`: that extra call cost a sampled GET /menu
   * about 0.7 µs in the service (docs/performance.md).
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
    const sampled = sampling.decision === SamplingDecision.RECORD_AND_SAMPLED;
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: sampling.traceState ?? (valid ? parent.traceState : undefined),
    };
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const attributes: Attributes = { ...options.attributes, ...sampling.attributes };
    return new LeanSpan(
      {
        name,
        kind,
        context: spanContext,
        parentSpanId: valid ? parent.spanId : undefined,
        parentIsRemote: valid ? parent.isRemote : undefined,
        attributes,
        links: links.length === 0 ? undefined : links.map(linkRecord),
        startTime: options.startTime,
        scope: this.#scope,
      },
      this.#sink,
      this.#sink.clock,
    );
  }

  /**
   * A root span (no valid span in `context`) started as `startSpan` starts it, when its
   * sampler records it; when not, nothing is started and the sampler's decision comes
   * back (`UnsampledRoot`), for `startRoot` to start the non-recording span on if it is
   * ever needed. Undefined where `startSpan` would not start a root: the context holds a
   * valid span, or suppresses tracing.
   */
  startOrDeferRoot(name: string, options: SpanOptions, context: Context): Span | UnsampledRoot | undefined {
    if (context !== ROOT_CONTEXT) {
      if (isTracingSuppressed(context)) return undefined;
      const parent = trace.getSpan(context)?.spanContext();
      if (parent !== undefined && trace.isSpanContextValid(parent)) return undefined;
    }
    const traceId = this.#ids.generateTraceId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const sampling = this.#sampler.shouldSample(
      context,
      traceId,
      name,
      kind,
      options.attributes ?? NO_ATTRIBUTES,
      options.links ?? NO_LINKS,
    );
    if (sampling.decision === SamplingDecision.NOT_RECORD) return new UnsampledRoot(traceId, sampling);
    return this.#make(name, kind, options, this.#ids.generateSpanId(), traceId, sampling);
  }

  /** The non-recording span of an `UnsampledRoot`, in its trace: the sampler is not asked again. */
  startRoot(name: string, options: SpanOptions, unsampled: UnsampledRoot): Span {
    const kind = options.kind ?? SpanKind.INTERNAL;
    return this.#make(name, kind, options, this.#ids.generateSpanId(), unsampled.traceId, unsampled.sampling);
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
