import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, Product } from '../domain/types.ts';
import { startLocalStack, type LocalStack } from '../local-stack.ts';
import {
  api,
  expectCompleteOrder,
  expectProblem,
  getMenu,
  placeOrder,
  registerCustomer,
} from '../testing/http-client.ts';

let stack: LocalStack;
let barista: string;
let menu: Map<string, Product>;

beforeAll(async () => {
  stack = await startLocalStack();
  barista = await stack.mintToken('barista-orders', 'barista');
  menu = new Map((await getMenu(stack.url)).map((p) => [p.id, p]));
});

afterAll(async () => {
  await stack?.stop();
});

/** A product that comes in small, medium and large (from the seeded menu, not hard-coded). */
function threeSizes(): Product {
  const product = [...menu.values()].find((p) => p.available && p.prices.small && p.prices.medium && p.prices.large);
  if (!product) throw new Error('the seeded menu has no product in three sizes');
  return product;
}

/** Follows `cursor` until the last page; bounded so a cursor that never ends fails the test. */
async function allPages(path: string, token: string): Promise<Order[][]> {
  const pages: Order[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await api<{ items: Order[]; cursor?: string }>(
      stack.url,
      'GET',
      cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path,
      { token },
    );
    expect(res.status, res.text).toBe(200);
    pages.push(res.body.items);
    cursor = res.body.cursor;
    if (!cursor) return pages;
  }
  throw new Error(`${path}: still a cursor after 100 pages`);
}

const sortKey = (o: Order) => `${o.createdAt}#${o.id}`;

describe('POST /orders', () => {
  it('creates an order priced from the menu, with Location and ETag', async () => {
    const { token, user } = await registerCustomer(stack.url);
    const product = threeSizes();
    const croissant = [...menu.values()].find((p) => p.available && Object.keys(p.prices).length === 1)!;
    const res = await api<{ order: Order }>(stack.url, 'POST', '/orders', {
      token,
      json: {
        items: [
          { productId: product.id, quantity: 2, size: 'large' },
          { productId: croissant.id, quantity: 1 },
        ],
        note: 'oat milk, please ☕',
      },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(res.status, res.text).toBe(201);
    const { order } = res.body;
    expect(order).toMatchObject({
      userId: user.id,
      status: 'PLACED',
      version: 1,
      currency: 'EUR',
      note: 'oat milk, please ☕',
    });
    expect(order.items).toEqual([
      { productId: product.id, name: product.name, size: 'large', quantity: 2, unitPrice: product.prices.large },
      {
        productId: croissant.id,
        name: croissant.name,
        size: Object.keys(croissant.prices)[0],
        quantity: 1,
        unitPrice: Object.values(croissant.prices)[0],
      },
    ]);
    expect(order.total).toBe(2 * product.prices.large! + Object.values(croissant.prices)[0]!);
    expectCompleteOrder(order, menu);
    expect(res.headers.get('location')).toBe(`/orders/${order.id}`);
    expect(res.headers.get('etag')).toBe('"1"');

    const read = await api<{ order: Order }>(stack.url, 'GET', `/orders/${order.id}`, { token });
    expect(read.status).toBe(200);
    expect(read.body.order).toEqual(order);
    expect(read.headers.get('etag')).toBe('"1"');
  });

  it('uses the medium size when none is named, and never a price from the client', async () => {
    const { token } = await registerCustomer(stack.url);
    const product = threeSizes();
    const order = await placeOrder(stack.url, token, [{ productId: product.id, quantity: 3 }]);
    expect(order.items[0]).toMatchObject({ size: 'medium', unitPrice: product.prices.medium });
    expect(order.total).toBe(3 * product.prices.medium!);
    const withPrice = await api(stack.url, 'POST', '/orders', {
      token,
      json: { items: [{ productId: product.id, quantity: 1, unitPrice: 1 }], total: 1 },
      headers: { 'idempotency-key': randomUUID() },
    });
    const problem = expectProblem(withPrice, 400, 'validation_failed');
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { field: 'items.0.unitPrice', message: 'is not a known field' },
        { field: 'total', message: 'is not a known field' },
      ]),
    );
  });

  it('names the offending item for a product not on the menu or a size it does not come in', async () => {
    const { token } = await registerCustomer(stack.url);
    const single = [...menu.values()].find((p) => p.available && p.prices.small === undefined)!;
    const res = await api(stack.url, 'POST', '/orders', {
      token,
      json: {
        items: [
          { productId: threeSizes().id, quantity: 1 },
          { productId: 'no-such-drink', quantity: 1 },
          { productId: single.id, quantity: 1, size: 'small' },
        ],
      },
      headers: { 'idempotency-key': randomUUID() },
    });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(['items.1.productId', 'items.2.size']);
    expect(
      (await stack.store.listOrdersByUser((await api(stack.url, 'GET', '/users/me', { token })).body.user.id, 10))
        .items,
    ).toEqual([]);
  });

  it('answers 404 for an order that does not exist', async () => {
    const { token } = await registerCustomer(stack.url);
    expectProblem(await api(stack.url, 'GET', '/orders/o_doesnotexist', { token }), 404, 'not_found');
    expectProblem(await api(stack.url, 'GET', '/orders/o_doesnotexist', { token: barista }), 404, 'not_found');
  });
});

describe('idempotent retries', () => {
  it('answers a retry with the same key and body with 200 and the same order, stored once', async () => {
    const { token, user } = await registerCustomer(stack.url);
    const key = `retry-${randomUUID()}`;
    const items = [{ productId: threeSizes().id, quantity: 1, size: 'small' }];
    const first = await placeOrder(stack.url, token, items, key);
    const retry = await api<{ order: Order }>(stack.url, 'POST', '/orders', {
      token,
      json: { items },
      headers: { 'idempotency-key': key },
    });
    expect(retry.status).toBe(200);
    expect(retry.body.order).toEqual(first);
    // The same request in other JSON spacing and key order is the same request.
    const respelled = await api<{ order: Order }>(stack.url, 'POST', '/orders', {
      token,
      body: `{ "items" : [ { "size":"small", "quantity":1, "productId":"${items[0]!.productId}" } ] }`,
      headers: { 'idempotency-key': key, 'content-type': 'application/json; charset=utf-8' },
    });
    expect(respelled.status, respelled.text).toBe(200);
    expect(respelled.body.order.id).toBe(first.id);
    const stored = await stack.store.listOrdersByUser(user.id, 100);
    expect(stored.items.map((o) => o.id)).toEqual([first.id]);
  });

  it('answers 422 when the same key comes with a different body, and stores nothing new', async () => {
    const { token, user } = await registerCustomer(stack.url);
    const key = `reuse-${randomUUID()}`;
    const product = threeSizes();
    const first = await placeOrder(stack.url, token, [{ productId: product.id, quantity: 1 }], key);
    const other = await api(stack.url, 'POST', '/orders', {
      token,
      json: { items: [{ productId: product.id, quantity: 2 }] },
      headers: { 'idempotency-key': key },
    });
    expectProblem(other, 422, 'idempotency_key_reused');
    const withNote = await api(stack.url, 'POST', '/orders', {
      token,
      json: { items: [{ productId: product.id, quantity: 1 }], note: 'x' },
      headers: { 'idempotency-key': key },
    });
    expectProblem(withNote, 422, 'idempotency_key_reused');
    expect((await stack.store.listOrdersByUser(user.id, 100)).items.map((o) => o.id)).toEqual([first.id]);
  });

  it('keeps the keys of different customers apart', async () => {
    const a = await registerCustomer(stack.url);
    const b = await registerCustomer(stack.url);
    const key = `shared-${randomUUID()}`;
    const items = [{ productId: threeSizes().id, quantity: 1 }];
    const orderA = await placeOrder(stack.url, a.token, items, key);
    const orderB = await placeOrder(stack.url, b.token, items, key);
    expect(orderA.id).not.toBe(orderB.id);
    expect(orderB.userId).toBe(b.user.id);
  });

  it('requires an Idempotency-Key and names the header', async () => {
    const { token } = await registerCustomer(stack.url);
    const res = await api(stack.url, 'POST', '/orders', {
      token,
      json: { items: [{ productId: threeSizes().id, quantity: 1 }] },
    });
    const problem = expectProblem(res, 400, 'validation_failed');
    expect(problem.errors?.[0]?.field).toBe('Idempotency-Key');
    expect(problem.detail).toContain('Idempotency-Key');
    for (const bad of ['', 'x'.repeat(129), 'spaces are not allowed']) {
      const r = await api(stack.url, 'POST', '/orders', {
        token,
        json: { items: [{ productId: threeSizes().id, quantity: 1 }] },
        headers: { 'idempotency-key': bad },
      });
      expect(expectProblem(r, 400, 'validation_failed').errors?.[0]?.field).toBe('Idempotency-Key');
    }
  });

  it('still answers a retry with its order after the product left the menu', async () => {
    const { token } = await registerCustomer(stack.url);
    const id = `special-${randomUUID().slice(0, 8)}`;
    const product = { name: 'Seasonal Special', category: 'coffee', prices: { medium: 450 }, available: true };
    expect((await api(stack.url, 'PUT', `/menu/${id}`, { token: barista, json: product })).status).toBe(200);
    const key = randomUUID();
    const first = await placeOrder(stack.url, token, [{ productId: id, quantity: 1 }], key);
    expect(first.total).toBe(450);
    expect(
      (await api(stack.url, 'PUT', `/menu/${id}`, { token: barista, json: { ...product, available: false } })).status,
    ).toBe(200);
    const retry = await api<{ order: Order }>(stack.url, 'POST', '/orders', {
      token,
      json: { items: [{ productId: id, quantity: 1 }] },
      headers: { 'idempotency-key': key },
    });
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body.order).toEqual(first);
    // A new order for it is refused, naming the item.
    const fresh = await api(stack.url, 'POST', '/orders', {
      token,
      json: { items: [{ productId: id, quantity: 1 }] },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(expectProblem(fresh, 400, 'validation_failed').errors?.[0]?.field).toBe('items.0.productId');
  });
});

describe('listings and pagination', () => {
  let customer: { token: string; userId: string };
  let placed: Order[];

  beforeAll(async () => {
    const { token, user } = await registerCustomer(stack.url, 'Pager');
    customer = { token, userId: user.id };
    const ids = [...menu.values()].filter((p) => p.available).map((p) => p.id);
    placed = [];
    for (let i = 0; i < 25; i++)
      placed.push(await placeOrder(stack.url, token, [{ productId: ids[i % ids.length]!, quantity: 1 + (i % 3) }]));
  });

  it('GET /users/me/orders pages newest first, every order exactly once', async () => {
    const pages = await allPages('/users/me/orders?limit=7', customer.token);
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 4]);
    const listed = pages.flat();
    const expected = [...placed].sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : -1));
    expect(listed.map((o) => o.id)).toEqual(expected.map((o) => o.id));
    for (let i = 1; i < listed.length; i++) expect(listed[i - 1]!.createdAt >= listed[i]!.createdAt).toBe(true);
    for (const order of listed) expectCompleteOrder(order, menu);
  });

  it('GET /users/me/orders lists only the caller’s orders, 20 by default', async () => {
    const res = await api<{ items: Order[]; cursor?: string }>(stack.url, 'GET', '/users/me/orders', {
      token: customer.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(20);
    expect(res.body.cursor).toEqual(expect.any(String));
    expect(res.body.items.every((o) => o.userId === customer.userId)).toBe(true);
    const stranger = await registerCustomer(stack.url);
    const empty = await api(stack.url, 'GET', '/users/me/orders', { token: stranger.token });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ items: [] });
  });

  it('GET /orders?status=PLACED pages the queue oldest first, every order exactly once', async () => {
    const pages = await allPages('/orders?status=PLACED&limit=7', barista);
    expect(pages.every((p) => p.length <= 7)).toBe(true);
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    const listed = pages.flat();
    const ids = listed.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(listed.every((o) => o.status === 'PLACED')).toBe(true);
    for (let i = 1; i < listed.length; i++) expect(sortKey(listed[i - 1]!) < sortKey(listed[i]!)).toBe(true);
    const mine = listed.filter((o) => o.userId === customer.userId).map((o) => o.id);
    expect(mine).toEqual([...placed].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)).map((o) => o.id));
    // Without a status the queue is the PLACED one.
    const defaulted = await allPages('/orders?limit=7', barista);
    expect(defaulted.flat().map((o) => o.id)).toEqual(ids);
  });

  it('GET /orders?status= lists an order under its new status once it moves', async () => {
    const order = placed[0]!;
    const moved = await api<{ order: Order }>(stack.url, 'PATCH', `/orders/${order.id}`, {
      token: barista,
      json: { status: 'PREPARING' },
      headers: { 'if-match': '1' },
    });
    expect(moved.status).toBe(200);
    const preparing = (await allPages('/orders?status=PREPARING&limit=3', barista)).flat().map((o) => o.id);
    expect(preparing).toContain(order.id);
    const stillPlaced = (await allPages('/orders?status=PLACED&limit=50', barista)).flat().map((o) => o.id);
    expect(stillPlaced).not.toContain(order.id);
  });

  it('answers 400 naming the field for a bad cursor, limit or status', async () => {
    const userCursor = (await api(stack.url, 'GET', '/users/me/orders?limit=2', { token: customer.token })).body
      .cursor as string;
    const queueCursor = (await api(stack.url, 'GET', '/orders?limit=2', { token: barista })).body.cursor as string;
    const forged = Buffer.from(JSON.stringify({ k: 42 })).toString('base64url');
    const cases: [string, string, string][] = [
      ['/users/me/orders?cursor=not-a-cursor', customer.token, 'cursor'],
      [`/users/me/orders?cursor=${forged}`, customer.token, 'cursor'],
      [`/users/me/orders?cursor=${queueCursor}`, customer.token, 'cursor'],
      ['/orders?status=PLACED&cursor=%25%25%25', barista, 'cursor'],
      [`/orders?status=PLACED&cursor=${userCursor}`, barista, 'cursor'],
      ['/users/me/orders?limit=0', customer.token, 'limit'],
      ['/users/me/orders?limit=101', customer.token, 'limit'],
      ['/users/me/orders?limit=abc', customer.token, 'limit'],
      ['/orders?status=BREWING', barista, 'status'],
      ['/orders?status=PLACED&limit=2.5', barista, 'limit'],
    ];
    for (const [path, token, field] of cases) {
      const problem = expectProblem(await api(stack.url, 'GET', path, { token }), 400, 'validation_failed');
      expect(
        problem.errors?.map((e) => e.field),
        path,
      ).toContain(field);
    }
  });
});

describe('PATCH /orders/:orderId and optimistic concurrency', () => {
  it('lets exactly one of two concurrent updates with the same If-Match win; the other gets 409', async () => {
    const { token } = await registerCustomer(stack.url);
    const orders = await Promise.all(
      Array.from({ length: 4 }, () => placeOrder(stack.url, token, [{ productId: threeSizes().id, quantity: 1 }])),
    );
    await Promise.all(
      orders.map(async (order) => {
        const patch = () =>
          api(stack.url, 'PATCH', `/orders/${order.id}`, {
            token: barista,
            json: { status: 'PREPARING' },
            headers: { 'if-match': `"${order.version}"` },
          });
        const answers = await Promise.all([patch(), patch()]);
        expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
        const loser = answers.find((a) => a.status === 409)!;
        expectProblem(loser, 409, 'version_mismatch');
        const stored = await stack.store.getOrder(order.id);
        expect(stored).toMatchObject({ status: 'PREPARING', version: 2 });
      }),
    );
  });

  it('answers a stale If-Match with version_mismatch before judging the transition against a status the caller has not seen', async () => {
    const { token } = await registerCustomer(stack.url);
    const order = await placeOrder(stack.url, token, [{ productId: threeSizes().id, quantity: 1 }]);
    const prepare = () =>
      api(stack.url, 'PATCH', `/orders/${order.id}`, {
        token: barista,
        json: { status: 'PREPARING' },
        headers: { 'if-match': '"1"' },
      });
    expect((await prepare()).status).toBe(200);
    // The same move again with the version read before it: PREPARING -> PREPARING would be
    // illegal, but the caller's view is stale, and that is what it must be told.
    expectProblem(await prepare(), 409, 'version_mismatch');
    // The owner cancelling from a stale view: the same answer, not "PREPARING cannot be cancelled".
    expectProblem(
      await api(stack.url, 'PATCH', `/orders/${order.id}`, {
        token,
        json: { status: 'CANCELLED' },
        headers: { 'if-match': '"1"' },
      }),
      409,
      'version_mismatch',
    );
  });

  it('lets exactly one of a concurrent cancel and a barista move win', async () => {
    const { token } = await registerCustomer(stack.url);
    const order = await placeOrder(stack.url, token, [{ productId: threeSizes().id, quantity: 1 }]);
    const [cancel, prepare] = await Promise.all([
      api(stack.url, 'PATCH', `/orders/${order.id}`, {
        token,
        json: { status: 'CANCELLED' },
        headers: { 'if-match': '1' },
      }),
      api(stack.url, 'PATCH', `/orders/${order.id}`, {
        token: barista,
        json: { status: 'PREPARING' },
        headers: { 'if-match': '1' },
      }),
    ]);
    expect([cancel.status, prepare.status].sort()).toEqual([200, 409]);
    const stored = await stack.store.getOrder(order.id);
    expect(stored?.status).toBe(cancel.status === 200 ? 'CANCELLED' : 'PREPARING');
    expect(stored?.version).toBe(2);
  });

  it('answers 409 for a stale If-Match, 428 without one, and accepts a quoted version', async () => {
    const { token } = await registerCustomer(stack.url);
    const order = await placeOrder(stack.url, token, [{ productId: threeSizes().id, quantity: 1 }]);
    const path = `/orders/${order.id}`;
    const moved = await api<{ order: Order }>(stack.url, 'PATCH', path, {
      token: barista,
      json: { status: 'PREPARING' },
      headers: { 'if-match': '"1"' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.order).toMatchObject({ status: 'PREPARING', version: 2 });
    expect(moved.headers.get('etag')).toBe('"2"');
    expect(moved.body.order.updatedAt >= order.updatedAt).toBe(true);

    const stale = await api(stack.url, 'PATCH', path, {
      token: barista,
      json: { status: 'READY' },
      headers: { 'if-match': '1' },
    });
    expect(expectProblem(stale, 409, 'version_mismatch').detail).toContain('version 2');
    expectProblem(
      await api(stack.url, 'PATCH', path, { token: barista, json: { status: 'READY' } }),
      428,
      'precondition_required',
    );
    const garbled = await api(stack.url, 'PATCH', path, {
      token: barista,
      json: { status: 'READY' },
      headers: { 'if-match': 'latest' },
    });
    expect(expectProblem(garbled, 400, 'validation_failed').errors?.[0]?.field).toBe('If-Match');
    const weak = await api(stack.url, 'PATCH', path, {
      token: barista,
      json: { status: 'READY' },
      headers: { 'if-match': 'W/"2"' },
    });
    expect(weak.status).toBe(200);
    expect(await stack.store.getOrder(order.id)).toMatchObject({ status: 'READY', version: 3 });
  });

  it('answers 404 when changing an order that does not exist, 400 for an unknown status', async () => {
    const { token } = await registerCustomer(stack.url);
    expectProblem(
      await api(stack.url, 'PATCH', '/orders/o_nothing', {
        token: barista,
        json: { status: 'PREPARING' },
        headers: { 'if-match': '1' },
      }),
      404,
      'not_found',
    );
    const order = await placeOrder(stack.url, token, [{ productId: threeSizes().id, quantity: 1 }]);
    const bad = await api(stack.url, 'PATCH', `/orders/${order.id}`, {
      token: barista,
      json: { status: 'BREWING' },
      headers: { 'if-match': '1' },
    });
    expect(expectProblem(bad, 400, 'validation_failed').errors?.[0]?.field).toBe('status');
  });
});
