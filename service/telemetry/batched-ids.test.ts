import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { BatchedIdGenerator } from './batched-ids.ts';

describe('BatchedIdGenerator', () => {
  it('makes valid W3C trace and span ids, none repeated, across many refills of its block', () => {
    // 64 bytes: a refill every two trace ids, so most ids come from a fresh block.
    const ids = new BatchedIdGenerator({ blockBytes: 64 });
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const traceId = ids.generateTraceId();
      const spanId = ids.generateSpanId();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(isValidTraceId(traceId) && isValidSpanId(spanId)).toBe(true);
      traceIds.add(traceId);
      spanIds.add(spanId);
    }
    expect(traceIds.size).toBe(5_000);
    expect(spanIds.size).toBe(5_000);
  });

  it('never hands out the same bytes twice within a block', () => {
    const ids = new BatchedIdGenerator({ blockBytes: 4096 });
    const seen = new Set<string>();
    // 4096 bytes hold 256 trace ids; take them all, then some from the next block.
    for (let i = 0; i < 300; i++) seen.add(ids.generateTraceId());
    expect(seen.size).toBe(300);
  });

  it('replaces an all-zero id, which W3C trace context calls invalid, by one ending in 1', () => {
    // A block of zeros, then of 0xab: the zero ids come first, and the ids after are untouched.
    let fills = 0;
    const ids = new BatchedIdGenerator({
      blockBytes: 24,
      fill: (block) => block.fill(fills++ === 0 ? 0 : 0xab),
    });
    const traceId = ids.generateTraceId();
    const spanId = ids.generateSpanId();
    expect(traceId).toBe(`${'0'.repeat(31)}1`);
    expect(spanId).toBe(`${'0'.repeat(15)}1`);
    expect(isValidTraceId(traceId) && isValidSpanId(spanId)).toBe(true);
    expect(ids.generateTraceId()).toBe('ab'.repeat(16));
    expect(ids.generateSpanId()).toBe('ab'.repeat(8));
  });
});
