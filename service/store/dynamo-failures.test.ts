import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startDynamoDbFaultProxy,
  type DynamoDbFault,
  type DynamoDbFaultProxy,
  type ProxyRequestRecord,
} from '../../chaos/index.ts';
import type { Order, Product } from '../domain/types.ts';
import { startEmbeddedDynamo, startLocalStack, type LocalStack } from '../local-stack.ts';
import { api, expectProblem, getMenu, placeOrder, registerCustomer, type ApiResponse } from '../testing/http-client.ts';
import type { EmbeddedDynamo } from './embedded.ts';

// A distinctive table name, so "the body names no table" is a real check.
const TABLE = 'tbl-orders-7q3x';
const MAX_ATTEMPTS = 3;

const THROTTLE: DynamoDbFault = { kind: 'error', error: 'ProvisionedThroughputExceededException' };
const RESET: DynamoDbFault = { kind: 'connection-reset' };
/** DynamoDB applies the write, then the connection is reset: the answer is lost. */
const LOSE_ANSWER: DynamoDbFault = { kind: 'connection-reset', phase: 'after' };
const answerLost = (r: ProxyRequestRecord) => r.outcome === 'connection-reset' && r.reachedUpstream;

/**
 * The contract for a store outage: 503, Retry-After, problem+json with
 * `dependency_unavailable`, and nothing of the internals (no stack, no SDK message, no
 * table name, no endpoint).
 */
function expectUnavailable(res: ApiResponse, endpoint: string): void {
  const problem = expectProblem(res, 503, 'dependency_unavailable');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Object.keys(problem).sort()).toEqual(['code', 'detail', 'instance', 'status', 'title', 'type']);
  const text = res.text.toLowerCase();
  for (const secret of [
    TABLE,
    new URL(endpoint).host,
    'provisioned',
    'throughput',
    'exception',
    'econn',
    'socket',
    'hang up',
    'aws',
    'sdk',
    '.ts:',
    '    at ',
  ]) {
    expect(text, `the body mentions ${secret}`).not.toContain(secret.toLowerCase());
  }
}

describe('DynamoDB throttling and connection resets (through the fault proxy)', () => {
  let dynamo: EmbeddedDynamo;
  let proxy: DynamoDbFaultProxy;
  let stack: LocalStack;
  let customer: { token: string; userId: string };
  let barista: string;
  let product: Product;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    proxy = await startDynamoDbFaultProxy({ upstream: dynamo.endpoint });
    // cacheTtlMs 0: every menu read goes to the store, so an outage is visible on it.
    stack = await startLocalStack({
      dynamoEndpoint: proxy.url,
      tableName: TABLE,
      cacheTtlMs: 0,
      sdk: { maxAttempts: MAX_ATTEMPTS },
    });
    const { token, user } = await registerCustomer(stack.url);
    customer = { token, userId: user.id };
    barista = await stack.mintToken('barista-failures', 'barista');
    product = (await getMenu(stack.url)).find((p) => p.available && p.prices.medium !== undefined)!;
  });

  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await dynamo?.stop();
  });

  /** Runs `fn` with `fault` on every request (on `operations` only, when given), then clears it. */
  async function during<T>(fault: DynamoDbFault, operations: string[] | undefined, fn: () => Promise<T>) {
    const from = proxy.records().length;
    proxy.setRules([{ fault, ...(operations ? { match: { operations } } : {}) }]);
    try {
      const result = await fn();
      return { result, seen: proxy.records().slice(from) };
    } finally {
      proxy.clearRules();
    }
  }

  it('answers 503 with Retry-After when every call is throttled, after the SDK retried', async () => {
    const { result, seen } = await during(THROTTLE, undefined, () =>
      Promise.all([api(stack.url, 'GET', `/menu/${product.id}`), api(stack.url, 'GET', '/ready')]),
    );
    const [menu, ready] = result;
    expectUnavailable(menu, proxy.url);
    expectUnavailable(ready, proxy.url);
    // One API call each, attempted MAX_ATTEMPTS times by the SDK's retry strategy.
    expect(seen.filter((r) => r.operation === 'Query')).toHaveLength(MAX_ATTEMPTS);
    expect(seen.filter((r) => r.operation === 'GetItem')).toHaveLength(MAX_ATTEMPTS);
    expect(seen.every((r) => r.outcome === 'error' && r.error === 'ProvisionedThroughputExceededException')).toBe(true);
    // And it recovers once the store answers again.
    expect((await api(stack.url, 'GET', `/menu/${product.id}`)).status).toBe(200);
    expect((await api(stack.url, 'GET', '/ready')).status).toBe(200);
  });

  it('answers 503 for a throttled order write and stores nothing; a retry of the same key succeeds later', async () => {
    const key = randomUUID();
    const items = [{ productId: product.id, quantity: 1 }];
    const { result, seen } = await during(THROTTLE, ['PutItem'], () =>
      api(stack.url, 'POST', '/orders', {
        token: customer.token,
        json: { items },
        headers: { 'idempotency-key': key },
      }),
    );
    expectUnavailable(result, proxy.url);
    expect(seen.filter((r) => r.operation === 'PutItem')).toHaveLength(MAX_ATTEMPTS);
    expect((await stack.store.listOrdersByUser(customer.userId, 100)).items).toEqual([]);
    const order = await placeOrder(stack.url, customer.token, items, key);
    expect((await stack.store.listOrdersByUser(customer.userId, 100)).items.map((o) => o.id)).toEqual([order.id]);
  });

  it('answers 503 for a throttled status change and leaves the order as it was', async () => {
    const order = await placeOrder(stack.url, customer.token, [{ productId: product.id, quantity: 2 }]);
    const { result, seen } = await during(THROTTLE, ['UpdateItem'], () =>
      api(stack.url, 'PATCH', `/orders/${order.id}`, {
        token: barista,
        json: { status: 'PREPARING' },
        headers: { 'if-match': '1' },
      }),
    );
    expectUnavailable(result, proxy.url);
    expect(seen.filter((r) => r.operation === 'UpdateItem')).toHaveLength(MAX_ATTEMPTS);
    expect(await stack.store.getOrder(order.id)).toMatchObject({ status: 'PLACED', version: 1 });
    const retried = await api<{ order: Order }>(stack.url, 'PATCH', `/orders/${order.id}`, {
      token: barista,
      json: { status: 'PREPARING' },
      headers: { 'if-match': '1' },
    });
    expect(retried.status).toBe(200);
  });

  it('answers 503 when DynamoDB resets every connection, after retrying', async () => {
    const { result, seen } = await during(RESET, undefined, () => api(stack.url, 'GET', '/menu'));
    expectUnavailable(result, proxy.url);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.length).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect((await api(stack.url, 'GET', '/menu')).status).toBe(200);
  });
  it('answers 201 for a registration whose first write landed but whose answer was lost (the SDK retry finds its own write)', async () => {
    const from = proxy.records().length;
    proxy.setRules([{ match: { operations: ['PutItem'] }, times: 1, fault: LOSE_ANSWER }]);
    try {
      const email = `lost-${randomUUID()}@example.com`;
      const response = await api<{ user: { id: string; email: string } }>(stack.url, 'POST', '/users', {
        json: { email, name: 'Lost Answer' },
      });
      expect(response.status).toBe(201);
      expect(response.body.user.email).toBe(email);
      expect(proxy.records().slice(from).filter(answerLost)).toHaveLength(1);
      // A real second registration of the same address is still a duplicate.
      expect((await api(stack.url, 'POST', '/users', { json: { email, name: 'Someone Else' } })).status).toBe(409);
    } finally {
      proxy.clearRules();
    }
  });

  it('answers 200 for a status change whose write landed but whose answer was lost', async () => {
    const order = await placeOrder(stack.url, customer.token, [{ productId: product.id, quantity: 1 }]);
    const from = proxy.records().length;
    proxy.setRules([{ match: { operations: ['UpdateItem'] }, times: 1, fault: LOSE_ANSWER }]);
    try {
      const moved = await api<{ order: Order }>(stack.url, 'PATCH', `/orders/${order.id}`, {
        token: barista,
        json: { status: 'PREPARING' },
        headers: { 'if-match': '1' },
      });
      expect(moved.status).toBe(200);
      expect(moved.body.order).toMatchObject({ status: 'PREPARING', version: 2 });
      expect(proxy.records().slice(from).filter(answerLost)).toHaveLength(1);
    } finally {
      proxy.clearRules();
    }
  });
});

describe('DynamoDB unreachable (the embedded store stopped)', () => {
  let dynamo: EmbeddedDynamo;
  let stack: LocalStack;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    stack = await startLocalStack({
      dynamoEndpoint: dynamo.endpoint,
      tableName: TABLE,
      cacheTtlMs: 0,
      sdk: { maxAttempts: MAX_ATTEMPTS },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await dynamo?.stop().catch(() => undefined);
  });

  it('answers 503 with Retry-After and a clean body on every store-backed route; /ready is 503', async () => {
    const { token } = await registerCustomer(stack.url);
    const barista = await stack.mintToken('barista-outage', 'barista');
    const product = (await getMenu(stack.url)).find((p) => p.available && p.prices.medium !== undefined)!;
    const order = await placeOrder(stack.url, token, [{ productId: product.id, quantity: 1 }]);
    expect((await api(stack.url, 'GET', '/ready')).status).toBe(200);

    await dynamo.stop();

    const answers = await Promise.all([
      api(stack.url, 'GET', '/ready'),
      api(stack.url, 'GET', '/menu'),
      api(stack.url, 'GET', `/menu/${product.id}`),
      api(stack.url, 'POST', '/orders', {
        token,
        json: { items: [{ productId: product.id, quantity: 1 }] },
        headers: { 'idempotency-key': randomUUID() },
      }),
      api(stack.url, 'GET', `/orders/${order.id}`, { token }),
      api(stack.url, 'GET', '/users/me/orders', { token }),
      api(stack.url, 'GET', '/orders?status=PLACED', { token: barista }),
      api(stack.url, 'PATCH', `/orders/${order.id}`, {
        token: barista,
        json: { status: 'PREPARING' },
        headers: { 'if-match': '1' },
      }),
      api(stack.url, 'POST', '/users', { json: { email: `late-${randomUUID()}@example.com`, name: 'Late' } }),
      api(stack.url, 'GET', '/users/me', { token }),
      api(stack.url, 'PUT', `/menu/${product.id}`, {
        token: barista,
        json: { name: 'X', category: 'coffee', prices: { medium: 100 }, available: true },
      }),
    ]);
    for (const res of answers) expectUnavailable(res, dynamo.endpoint);
    // What needs no store still answers.
    expect((await api(stack.url, 'GET', '/health')).status).toBe(200);
    expectProblem(
      await api(stack.url, 'POST', '/orders', { token, json: { items: [] }, headers: { 'idempotency-key': 'x' } }),
      400,
      'validation_failed',
    );
  });
});
