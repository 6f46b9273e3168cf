import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevIssuer } from '../auth/tokens.ts';
import type { Order, Product } from '../domain/types.ts';
import { startLocalStack, type LocalStack } from '../local-stack.ts';
import { api, expectProblem, getMenu, moveOrder, placeOrder, registerCustomer } from '../testing/http-client.ts';

let stack: LocalStack;
let dataDir: string;
let signingKey: Uint8Array;
let barista: string;
let alice: { token: string; userId: string };
let bob: { token: string; userId: string };
let product: Product;

beforeAll(async () => {
  // A data directory, so the test can read the dev signing key and forge expired tokens.
  dataDir = await mkdtemp(join(tmpdir(), 'coffee-authz-'));
  stack = await startLocalStack({ dataDir });
  const keys = JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8')) as { devSigningKey: string };
  signingKey = Buffer.from(keys.devSigningKey, 'base64url');
  barista = await stack.mintToken('barista-authz', 'barista');
  const a = await registerCustomer(stack.url, 'Alice');
  const b = await registerCustomer(stack.url, 'Bob');
  alice = { token: a.token, userId: a.user.id };
  bob = { token: b.token, userId: b.user.id };
  product = (await getMenu(stack.url)).find((p) => p.available && p.prices.medium !== undefined)!;
});

afterAll(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const order = (token: string) => placeOrder(stack.url, token, [{ productId: product.id, quantity: 1 }]);
const patch = (token: string, o: Pick<Order, 'id' | 'version'>, status: string) =>
  api<{ order: Order }>(stack.url, 'PATCH', `/orders/${o.id}`, {
    token,
    json: { status },
    headers: { 'if-match': String(o.version) },
  });

describe('anonymous callers', () => {
  const protectedRoutes: [string, string, unknown?][] = [
    ['GET', '/users/me'],
    ['GET', '/users/me/orders'],
    ['POST', '/orders', { items: [{ productId: 'latte', quantity: 1 }] }],
    ['GET', '/orders/o_any'],
    ['GET', '/orders?status=PLACED'],
    ['PATCH', '/orders/o_any', { status: 'CANCELLED' }],
    ['PUT', '/menu/latte', { name: 'Latte', category: 'coffee', prices: { medium: 1 }, available: true }],
  ];

  it.each(protectedRoutes)('%s %s answers 401 problem+json with WWW-Authenticate', async (method, path, json) => {
    const res = await api(stack.url, method, path, {
      ...(json === undefined ? {} : { json }),
      headers: { 'idempotency-key': 'k1', 'if-match': '1' },
    });
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('may read the menu, register and mint dev tokens', async () => {
    expect((await api(stack.url, 'GET', '/menu')).status).toBe(200);
    expect((await api(stack.url, 'GET', `/menu/${product.id}`)).status).toBe(200);
    expect((await api(stack.url, 'GET', '/health')).status).toBe(200);
  });
});

describe('invalid credentials', () => {
  it('answers 401 for a malformed header, a forged, an expired or a foreign token', async () => {
    const foreign = createDevIssuer({ key: randomBytes(32) });
    const mine = createDevIssuer({ key: signingKey });
    const otherAudience = createDevIssuer({ key: signingKey, audience: 'someone-else' });
    const otherIssuer = createDevIssuer({ key: signingKey, issuer: 'https://evil.example' });
    const [, payload] = alice.token.split('.');
    const tampered = (await stack.mintToken(alice.userId, 'customer')).split('.');
    tampered[1] = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'barista' }),
    ).toString('base64url');
    const headers = [
      'Basic YWxpY2U6c2VjcmV0',
      'Bearer',
      'Bearer not-a-jwt',
      `Bearer ${await foreign.issue(alice.userId, 'barista')}`,
      `Bearer ${await mine.issue(alice.userId, 'customer', -3600)}`,
      `Bearer ${await otherAudience.issue(alice.userId, 'customer')}`,
      `Bearer ${await otherIssuer.issue(alice.userId, 'customer')}`,
      `Bearer ${tampered.join('.')}`,
    ];
    for (const authorization of headers) {
      const res = await api(stack.url, 'GET', '/users/me', { headers: { authorization } });
      expectProblem(res, 401, 'unauthenticated');
    }
    // The key itself is fine: a fresh token of the same issuer works.
    expect(
      (
        await api(stack.url, 'GET', '/users/me', {
          headers: { authorization: `Bearer ${await mine.issue(alice.userId, 'customer')}` },
        })
      ).status,
    ).toBe(200);
  });

  it('ignores a bad token on public routes instead of refusing them', async () => {
    expect((await api(stack.url, 'GET', '/menu', { headers: { authorization: 'Bearer a.b.c' } })).status).toBe(200);
  });
});

describe('customers', () => {
  it('cannot read another customer’s order (404, as if it did not exist)', async () => {
    const bobs = await order(bob.token);
    expectProblem(await api(stack.url, 'GET', `/orders/${bobs.id}`, { token: alice.token }), 404, 'not_found');
    expect((await api(stack.url, 'GET', `/orders/${bobs.id}`, { token: bob.token })).status).toBe(200);
  });

  it('cannot list the barista queue (403)', async () => {
    expectProblem(await api(stack.url, 'GET', '/orders?status=PLACED', { token: alice.token }), 403, 'forbidden');
    expectProblem(await api(stack.url, 'GET', '/orders', { token: alice.token }), 403, 'forbidden');
  });

  it('cannot move a status along the line, even on their own order (403)', async () => {
    const mine = await order(alice.token);
    expectProblem(await patch(alice.token, mine, 'PREPARING'), 403, 'forbidden');
    // Steps that do not exist from PLACED are conflicts with the order's state, whoever asks.
    expectProblem(await patch(alice.token, mine, 'READY'), 409, 'illegal_transition');
    expectProblem(await patch(alice.token, mine, 'PICKED_UP'), 409, 'illegal_transition');
    expect((await stack.store.getOrder(mine.id))?.status).toBe('PLACED');
  });

  it('cannot change or cancel another customer’s order (404)', async () => {
    const bobs = await order(bob.token);
    expectProblem(await patch(alice.token, bobs, 'CANCELLED'), 404, 'not_found');
    expectProblem(await patch(alice.token, bobs, 'PREPARING'), 404, 'not_found');
    expect(await stack.store.getOrder(bobs.id)).toMatchObject({ status: 'PLACED', version: 1 });
  });

  it('can cancel their own PLACED order, once', async () => {
    const mine = await order(alice.token);
    const cancelled = await moveOrder(stack.url, alice.token, mine, 'CANCELLED');
    expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 2 });
    expectProblem(await patch(alice.token, cancelled, 'CANCELLED'), 409, 'illegal_transition');
    expectProblem(await patch(barista, cancelled, 'PREPARING'), 409, 'illegal_transition');
  });

  it('cannot cancel an order the barista already started (409)', async () => {
    const mine = await order(alice.token);
    const preparing = await moveOrder(stack.url, barista, mine, 'PREPARING');
    expectProblem(await patch(alice.token, preparing, 'CANCELLED'), 409, 'illegal_transition');
  });

  it('cannot change the menu (403)', async () => {
    const res = await api(stack.url, 'PUT', `/menu/${product.id}`, {
      token: alice.token,
      json: { name: 'Free', category: 'coffee', prices: { medium: 1 }, available: true },
    });
    expectProblem(res, 403, 'forbidden');
    expect((await api<{ product: Product }>(stack.url, 'GET', `/menu/${product.id}`)).body.product.prices).toEqual(
      product.prices,
    );
  });
});

describe('baristas', () => {
  it('can read any customer’s order', async () => {
    const bobs = await order(bob.token);
    const res = await api<{ order: Order }>(stack.url, 'GET', `/orders/${bobs.id}`, { token: barista });
    expect(res.status).toBe(200);
    expect(res.body.order.userId).toBe(bob.userId);
  });

  it('move an order PLACED -> PREPARING -> READY -> PICKED_UP, each step a new version', async () => {
    let current = await order(bob.token);
    for (const [status, version] of [
      ['PREPARING', 2],
      ['READY', 3],
      ['PICKED_UP', 4],
    ] as const) {
      current = await moveOrder(stack.url, barista, current, status);
      expect(current).toMatchObject({ status, version });
    }
    expect(await stack.store.getOrder(current.id)).toMatchObject({ status: 'PICKED_UP', version: 4 });
    // The owner sees the final state.
    expect((await api(stack.url, 'GET', `/orders/${current.id}`, { token: bob.token })).body.order.status).toBe(
      'PICKED_UP',
    );
    // Nothing leaves PICKED_UP.
    for (const status of ['PLACED', 'PREPARING', 'READY', 'CANCELLED'])
      expectProblem(await patch(barista, current, status), 409, 'illegal_transition');
  });

  it('cannot skip a step or go back (409), and cannot cancel for the customer (403)', async () => {
    const placed = await order(bob.token);
    expectProblem(await patch(barista, placed, 'READY'), 409, 'illegal_transition');
    expectProblem(await patch(barista, placed, 'PICKED_UP'), 409, 'illegal_transition');
    expectProblem(await patch(barista, placed, 'PLACED'), 409, 'illegal_transition');
    expectProblem(await patch(barista, placed, 'CANCELLED'), 403, 'forbidden');
    const preparing = await moveOrder(stack.url, barista, placed, 'PREPARING');
    expectProblem(await patch(barista, preparing, 'PLACED'), 409, 'illegal_transition');
    expect(await stack.store.getOrder(placed.id)).toMatchObject({ status: 'PREPARING', version: 2 });
  });

  it('can list the queue and change the menu', async () => {
    expect((await api(stack.url, 'GET', '/orders?status=PLACED', { token: barista })).status).toBe(200);
    const res = await api(stack.url, 'PUT', `/menu/${product.id}`, {
      token: barista,
      json: { name: product.name, category: product.category, prices: product.prices, available: true },
    });
    expect(res.status, res.text).toBe(200);
  });

  it('get a working barista token from POST /auth/dev-token', async () => {
    const minted = await api<{ token: string }>(stack.url, 'POST', '/auth/dev-token', {
      json: { sub: 'barista-minted', role: 'barista' },
    });
    expect(minted.status).toBe(201);
    expect((await api(stack.url, 'GET', '/orders', { token: minted.body.token })).status).toBe(200);
  });
});
