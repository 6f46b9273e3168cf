import { describe, expect, it } from 'vitest';
import { JOURNEYS, orderBody, pickJourney, readMenu, runHeaders, type MenuChoice } from './journeys.ts';
import { createRng, deriveSeed } from './rng.ts';

const menu: MenuChoice[] = [
  { id: 'espresso', sizes: ['small'] },
  { id: 'latte', sizes: ['small', 'medium', 'large'] },
  { id: 'croissant', sizes: ['medium'] },
];

describe('journeys', () => {
  it('replays the same journeys and data for the same seed', () => {
    const draw = (seed: number) =>
      Array.from({ length: 50 }, (_, i) => {
        const rng = createRng(deriveSeed(seed, i));
        return { journey: pickJourney(rng).name, body: orderBody(rng, menu) };
      });
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('picks journeys in proportion to their weights', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const name = pickJourney(createRng(deriveSeed(1, i))).name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const total = JOURNEYS.reduce((n, j) => n + j.weight, 0);
    for (const journey of JOURNEYS) expect(counts.get(journey.name)! / 20_000).toBeCloseTo(journey.weight / total, 1);
  });

  it('builds orders of distinct menu products in sizes they come in', () => {
    for (let i = 0; i < 200; i++) {
      const body = orderBody(createRng(i), menu);
      expect(body.items.length).toBeGreaterThanOrEqual(1);
      expect(new Set(body.items.map((item) => item.productId)).size).toBe(body.items.length);
      for (const item of body.items) expect(menu.find((m) => m.id === item.productId)!.sizes).toContain(item.size);
    }
  });

  it('reads only available, priced products from a menu answer', () => {
    const body = JSON.stringify({
      items: [
        { id: 'latte', available: true, prices: { small: 300, large: 420 } },
        { id: 'sold-out', available: false, prices: { small: 300 } },
        { id: 'no-price', available: true, prices: {} },
      ],
    });
    expect(readMenu(body)).toEqual([{ id: 'latte', sizes: ['small', 'large'] }]);
    expect(readMenu('not json')).toBeUndefined();
  });

  it('marks every request with the run id as a header and as baggage', () => {
    expect(runHeaders('r1')).toMatchObject({ 'x-load-run-id': 'r1', baggage: 'coffee.run_id=r1,synthetic=true' });
  });

  it('gives every journey steps on catalog routes and retries only idempotent order placement', () => {
    const ctxMenu = { runId: 'r', iteration: 3, rng: createRng(1), vars: { token: 't', orderId: 'o1', version: 1 } };
    for (const journey of JOURNEYS) {
      expect(journey.steps.length).toBeGreaterThan(1);
      for (const step of journey.steps) {
        const spec = step.request({ ...ctxMenu, vu: { id: 1, menu, customer: { token: 't', userId: 'u' }, barista: { token: 'b' } }, vars: { ...ctxMenu.vars } });
        if (spec?.retry) {
          expect(spec.route).toBe('POST /orders');
          expect(spec.idempotencyKey).toBe('r-3-order');
        }
      }
    }
  });
});
