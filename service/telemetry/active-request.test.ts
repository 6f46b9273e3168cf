import { ROOT_CONTEXT, createContextKey, trace, type SpanContext } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { RequestState } from './active-request.ts';

const spanContext: SpanContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };

describe('RequestState', () => {
  it("gives the request's span as the parent of its children, in the context it was started in", () => {
    const key = createContextKey('incoming');
    const parent = ROOT_CONTEXT.setValue(key, 'baggage of the caller');
    const span = trace.wrapSpanContext(spanContext);
    const state = new RequestState({ request_id: 'r1' }, span, parent);

    const ctx = state.ctx!;
    expect(trace.getSpan(ctx)).toBe(span);
    expect(ctx.getValue(key)).toBe('baggage of the caller');
    // Made once: every child of the request sees the same context.
    expect(state.ctx).toBe(ctx);
  });

  it('has no context without tracing', () => {
    expect(new RequestState({ request_id: 'r2' }).ctx).toBeUndefined();
  });
});
