/**
 * Reads orders straight from DynamoDB for the invariants, with its own SDK client and no
 * fault proxy in between. It uses the table design (table-schema.ts), not the service's
 * store code, so a bug in the store cannot hide itself from the check that audits it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type Order, Indexes, KeyAttributes } from '../service/catalog/index.ts';

/** A secondary index: its name and key attributes. */
export interface IndexShape {
  name: string;
  partitionKey: string;
  sortKey: string;
}

export interface StoreReader {
  getOrder(orderId: string): Promise<Order | undefined>;
  /** Every order of the user, through the byUser index (all pages). */
  listUserOrders(userId: string): Promise<Order[]>;
  /** The table's key attributes (partition, sort) and its secondary indexes. */
  readonly keyAttributes: readonly [string, string];
  readonly indexes: readonly IndexShape[];
  /** Every item of the table, or of one of its indexes: full scans, for an audit after a run. */
  scan(indexName?: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

export interface StoreReaderOptions {
  endpoint?: string;
  region?: string;
  tableName: string;
}

const ORDER_FIELDS = [
  'id',
  'userId',
  'items',
  'total',
  'currency',
  'status',
  'note',
  'version',
  'createdAt',
  'updatedAt',
] as const;

function toOrder(item: Record<string, unknown>): Order {
  const order: Record<string, unknown> = {};
  for (const field of ORDER_FIELDS) if (item[field] !== undefined) order[field] = item[field];
  return order as unknown as Order;
}

export function createStoreReader({ endpoint, region = 'us-east-1', tableName }: StoreReaderOptions): StoreReader {
  const isLocal = endpoint !== undefined && /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(endpoint);
  const client = new DynamoDBClient({
    region,
    maxAttempts: 5,
    ...(endpoint ? { endpoint } : {}),
    ...(isLocal ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  const doc = DynamoDBDocumentClient.from(client);
  return {
    keyAttributes: [KeyAttributes.Partition, KeyAttributes.Sort],
    indexes: Object.values(Indexes).map(({ name, partitionKey, sortKey }) => ({ name, partitionKey, sortKey })),
    async scan(indexName) {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(
          new ScanCommand({
            TableName: tableName,
            ...(indexName ? { IndexName: indexName } : { ConsistentRead: true }),
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (start);
      return items;
    },
    async getOrder(orderId) {
      const out = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: { [KeyAttributes.Partition]: `ORDER#${orderId}`, [KeyAttributes.Sort]: 'ORDER' },
          ConsistentRead: true,
        }),
      );
      return out.Item ? toOrder(out.Item) : undefined;
    },
    async listUserOrders(userId) {
      const orders: Order[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: Indexes.ByUser.name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': Indexes.ByUser.partitionKey },
            ExpressionAttributeValues: { ':pk': `USER#${userId}` },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) orders.push(toOrder(item));
        start = out.LastEvaluatedKey;
      } while (start);
      return orders;
    },
    close() {
      client.destroy();
    },
  };
}
