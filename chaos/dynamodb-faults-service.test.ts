/**
 * Each DynamoDB fault against the real service: the proxy sits between the service's SDK
 * client and the embedded DynamoDB; the test counts the SDK's attempts at the proxy and
 * reads what the client got.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo, startLocalStack, type LocalStack } from '../service/index.ts';
import { startDynamoDbFaultProxy, type DynamoDbFaultProxy } from './dynamodb-proxy.ts';
import type { DynamoDbFaultRule } from './fault-catalog.ts';
import { checkErrorContract } from './invariants.ts';
import { fromFetch } from './responses.ts';
import { createStoreReader, type StoreReader } from './store-reader.ts';

let dynamo: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
let proxy: DynamoDbFaultProxy;
let stack: LocalStack;
let reader: StoreReader;
let token: string;
let userId: string;
let product: { id: string; prices: Record<string, number> };
let keySequence = 0;

async function placeOrder(key = `k-${++keySequence}`) {
  const at = Date.now();
  const response = await fetch(`${stack.url}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ items: [{ productId: product.id, quantity: 1, size: Object.keys(product.prices)[0] }] }),
  });
  const text = await response.text();
  return {
    response,
    text,
    record: fromFetch(
      { source: 'probe', method: 'POST', route: 'POST /orders', at, latencyMs: Date.now() - at },
      response,
      text,
    ),
  };
}

/** Attempts the SDK made per PutItem call, as the proxy saw them. */
function putItemAttempts(): number[] {
  const byInvocation = new Map<string, number>();
  for (const r of proxy.records()) {
    if (r.operation === 'PutItem' && r.invocationId)
      byInvocation.set(r.invocationId, Math.max(byInvocation.get(r.invocationId) ?? 0, r.attempt ?? 1));
  }
  return [...byInvocation.values()];
}

const expected503 = [{ status: 503, code: 'dependency_unavailable' }];

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo();
  proxy = await startDynamoDbFaultProxy({ upstream: dynamo.endpoint, seed: 2 });
  // A short SDK request timeout, so a hang costs the test little.
  stack = await startLocalStack({ dynamoEndpoint: proxy.url, sdk: { requestTimeoutMs: 300, maxAttempts: 3 } });
  reader = createStoreReader({ endpoint: dynamo.endpoint, tableName: stack.tableName });
  const menu = (await (await fetch(`${stack.url}/menu`)).json()) as {
    items: (typeof product & { available: boolean })[];
  };
  product = menu.items.find((p) => p.available)!;
  const user = (await (
    await fetch(`${stack.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'faults@example.com', name: 'Faults' }),
    })
  ).json()) as {
    token: string;
    user: { id: string };
  };
  token = user.token;
  userId = user.user.id;
});

afterAll(async () => {
  reader?.close();
  await stack?.stop();
  await proxy?.close();
  await dynamo?.stop();
});

beforeEach(async () => {
  proxy.clearRules();
  // A hang of the previous test is recorded when the SDK gives up on it: wait for that.
  await expect.poll(() => proxy.inFlight()).toBe(0);
  proxy.resetStats();
});

describe('DynamoDB faults against the service', () => {
  const failing: [string, DynamoDbFaultRule['fault']][] = [
    ['ProvisionedThroughputExceededException', { kind: 'error', error: 'ProvisionedThroughputExceededException' }],
    ['ThrottlingException', { kind: 'error', error: 'ThrottlingException' }],
    ['RequestLimitExceeded', { kind: 'error', error: 'RequestLimitExceeded' }],
    ['InternalServerError', { kind: 'error', error: 'InternalServerError' }],
    ['ServiceUnavailable', { kind: 'error', error: 'ServiceUnavailable' }],
    ['a hang', { kind: 'hang' }],
    ['a connection reset', { kind: 'connection-reset' }],
  ];

  it.each(failing)(
    '%s on every PutItem: the SDK tries 3 times, the client gets a clean 503 with Retry-After',
    async (_name, fault) => {
      proxy.setRules([{ match: { operations: ['PutItem'] }, fault }]);
      const before = (await reader.listUserOrders(userId)).length;
      const { response, record } = await placeOrder();

      expect(response.status).toBe(503);
      expect(record.retryAfter).toMatch(/^\d+$/);
      expect(JSON.parse(record.body ?? '{}')).toMatchObject({ status: 503, code: 'dependency_unavailable' });
      expect(checkErrorContract([record], expected503).violations).toEqual([]);
      await expect.poll(() => putItemAttempts()).toEqual([3]);
      expect((await reader.listUserOrders(userId)).length).toBe(before);
    },
  );

  it('a throttle the SDK retry gets past: the client gets 201 and the order is stored once', async () => {
    proxy.setRules([
      {
        id: 'once',
        match: { operations: ['PutItem'] },
        fault: { kind: 'error', error: 'ProvisionedThroughputExceededException' },
      },
    ]);
    const stopAfterFirst = setInterval(() => {
      if ((proxy.stats().injectedByRule.once ?? 0) > 0) proxy.clearRules();
    }, 1);
    const before = (await reader.listUserOrders(userId)).length;
    const { response, text } = await placeOrder();
    clearInterval(stopAfterFirst);

    expect(response.status).toBe(201);
    expect(putItemAttempts()[0]).toBeGreaterThanOrEqual(2);
    const stored = await reader.getOrder((JSON.parse(text) as { order: { id: string } }).order.id);
    expect(stored).toBeDefined();
    expect((await reader.listUserOrders(userId)).length).toBe(before + 1);
  });

  it('a reset after DynamoDB applied the write: the SDK retry finds the order, the client gets it, once', async () => {
    proxy.setRules([
      { match: { operations: ['PutItem'] }, probability: 1, fault: { kind: 'connection-reset', phase: 'after' } },
    ]);
    const clear = setInterval(() => {
      if (proxy.stats().byOutcome['connection-reset'] > 0) proxy.clearRules();
    }, 1);
    const before = (await reader.listUserOrders(userId)).length;
    const { response, text } = await placeOrder();
    clearInterval(clear);

    expect([200, 201]).toContain(response.status);
    expect(proxy.records().find((r) => r.outcome === 'connection-reset')).toMatchObject({
      operation: 'PutItem',
      reachedUpstream: true,
    });
    expect((JSON.parse(text) as { order: { userId: string } }).order.userId).toBe(userId);
    expect((await reader.listUserOrders(userId)).length).toBe(before + 1);
  });

  it('added latency slows requests but they succeed', async () => {
    proxy.setRules([{ id: 'slow', fault: { kind: 'latency', latency: { type: 'fixed', ms: 40 } } }]);
    const { response } = await placeOrder();

    expect(response.status).toBe(201);
    expect(
      proxy
        .records()
        .filter((r) => r.ruleId === 'slow')
        .every((r) => r.addedLatencyMs === 40 && r.outcome === 'forwarded'),
    ).toBe(true);
  });

  it('an outage fails readiness with 503 and Retry-After; the kill switch restores it', async () => {
    proxy.setRules([{ fault: { kind: 'error', error: 'ServiceUnavailable' } }]);
    const down = await fetch(`${stack.url}/ready`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toMatch(/^\d+$/);

    proxy.clearRules();
    expect((await fetch(`${stack.url}/ready`)).status).toBe(200);
  });
});
