/**
 * The embedded store killed between dynalite's index write and its item write (a child
 * process stopped there on purpose, see embedded-kill.fixture.mjs): the damage shows
 * through the DynamoDB API, and the next start repairs the indexes against the items.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { orderIdFor } from '../domain/orders.ts';
import type { Order, OrderStatus } from '../domain/types.ts';
import { ensureTable } from './create-table.ts';
import { createDynamoClient } from './dynamo-client.ts';
import { CLEAN_STOP_FILE, startEmbeddedDynamo } from './embedded.ts';
import { createStore, type Store } from './store.ts';

const FIXTURE = fileURLToPath(new URL('./embedded-kill.fixture.mjs', import.meta.url));
const TABLE = 'repair-test';
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function anOrder(userId: string, key: string, createdAt: string): Order {
  return {
    id: orderIdFor(userId, key),
    userId,
    items: [{ productId: 'latte', name: 'Caffè Latte', size: 'medium', quantity: 1, unitPrice: 380 }],
    total: 380,
    currency: 'EUR',
    status: 'PLACED',
    version: 1,
    createdAt,
    updatedAt: createdAt,
  };
}

/** A store on an endpoint, one attempt per call (a killed store must not be retried). */
function storeAt(endpoint: string): { client: DynamoDBClient; store: Store } {
  const client = createDynamoClient({ endpoint, region: 'us-east-1', maxAttempts: 1 });
  return { client, store: createStore({ client, tableName: TABLE }) };
}

/** dynalite in a child process on `dataDir`; with `hold`, every write stops between index and item. */
async function startChild(dataDir: string, mode: 'hold' | 'serve'): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = fork(FIXTURE, [dataDir, mode], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(child);
  const [message] = (await once(child, 'message')) as [{ type: string; port: number }];
  expect(message.type).toBe('ready');
  return { child, endpoint: `http://127.0.0.1:${message.port}` };
}

/** Runs `write` against a holding child and kills the child once the index entries are on disk. */
async function killMidWrite(dataDir: string, write: (store: Store) => Promise<unknown>): Promise<void> {
  // As the service's own start does: the store is open, so no longer known to be stopped cleanly.
  await rm(path.join(dataDir, CLEAN_STOP_FILE));
  const { child, endpoint } = await startChild(dataDir, 'hold');
  const { client, store } = storeAt(endpoint);
  const indexesWritten = once(child, 'message');
  const pending = write(store).catch(() => 'never answered');
  expect((await indexesWritten)[0]).toEqual({ type: 'indexes-written' });
  child.kill('SIGKILL');
  await once(child, 'exit');
  expect(await pending).toBe('never answered');
  client.destroy();
}

/** What the DynamoDB API shows of a user's orders and of a status queue, on a plain (unrepaired) dynalite. */
async function viewWithoutRepair(
  dataDir: string,
  userId: string,
  status: OrderStatus,
): Promise<{ mine: string[]; queue: string[] }> {
  const { child, endpoint } = await startChild(dataDir, 'serve');
  const { client, store } = storeAt(endpoint);
  try {
    return await viewOf(store, userId, status);
  } finally {
    client.destroy();
    child.send('stop');
    await once(child, 'exit');
  }
}

async function viewOf(store: Store, userId: string, status: OrderStatus): Promise<{ mine: string[]; queue: string[] }> {
  const mine = (await store.listOrdersByUser(userId, 100)).items.map((o) => `${o.id}@${o.createdAt}`);
  const queue = (await store.listOrdersByStatus(status, 100)).items.map((o) => `${o.id}@${o.createdAt}`);
  return { mine: mine.sort(), queue: queue.sort() };
}

/** A data directory with the table and one order written cleanly. */
async function storeWithOneOrder(userId: string): Promise<{ dataDir: string; first: Order }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'coffee-repair-'));
  dirs.push(dataDir);
  const dynamo = await startEmbeddedDynamo({ dataDir });
  const { client, store } = storeAt(dynamo.endpoint);
  await ensureTable(client, TABLE);
  const first = anOrder(userId, 'k1', '2030-01-01T08:00:00.000Z');
  await store.createOrder(first, 'h1');
  client.destroy();
  await dynamo.stop();
  return { dataDir, first };
}

describe('the embedded store after a kill between index and item writes', () => {
  it('repairs an order whose index entries were written but not its item, so its retry is listed once', async () => {
    const userId = 'u_killed_put';
    const { dataDir, first } = await storeWithOneOrder(userId);
    const lost = anOrder(userId, 'k2', '2030-01-01T08:00:01.000Z');
    await killMidWrite(dataDir, (store) => store.createOrder(lost, 'h2'));

    // The damage, as a plain dynalite shows it: an order in both indexes that the table lacks.
    const damaged = await viewWithoutRepair(dataDir, userId, 'PLACED');
    expect(damaged.mine).toEqual([`${first.id}@${first.createdAt}`, `${lost.id}@${lost.createdAt}`].sort());
    expect(damaged.queue).toEqual(damaged.mine);

    const dynamo = await startEmbeddedDynamo({ dataDir });
    const { client, store } = storeAt(dynamo.endpoint);
    try {
      expect(dynamo.repairs).toEqual([
        { table: TABLE, index: 'byUser', removed: 1, written: 0 },
        { table: TABLE, index: 'byStatus', removed: 1, written: 0 },
      ]);
      expect(await store.getOrder(lost.id)).toBeUndefined();
      expect(await viewOf(store, userId, 'PLACED')).toEqual({
        mine: [`${first.id}@${first.createdAt}`],
        queue: [`${first.id}@${first.createdAt}`],
      });
      // The client's retry of the same key creates the order anew, and it is listed once.
      const retried = { ...lost, createdAt: '2030-01-01T08:00:09.000Z', updatedAt: '2030-01-01T08:00:09.000Z' };
      expect((await store.createOrder(retried, 'h2')).created).toBe(true);
      const after = await viewOf(store, userId, 'PLACED');
      expect(after.mine).toEqual([`${first.id}@${first.createdAt}`, `${lost.id}@${retried.createdAt}`].sort());
      expect(after.queue).toEqual(after.mine);
    } finally {
      client.destroy();
      await dynamo.stop();
    }
  });

  it('repairs a status change whose index moved but whose item did not', async () => {
    const userId = 'u_killed_update';
    const { dataDir, first } = await storeWithOneOrder(userId);
    await killMidWrite(dataDir, (store) =>
      store.changeStatus({
        orderId: first.id,
        from: 'PLACED',
        to: 'PREPARING',
        expectedVersion: 1,
        at: '2030-01-01T08:01:00.000Z',
      }),
    );

    const listed = `${first.id}@${first.createdAt}`;
    expect((await viewWithoutRepair(dataDir, userId, 'PREPARING')).queue).toEqual([listed]);
    expect((await viewWithoutRepair(dataDir, userId, 'PLACED')).queue).toEqual([]);

    const dynamo = await startEmbeddedDynamo({ dataDir });
    const { client, store } = storeAt(dynamo.endpoint);
    try {
      expect(dynamo.repairs).toEqual([
        { table: TABLE, index: 'byUser', removed: 0, written: 1 },
        { table: TABLE, index: 'byStatus', removed: 1, written: 1 },
      ]);
      expect((await store.getOrder(first.id))?.status).toBe('PLACED');
      expect(await viewOf(store, userId, 'PLACED')).toEqual({ mine: [listed], queue: [listed] });
      expect((await viewOf(store, userId, 'PREPARING')).queue).toEqual([]);
    } finally {
      client.destroy();
      await dynamo.stop();
    }
  });

  it('marks a clean stop, and finds nothing to repair in a store killed while idle', async () => {
    const { dataDir } = await storeWithOneOrder('u_clean');
    await expect(readFile(path.join(dataDir, CLEAN_STOP_FILE), 'utf8')).resolves.toBe('');
    const dynamo = await startEmbeddedDynamo({ dataDir });
    expect(dynamo.repairs).toEqual([]);
    // Open, the store is not known to be clean: a kill now leads to a check at the next start.
    await expect(readFile(path.join(dataDir, CLEAN_STOP_FILE))).rejects.toThrow();
    await dynamo.stop();
    await rm(path.join(dataDir, CLEAN_STOP_FILE));
    const checked = await startEmbeddedDynamo({ dataDir });
    expect(checked.repairs).toEqual([]);
    await checked.stop();
  });
});
