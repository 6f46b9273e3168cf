/**
 * The pure parts of an experiment's analysis: schedules, abort conditions, buckets,
 * recovery, the error contract and route mapping.
 */
import { describe, expect, it } from 'vitest';
import { evaluateAbort } from './abort.ts';
import type { FaultSchedule } from './experiment.ts';
import { EXPERIMENTS } from './experiments/index.ts';
import { checkErrorContract, checkRecovery, recoveryAfter } from './invariants.ts';
import type { RecordedResponse } from './responses.ts';
import { latencyThresholds, routeGroupOfKey, routeKeyOf } from './routes.ts';
import { resolveSchedule, scaledTimes } from './schedule.ts';
import { bucketise } from './timeline.ts';

const T0 = 1_700_000_000_000;
const response = (over: Partial<RecordedResponse>): RecordedResponse => ({
  source: 'load',
  method: 'GET',
  route: 'GET /menu',
  at: T0,
  latencyMs: 10,
  status: 200,
  ...over,
});
const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: `https://coffee.example/problems/${code}`,
    title: 'Title',
    status,
    code,
    detail: 'Try again later',
    ...extra,
  });

describe('schedule', () => {
  const random: FaultSchedule = {
    kind: 'random',
    count: 3,
    minDurationMs: 5_000,
    maxDurationMs: 8_000,
    earliestMs: 10_000,
    latestEndMs: 60_000,
    minGapMs: 2_000,
    label: 'x',
    action: { layer: 'dynamodb', rules: [] },
  };

  it('draws the same random windows for the same seed, other windows for another', () => {
    expect(resolveSchedule(random, { seed: 5 })).toEqual(resolveSchedule(random, { seed: 5 }));
    expect(resolveSchedule(random, { seed: 5 })).not.toEqual(resolveSchedule(random, { seed: 6 }));
  });

  it('keeps random windows inside their span, without overlap and with the gap', () => {
    for (let seed = 0; seed < 50; seed++) {
      const windows = resolveSchedule(random, { seed });
      expect(windows).toHaveLength(3);
      windows.forEach((w, i) => {
        expect(w.startMs).toBeGreaterThanOrEqual(10_000);
        expect(w.startMs + w.durationMs).toBeLessThanOrEqual(60_000 + 1);
        expect(w.durationMs).toBeGreaterThanOrEqual(5_000 - 1);
        const next = windows[i + 1];
        if (next) expect(next.startMs - (w.startMs + w.durationMs)).toBeGreaterThanOrEqual(2_000 - 2);
      });
    }
  });

  it('scales fixed windows and the load by the time scale', () => {
    const [definition] = EXPERIMENTS;
    const scaled = resolveSchedule(definition!.schedule, { seed: 1, timeScale: 0.1 });
    const full = resolveSchedule(definition!.schedule, { seed: 1 });
    expect(scaled[0]?.startMs).toBe(Math.round((full[0]?.startMs ?? 0) * 0.1));
    expect(scaledTimes(definition!, 1).loadMs).toBe(definition!.load.durationMs);
    // Shortened: the windows scale, the recovery budget keeps 3 s, and the load runs long enough to see it.
    const short = scaledTimes(definition!, 0.1);
    const lastEnd = (scaled.at(-1)?.startMs ?? 0) + (scaled.at(-1)?.durationMs ?? 0);
    expect(short.recoveryBudgetMs).toBe(3_000);
    expect(short.loadMs).toBe(Math.max(definition!.load.durationMs / 10, lastEnd + 3_000));
  });

  it('every shipped experiment fits in 3 minutes and its windows end before its load does', () => {
    for (const e of EXPERIMENTS) {
      const windows = resolveSchedule(e.schedule, { seed: 1 });
      expect(e.load.durationMs).toBeLessThanOrEqual(120_000);
      for (const w of windows) expect(w.startMs + w.durationMs).toBeLessThan(e.load.durationMs);
    }
    expect(EXPERIMENTS.map((e) => e.name)).toEqual([
      'dynamodb-throttling',
      'dynamodb-latency',
      'dynamodb-outage',
      'dynamodb-connection-resets',
      'service-crash-restart',
      'route-errors',
    ]);
  });
});

describe('abort conditions', () => {
  const failing = Array.from({ length: 30 }, (_, i) => response({ at: T0 + i * 100, status: i % 2 ? 503 : 200 }));

  it('trips on an error rate above the limit within the window', () => {
    const trip = evaluateAbort([{ kind: 'error-rate', above: 0.4, windowMs: 5_000, minRequests: 10 }], failing, {
      now: T0 + 3_000,
      periods: [],
    });
    expect(trip?.observed).toBeCloseTo(0.5, 1);
    expect(trip?.reason).toMatch(/error rate 5\d\.\d% over the last 5000 ms is above 40\.0%/);
  });

  it('does not trip below the limit, or on too few requests', () => {
    expect(
      evaluateAbort([{ kind: 'error-rate', above: 0.6, windowMs: 5_000 }], failing, { now: T0 + 3_000, periods: [] }),
    ).toBeUndefined();
    expect(
      evaluateAbort([{ kind: 'error-rate', above: 0.1, windowMs: 5_000, minRequests: 100 }], failing, {
        now: T0 + 3_000,
        periods: [],
      }),
    ).toBeUndefined();
  });

  it('ignores fault windows and their grace with scope outside-faults', () => {
    const condition = {
      kind: 'error-rate' as const,
      above: 0.1,
      windowMs: 5_000,
      minRequests: 5,
      scope: 'outside-faults' as const,
      graceMs: 1_000,
    };
    expect(
      evaluateAbort([condition], failing, { now: T0 + 3_000, periods: [{ start: T0 - 1, end: T0 + 2_000 }] }),
    ).toBeUndefined();
    expect(
      evaluateAbort([condition], failing, { now: T0 + 3_000, periods: [{ start: T0 - 1, end: T0 + 500 }] }),
    ).toBeDefined();
  });

  it('trips on p99 latency', () => {
    const slow = Array.from({ length: 20 }, (_, i) => response({ at: T0 + i, latencyMs: i === 19 ? 9_000 : 20 }));
    expect(
      evaluateAbort([{ kind: 'p99-latency', aboveMs: 5_000, windowMs: 1_000 }], slow, { now: T0 + 500, periods: [] })
        ?.observed,
    ).toBe(9_000);
  });
});

describe('recovery', () => {
  const thresholds = latencyThresholds();
  // 10 s of traffic; the fault (5xx) from 2 s to 5 s, then slow order writes until 7 s.
  const responses = Array.from({ length: 100 }, (_, i) => {
    const at = T0 + i * 100;
    const s = i / 10;
    return response({
      at,
      route: 'POST /orders',
      method: 'POST',
      status: s >= 2 && s < 5 ? 503 : 201,
      latencyMs: s >= 5 && s < 7 ? 900 : 30,
    });
  });
  const buckets = bucketise(responses, { from: T0, to: T0 + 10_000 });

  it('measures from the fault end to the first run of good seconds', () => {
    expect(buckets).toHaveLength(10);
    expect(
      recoveryAfter({ end: T0 + 5_000 }, { buckets, windows: [], thresholds, budgetMs: 0, stableBuckets: 3 }),
    ).toBe(2_000);
  });

  it('fails over budget and when it never recovers', () => {
    const over = checkRecovery({
      buckets,
      windows: [{ start: T0 + 2_000, end: T0 + 5_000 }],
      thresholds,
      budgetMs: 1_000,
    });
    expect(over.status).toBe('violated');
    expect(over.measured?.window1RecoveryMs).toBe(2_000);
    const within = checkRecovery({
      buckets,
      windows: [{ start: T0 + 2_000, end: T0 + 5_000 }],
      thresholds,
      budgetMs: 2_000,
    });
    expect(within.status).toBe('held');
    const never = checkRecovery({
      buckets: buckets.slice(0, 8),
      windows: [{ start: T0 + 2_000, end: T0 + 5_000 }],
      thresholds,
      budgetMs: 60_000,
      stableBuckets: 3,
    });
    expect(never.status).toBe('violated');
    expect(never.measured?.window1RecoveryMs).toBeNull();
  });

  it('does not blame a window whose recovery the next window hides, unless the gap was longer than the budget', () => {
    const windows = [
      { start: T0 + 2_000, end: T0 + 5_000 },
      { start: T0 + 5_500, end: T0 + 6_000 },
    ];
    const hidden = checkRecovery({ buckets, windows, thresholds, budgetMs: 2_000, stableBuckets: 1 });
    expect(hidden.status).toBe('held');
    expect(hidden.measured?.window1RecoveryMs).toBeNull();
    expect(hidden.summary).toMatch(/next fault began 500 ms after it/);
    expect(checkRecovery({ buckets, windows, thresholds, budgetMs: 400, stableBuckets: 1 }).status).toBe('violated');
  });
});

describe('error contract', () => {
  const expected = [{ status: 503, code: 'dependency_unavailable' }];
  const ok503 = response({
    status: 503,
    contentType: 'application/problem+json',
    retryAfter: '1',
    body: problem(503, 'dependency_unavailable'),
  });

  it('holds for a clean problem+json 503 with Retry-After and 4xx problems', () => {
    const notFound = response({
      status: 404,
      contentType: 'application/problem+json; charset=utf-8',
      body: problem(404, 'not_found'),
    });
    expect(checkErrorContract([ok503, notFound, response({})], expected).status).toBe('held');
  });

  it.each([
    ['no Retry-After', { retryAfter: undefined }, /Retry-After/],
    ['plain JSON', { contentType: 'application/json' }, /not application\/problem\+json/],
    [
      'a missing member',
      { body: JSON.stringify({ status: 503, code: 'dependency_unavailable' }) },
      /"type" is missing/,
    ],
    ['a status mismatch', { body: problem(500, 'dependency_unavailable') }, /differs from the HTTP status/],
    ['an unexpected 5xx code', { body: problem(503, 'internal') }, /unexpected server error code "internal"/],
    [
      'an SDK exception name',
      { body: problem(503, 'dependency_unavailable', { detail: 'ProvisionedThroughputExceededException: rate' }) },
      /leaks internals/,
    ],
    [
      'a stack trace',
      {
        body: problem(503, 'dependency_unavailable', {
          stack: 'Error: x\n    at handler (/srv/app/service/http/app.ts:10:5)',
        }),
      },
      /leaks internals/,
    ],
  ])('is violated by %s', (_name, over, message) => {
    const result = checkErrorContract([{ ...ok503, ...over }], expected);
    expect(result.status).toBe('violated');
    expect(result.violations[0]).toMatch(message);
  });

  it('does not count requests without a response as contract violations', () => {
    const result = checkErrorContract([response({ status: undefined, networkError: 'ECONNREFUSED' })], expected);
    expect(result.status).toBe('held');
    expect(result.measured?.noResponse).toBe(1);
  });
});

describe('routes', () => {
  it('maps paths to the catalog templates and groups', () => {
    expect(routeKeyOf('get', '/menu/latte?x=1')).toBe('GET /menu/:productId');
    expect(routeKeyOf('GET', '/users/me/orders')).toBe('GET /users/me/orders');
    expect(routeKeyOf('PATCH', '/orders/o_1')).toBe('PATCH /orders/:orderId');
    expect(routeKeyOf('GET', '/nope')).toBe('GET /nope');
    expect(routeGroupOfKey('POST /orders')).toBe('order-write');
    expect(routeGroupOfKey('GET /nope')).toBe('ops');
  });
});
