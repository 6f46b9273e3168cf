import { ROOT_CONTEXT, createContextKey, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DeferredRequestState, StartedRequestState } from './active-request.ts';
import { BatchedIdGenerator } from './batched-ids.ts';
import { SpanClock } from './lean-span.ts';
import { LeanTracerProvider } from './lean-tracer.ts';
import { ServerSpans } from './server-span.ts';
import type { RequestStart } from './types.ts';

const spanContext: SpanContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };

describe('StartedRequestState', () => {
  it("gives the request's span as the parent of its children, in the context it was started in", () => {
    const key = createContextKey('incoming');
    const parent = ROOT_CONTEXT.setValue(key, 'baggage of the caller');
    const span = trace.wrapSpanContext(spanContext);
    const state = new StartedRequestState({ request_id: 'r1' }, span, parent);

    const ctx = state.ctx!;
    expect(trace.getSpan(ctx)).toBe(span);
    expect(ctx.getValue(key)).toBe('baggage of the caller');
    // Made once: every child of the request sees the same context.
    expect(state.ctx).toBe(ctx);
  });

  it('has no context without tracing', () => {
    expect(new StartedRequestState({ request_id: 'r2' }).ctx).toBeUndefined();
  });
});

describe('DeferredRequestState', () => {
  /** An always_off tracer whose id generator counts the ids it made. */
  function spansCounting() {
    const made = { ids: 0 };
    const batched = new BatchedIdGenerator();
    const idGenerator = {
      generateTraceId: () => (made.ids++, batched.generateTraceId()),
      generateSpanId: () => (made.ids++, batched.generateSpanId()),
    };
    const tracer = new LeanTracerProvider({
      resource: resourceFromAttributes({}),
      sampler: new AlwaysOffSampler(),
      idGenerator,
      sink: { clock: new SpanClock(), register: () => 0, onEnd: () => expect.unreachable('nothing records') },
    }).getTracer('test');
    return { spans: new ServerSpans(tracer), made };
  }
  const start: RequestStart = {
    method: 'GET',
    path: '/menu',
    route: '/menu',
    requestId: 'req-1',
    headers: { get: () => undefined },
  };

  it('makes no span and no ids while nothing reads them', () => {
    const { spans, made } = spansCounting();
    new DeferredRequestState(spans, start, 'run-1', ROOT_CONTEXT);
    expect(made.ids).toBe(0);
  });

  it("starts the request's unsampled span when its fields are read: a log line carries its ids", () => {
    const { spans, made } = spansCounting();
    const state = new DeferredRequestState(spans, start, 'run-1', ROOT_CONTEXT);

    const fields = state.fields;

    expect(fields).toEqual({
      request_id: 'req-1',
      load_run_id: 'run-1',
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(made.ids).toBe(2);
    // One span for the request, whatever reads it next.
    expect(state.fields).toBe(fields);
    const span = trace.getSpan(state.ctx!)!;
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext()).toMatchObject({
      traceId: fields.trace_id,
      spanId: fields.span_id,
      traceFlags: TraceFlags.NONE,
    });
    expect(made.ids).toBe(2);
  });

  it("starts it in the context the request's headers carried when a child span asks for its context", () => {
    const { spans } = spansCounting();
    const key = createContextKey('from the caller');
    const parent = ROOT_CONTEXT.setValue(key, 'a value the caller propagated');
    const state = new DeferredRequestState(spans, start, undefined, parent);

    const ctx = state.ctx!;

    expect(ctx.getValue(key)).toBe('a value the caller propagated');
    expect(trace.getSpan(ctx)!.spanContext().spanId).toBe(state.fields.span_id);
    expect(state.fields).not.toHaveProperty('load_run_id');
  });
});
