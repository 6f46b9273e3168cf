import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../domain/types.ts';
import { startDynamoDbFaultProxy, type DynamoDbFaultProxy } from '../../chaos/index.ts';
import { startEmbeddedDynamo, startLocalStack, type LocalStack } from '../local-stack.ts';
import type { EmbeddedDynamo } from '../store/embedded.ts';
import { api, expectProblem, getMenu, placeOrder, registerCustomer } from '../testing/http-client.ts';

// The stack talks to the embedded DynamoDB through the fault proxy (with no rule), whose
// records let a test see exactly which requests reach the store.
let dynamo: EmbeddedDynamo;
let proxy: DynamoDbFaultProxy;
let stack: LocalStack;
let barista: string;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  proxy = await startDynamoDbFaultProxy({ upstream: dynamo.endpoint });
  stack = await startLocalStack({ dynamoEndpoint: proxy.url, cacheTtlMs: 60_000 });
  barista = await stack.mintToken('barista-menu', 'barista');
});

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
  await dynamo?.stop();
});

const body = (p: Product) => ({
  name: p.name,
  category: p.category,
  description: p.description,
  prices: p.prices,
  available: p.available,
});

describe('GET /menu', () => {
  it('serves the seeded menu: at least 12 products over several categories, prices in integer cents', async () => {
    const res = await api<{ items: Product[] }>(stack.url, 'GET', '/menu');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const items = res.body.items;
    expect(items.length).toBeGreaterThanOrEqual(12);
    expect(new Set(items.map((p) => p.category)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(items.map((p) => p.id)).size).toBe(items.length);
    expect(items.some((p) => Object.keys(p.prices).length === 3)).toBe(true);
    for (const p of items) {
      expect(p.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(Object.keys(p.prices).length).toBeGreaterThan(0);
      for (const [size, cents] of Object.entries(p.prices)) {
        expect(['small', 'medium', 'large']).toContain(size);
        expect(Number.isInteger(cents) && cents > 0).toBe(true);
      }
      expect(typeof p.available).toBe('boolean');
      expect(Number.isNaN(Date.parse(p.updatedAt))).toBe(false);
    }
  });

  it('answers a cached read without any DynamoDB request', async () => {
    await getMenu(stack.url); // warm
    const before = proxy.records().length;
    const menu = await getMenu(stack.url);
    const one = await api(stack.url, 'GET', `/menu/${menu[0]!.id}`);
    const missing = await api(stack.url, 'GET', '/menu/not-on-the-menu');
    expect(one.status).toBe(200);
    expect(missing.status).toBe(404);
    expect(proxy.records().slice(before)).toEqual([]);
  });

  it('reads the store again after a write invalidated the cache (one Query)', async () => {
    await getMenu(stack.url);
    const product = (await getMenu(stack.url))[0]!;
    const before = proxy.records().length;
    const put = await api(stack.url, 'PUT', `/menu/${product.id}`, { token: barista, json: body(product) });
    expect(put.status).toBe(200);
    await getMenu(stack.url);
    await getMenu(stack.url);
    expect(
      proxy
        .records()
        .slice(before)
        .map((r) => r.operation),
    ).toEqual(['PutItem', 'Query']);
  });
});

describe('GET /menu/:productId', () => {
  it('answers one product, or a 404 problem', async () => {
    const menu = await getMenu(stack.url);
    const res = await api<{ product: Product }>(stack.url, 'GET', `/menu/${menu[1]!.id}`);
    expect(res.status).toBe(200);
    expect(res.body.product).toEqual(menu[1]);
    expectProblem(await api(stack.url, 'GET', '/menu/unicorn-frappe'), 404, 'not_found');
  });
});

describe('PUT /menu/:productId', () => {
  it('changes a price that GET /menu and GET /menu/:id show at once, and new orders use', async () => {
    const menu = await getMenu(stack.url);
    const product = menu.find((p) => p.prices.medium !== undefined && p.available)!;
    const newPrice = product.prices.medium! + 55;
    const res = await api<{ product: Product }>(stack.url, 'PUT', `/menu/${product.id}`, {
      token: barista,
      json: { ...body(product), prices: { ...product.prices, medium: newPrice } },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.product).toMatchObject({ id: product.id, prices: { medium: newPrice } });
    expect(res.body.product.updatedAt >= product.updatedAt).toBe(true);

    const after = await getMenu(stack.url);
    expect(after.find((p) => p.id === product.id)?.prices.medium).toBe(newPrice);
    expect(after).toHaveLength(menu.length);
    expect((await api(stack.url, 'GET', `/menu/${product.id}`)).body.product.prices.medium).toBe(newPrice);
    const { token } = await registerCustomer(stack.url);
    const order = await placeOrder(stack.url, token, [{ productId: product.id, quantity: 2, size: 'medium' }]);
    expect(order.total).toBe(2 * newPrice);
  });

  it('adds a new product, and taking it off the menu refuses new orders for it', async () => {
    const id = 'oat-flat-white';
    const created = await api(stack.url, 'PUT', `/menu/${id}`, {
      token: barista,
      json: { name: 'Oat Flat White', category: 'coffee', prices: { small: 360, large: 440 }, available: true },
    });
    expect(created.status, created.text).toBe(200);
    expect((await getMenu(stack.url)).find((p) => p.id === id)).toMatchObject({
      name: 'Oat Flat White',
      prices: { small: 360, large: 440 },
      available: true,
    });
    const { token } = await registerCustomer(stack.url);
    // Without a size, the first size offered is used when there is no medium.
    expect((await placeOrder(stack.url, token, [{ productId: id, quantity: 1 }])).items[0]).toMatchObject({
      size: 'small',
      unitPrice: 360,
    });

    const off = await api(stack.url, 'PUT', `/menu/${id}`, {
      token: barista,
      json: { name: 'Oat Flat White', category: 'coffee', prices: { small: 360, large: 440 }, available: false },
    });
    expect(off.status).toBe(200);
    const refused = await api(stack.url, 'POST', '/orders', {
      token,
      json: { items: [{ productId: id, quantity: 1 }] },
      headers: { 'idempotency-key': 'off-menu-1' },
    });
    const problem = expectProblem(refused, 400, 'validation_failed');
    expect(problem.errors?.[0]?.field).toBe('items.0.productId');
  });

  it('answers 400 naming every offending field, and changes nothing', async () => {
    const before = await getMenu(stack.url);
    const product = before[0]!;
    const cases: [unknown, string[]][] = [
      [{ ...body(product), prices: {} }, ['prices']],
      [{ ...body(product), prices: { medium: 3.5 } }, ['prices.medium']],
      [{ ...body(product), prices: { medium: -1, venti: 900 } }, ['prices.medium', 'prices.venti']],
      [{ ...body(product), name: '   ' }, ['name']],
      [{ ...body(product), category: 'Coffee!' }, ['category']],
      [{ ...body(product), available: 'yes' }, ['available']],
      [{ name: product.name }, ['category', 'prices', 'available']],
      [{ ...body(product), id: 'other' }, ['id']],
    ];
    for (const [json, fields] of cases) {
      const problem = expectProblem(
        await api(stack.url, 'PUT', `/menu/${product.id}`, { token: barista, json }),
        400,
        'validation_failed',
      );
      expect(problem.errors?.map((e) => e.field).sort(), JSON.stringify(json)).toEqual(fields.sort());
    }
    const badId = await api(stack.url, 'PUT', '/menu/Not_An_Id', { token: barista, json: body(product) });
    expect(expectProblem(badId, 400, 'validation_failed').errors?.[0]?.field).toBe('productId');
    expect(await getMenu(stack.url)).toEqual(before);
  });
});
