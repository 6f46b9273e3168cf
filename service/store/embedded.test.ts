/** The embedded DynamoDB in its worker thread: on disk across restarts, a clean stop, a clear error. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTable } from './create-table.ts';
import { createDynamoClient } from './dynamo-client.ts';
import { startEmbeddedDynamo } from './embedded.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the embedded DynamoDB', () => {
  it('keeps what was written on disk across a stop and a start in a new thread', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'coffee-embedded-'));
    dirs.push(dataDir);
    const first = await startEmbeddedDynamo({ dataDir });
    const client = createDynamoClient({ endpoint: first.endpoint });
    await ensureTable(client, 'coffee-cloud');
    await client.send(
      new PutItemCommand({
        TableName: 'coffee-cloud',
        Item: { pk: { S: 'ORDER#1' }, sk: { S: 'ORDER' }, total: { N: '420' } },
      }),
    );
    client.destroy();
    await first.stop();
    await first.stop(); // a second stop is the same stop
    await expect(fetch(first.endpoint, { method: 'POST' })).rejects.toThrow();

    const second = await startEmbeddedDynamo({ dataDir });
    const again = createDynamoClient({ endpoint: second.endpoint });
    try {
      expect((await again.send(new DescribeTableCommand({ TableName: 'coffee-cloud' }))).Table?.TableStatus).toBe(
        'ACTIVE',
      );
      const { Item } = await again.send(
        new GetItemCommand({ TableName: 'coffee-cloud', Key: { pk: { S: 'ORDER#1' }, sk: { S: 'ORDER' } } }),
      );
      expect(Item?.total).toEqual({ N: '420' });
    } finally {
      again.destroy();
      await second.stop();
    }
  });

  it('says which address it could not listen on', async () => {
    const running = await startEmbeddedDynamo();
    try {
      const port = Number(new URL(running.endpoint).port);
      await expect(startEmbeddedDynamo({ port })).rejects.toThrow(
        `the embedded DynamoDB could not listen on 127.0.0.1:${port}: `,
      );
    } finally {
      await running.stop();
    }
  });
});
