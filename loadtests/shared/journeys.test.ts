import { describe, expect, it } from 'vitest';
import {
  JOURNEYS,
  JourneyNames,
  orderBody,
  pickJourney,
  readMenu,
  runHeaders,
  type IterationContext,
  type MenuChoice,
  type RequestSpec,
  type StepResponse,
  type VirtualUser,
} from './journeys.ts';
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
        const spec = step.request({
          ...ctxMenu,
          vu: { id: 1, menu, customer: { token: 't', userId: 'u' }, barista: { token: 'b' } },
          vars: { ...ctxMenu.vars },
        });
        if (spec?.retry) {
          expect(spec.route).toBe('POST /orders');
          expect(spec.idempotencyKey).toBe('r-3-order');
        }
      }
    }
  });

  it('with a token pool, creates profiles for the pool tokens and never calls the dev issuer', () => {
    const tokens = { customers: ['c0', 'c1', 'c2'], baristas: ['b0', 'b1'] };
    const menuBody = JSON.stringify({ items: [{ id: 'latte', available: true, prices: { small: 300 } }] });
    // Canned answers as a service with an external issuer gives them: POST /users answers
    // the profile without a token, or 409 when the identity registered before.
    const answer = (spec: RequestSpec): StepResponse => {
      const json = (status: number, body: unknown) => ({ status, body: JSON.stringify(body), headers: {} });
      if (spec.route === 'POST /users') return json(409, { code: 'USER_EXISTS' });
      if (spec.route === 'GET /menu') return { status: 200, body: menuBody, headers: {} };
      if (spec.route === 'GET /orders') return json(200, { items: [{ id: 'o1', version: 1 }] });
      if (spec.route === 'POST /orders' || spec.route === 'PATCH /orders/:orderId')
        return json(spec.route === 'POST /orders' ? 201 : 200, {
          order: { id: 'o1', version: 2, status: 'PREPARING' },
        });
      return json(200, { items: [] });
    };
    const walk = (name: string, vu: VirtualUser, iteration: number): RequestSpec[] => {
      const journey = JOURNEYS.find((j) => j.name === name)!;
      const ctx: IterationContext = { runId: 'r', iteration, vu, rng: createRng(iteration), vars: {}, tokens };
      const sent: RequestSpec[] = [];
      for (const step of journey.steps) {
        const spec = step.request(ctx);
        if (!spec) continue;
        sent.push(spec);
        const response = answer(spec);
        expect(spec.expect, `${name}: ${step.name}`).toContain(response.status);
        if (step.after?.(ctx, response) === false) break;
      }
      return sent;
    };

    const first = walk(JourneyNames.FirstOrder, { id: 1 }, 4);
    expect(first.map((s) => s.route)).toEqual(['POST /users', 'GET /menu', 'POST /orders', 'GET /orders/:orderId']);
    expect(first.map((s) => s.token)).toEqual(['c1', undefined, 'c1', 'c1']);

    const regular: VirtualUser = { id: 3 };
    expect(walk(JourneyNames.ReturningCustomer, regular, 10)[0]).toMatchObject({
      route: 'POST /users',
      token: 'c2',
      expect: [201, 409],
    });
    expect(regular.customer).toEqual({ token: 'c2' });
    // Registered once per virtual user, as with the dev issuer.
    expect(walk(JourneyNames.ReturningCustomer, regular, 11).map((s) => s.route)).not.toContain('POST /users');

    const barista = walk(JourneyNames.BaristaQueue, { id: 2 }, 5);
    expect(barista.map((s) => s.route)).toEqual([
      'GET /orders',
      'PATCH /orders/:orderId',
      'PATCH /orders/:orderId',
      'PATCH /orders/:orderId',
    ]);
    expect(new Set(barista.map((s) => s.token))).toEqual(new Set(['b1']));

    // Without the pool the same journeys mint and register as before.
    const dev: IterationContext = { runId: 'r', iteration: 5, vu: { id: 2 }, rng: createRng(5), vars: {} };
    expect(JOURNEYS.find((j) => j.name === JourneyNames.BaristaQueue)!.steps[0]!.request(dev)).toMatchObject({
      route: 'POST /auth/dev-token',
    });
  });
});
