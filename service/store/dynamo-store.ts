/**
 * The store over DynamoDB: one method per operation over one `send` (documents.ts). A
 * request's store (`within`) sends each command inside the request's scope: the SDK runs
 * the instrumentation middleware synchronously within `send`, where it reads the parent
 * span (see telemetry/dynamo.ts).
 */
import type { QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { CallScope } from '../call-scope.ts';
import type { Order, OrderStatus, Page, Product, User } from '../domain/types.ts';
import { ConflictError, ErrorCodes } from '../errors.ts';
import { GetItem, PutItem, Query, UpdateItem, type Send } from './documents.ts';
import { decodeCursor, encodeCursor, isStatusCursor, isUserCursor } from './cursors.ts';
import { isConditionalCheckFailed, toStoreError } from './errors.ts';
import {
  HEALTH_KEY,
  MENU_PK,
  orderItem,
  orderKey,
  PRODUCT_SK,
  productKey,
  sortKey,
  statusKey,
  statusShard,
  toOrder,
  toProduct,
  toUser,
  userKey,
} from './items.ts';
import type { CreateOrderResult, StatusChange, Store } from './store.ts';
import { Indexes, KeyAttributes, STATUS_SHARDS } from './table-schema.ts';

type Item = Record<string, unknown>;
type IndexSchema = (typeof Indexes)[keyof typeof Indexes];

/** One shard's page of the status index. */
interface ShardPage {
  shard: number;
  items: Item[];
  more: boolean;
}

/**
 * Each shard position of a status listing: undefined = from the start, string = after that sort key,
 * null = exhausted.
 */
type ShardPosition = string | null | undefined;

/** True when the SDK made more than one attempt before this error. */
function retried(error: unknown): boolean {
  return ((error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) > 1;
}

export class DynamoStore implements Store {
  /** The operations as they come, outside any request's scope. */
  readonly #direct: Send;
  readonly #table: string;
  readonly #send: Send;

  /** @param send how the store's operations go out: `direct` (work done for no request) by default */
  constructor(direct: Send, tableName: string, send: Send = direct) {
    this.#direct = direct;
    this.#table = tableName;
    this.#send = send;
  }

  within(scope: CallScope): Store {
    const direct = this.#direct;
    return new DynamoStore(direct, this.#table, ((operation: GetItem) => scope.run(() => direct(operation))) as Send);
  }

  async ping(): Promise<void> {
    await this.#call(() => this.#send(new GetItem({ TableName: this.#table, Key: HEALTH_KEY })));
  }

  async listProducts(): Promise<Product[]> {
    const products: Product[] = [];
    let start: Item | undefined;
    do {
      const out = await this.#call(() =>
        this.#send(
          new Query({
            TableName: this.#table,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': KeyAttributes.Partition, '#sk': KeyAttributes.Sort },
            ExpressionAttributeValues: { ':pk': MENU_PK, ':prefix': PRODUCT_SK },
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of out.Items ?? []) products.push(toProduct(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return products;
  }

  async getProduct(id: string): Promise<Product | undefined> {
    const out = await this.#call(() => this.#send(new GetItem({ TableName: this.#table, Key: productKey(id) })));
    return out.Item ? toProduct(out.Item) : undefined;
  }

  async putProduct(product: Product): Promise<void> {
    await this.#call(() =>
      this.#send(
        new PutItem({ TableName: this.#table, Item: { ...productKey(product.id), entity: 'product', ...product } }),
      ),
    );
  }

  async createUser(user: User): Promise<void> {
    try {
      await this.#send(
        new PutItem({
          TableName: this.#table,
          Item: { ...userKey(user.id), entity: 'user', ...user },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': KeyAttributes.Partition },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw toStoreError(error);
      // A retried attempt can fail its condition on the write of an earlier attempt
      // whose answer was lost (a reset connection): that profile is ours, not a duplicate.
      if (retried(error) && (await this.#isOwnUserWrite(user))) return;
      throw new ConflictError(ErrorCodes.EmailTaken, 'A customer with this e-mail address is already registered');
    }
  }

  async getUser(id: string): Promise<User | undefined> {
    const out = await this.#call(() => this.#send(new GetItem({ TableName: this.#table, Key: userKey(id) })));
    return out.Item ? toUser(out.Item) : undefined;
  }

  async createOrder(order: Order, requestHash: string): Promise<CreateOrderResult> {
    try {
      await this.#send(
        new PutItem({
          TableName: this.#table,
          Item: orderItem(order, requestHash),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': KeyAttributes.Partition },
        }),
      );
      return { created: true, order };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw toStoreError(error);
    }
    // The id exists: this is a retry (or a reuse) of the idempotency key.
    const item = await this.#getOrderItem(order.id, true);
    if (!item) throw toStoreError(new Error('order vanished after a failed condition'));
    return { created: false, existing: { order: toOrder(item), requestHash: item.requestHash as string } };
  }

  async getOrder(id: string): Promise<Order | undefined> {
    const item = await this.#getOrderItem(id, false);
    return item ? toOrder(item) : undefined;
  }

  async changeStatus(change: StatusChange): Promise<Order> {
    try {
      const out = await this.#send(this.#statusUpdate(change));
      return toOrder(out.Attributes ?? {});
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw toStoreError(error);
      // As in createUser: a retry that finds its own earlier write applied succeeded.
      const applied = retried(error) ? await this.#appliedChange(change) : undefined;
      if (applied) return applied;
      throw new ConflictError(
        ErrorCodes.VersionMismatch,
        'The order changed since you read it; read it again and retry',
      );
    }
  }

  async listOrdersByUser(userId: string, limit: number, cursor?: string): Promise<Page<Order>> {
    const after = cursor ? decodeCursor(cursor, isUserCursor).k : undefined;
    const out = await this.#queryIndex(Indexes.ByUser, `USER#${userId}`, after, false, limit);
    const items = (out.Items ?? []).map(toOrder);
    const last = items.at(-1);
    return out.LastEvaluatedKey && last ? { items, cursor: encodeCursor({ k: sortKey(last) }) } : { items };
  }

  async listOrdersByStatus(status: OrderStatus, limit: number, cursor?: string): Promise<Page<Order>> {
    const positions: ShardPosition[] = cursor
      ? decodeCursor(cursor, isStatusCursor).s.map((p) => (p === 0 ? undefined : p))
      : Array.from({ length: STATUS_SHARDS }, () => undefined);
    const pages = await Promise.all(positions.map((after, shard) => this.#queryShard(status, shard, after, limit)));
    return mergeShardPages(pages, positions, limit);
  }

  /** Sends with `fn`; any SDK error leaves as an `AppError`. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async #getOrderItem(id: string, consistent: boolean): Promise<Item | undefined> {
    const out = await this.#call(() =>
      this.#send(new GetItem({ TableName: this.#table, Key: orderKey(id), ConsistentRead: consistent })),
    );
    return out.Item;
  }

  /** True when the stored profile is exactly `user`: an earlier attempt of this write. */
  async #isOwnUserWrite(user: User): Promise<boolean> {
    const out = await this.#call(() =>
      this.#send(new GetItem({ TableName: this.#table, Key: userKey(user.id), ConsistentRead: true })),
    );
    return (
      out.Item !== undefined &&
      out.Item.createdAt === user.createdAt &&
      out.Item.email === user.email &&
      out.Item.name === user.name
    );
  }

  /** The order when `change` is what is stored (an earlier attempt applied it), else undefined. */
  async #appliedChange({ orderId, to, expectedVersion, at }: StatusChange): Promise<Order | undefined> {
    const item = await this.#getOrderItem(orderId, true);
    return item && item.status === to && item.version === expectedVersion + 1 && item.updatedAt === at
      ? toOrder(item)
      : undefined;
  }

  #statusUpdate({ orderId, from, to, expectedVersion, at }: StatusChange): UpdateItem {
    return new UpdateItem({
      TableName: this.#table,
      Key: orderKey(orderId),
      UpdateExpression: 'SET #status = :to, #version = :next, #updatedAt = :at, #gsi2pk = :statusKey',
      ConditionExpression: 'attribute_exists(#pk) AND #version = :expected AND #status = :from',
      ExpressionAttributeNames: {
        '#pk': KeyAttributes.Partition,
        '#status': 'status',
        '#version': 'version',
        '#updatedAt': 'updatedAt',
        '#gsi2pk': Indexes.ByStatus.partitionKey,
      },
      ExpressionAttributeValues: {
        ':to': to,
        ':from': from,
        ':expected': expectedVersion,
        ':next': expectedVersion + 1,
        ':at': at,
        ':statusKey': statusKey(to, statusShard(orderId)),
      },
      ReturnValues: 'ALL_NEW',
    });
  }

  async #queryShard(status: OrderStatus, shard: number, after: ShardPosition, limit: number): Promise<ShardPage> {
    if (after === null) return { shard, items: [], more: false };
    const out = await this.#queryIndex(Indexes.ByStatus, statusKey(status, shard), after, true, limit);
    return { shard, items: out.Items ?? [], more: out.LastEvaluatedKey !== undefined };
  }

  /** One page of an index partition, oldest first (`forward`) or newest first, after the sort key `after`. */
  #queryIndex(
    index: IndexSchema,
    partition: string,
    after: string | undefined,
    forward: boolean,
    limit: number,
  ): Promise<QueryCommandOutput> {
    return this.#call(() =>
      this.#send(
        new Query({
          TableName: this.#table,
          IndexName: index.name,
          KeyConditionExpression: after
            ? forward
              ? '#pk = :pk AND #sk > :after'
              : '#pk = :pk AND #sk < :after'
            : '#pk = :pk',
          // DynamoDB rejects a name the expression does not use: name the sort key only with a cursor.
          ExpressionAttributeNames: after
            ? { '#pk': index.partitionKey, '#sk': index.sortKey }
            : { '#pk': index.partitionKey },
          ExpressionAttributeValues: after ? { ':pk': partition, ':after': after } : { ':pk': partition },
          ScanIndexForward: forward,
          Limit: limit,
        }),
      ),
    );
  }
}

/** The oldest `limit` orders across the shards' pages, and the cursor that continues after them. */
function mergeShardPages(pages: ShardPage[], positions: ShardPosition[], limit: number): Page<Order> {
  const merged = pages
    .flatMap(({ shard, items }) =>
      items.map((item) => ({ shard, item, key: item[Indexes.ByStatus.sortKey] as string })),
    )
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, limit);
  const next = positions.slice();
  for (const { shard, key } of merged) next[shard] = key;
  for (const { shard, items, more } of pages) {
    const taken = merged.filter((m) => m.shard === shard).length;
    if (!more && taken === items.length) next[shard] = null;
  }
  const items = merged.map(({ item }) => toOrder(item));
  const done = next.every((p) => p === null);
  return done ? { items } : { items, cursor: encodeCursor({ s: next.map((p) => (p === undefined ? 0 : p)) }) };
}
