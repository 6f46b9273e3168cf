import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from '../run-load.ts';
import type { Exemplar } from '../shared/exemplars.ts';
import { parseTraceparent } from '../shared/trace-context.ts';
import type { Journey } from '../shared/journeys.ts';
import { PROFILES, scaleProfile } from '../shared/profiles.ts';
import { runEngine, type ResponseEvent } from './engine.ts';

let server: Server | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/health') return res.end('{"status":"ok"}');
      handler(req, res, body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const placeOrder: Journey = {
  name: 'place-order',
  description: 'one order',
  weight: 1,
  thinkTimeMs: { min: 0, max: 0 },
  steps: [
    {
      name: 'order placed',
      request: (ctx) => ({
        route: 'POST /orders',
        path: '/orders',
        token: 't',
        body: { n: ctx.iteration },
        idempotencyKey: `${ctx.runId}-${ctx.iteration}`,
        expect: [201, 200],
        retry: true,
      }),
    },
  ],
};

const readMenu: Journey = {
  name: 'read-menu',
  description: 'one menu read',
  weight: 1,
  thinkTimeMs: { min: 0, max: 0 },
  steps: [
    {
      name: 'menu read',
      request: (ctx) => ({ route: 'GET /menu', path: `/menu?iteration=${ctx.iteration}`, expect: [200] }),
    },
  ],
};

describe('the load engine', () => {
  it('retries an order on 503 with the same Idempotency-Key, honouring Retry-After, and reports every attempt', async () => {
    const attempts = new Map<string, number>();
    const target = await serve((req, res) => {
      const key = String(req.headers['idempotency-key']);
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      if (n < 3) {
        res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' });
        return res.end('{"code":"dependency_unavailable"}');
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ order: { id: `o-${key}` } }));
    });
    const events: ResponseEvent[] = [];
    const result = await runLoad({
      target,
      profile: 'smoke',
      durationS: 1,
      rate: 3,
      runId: 'retry',
      journeys: [placeOrder],
      onResponse: (e) => events.push(e),
    });

    expect(attempts.size).toBe(3);
    expect([...attempts.values()]).toEqual([3, 3, 3]);
    for (const key of attempts.keys()) {
      const mine = events.filter((e) => e.idempotencyKey === key);
      expect(mine.map((e) => [e.attempt, e.status])).toEqual([
        [1, 503],
        [2, 503],
        [3, 201],
      ]);
      expect(mine.every((e) => e.route === 'POST /orders' && e.routeGroup === 'order-write')).toBe(true);
    }
    expect(result.totals.retries).toBe(6);
    expect(result.routeGroups['order-write']).toMatchObject({
      requests: 9,
      failures: 6,
      statusCodes: { 503: 6, 201: 3 },
    });
    expect(result.totals.checks).toMatchObject({ passes: 3, fails: 0 });
    // Six 503s out of nine requests break the availability objective.
    expect(result.thresholds.find((t) => t.id === 'order-write-availability')!.pass).toBe(false);
    expect(result.verdict).toBe('fail');
  });

  it('honours Retry-After as an HTTP-date: a past date retries at once, a far one waits the cap', async () => {
    const answers = ['Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT'];
    const attempts = new Map<string, number>();
    const target = await serve((req, res) => {
      const key = String(req.headers['idempotency-key']);
      const n = attempts.get(key) ?? 0;
      attempts.set(key, n + 1);
      if (n < answers.length) {
        res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': answers[n]! });
        return res.end('{"code":"dependency_unavailable"}');
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ order: { id: `o-${key}` } }));
    });
    const events: ResponseEvent[] = [];
    const profile = scaleProfile(PROFILES.smoke!, { durationS: 0.5, rate: 2 });
    await runEngine({
      target,
      profile,
      runId: 'dates',
      seed: 1,
      t0: Date.now(),
      bucketMs: 1_000,
      journeys: [placeOrder],
      maxBackoffMs: 250,
      sink: { bucket() {}, response: (e) => events.push(e) },
    });

    expect(attempts.size).toBeGreaterThan(0);
    for (const key of attempts.keys()) {
      const [first, second, third] = events.filter((e) => e.idempotencyKey === key);
      expect([first, second, third].map((e) => e?.status)).toEqual([503, 503, 201]);
      // A retry's intended send time is the previous answer's arrival plus the wait (less
      // the fraction of a millisecond by which a timer may fire early).
      expect(second!.startedAt - (first!.startedAt + first!.latencyMs)).toBeCloseTo(0, 2);
      const capped = third!.startedAt - (second!.startedAt + second!.latencyMs);
      expect(capped).toBeGreaterThan(240);
      expect(capped).toBeLessThanOrEqual(250.01);
    }
  });

  it('measures latency from the intended send time, so queueing behind a slow answer counts', async () => {
    const target = await serve((_req, res) => setTimeout(() => res.end('{"items":[]}'), 100));
    const events: ResponseEvent[] = [];
    // Five arrivals 10 ms apart, one socket, 100 ms per answer: the fifth waits for four others.
    await runLoad({
      target,
      profile: 'smoke',
      durationS: 0.05,
      rate: 100,
      connections: 1,
      runId: 'co',
      journeys: [readMenu],
      onResponse: (e) => events.push(e),
    });
    expect(events).toHaveLength(5);
    const latencies = events.map((e) => e.latencyMs).sort((a, b) => a - b);
    expect(latencies[4]).toBeGreaterThanOrEqual(400);
    expect(latencies[0]).toBeGreaterThanOrEqual(100);
  });

  it('splits the arrivals across worker threads without losing or repeating an iteration', async () => {
    const target = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"items":[]}');
    });
    const events: ResponseEvent[] = [];
    const result = await runLoad({
      target,
      profile: 'smoke',
      durationS: 1,
      rate: 20,
      thinkTimeScale: 0,
      workers: 2,
      runId: 'workers',
      onResponse: (e) => events.push(e),
    });
    // The shared journeys ran in two threads; every arrival index went to exactly one of them.
    expect(result.totals.iterations.started).toBe(20);
    const iterations = [...new Set(events.map((e) => e.iteration))].sort((a, b) => a - b);
    expect(iterations).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(result.totals.requests).toBe(events.length);
    expect(result.generator!.cpuSeconds).toBeGreaterThan(0);
    expect(result.notes.join(' ')).toMatch(/worker threads/);
  });

  it('never measures a latency below a real round trip, across threads and think-time timers', async () => {
    const menu = JSON.stringify({
      items: [
        { id: 'latte', available: true, prices: { small: 300 } },
        { id: 'mocha', available: true, prices: { large: 400 } },
      ],
    });
    const target = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(menu);
    });
    const events: ResponseEvent[] = [];
    // Think times of a few ms: timers on a millisecond clock sometimes fire a little early.
    await runLoad({
      target,
      profile: 'smoke',
      durationS: 1,
      rate: 20,
      thinkTimeScale: 0.005,
      workers: 1,
      runId: 'floor',
      onResponse: (e) => events.push(e),
    });
    expect(events.filter((e) => e.route === 'GET /menu/:productId').length).toBeGreaterThan(0);
    // A request over loopback TCP takes tens of microseconds at least; 0.001 ms would be a clamped negative.
    expect(Math.min(...events.map((e) => e.latencyMs))).toBeGreaterThan(0.02);
  });

  it('stops promptly when aborted and says so in the result', async () => {
    const target = await serve((_req, res) => res.end('{"items":[]}'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runLoad({
      target,
      profile: 'smoke',
      durationS: 30,
      runId: 'abort',
      journeys: [readMenu],
      signal: controller.signal,
    });
    expect(result.aborted).toBe('aborted by the caller');
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it('sends a fresh trace per request (a retry: same trace, its own span) and keeps the failed ones as exemplars', async () => {
    const seen: { key: string; traceparent: string; status: number }[] = [];
    const target = await serve((req, res) => {
      const key = String(req.headers['idempotency-key']);
      const status = seen.filter((s) => s.key === key).length < 2 ? 503 : 201;
      seen.push({ key, traceparent: String(req.headers.traceparent), status });
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(status === 201 ? JSON.stringify({ order: { id: `o-${key}` } }) : '{"code":"dependency_unavailable"}');
    });
    const announced: Exemplar[] = [];
    const events: ResponseEvent[] = [];
    const result = await runLoad({
      target,
      profile: 'smoke',
      durationS: 1,
      rate: 4,
      runId: 'traces',
      journeys: [placeOrder],
      onResponse: (e) => events.push(e),
      onExemplar: (e) => announced.push(e),
    });

    const ids = seen.map((s) => parseTraceparent(s.traceparent)!);
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids.map((i) => i.spanId)).size).toBe(seen.length);
    for (const key of new Set(seen.map((s) => s.key))) {
      const traces = new Set(ids.filter((_, i) => seen[i]!.key === key).map((i) => i.traceId));
      expect(traces.size, key).toBe(1);
    }
    expect(new Set(ids.map((i) => i.traceId)).size).toBe(new Set(seen.map((s) => s.key)).size);
    // The engine's view of each attempt names the ids the server saw.
    expect(events.map((e) => `00-${e.traceId}-${e.spanId}-01`).sort()).toEqual(seen.map((s) => s.traceparent).sort());

    const exemplars = result.exemplars!;
    expect(exemplars.bounds).toEqual({ slowestPerGroupPerSecond: 3, failuresPerRun: 500 });
    const failed = exemplars.items.filter((e) => e.reason === 'failed');
    expect(failed.map((e) => `00-${e.traceId}-${e.spanId}-01`).sort()).toEqual(
      seen
        .filter((s) => s.status === 503)
        .map((s) => s.traceparent)
        .sort(),
    );
    for (const e of failed) {
      expect(e).toMatchObject({ routeGroup: 'order-write', route: 'POST /orders', method: 'POST', status: 503 });
      expect(e.intendedAt).toBeLessThanOrEqual(e.sentAt);
      expect(e.sentAt).toBeLessThanOrEqual(e.answeredAt);
      expect(e.latencyMs).toBeCloseTo(e.answeredAt - e.intendedAt, 6);
    }
    const slowest = exemplars.items.filter((e) => e.reason === 'slowest');
    expect(slowest.length).toBeGreaterThan(0);
    expect(slowest.every((e) => e.status === 201)).toBe(true);
    expect(exemplars.droppedFailures).toBe(0);
    // Every exemplar was announced on the main thread, once.
    expect(announced.length).toBe(exemplars.items.length);
    expect(new Set(announced)).toEqual(new Set(exemplars.items));
  });

  it('picks exemplars in worker threads: every failure, at most three slowest per group and second', async () => {
    // The trace ids are random: a request whose trace id ends in 0 or 1 gets a 500, about one in eight.
    const seen = new Map<string, number>();
    const target = await serve((req, res) => {
      const traceparent = String(req.headers.traceparent);
      const status = /[01]-[0-9a-f]{16}-01$/.test(traceparent) ? 500 : 200;
      seen.set(traceparent, status);
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{"items":[]}');
      }, seen.size % 7);
    });
    const announced: Exemplar[] = [];
    const events: ResponseEvent[] = [];
    const result = await runLoad({
      target,
      profile: 'smoke',
      durationS: 2,
      rate: 30,
      thinkTimeScale: 0,
      workers: 2,
      runId: 'worker-traces',
      onResponse: (e) => events.push(e),
      onExemplar: (e) => announced.push(e),
    });
    const { items } = result.exemplars!;
    const failedSent = [...seen].filter(([, status]) => status === 500).map(([tp]) => tp);
    expect(failedSent.length).toBeGreaterThan(0);
    expect(
      items
        .filter((e) => e.reason === 'failed')
        .map((e) => `00-${e.traceId}-${e.spanId}-01`)
        .sort(),
    ).toEqual(failedSent.sort());
    const perSecond = new Map<string, number>();
    for (const e of items.filter((i) => i.reason === 'slowest')) {
      expect(e.status).toBe(200);
      const key = `${e.second} ${e.routeGroup}`;
      perSecond.set(key, (perSecond.get(key) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(3);
    // The slowest answer of the run that did not fail is the slowest of its second: it is kept.
    const answered = events.filter((e) => e.status === 200);
    const slowestOfRun = answered.reduce((a, b) => (b.latencyMs > a.latencyMs ? b : a));
    expect(items.some((e) => e.spanId === slowestOfRun.spanId && e.reason === 'slowest')).toBe(true);
    expect(new Set(announced)).toEqual(new Set(items));
  });
});
