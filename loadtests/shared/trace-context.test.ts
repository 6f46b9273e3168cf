import { describe, expect, it } from 'vitest';
import { parseTraceparent, TraceIdGenerator, traceparent } from './trace-context.ts';

describe('trace ids chosen by the client', () => {
  it('makes valid sampled traceparent values, lower-case hex, neither id all zeros', () => {
    const ids = new TraceIdGenerator(crypto.getRandomValues(new Uint32Array(4)));
    for (let i = 0; i < 1_000; i++) {
      const value = traceparent(ids.traceId(), ids.spanId());
      expect(value).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(parseTraceparent(value)).toBeDefined();
    }
  });

  it('never repeats a trace id within one generator, even from the smallest seed', () => {
    // A nearly-zero state is where a weak generator would cycle early.
    const ids = new TraceIdGenerator([0, 0, 0, 1]);
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      seen.add(ids.traceId());
      if (i % 3 === 0) ids.spanId();
    }
    expect(seen.size).toBe(50_000);
  });

  it('gives different ids to generators with different seeds, and repairs an all-zero seed', () => {
    const a = new TraceIdGenerator([1, 2, 3, 4]).traceId();
    const b = new TraceIdGenerator([1, 2, 3, 5]).traceId();
    expect(a).not.toBe(b);
    expect(new TraceIdGenerator([0, 0, 0, 0]).traceId()).not.toBe('0'.repeat(32));
    expect(() => new TraceIdGenerator([1, 2])).toThrow(/4 seed words/);
  });

  it('rejects malformed and all-zero traceparent values', () => {
    const trace = 'a'.repeat(32);
    const span = 'b'.repeat(16);
    expect(parseTraceparent(`00-${trace}-${span}-01`)).toEqual({ traceId: trace, spanId: span });
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${span}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${trace}-${'0'.repeat(16)}-01`)).toBeUndefined();
    expect(parseTraceparent(`00-${trace.toUpperCase()}-${span}-01`)).toBeUndefined();
    expect(parseTraceparent(`01-${trace}-${span}-01`)).toBeUndefined();
  });
});
