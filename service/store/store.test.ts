import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderIdFor } from '../domain/orders.ts';
import type { Order, OrderStatus, Product, User } from '../domain/types.ts';
import { AppError, ConflictError, DependencyUnavailableError, ValidationError } from '../errors.ts';
import { ensureTable } from './create-table.ts';
import { createDynamoClient } from './dynamo-client.ts';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded.ts';
import { toStoreError } from './errors.ts';
import { createStore, statusShard, type Store } from './store.ts';
import { STATUS_SHARDS } from './table-schema.ts';

let dynamo: EmbeddedDynamo;
let client: DynamoDBClient;
let store: Store;
const TABLE = 'store-test';

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  client = createDynamoClient({ endpoint: dynamo.endpoint, region: 'us-east-1', maxAttempts: 1 });
  expect(await ensureTable(client, TABLE)).toBe('created');
  store = createStore({ client, tableName: TABLE });
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

let clock = Date.parse('2030-01-01T08:00:00.000Z');
/** Distinct, increasing timestamps, so listing order is known in advance. */
const tick = () => new Date((clock += 1_000)).toISOString();

function anOrder(userId: string, key: string, overrides: Partial<Order> = {}): Order {
  const at = tick();
  return {
    id: orderIdFor(userId, key),
    userId,
    items: [{ productId: 'latte', name: 'Caffè Latte', size: 'medium', quantity: 2, unitPrice: 380 }],
    total: 760,
    currency: 'EUR',
    status: 'PLACED',
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

async function drain(list: (cursor?: string) => Promise<{ items: Order[]; cursor?: string }>): Promise<Order[][]> {
  const pages: Order[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 200; i++) {
    const page = await list(cursor);
    pages.push(page.items);
    cursor = page.cursor;
    if (!cursor) return pages;
  }
  throw new Error('the cursor never ends');
}

describe('table and health', () => {
  it('ensureTable is idempotent', async () => {
    expect(await ensureTable(client, TABLE)).toBe('exists');
  });

  it('ping succeeds against a live table', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('products', () => {
  it('puts, gets and lists products; a put replaces', async () => {
    const espresso: Product = {
      id: 'espresso',
      name: 'Espresso',
      category: 'coffee',
      description: 'Short',
      prices: { small: 220 },
      available: true,
      updatedAt: tick(),
    };
    const bun: Product = {
      id: 'bun',
      name: 'Bun',
      category: 'pastry',
      description: '',
      prices: { medium: 350 },
      available: false,
      updatedAt: tick(),
    };
    await store.putProduct(espresso);
    await store.putProduct(bun);
    await store.putProduct({ ...espresso, prices: { small: 250, medium: 300 } });
    expect(await store.getProduct('espresso')).toEqual({ ...espresso, prices: { small: 250, medium: 300 } });
    expect(await store.getProduct('nothing')).toBeUndefined();
    const listed = await store.listProducts();
    expect(listed.map((p) => p.id).sort()).toEqual(['bun', 'espresso']);
    expect(listed.find((p) => p.id === 'bun')).toEqual(bun);
  });
});

describe('users', () => {
  it('creates a user once; the same id again is a 409 email_taken', async () => {
    const user: User = { id: 'u_one', email: 'one@example.com', name: 'One', role: 'customer', createdAt: tick() };
    await store.createUser(user);
    expect(await store.getUser('u_one')).toEqual(user);
    const again = store.createUser({ ...user, name: 'Impostor' });
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    await expect(again).rejects.toMatchObject({ status: 409, code: 'email_taken' });
    expect((await store.getUser('u_one'))?.name).toBe('One');
    expect(await store.getUser('u_none')).toBeUndefined();
  });
});

describe('orders', () => {
  it('creates an order once; the same id returns what is stored with its request hash', async () => {
    const order = anOrder('u_create', 'k1', { note: 'no sugar' });
    expect(await store.createOrder(order, 'hash-a')).toEqual({ created: true, order });
    const retry = await store.createOrder({ ...order, total: 1, createdAt: tick() }, 'hash-b');
    expect(retry).toEqual({ created: false, existing: { order, requestHash: 'hash-a' } });
    expect(await store.getOrder(order.id)).toEqual(order);
    expect(await store.getOrder('o_missing')).toBeUndefined();
  });

  it('changes status only from the expected version and status, moving the order between queues', async () => {
    const order = anOrder('u_status', 'k1');
    await store.createOrder(order, 'h');
    const at = tick();
    const preparing = await store.changeStatus({
      orderId: order.id,
      from: 'PLACED',
      to: 'PREPARING',
      expectedVersion: 1,
      at,
    });
    expect(preparing).toEqual({ ...order, status: 'PREPARING', version: 2, updatedAt: at });
    for (const stale of [
      { from: 'PLACED' as OrderStatus, expectedVersion: 2 },
      { from: 'PREPARING' as OrderStatus, expectedVersion: 1 },
    ]) {
      await expect(store.changeStatus({ orderId: order.id, to: 'READY', at: tick(), ...stale })).rejects.toMatchObject({
        status: 409,
        code: 'version_mismatch',
      });
    }
    await expect(
      store.changeStatus({ orderId: 'o_nope', from: 'PLACED', to: 'PREPARING', expectedVersion: 1, at }),
    ).rejects.toMatchObject({ status: 409 });
    expect(await store.getOrder(order.id)).toEqual(preparing);
    const placedIds = (await drain((c) => store.listOrdersByStatus('PLACED', 50, c))).flat().map((o) => o.id);
    const preparingIds = (await drain((c) => store.listOrdersByStatus('PREPARING', 50, c))).flat().map((o) => o.id);
    expect(placedIds).not.toContain(order.id);
    expect(preparingIds).toContain(order.id);
  });

  it('lets exactly one of two concurrent changes from the same version win', async () => {
    const order = anOrder('u_race', 'k1');
    await store.createOrder(order, 'h');
    const results = await Promise.allSettled([
      store.changeStatus({ orderId: order.id, from: 'PLACED', to: 'PREPARING', expectedVersion: 1, at: tick() }),
      store.changeStatus({ orderId: order.id, from: 'PLACED', to: 'CANCELLED', expectedVersion: 1, at: tick() }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await store.getOrder(order.id))?.version).toBe(2);
  });
});

describe('listings', () => {
  const user = 'u_pages';
  const created: Order[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 23; i++) {
      const order = anOrder(user, `key-${i}`);
      await store.createOrder(order, `h${i}`);
      created.push(order);
    }
  });

  it('answers every call of many at once with its own item, on a client that resolves its handlers once', async () => {
    // The client caches a command class's handler (dynamo-client.ts): concurrent calls share
    // it, and each must still send its own input and get its own answer.
    const users: User[] = Array.from({ length: 12 }, (_, i) => ({
      id: `u_concurrent_${i}`,
      email: `concurrent-${i}@example.com`,
      name: `Concurrent ${i}`,
      role: 'customer',
      createdAt: tick(),
    }));
    await Promise.all(users.map((user) => store.createUser(user)));
    const orders = users.map((user, i) => anOrder(user.id, `concurrent-${i}`));
    const [read, created] = await Promise.all([
      Promise.all(users.map((user) => store.getUser(user.id))),
      Promise.all(orders.map((order, i) => store.createOrder(order, `hash-${i}`))),
    ]);
    expect(read.map((user) => user?.email)).toEqual(users.map((user) => user.email));
    expect(created.map((result) => result.created && result.order.id)).toEqual(orders.map((order) => order.id));
    const pages = await Promise.all(users.map((user) => store.listOrdersByUser(user.id, 5)));
    expect(pages.map((page) => page.items.map((order) => order.id))).toEqual(orders.map((order) => [order.id]));
  });

  it('pages a user’s orders newest first, every order once', async () => {
    const pages = await drain((c) => store.listOrdersByUser(user, 5, c));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.flat()).toEqual([...created].reverse());
    expect((await store.listOrdersByUser('u_nobody', 5)).items).toEqual([]);
  });

  it('spreads one status over every shard and pages the merged queue oldest first', async () => {
    const shards = new Set(created.map((o) => statusShard(o.id)));
    expect(shards.size).toBe(STATUS_SHARDS);
    for (const o of created) expect(statusShard(o.id)).toBe(statusShard(o.id));
    for (const limit of [1, 4, 7, 100]) {
      const pages = await drain((c) => store.listOrdersByStatus('PLACED', limit, c));
      expect(pages.every((p) => p.length <= limit)).toBe(true);
      const mine = pages.flat().filter((o) => o.userId === user);
      expect(
        mine.map((o) => o.id),
        `limit ${limit}`,
      ).toEqual(created.map((o) => o.id));
      const keys = pages.flat().map((o) => `${o.createdAt}#${o.id}`);
      expect([...keys].sort()).toEqual(keys);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('answers an empty queue without a cursor', async () => {
    expect(await store.listOrdersByStatus('PICKED_UP', 10)).toEqual({ items: [] });
  });

  it('refuses a cursor it did not issue with a 400 naming the cursor', async () => {
    const bad = [
      '%%%',
      Buffer.from('{"k":1}').toString('base64url'),
      Buffer.from('{"s":[0,0]}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ];
    for (const cursor of bad) {
      await expect(store.listOrdersByUser(user, 5, cursor)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.listOrdersByStatus('PLACED', 5, cursor)).rejects.toMatchObject({
        status: 400,
        errors: [{ field: 'cursor' }],
      });
    }
  });
});

describe('toStoreError', () => {
  const sdkError = (name: string, status: number, extra: object = {}) =>
    Object.assign(new Error(`${name}: details`), { name, $metadata: { httpStatusCode: status }, ...extra });

  it('maps throttling to 503 retry after 1 s', () => {
    for (const name of ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']) {
      const mapped = toStoreError(sdkError(name, 400));
      expect(mapped).toBeInstanceOf(DependencyUnavailableError);
      expect(mapped).toMatchObject({ status: 503, code: 'dependency_unavailable', retryAfter: 1 });
    }
  });

  it('maps 5xx, timeouts and network failures to 503', () => {
    const cases = [
      sdkError('InternalServerError', 500),
      sdkError('ServiceUnavailable', 503),
      sdkError('TimeoutError', 0),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      new Error('socket hang up'),
    ];
    for (const error of cases)
      expect(toStoreError(error), String(error)).toMatchObject({ status: 503, code: 'dependency_unavailable' });
  });

  it('maps anything else to a 500 whose message hides the SDK’s, and keeps an AppError as it is', () => {
    const validation = sdkError('ValidationException', 400);
    const mapped = toStoreError(validation);
    expect(mapped).toMatchObject({ status: 500, code: 'internal' });
    expect(mapped.message).not.toContain('details');
    expect(mapped.cause).toBe(validation);
    const app = new AppError(409, 'conflict', 'x');
    expect(toStoreError(app)).toBe(app);
  });
});
