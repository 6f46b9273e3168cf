import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TABLE_NAME } from '../service/catalog/index.ts';
import { createDynamoClient } from '../service/index.ts';
import { serviceEnv, startRawTarget, startServiceTarget, withStoreApart, type BenchTarget } from './start-targets.ts';

const started: BenchTarget[] = [];
async function keep(target: Promise<BenchTarget>): Promise<BenchTarget> {
  const t = await target;
  started.push(t);
  return t;
}

afterAll(async () => {
  await Promise.allSettled(started.map((t) => t.stop()));
});

describe('bench targets', () => {
  it("raw-menu sends the service's GET /menu answer, and answers a load run's health check", async () => {
    const [service, raw] = await Promise.all([
      keep(startServiceTarget('off', serviceEnv('off', 'http://127.0.0.1:9', '/nowhere'))),
      keep(startRawTarget('raw-menu')),
    ]);
    expect(service.token).toEqual(expect.any(String));
    const [fromService, fromRaw] = await Promise.all([fetch(`${service.url}/menu`), fetch(`${raw.url}/menu`)]);
    expect(fromRaw.status).toBe(200);
    // The same bytes but for the seeding time each store gave its menu.
    const seeded = (text: string) => text.replace(/"updatedAt":"[^"]+"/g, '"updatedAt":"T"');
    const [rawBody, serviceBody] = [await fromRaw.text(), await fromService.text()];
    expect(seeded(rawBody)).toBe(seeded(serviceBody));
    expect(rawBody.length).toBe(serviceBody.length);
    const headNames = (r: Response) =>
      [...r.headers.keys()]
        .filter((name) => !['date', 'connection', 'keep-alive', 'etag', 'vary'].includes(name))
        .sort();
    expect(headNames(fromRaw)).toEqual(headNames(fromService));
    expect((await fetch(`${raw.url}/health`)).status).toBe(200);
    expect((await fetch(`${raw.url}/orders`)).status).toBe(404);
  });

  it('raw-put stores an order and stops on SIGTERM', async () => {
    const raw = await keep(startRawTarget('raw-put'));
    const res = await fetch(`${raw.url}/orders`, {
      method: 'POST',
      body: JSON.stringify({ items: [{ productId: 'latte', quantity: 2 }] }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { created: boolean }).created).toBe(true);
    await raw.stop();
    expect(() => process.kill(raw.pid, 0)).toThrow();
  });

  it('puts a target on a store process of its own, which stops with it', async () => {
    let endpoint = '';
    const raw = await keep(
      withStoreApart((storeEndpoint) => ((endpoint = storeEndpoint), startRawTarget('raw-put', storeEndpoint))),
    );
    expect(raw.companionPids).toHaveLength(1);
    const res = await fetch(`${raw.url}/orders`, {
      method: 'POST',
      body: JSON.stringify({ items: [{ productId: 'latte', quantity: 2 }] }),
    });
    expect(res.status).toBe(201);
    // The order is in the store apart: its table there holds the item.
    const client = createDynamoClient({ endpoint });
    try {
      const scan = await client.send(new ScanCommand({ TableName: DEFAULT_TABLE_NAME, Select: 'COUNT' }));
      expect(scan.Count).toBeGreaterThan(0);
    } finally {
      client.destroy();
    }
    await raw.stop();
    for (const pid of [raw.pid, ...raw.companionPids!]) expect(() => process.kill(pid, 0)).toThrow();
  });
});
