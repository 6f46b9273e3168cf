/**
 * The k6 script's trace context, run under stand-ins for k6's modules (no k6 binary runs
 * here): every request carries a valid `traceparent`, its ids are in the VU's metadata
 * while it is sent and gone after, a retry keeps the trace with a span of its own, and no
 * id ever becomes a tag.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseTraceparent } from './shared/trace-context.ts';

interface Sent {
  route: string;
  traceparent: string;
  metadata: Record<string, string>;
  tags: Record<string, string>;
}

const k6 = vi.hoisted(() => {
  const sent: Sent[] = [];
  const metadata: Record<string, string> = {};
  const state = { iteration: 0 };
  const answers: Record<string, { status: number; body: string }> = {
    'POST /users': { status: 201, body: '{"token":"t","user":{"id":"u"}}' },
    'GET /menu': { status: 200, body: '{"items":[{"id":"latte","available":true,"prices":{"small":300}}]}' },
    'POST /orders': { status: 503, body: '{"code":"dependency_unavailable"}' },
  };
  return { sent, metadata, state, answers };
});

vi.mock('k6', () => ({
  check: (value: unknown, checks: Record<string, (v: unknown) => boolean>) =>
    Object.values(checks).every((c) => c(value)),
  sleep: () => {},
}));
vi.mock('k6/crypto', () => ({ randomBytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)).buffer }));
vi.mock('k6/metrics', () => ({
  Counter: class {
    add() {}
  },
  Trend: class {
    add() {}
  },
}));
vi.mock('k6/execution', () => ({
  default: {
    vu: { idInTest: 1, metrics: { metadata: k6.metadata } },
    scenario: {
      get iterationInTest() {
        return k6.state.iteration;
      },
    },
    test: {
      abort: (reason: string) => {
        throw new Error(reason);
      },
    },
  },
}));
vi.mock('k6/http', () => ({
  default: {
    setResponseCallback: () => {},
    expectedStatuses: () => ({}),
    get: () => ({ status: 200, body: '{}', headers: {} }),
    request: (
      _method: string,
      _url: string,
      _body: unknown,
      params: { headers: Record<string, string>; tags: Record<string, string> },
    ) => {
      k6.sent.push({
        route: params.tags.route!,
        traceparent: params.headers.traceparent!,
        metadata: { ...k6.metadata },
        tags: { ...params.tags },
      });
      const answer = k6.answers[params.tags.route!] ?? { status: 404, body: '{}' };
      return { ...answer, headers: { 'Retry-After': '0' } };
    },
  },
}));

beforeAll(() => {
  (globalThis as Record<string, unknown>).__ENV = { COFFEE_TARGET: 'http://127.0.0.1:9', COFFEE_PROFILE: 'smoke' };
});

describe('the k6 script', () => {
  it('sends a fresh traceparent per step, records its ids as metadata only while sending, and never as tags', async () => {
    const script = await import('./k6/script.ts');
    for (let i = 0; i < 40; i++) {
      k6.state.iteration = i;
      script.default();
      expect(k6.metadata).toEqual({});
    }
    const { sent } = k6;
    expect(sent.length).toBeGreaterThan(40);
    const ids = sent.map((s) => parseTraceparent(s.traceparent)!);
    for (const [i, s] of sent.entries()) {
      expect(ids[i], s.traceparent).toBeDefined();
      expect(s.metadata).toMatchObject({ trace_id: ids[i]!.traceId, span_id: ids[i]!.spanId });
      expect(s.metadata.path).toMatch(/^\//);
      expect(s.metadata.expected_statuses).toMatch(/^\d{3}( \d{3})*$/);
      expect(Object.values(s.tags).join(' ')).not.toContain(ids[i]!.traceId);
    }
    expect(new Set(ids.map((i) => i.spanId)).size).toBe(sent.length);
    // A 503 on an order is retried: four attempts, one trace, four spans.
    const orders = sent.map((s, i) => ({ ...s, ...ids[i]! })).filter((s) => s.route === 'POST /orders');
    expect(orders.length).toBeGreaterThanOrEqual(4);
    expect(orders.length % 4).toBe(0);
    const traces = new Set(orders.map((o) => o.traceId));
    expect(traces.size).toBe(orders.length / 4);
    const otherTraces = new Set(ids.filter((_, i) => sent[i]!.route !== 'POST /orders').map((i) => i.traceId));
    expect(otherTraces.size).toBe(sent.length - orders.length);
    for (const t of traces) expect(otherTraces.has(t)).toBe(false);
  });
});
