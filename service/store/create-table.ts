/**
 * Creates the table for an embedded or local endpoint. In AWS the CDK app owns the table
 * (infra/), and the service never calls a control-plane API there.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
    return 'created';
  } catch (error) {
    if ((error as Error).name === 'ResourceInUseException') return 'exists';
    throw error;
  }
}
