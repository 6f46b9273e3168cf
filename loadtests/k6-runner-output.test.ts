/**
 * k6's JSON output, as recorded from a real k6 v1.3.0 (k6/fixtures/), read back into the
 * Node engine's timeline and exemplars. The expectation is computed independently: the
 * fixture parsed whole, its requests fed to the engine's recorder and exemplar picker the
 * way an engine thread feeds them, and the exemplars checked against a plain sort.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aggregator } from './engine/aggregator.ts';
import { Recorder } from './engine/recorder.ts';
import { k6Timeline, parseK6Time, readK6Output, type K6TimelineOptions } from './k6-runner-output.ts';
import { ExemplarCollector, ExemplarPicker, type Exemplar } from './shared/exemplars.ts';
import { PROFILES, scaleProfile } from './shared/profiles.ts';
import { isFailure } from './shared/result.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'k6', 'fixtures');
const METADATA_OUT = path.join(FIXTURES, 'metadata-out.json.gz');
const SMOKE_OUT = path.join(FIXTURES, 'smoke-out.json.gz');

interface Point {
  metric: string;
  type: string;
  data: { time: string; value: number; tags: Record<string, string>; metadata?: Record<string, string> };
}

function points(file: string): Point[] {
  return gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Point);
}

/** The fixture's requests (http_req_duration points of the scenario), in answer-time order. */
function requestsOf(all: Point[]) {
  return all
    .filter((p) => p.type === 'Point' && p.metric === 'http_req_duration' && p.data.tags.scenario !== undefined)
    .map((p) => ({
      time: parseK6Time(p.data.time),
      routeGroup: p.data.tags.route_group!,
      route: p.data.tags.route!,
      method: p.data.tags.method!,
      status: Number(p.data.tags.status),
      latencyMs: p.data.value,
      traceId: p.data.metadata?.trace_id ?? '',
    }))
    .sort((a, b) => a.time - b.time);
}

/** What the Node engine records from the same requests: its Recorder, Aggregator and ExemplarPicker. */
function nodeEngineView(all: Point[], options: K6TimelineOptions) {
  const aggregator = new Aggregator(options.bucketMs, options.profile);
  const recorder = new Recorder(options.t0, options.bucketMs, (report) => aggregator.add(report));
  const picker = new ExemplarPicker(options.t0);
  const collector = new ExemplarCollector(1);
  const starts = all
    .filter((p) => p.type === 'Point' && p.metric === 'coffee_journeys' && p.data.tags.outcome === 'started')
    .map((p) => ({ time: parseK6Time(p.data.time), journey: p.data.tags.journey! }));
  const events = [
    ...requestsOf(all).map((r) => ({ time: r.time, request: r })),
    ...starts.map((s) => ({ time: s.time, start: s })),
  ].sort((a, b) => a.time - b.time);
  for (const event of events) {
    if ('start' in event) {
      recorder.iterationStarted(event.time, event.start!.journey, 0);
      continue;
    }
    const r = event.request!;
    recorder.response(r.time, r.routeGroup, r.route, r.status, r.latencyMs);
    const failed = isFailure(r.status);
    if (r.traceId && picker.wants(r.routeGroup, r.time, r.latencyMs, failed)) {
      picker.add({
        traceId: r.traceId,
        spanId: '',
        routeGroup: r.routeGroup,
        route: r.route,
        method: r.method,
        path: r.route.split(' ')[1]!,
        status: r.status,
        latencyMs: r.latencyMs,
        intendedAt: r.time - r.latencyMs,
        sentAt: r.time - r.latencyMs,
        answeredAt: r.time,
        second: picker.secondOf(r.time),
        reason: failed ? 'failed' : 'slowest',
      });
    }
    const batch = picker.drain();
    if (batch) collector.add(0, batch);
  }
  recorder.flush();
  picker.flush();
  collector.add(0, picker.drain()!);
  return { timeline: aggregator.summary(options.durationMs).timeline, exemplars: collector.finish() };
}

function optionsFor(all: Point[], durationS: number): K6TimelineOptions {
  const first = Math.min(...requestsOf(all).map((r) => r.time - r.latencyMs));
  return {
    t0: Math.floor(first) - 20,
    bucketMs: 1_000,
    profile: scaleProfile(PROFILES.smoke!, { durationS }),
    durationMs: durationS * 1000,
  };
}

describe("k6's JSON output", () => {
  it('parses k6 times with nanoseconds and a zone, keeping the sub-millisecond part', () => {
    expect(parseK6Time('2026-12-06T06:53:51.099749431Z')).toBeCloseTo(Date.UTC(2026, 11, 6, 6, 53, 51) + 99.749431, 6);
    expect(parseK6Time('2026-12-06T07:53:51.5+01:00')).toBe(Date.UTC(2026, 11, 6, 6, 53, 51, 500));
    expect(() => parseK6Time('yesterday')).toThrow(/not a k6 sample time/);
  });

  it("gives the Node engine's exemplars from a real run's per-request trace id metadata", async () => {
    const all = points(METADATA_OUT);
    const options = optionsFor(all, 3);
    const read = await readK6Output(METADATA_OUT, options);
    const node = nodeEngineView(all, options);

    expect(read.requests).toBe(requestsOf(all).length);
    expect(read.exemplars).toEqual(node.exemplars);
    expect(read.timeline).toEqual(node.timeline);

    // Independently: the three slowest requests of each second, by a plain sort.
    const bySecond = new Map<number, ReturnType<typeof requestsOf>>();
    for (const r of requestsOf(all)) {
      const second = Math.floor((r.time - options.t0) / 1000);
      bySecond.set(second, [...(bySecond.get(second) ?? []), r]);
    }
    const expected = [...bySecond.values()].flatMap((rs) =>
      [...rs]
        .sort((a, b) => b.latencyMs - a.latencyMs)
        .slice(0, 3)
        .map((r) => r.traceId),
    );
    const items = read.exemplars.items;
    expect(items.map((e) => e.traceId).sort()).toEqual(expected.sort());
    expect(items.length).toBeGreaterThan(3);
    for (const e of items) {
      expect(e).toMatchObject({ routeGroup: 'menu-read', route: 'GET /menu', method: 'GET', path: '/menu' });
      expect(e.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(e.reason).toBe('slowest');
    }
  });

  it("gives the Node engine's time buckets from a real smoke run of the script", async () => {
    const all = points(SMOKE_OUT);
    const options = optionsFor(all, 6);
    const read = await readK6Output(SMOKE_OUT, options);
    const node = nodeEngineView(all, options);
    expect(read.timeline).toEqual(node.timeline);

    const buckets = read.timeline.buckets;
    const requests = requestsOf(all);
    expect(buckets.reduce((n, b) => n + b.requests, 0)).toBe(requests.length);
    expect(buckets.reduce((n, b) => n + b.iterationsStarted, 0)).toBe(
      all.filter((p) => p.type === 'Point' && p.metric === 'coffee_journeys' && p.data.tags.outcome === 'started')
        .length,
    );
    const groups = new Set(buckets.flatMap((b) => Object.keys(b.routeGroups)));
    expect([...groups].sort()).toEqual([...new Set(requests.map((r) => r.routeGroup))].sort());
    expect(groups.has('setup')).toBe(false);
    for (const b of buckets)
      for (const g of Object.values(b.routeGroups)) if (g.requests > 0) expect(g.p99).not.toBeNull();
    // This run set no trace ids: nothing to keep a trace by.
    expect(read.exemplars.items).toEqual([]);
    expect(Object.keys(read.routes).sort()).toEqual([...new Set(requests.map((r) => r.route))].sort());
  });
});

describe('failures in k6 output', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'coffee-k6-out-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const T0 = Date.UTC(2026, 11, 6, 6, 0, 0);
  let n = 0;
  /** A line as our script makes k6 write it: route tags, and the ids, path and expectations as metadata. */
  function line(atMs: number, status: number, latencyMs: number, expected: string, route = 'POST /orders'): string {
    n++;
    return JSON.stringify({
      metric: 'http_req_duration',
      type: 'Point',
      data: {
        time: new Date(T0 + atMs).toISOString(),
        value: latencyMs,
        tags: {
          method: route.split(' ')[0],
          name: route,
          route,
          route_group: route.startsWith('POST /orders') ? 'order-write' : 'menu-read',
          scenario: 'smoke',
          status: String(status),
        },
        metadata: {
          trace_id: n.toString(16).padStart(32, 'a'),
          span_id: n.toString(16).padStart(16, 'b'),
          path: `/orders?n=${n}`,
          expected_statuses: expected,
        },
      },
    });
  }

  it('keeps a 5xx, a network error and an unexpected 4xx as failed, whatever the order of the lines', async () => {
    const lines = [
      line(100, 201, 20, '201 200'),
      line(200, 503, 30, '201 200'),
      line(300, 0, 10_000, '201 200'),
      line(400, 429, 5, '201 200'),
      line(500, 409, 7, '200 409', 'PATCH /orders/:orderId/status'),
      line(1_200, 201, 15, '201 200'),
    ];
    // k6's VUs flush their samples independently: a later line may hold an earlier sample.
    const shuffled = [lines[1], lines[5], lines[0], lines[3], lines[2], lines[4]].join('\n');
    const file = path.join(dir, 'out.json');
    await writeFile(file, `${shuffled}\n`);
    const announced: Exemplar[] = [];
    const options: K6TimelineOptions = {
      t0: T0,
      bucketMs: 1_000,
      profile: scaleProfile(PROFILES.smoke!, { durationS: 2 }),
      durationMs: 2_000,
      onExemplar: (e) => announced.push(e),
    };
    const read = await readK6Output(file, options);
    const { onExemplar: _, ...quiet } = options;
    const inOrder = await k6Timeline(Readable.from(`${lines.join('\n')}\n`), quiet);
    expect(read.exemplars).toEqual(inOrder.exemplars);
    expect(read.timeline).toEqual(inOrder.timeline);

    const items = read.exemplars.items;
    // Slowest first within a second: the network error waited for its 10 s timeout.
    expect(items.filter((e) => e.reason === 'failed').map((e) => e.status)).toEqual([0, 503, 429]);
    expect(items.filter((e) => e.reason === 'slowest').map((e) => [e.second, e.status])).toEqual([
      [0, 409],
      [0, 201],
      [1, 201],
    ]);
    const failed503 = items.find((e) => e.status === 503)!;
    expect(failed503).toMatchObject({ path: expect.stringMatching(/^\/orders\?n=\d+$/), route: 'POST /orders' });
    expect(failed503.spanId).toMatch(/^b*[0-9a-f]+$/);
    expect(failed503.sentAt).toBeCloseTo(failed503.answeredAt - 30, 6);
    expect(announced).toHaveLength(items.length);
    // Counted as the Node engine counts: a 4xx is an answer, a 5xx or no answer a failure.
    expect(read.timeline.buckets[0]).toMatchObject({ requests: 5, failures: 2 });
  });

  it('names the line that is not JSON', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, `${line(0, 200, 1, '200')}\n{"metric":"http_req_duration", oops\n`);
    await expect(
      readK6Output(file, {
        t0: T0,
        bucketMs: 1_000,
        profile: scaleProfile(PROFILES.smoke!, { durationS: 1 }),
        durationMs: 1_000,
      }),
    ).rejects.toThrow(/line 2 is not JSON/);
  });
});
