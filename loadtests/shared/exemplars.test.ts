import { describe, expect, it } from 'vitest';
import {
  EXEMPLAR_BOUNDS,
  ExemplarCollector,
  ExemplarPicker,
  isFailedAnswer,
  type Exemplar,
  type ExemplarBatch,
} from './exemplars.ts';

const T0 = 1_700_000_000_000;
let n = 0;

function answer(atMs: number, latencyMs: number, over: Partial<Exemplar> = {}): Exemplar {
  n++;
  const answeredAt = T0 + atMs;
  return {
    traceId: n.toString(16).padStart(32, '0'),
    spanId: n.toString(16).padStart(16, '0'),
    routeGroup: 'menu-read',
    route: 'GET /menu',
    method: 'GET',
    path: '/menu',
    status: 200,
    latencyMs,
    intendedAt: answeredAt - latencyMs,
    sentAt: answeredAt - latencyMs,
    answeredAt,
    second: Math.floor(atMs / 1000),
    reason: 'slowest',
    ...over,
  };
}

/** Feeds answers (in order) as an engine thread does, collecting its batches. */
function pick(answers: Exemplar[], bounds = EXEMPLAR_BOUNDS): { batches: ExemplarBatch[]; picker: ExemplarPicker } {
  const picker = new ExemplarPicker(T0, bounds);
  const batches: ExemplarBatch[] = [];
  for (const a of answers) {
    if (picker.wants(a.routeGroup, a.answeredAt, a.latencyMs, a.reason === 'failed')) picker.add(a);
    const batch = picker.drain();
    if (batch) batches.push(batch);
  }
  return { batches, picker };
}

describe('exemplars', () => {
  it('counts a 5xx, no response and an unexpected 4xx as failed; an expected 4xx is an answer', () => {
    expect(isFailedAnswer(0, [200])).toBe(true);
    expect(isFailedAnswer(503, [503])).toBe(true);
    expect(isFailedAnswer(429, [201])).toBe(true);
    expect(isFailedAnswer(409, [200, 409])).toBe(false);
    expect(isFailedAnswer(201, [200])).toBe(false);
  });

  it('keeps the three slowest answers per route group and second, and every failure', () => {
    const answers = [
      answer(100, 5),
      answer(200, 50),
      answer(300, 7),
      answer(400, 40),
      answer(500, 3),
      answer(600, 40), // a tie with an earlier one: the earlier stays
      answer(650, 900, { status: 503, reason: 'failed' }),
      answer(700, 9, { routeGroup: 'order-write', route: 'POST /orders' }),
      answer(1_100, 1),
      answer(2_500, 2, { status: 0, reason: 'failed' }),
    ];
    const { batches, picker } = pick(answers);
    picker.flush();
    batches.push(picker.drain()!);
    const collector = new ExemplarCollector(1);
    for (const b of batches) collector.add(0, b);
    const set = collector.finish();
    expect(set.bounds).toEqual(EXEMPLAR_BOUNDS);
    expect(set.items.map((e) => [e.second, e.routeGroup, e.reason, e.latencyMs])).toEqual([
      [0, 'menu-read', 'failed', 900],
      [0, 'menu-read', 'slowest', 50],
      [0, 'menu-read', 'slowest', 40],
      [0, 'menu-read', 'slowest', 40],
      [0, 'order-write', 'slowest', 9],
      [1, 'menu-read', 'slowest', 1],
      [2, 'menu-read', 'failed', 2],
    ]);
    const forty = set.items.filter((e) => e.latencyMs === 40).map((e) => e.answeredAt - T0);
    expect(forty).toEqual([400, 600]);
  });

  it("hands a failure over at once and a second's slowest only when the second has closed", () => {
    const picker = new ExemplarPicker(T0);
    const slow = answer(100, 30);
    picker.add(slow);
    picker.add(answer(200, 8, { status: 500, reason: 'failed' }));
    expect(picker.drain()).toMatchObject({ items: [{ status: 500 }], closedThrough: -1 });
    picker.tick(T0 + 999);
    expect(picker.drain()).toBeUndefined();
    picker.tick(T0 + 1_000);
    expect(picker.drain()).toEqual({ items: [slow], closedThrough: 0, droppedFailures: 0 });
    // An answer for a second that has closed came too late to be its slowest.
    expect(picker.wants('menu-read', T0 + 500, 10_000, false)).toBe(false);
    picker.flush();
    expect(picker.drain()).toMatchObject({ items: [], closedThrough: Infinity });
  });

  it('caps failures per run, in each thread and over the threads, counting what it dropped', () => {
    const bounds = { slowestPerGroupPerSecond: 3, failuresPerRun: 500 } as const;
    const failures = (count: number) =>
      Array.from({ length: count }, (_, i) => answer(i, 1, { status: 503, reason: 'failed' }));
    const a = pick(failures(400), bounds);
    const b = pick(failures(600), bounds);
    const announced: Exemplar[] = [];
    const collector = new ExemplarCollector(2, (e) => announced.push(e), bounds);
    for (const batch of a.batches) collector.add(0, batch);
    for (const batch of b.batches) collector.add(1, batch);
    const set = collector.finish();
    expect(set.items).toHaveLength(500);
    expect(set.droppedFailures).toBe(500);
    expect(announced).toHaveLength(500);
  });

  it('merges the threads: a second is final when every thread has closed it, with the three slowest of all', () => {
    const announced: Exemplar[] = [];
    const collector = new ExemplarCollector(2, (e) => announced.push(e));
    const fromA = [answer(10, 10), answer(20, 30), answer(30, 20)];
    const fromB = [answer(15, 25), answer(25, 5)];
    collector.add(0, { items: fromA, closedThrough: 0, droppedFailures: 0 });
    expect(announced).toEqual([]);
    collector.add(1, { items: fromB, closedThrough: 0, droppedFailures: 0 });
    expect(announced.map((e) => e.latencyMs)).toEqual([30, 25, 20]);
    expect(collector.finish().items.map((e) => e.latencyMs)).toEqual([30, 25, 20]);
  });
});
