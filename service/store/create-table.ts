/**
 * Creates the table for an embedded or local endpoint and waits until it is ACTIVE. In AWS
 * the CDK app owns the table (infra/), and the service never calls a control-plane API there.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Indexes, KeyAttributes } from './table-schema.ts';

export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'exists'> {
  const S = 'S' as const;
  const index = (i: (typeof Indexes)[keyof typeof Indexes]) => ({
    IndexName: i.name,
    KeySchema: [
      { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: i.projection },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          KeyAttributes.Partition,
          KeyAttributes.Sort,
          Indexes.ByUser.partitionKey,
          Indexes.ByUser.sortKey,
          Indexes.ByStatus.partitionKey,
          Indexes.ByStatus.sortKey,
        ].map((AttributeName) => ({ AttributeName, AttributeType: S })),
        KeySchema: [
          { AttributeName: KeyAttributes.Partition, KeyType: 'HASH' },
          { AttributeName: KeyAttributes.Sort, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [index(Indexes.ByUser), index(Indexes.ByStatus)],
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
    await untilActive(client, tableName);
    return 'exists';
  }
  await untilActive(client, tableName);
  return 'created';
}

/**
 * A new table is CREATING until it is not: dynalite makes it ACTIVE on a timer of its own,
 * and a write that arrives first is refused with ResourceNotFoundException (seen once the
 * store ran in its own thread). DynamoDB Local and real DynamoDB need the wait as well.
 */
async function untilActive(client: DynamoDBClient, tableName: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline)
      throw new Error(`the table ${tableName} is still ${Table?.TableStatus ?? 'missing'} after ${timeoutMs / 1000} s`);
    await sleep(10);
  }
}
