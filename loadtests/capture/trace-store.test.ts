import { describe, expect, it } from 'vitest';
import { TraceStore } from './trace-store.ts';
import type { CapturedSpan, Exemplar } from './types.ts';

const id = (n: number) => n.toString(16).padStart(32, '0');
const span = (trace: number, name = 'GET /menu'): CapturedSpan => ({
  traceId: id(trace),
  spanId: (trace + 1).toString(16).padStart(16, '0'),
  name,
  kind: 2,
  start: 0,
  end: 1,
  attributes: {},
  events: [],
  status: { code: 0 },
});
const exemplar = (trace: number, reason: Exemplar['reason'], latencyMs: number): Exemplar => ({
  traceId: id(trace),
  spanId: '1'.repeat(16),
  routeGroup: 'menu',
  route: 'GET /menu',
  method: 'GET',
  path: '/menu',
  status: reason === 'failed' ? 503 : 200,
  latencyMs,
  intendedAt: 0,
  sentAt: 0,
  answeredAt: latencyMs,
  second: 0,
  reason,
});

describe('tail selection', () => {
  it('keeps a trace marked before or after its spans arrive and drops the unmarked after the hold time', () => {
    let now = 0;
    const store = new TraceStore({ holdMs: 10_000, now: () => now });
    store.keep(id(1));
    store.addSpans([span(1), span(2), span(3)]);
    now = 5_000;
    store.keep(id(2), exemplar(2, 'slowest', 900));
    store.addSpans([span(2, 'DynamoDB.GetItem')]);
    now = 10_000;
    store.sweep();
    expect(store.counts.tracesDropped).toBe(1);
    expect(store.heldItems).toBe(0);
    const kept = store.finish();
    expect(kept.map((t) => t.traceId)).toEqual([id(1), id(2)]);
    expect(kept[1]?.spans.map((s) => s.name)).toEqual(['GET /menu', 'DynamoDB.GetItem']);
    expect(kept[1]?.exemplar?.latencyMs).toBe(900);
  });

  it('caps what it holds: past the cap the oldest held traces go, counted', () => {
    const store = new TraceStore({ maxHeldItems: 100 });
    for (let i = 0; i < 1_000; i++) store.addSpans([span(i)]);
    expect(store.heldItems).toBeLessThanOrEqual(100);
    expect(store.counts.spansEvicted).toBe(900);
    store.keep(id(999));
    store.keep(id(0));
    expect(store.finish().map((t) => t.traceId)).toEqual([id(999)]);
  });

  it('caps what it keeps: a failed exemplar pushes out the least slow one', () => {
    const store = new TraceStore({ maxKeptTraces: 2 });
    store.keep(id(1), exemplar(1, 'slowest', 100));
    store.keep(id(2), exemplar(2, 'slowest', 300));
    store.keep(id(3), exemplar(3, 'failed', 50));
    store.addSpans([span(1), span(2), span(3)]);
    expect(store.finish().map((t) => t.traceId)).toEqual([id(2), id(3)]);
  });
});
