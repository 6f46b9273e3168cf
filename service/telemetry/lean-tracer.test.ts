import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { suppressTracing, TraceState as TraceStateImpl } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { BatchedIdGenerator } from './batched-ids.ts';
import { SpanClock, type LeanSpan } from './lean-span.ts';
import { dropsEveryRoot, LeanTracerProvider, recordsEveryRoot, type LeanTracer } from './lean-tracer.ts';
import { UnsampledRoot } from './server-span.ts';

function tracerWith(sampler: Sampler) {
  const ended: LeanSpan[] = [];
  const tracer = new LeanTracerProvider({
    resource: resourceFromAttributes({}),
    sampler,
    idGenerator: new BatchedIdGenerator(),
    sink: { clock: new SpanClock(), register: () => 0, onEnd: (span) => ended.push(span) },
  }).getTracer('test') as LeanTracer;
  return { tracer, ended };
}

/** A sampler that remembers what it was asked and answers `result`. */
class AskedSampler implements Sampler {
  readonly asked: { context: Context; attributes: Attributes }[] = [];
  constructor(readonly result: SamplingResult) {}
  shouldSample(context: Context, _traceId: string, _name: string, _kind: SpanKind, attributes: Attributes) {
    this.asked.push({ context, attributes: { ...attributes } });
    return this.result;
  }
  toString() {
    return 'AskedSampler';
  }
}

const REMOTE_PARENT = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

describe('the lean tracer', () => {
  it('starts a span in the root context as a new trace, unsampled under always_off', () => {
    const { tracer, ended } = tracerWith(new AlwaysOffSampler());

    const span = tracer.startSpan('GET /menu', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    span.end();

    const sc = span.spanContext();
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(sc)).toBe(true);
    expect(sc.traceFlags).toBe(TraceFlags.NONE);
    expect(ended).toHaveLength(0);
  });

  it('continues the trace of a parent in the context, and the parent-based sampler follows it', () => {
    const { tracer, ended } = tracerWith(new ParentBasedSampler({ root: new AlwaysOffSampler() }));

    const span = tracer.startSpan('GET /menu', { kind: SpanKind.SERVER }, REMOTE_PARENT);
    span.end();

    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
    expect(ended[0]!.parentSpanId).toBe('b7ad6b7169203331');
  });

  it('starts nothing valid where tracing is suppressed', () => {
    const { tracer } = tracerWith(new AlwaysOnSampler());

    const span = tracer.startSpan('x', {}, suppressTracing(REMOTE_PARENT));

    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
  });

  it("asks the sampler with the span's attributes and context, and records the sampler's attributes too", () => {
    const sampler = new AskedSampler({ decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { added: 1 } });
    const { tracer, ended } = tracerWith(sampler);

    tracer.startSpan('a', { attributes: { given: 'x' } }, REMOTE_PARENT).end();
    tracer.startSpan('b', {}, ROOT_CONTEXT).end();

    expect(sampler.asked).toEqual([
      { context: REMOTE_PARENT, attributes: { given: 'x' } },
      { context: ROOT_CONTEXT, attributes: {} },
    ]);
    expect(ended.map((s) => s.attributes)).toEqual([{ given: 'x', added: 1 }, { added: 1 }]);
  });
});

describe('dropsEveryRoot', () => {
  class QuietOff extends AlwaysOffSampler {}
  class SometimesOn extends AlwaysOffSampler {
    override shouldSample() {
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    }
  }

  it('knows the samplers that drop every root span, as OTEL_TRACES_SAMPLER names them', () => {
    expect(dropsEveryRoot(new AlwaysOffSampler())).toBe(true);
    expect(dropsEveryRoot(new ParentBasedSampler({ root: new AlwaysOffSampler() }))).toBe(true);
  });

  it('asks every other sampler, a subclass included, even one that never samples', () => {
    expect(dropsEveryRoot(new AlwaysOnSampler())).toBe(false);
    expect(dropsEveryRoot(new ParentBasedSampler({ root: new AlwaysOnSampler() }))).toBe(false);
    expect(dropsEveryRoot(new TraceIdRatioBasedSampler(0))).toBe(false);
    expect(dropsEveryRoot(new QuietOff())).toBe(false);
    expect(dropsEveryRoot(new SometimesOn())).toBe(false);
    expect(dropsEveryRoot(new ParentBasedSampler({ root: new SometimesOn() }))).toBe(false);
    expect(dropsEveryRoot(new AskedSampler({ decision: SamplingDecision.NOT_RECORD }))).toBe(false);
  });

  it('knows the samplers that record every root span, and no other', () => {
    expect(recordsEveryRoot(new AlwaysOnSampler())).toBe(true);
    expect(recordsEveryRoot(new ParentBasedSampler({ root: new AlwaysOnSampler() }))).toBe(true);
    expect(recordsEveryRoot(new AlwaysOffSampler())).toBe(false);
    expect(recordsEveryRoot(new TraceIdRatioBasedSampler(1))).toBe(false);
    expect(recordsEveryRoot(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) }))).toBe(false);
    expect(recordsEveryRoot(new AskedSampler({ decision: SamplingDecision.RECORD_AND_SAMPLED }))).toBe(false);
  });

  it('asks an AlwaysOffSampler whose method was replaced, alone or as the root', () => {
    const patched = new AlwaysOffSampler();
    patched.shouldSample = () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED });

    expect(dropsEveryRoot(patched)).toBe(false);
    expect(dropsEveryRoot(new ParentBasedSampler({ root: patched }))).toBe(false);
  });
});

describe('a root span started only when its sampler records it', () => {
  const SERVER = { kind: SpanKind.SERVER };

  it('is not taken apart where startSpan would continue a parent or start nothing', () => {
    const { tracer } = tracerWith(new AlwaysOnSampler());

    expect(tracer.startOrDeferRoot('GET /menu', SERVER, REMOTE_PARENT)).toBeUndefined();
    expect(tracer.startOrDeferRoot('GET /menu', SERVER, suppressTracing(ROOT_CONTEXT))).toBeUndefined();
  });

  it('is a root where the context holds only an invalid span, as startSpan starts one there', () => {
    const { tracer } = tracerWith(new AlwaysOnSampler());
    const invalid = trace.setSpanContext(ROOT_CONTEXT, INVALID_SPAN_CONTEXT);

    const span = tracer.startOrDeferRoot('GET /menu', SERVER, invalid) as Span;

    expect(span.isRecording()).toBe(true);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
  });

  it('starts a sampled root at once, as startSpan would, asking the sampler once', () => {
    const sampler = new AskedSampler({
      decision: SamplingDecision.RECORD_AND_SAMPLED,
      attributes: { added: 1 },
      traceState: new TraceStateImpl('vendor=a1'),
    });
    const { tracer, ended } = tracerWith(sampler);
    const baggage = ROOT_CONTEXT.setValue(Symbol('baggage only'), 'x');

    const span = tracer.startOrDeferRoot('GET /menu', SERVER, baggage) as Span;
    span.end();

    expect(sampler.asked).toEqual([{ context: baggage, attributes: {} }]);
    expect(span.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
    expect(span.spanContext().traceState?.serialize()).toBe('vendor=a1');
    expect(ended[0]).toMatchObject({ name: 'GET /menu', kind: SpanKind.SERVER, attributes: { added: 1 } });
    expect(ended[0]!.parentSpanId).toBeUndefined();
  });

  it('starts nothing for an unsampled root, and later its non-recording span in the trace the sampler was asked about', () => {
    const sampler = new AskedSampler({ decision: SamplingDecision.NOT_RECORD });
    const { tracer, ended } = tracerWith(sampler);

    const unsampled = tracer.startOrDeferRoot('GET /menu', SERVER, ROOT_CONTEXT);
    expect(unsampled).toBeInstanceOf(UnsampledRoot);
    const span = tracer.startRoot('GET /menu', SERVER, unsampled as UnsampledRoot);
    span.end();

    expect(sampler.asked).toHaveLength(1);
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext()).toMatchObject({
      traceId: (unsampled as UnsampledRoot).traceId,
      traceFlags: TraceFlags.NONE,
    });
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
    expect(ended).toHaveLength(0);
  });
});
