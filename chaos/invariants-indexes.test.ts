/**
 * The index invariant: every secondary index against the table. On a real store the
 * service wrote, it holds; on the damage a kill between an index write and an item write
 * leaves (an orphan, two entries for one order, a stale entry, a lost entry), it fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../service/index.ts';
import { api, placeOrder, registerCustomer } from '../service/testing/index.ts';
import { checkIndexesMatchTable, InvariantIds } from './invariants.ts';
import { createStoreReader, type StoreReader } from './store-reader.ts';

type Item = Record<string, unknown>;

/** A reader over fixed items, shaped as the table design (pk/sk, byUser and byStatus). */
function readerOver(table: Item[], byUser: Item[], byStatus: Item[]): StoreReader {
  const indexes = { byUser, byStatus } as Record<string, Item[]>;
  return {
    keyAttributes: ['pk', 'sk'],
    indexes: [
      { name: 'byUser', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      { name: 'byStatus', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    ],
    scan: async (index?: string) => (index ? (indexes[index] ?? []) : table),
    getOrder: async () => undefined,
    listUserOrders: async () => [],
    close: () => undefined,
  };
}

const order = (id: string, createdAt: string, status = 'PLACED'): Item => ({
  pk: `ORDER#${id}`,
  sk: 'ORDER',
  gsi1pk: 'USER#u1',
  gsi1sk: `${createdAt}#${id}`,
  gsi2pk: `STATUS#${status}#0`,
  gsi2sk: `${createdAt}#${id}`,
  id,
  status,
  items: [{ productId: 'latte', quantity: 1 }],
  createdAt,
});

describe('the index invariant on a store the service wrote', () => {
  let stack: LocalStack;
  let reader: StoreReader;
  beforeAll(async () => {
    stack = await startLocalStack();
    reader = createStoreReader({ endpoint: stack.dynamoEndpoint, tableName: stack.tableName });
  });
  afterAll(async () => {
    reader?.close();
    await stack?.stop();
  });

  it('holds over products, users and orders in every status', async () => {
    const { token } = await registerCustomer(stack.url);
    const barista = await stack.mintToken('barista-idx', 'barista');
    const placed = await placeOrder(stack.url, token, [{ productId: 'latte', quantity: 1 }]);
    await placeOrder(stack.url, token, [{ productId: 'latte', quantity: 2 }]);
    const moved = await api(stack.url, 'PATCH', `/orders/${placed.id}`, {
      token: barista,
      json: { status: 'PREPARING' },
      headers: { 'if-match': '"1"' },
    });
    expect(moved.status).toBe(200);

    const result = await checkIndexesMatchTable(reader);
    expect(result).toMatchObject({ id: InvariantIds.IndexesMatchTable, status: 'held', violationCount: 0 });
    expect(result.measured).toMatchObject({ byUserEntries: 2, byStatusEntries: 2 });
  });
});

describe('the index invariant on a damaged store', () => {
  const a = order('o_a', '2030-01-01T08:00:00.000Z');
  const b = order('o_b', '2030-01-01T08:00:05.000Z');

  it('fails for an order listed twice: an orphan entry beside the retried order', async () => {
    const orphan = order('o_b', '2030-01-01T08:00:01.000Z');
    const result = await checkIndexesMatchTable(readerOver([a, b], [a, orphan, b], [a, orphan, b]));
    expect(result.status).toBe('violated');
    expect(result.violations).toEqual([
      'index byUser lists ORDER#o_b ORDER 2 times',
      'index byStatus lists ORDER#o_b ORDER 2 times',
    ]);
  });

  it('fails for an entry whose item was never written, a stale entry and a missing one', async () => {
    const lost = order('o_lost', '2030-01-01T08:00:02.000Z');
    const stale = { ...b, status: 'PREPARING' };
    const result = await checkIndexesMatchTable(readerOver([a, b], [a, lost, stale], [lost]));
    expect(result.violations).toEqual([
      'index byUser lists ORDER#o_lost ORDER, which is not in the table',
      "index byUser's entry for ORDER#o_b ORDER differs from the item",
      'index byStatus lists ORDER#o_lost ORDER, which is not in the table',
      'index byStatus lacks ORDER#o_a ORDER',
      'index byStatus lacks ORDER#o_b ORDER',
    ]);
    expect(result.measured).toMatchObject({ byUserOrphans: 1, byUserStale: 1, byStatusOrphans: 1, byStatusMissing: 2 });
  });

  it('ignores items outside an index and the order of attributes', async () => {
    const product = { pk: 'MENU', sk: 'PRODUCT#latte', name: 'Latte' };
    const reordered = Object.fromEntries(Object.entries(a).reverse());
    expect((await checkIndexesMatchTable(readerOver([a, product], [reordered], [a]))).status).toBe('held');
  });
});
