/**
 * The order store: products, users and orders in one DynamoDB table (see table-schema.ts).
 *
 * Idempotency comes from deterministic keys and conditional writes, optimistic concurrency
 * from a `version` attribute; no transactions and no Scan on a request path. Every SDK
 * error leaves this module as an `AppError` (see errors.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type GetCommandOutput,
  type PutCommandOutput,
  type QueryCommandOutput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { CallScope } from '../call-scope.ts';
import type { Order, OrderStatus, Page, Product, User } from '../domain/types.ts';
import { ConflictError, ErrorCodes, ValidationError } from '../errors.ts';
import { Indexes, KeyAttributes, STATUS_SHARDS } from './table-schema.ts';
import { isConditionalCheckFailed, toStoreError } from './errors.ts';

const MENU_PK = 'MENU';
const PRODUCT_SK = 'PRODUCT#';
const PROFILE_SK = 'PROFILE';
const ORDER_SK = 'ORDER';
const HEALTH_KEY = { [KeyAttributes.Partition]: 'HEALTH', [KeyAttributes.Sort]: 'PING' };

/** What the store keeps beside an order to recognise a retried request. */
export interface StoredOrder {
  order: Order;
  /** Hash of the canonical request body the order was created from. */
  requestHash: string;
}

export type CreateOrderResult = { created: true; order: Order } | { created: false; existing: StoredOrder };

export interface StatusChange {
  orderId: string;
  from: OrderStatus;
  to: OrderStatus;
  expectedVersion: number;
  at: string;
}

export interface Store {
  /** One cheap read that proves the table answers (readiness). */
  ping(): Promise<void>;
  listProducts(): Promise<Product[]>;
  getProduct(id: string): Promise<Product | undefined>;
  putProduct(product: Product): Promise<void>;
  /** Creates a user; a user with the same id exists -> 409 `email_taken`. */
  createUser(user: User): Promise<void>;
  getUser(id: string): Promise<User | undefined>;
  /** Creates the order unless its (deterministic) id exists; then returns what is stored. */
  createOrder(order: Order, requestHash: string): Promise<CreateOrderResult>;
  getOrder(id: string): Promise<Order | undefined>;
  /** Applies a status change when the stored version and status still match, else 409. */
  changeStatus(change: StatusChange): Promise<Order>;
  listOrdersByUser(userId: string, limit: number, cursor?: string): Promise<Page<Order>>;
  /** Oldest first (a queue), merged across the status index's shards. */
  listOrdersByStatus(status: OrderStatus, limit: number, cursor?: string): Promise<Page<Order>>;
  /** The same store, its calls made for `scope`'s request (their spans are its children). */
  within(scope: CallScope): Store;
}

/** A store bound to one request (`within`'s result as route handlers see it): it cannot be re-scoped. */
export type ScopedStore = Omit<Store, 'within'>;

export interface StoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

/** The shard of the status index an order lives in: a stable hash of its id. */
export function statusShard(orderId: string): number {
  let hash = 0;
  for (let i = 0; i < orderId.length; i++) hash = (hash * 31 + orderId.charCodeAt(i)) | 0;
  return Math.abs(hash) % STATUS_SHARDS;
}

const orderKey = (id: string) => ({ [KeyAttributes.Partition]: `ORDER#${id}`, [KeyAttributes.Sort]: ORDER_SK });
const userKey = (id: string) => ({ [KeyAttributes.Partition]: `USER#${id}`, [KeyAttributes.Sort]: PROFILE_SK });
const productKey = (id: string) => ({ [KeyAttributes.Partition]: MENU_PK, [KeyAttributes.Sort]: `${PRODUCT_SK}${id}` });
const statusKey = (status: OrderStatus, shard: number) => `STATUS#${status}#${shard}`;
const sortKey = (order: Order) => `${order.createdAt}#${order.id}`;

function orderItem(order: Order, requestHash: string): Record<string, unknown> {
  return {
    ...orderKey(order.id),
    [Indexes.ByUser.partitionKey]: `USER#${order.userId}`,
    [Indexes.ByUser.sortKey]: sortKey(order),
    [Indexes.ByStatus.partitionKey]: statusKey(order.status, statusShard(order.id)),
    [Indexes.ByStatus.sortKey]: sortKey(order),
    entity: 'order',
    requestHash,
    ...order,
  };
}

function toOrder(item: Record<string, unknown>): Order {
  const order: Order = {
    id: item.id as string,
    userId: item.userId as string,
    items: item.items as Order['items'],
    total: item.total as number,
    currency: item.currency as string,
    status: item.status as OrderStatus,
    version: item.version as number,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
  if (typeof item.note === 'string') order.note = item.note;
  return order;
}

function toProduct(item: Record<string, unknown>): Product {
  return {
    id: item.id as string,
    name: item.name as string,
    category: item.category as string,
    description: item.description as string,
    prices: item.prices as Product['prices'],
    available: item.available as boolean,
    updatedAt: item.updatedAt as string,
  };
}

function toUser(item: Record<string, unknown>): User {
  return {
    id: item.id as string,
    email: item.email as string,
    name: item.name as string,
    role: item.role as User['role'],
    createdAt: item.createdAt as string,
  };
}

/** True when the SDK made more than one attempt before this error. */
function retried(error: unknown): boolean {
  return ((error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) > 1;
}

/** Opaque cursors: base64url JSON. A cursor that does not decode is the client's fault (400). */
function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through
  }
  throw new ValidationError([{ field: 'cursor', message: 'is not a cursor this service issued' }]);
}

type UserCursor = { k: string };
const isUserCursor = (v: unknown): v is UserCursor =>
  typeof v === 'object' && v !== null && typeof (v as UserCursor).k === 'string' && (v as UserCursor).k.length < 200;

/** Per shard: the sort key last handed out, or null when the shard is exhausted. */
type StatusCursor = { s: (string | null | 0)[] };
const isStatusCursor = (v: unknown): v is StatusCursor =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as StatusCursor).s) &&
  (v as StatusCursor).s.length === STATUS_SHARDS &&
  (v as StatusCursor).s.every((x) => x === null || x === 0 || (typeof x === 'string' && x.length < 200));

/** The document client's `send` for the commands the store uses. */
interface Send {
  (command: GetCommand): Promise<GetCommandOutput>;
  (command: PutCommand): Promise<PutCommandOutput>;
  (command: QueryCommand): Promise<QueryCommandOutput>;
  (command: UpdateCommand): Promise<UpdateCommandOutput>;
}
type StoreCommand = GetCommand | PutCommand | QueryCommand | UpdateCommand;

export function createStore({ client, tableName }: StoreOptions): Store {
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return storeOn(doc, tableName, ((command: StoreCommand) => doc.send(command as GetCommand)) as Send);
}

/**
 * The store's operations over one `send`. A request's store (`within`) sends each command
 * inside the request's scope: the SDK runs the instrumentation middleware synchronously
 * within `send`, where it reads the parent span (see telemetry/dynamo.ts).
 */
function storeOn(doc: DynamoDBDocumentClient, TableName: string, send: Send): Store {
  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async function getOrderItem(id: string, consistent: boolean): Promise<Record<string, unknown> | undefined> {
    const out = await call(() => send(new GetCommand({ TableName, Key: orderKey(id), ConsistentRead: consistent })));
    return out.Item;
  }

  return {
    within(scope) {
      return storeOn(doc, TableName, ((command: StoreCommand) => scope.run(() => doc.send(command as GetCommand))) as Send);
    },

    async ping() {
      await call(() => send(new GetCommand({ TableName, Key: HEALTH_KEY })));
    },

    async listProducts() {
      const products: Product[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await call(() =>
          send(
            new QueryCommand({
              TableName,
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
    },

    async getProduct(id) {
      const out = await call(() => send(new GetCommand({ TableName, Key: productKey(id) })));
      return out.Item ? toProduct(out.Item) : undefined;
    },

    async putProduct(product) {
      await call(() => send(new PutCommand({ TableName, Item: { ...productKey(product.id), entity: 'product', ...product } })));
    },

    async createUser(user) {
      try {
        await send(
          new PutCommand({
            TableName,
            Item: { ...userKey(user.id), entity: 'user', ...user },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': KeyAttributes.Partition },
          }),
        );
      } catch (error) {
        if (isConditionalCheckFailed(error)) {
          // A retried attempt can fail its condition on the write of an earlier attempt
          // whose answer was lost (a reset connection): that profile is ours, not a duplicate.
          if (retried(error)) {
            const out = await call(() => send(new GetCommand({ TableName, Key: userKey(user.id), ConsistentRead: true })));
            if (out.Item && out.Item.createdAt === user.createdAt && out.Item.email === user.email && out.Item.name === user.name) return;
          }
          throw new ConflictError(ErrorCodes.EmailTaken, 'A customer with this e-mail address is already registered');
        }
        throw toStoreError(error);
      }
    },

    async getUser(id) {
      const out = await call(() => send(new GetCommand({ TableName, Key: userKey(id) })));
      return out.Item ? toUser(out.Item) : undefined;
    },

    async createOrder(order, requestHash) {
      try {
        await send(
          new PutCommand({
            TableName,
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
      const item = await getOrderItem(order.id, true);
      if (!item) throw toStoreError(new Error('order vanished after a failed condition'));
      return { created: false, existing: { order: toOrder(item), requestHash: item.requestHash as string } };
    },

    async getOrder(id) {
      const item = await getOrderItem(id, false);
      return item ? toOrder(item) : undefined;
    },

    async changeStatus({ orderId, from, to, expectedVersion, at }) {
      try {
        const out = await send(
          new UpdateCommand({
            TableName,
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
          }),
        );
        return toOrder(out.Attributes ?? {});
      } catch (error) {
        if (isConditionalCheckFailed(error)) {
          // As in createUser: a retry that finds its own earlier write applied succeeded.
          if (retried(error)) {
            const item = await getOrderItem(orderId, true);
            if (item && item.status === to && item.version === expectedVersion + 1 && item.updatedAt === at) return toOrder(item);
          }
          throw new ConflictError(ErrorCodes.VersionMismatch, 'The order changed since you read it; read it again and retry');
        }
        throw toStoreError(error);
      }
    },

    async listOrdersByUser(userId, limit, cursor) {
      const after = cursor ? decodeCursor(cursor, isUserCursor).k : undefined;
      const out = await call(() =>
        send(
          new QueryCommand({
            TableName,
            IndexName: Indexes.ByUser.name,
            KeyConditionExpression: after ? '#pk = :pk AND #sk < :after' : '#pk = :pk',
            // DynamoDB rejects a name the expression does not use: name the sort key only with a cursor.
            ExpressionAttributeNames: after ? { '#pk': Indexes.ByUser.partitionKey, '#sk': Indexes.ByUser.sortKey } : { '#pk': Indexes.ByUser.partitionKey },
            ExpressionAttributeValues: after ? { ':pk': `USER#${userId}`, ':after': after } : { ':pk': `USER#${userId}` },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      );
      const items = (out.Items ?? []).map(toOrder);
      const last = items.at(-1);
      return out.LastEvaluatedKey && last ? { items, cursor: encodeCursor({ k: sortKey(last) }) } : { items };
    },

    async listOrdersByStatus(status, limit, cursor) {
      // Each shard position: undefined = from the start, string = after that sort key,
      // null = exhausted.
      const positions: (string | null | undefined)[] = cursor
        ? decodeCursor(cursor, isStatusCursor).s.map((p) => (p === 0 ? undefined : p))
        : Array.from({ length: STATUS_SHARDS }, () => undefined);
      const pages = await Promise.all(
        positions.map(async (after, shard) => {
          if (after === null) return { shard, items: [] as Record<string, unknown>[], more: false };
          const out = await call(() =>
            send(
              new QueryCommand({
                TableName,
                IndexName: Indexes.ByStatus.name,
                KeyConditionExpression: after ? '#pk = :pk AND #sk > :after' : '#pk = :pk',
                ExpressionAttributeNames: after
                  ? { '#pk': Indexes.ByStatus.partitionKey, '#sk': Indexes.ByStatus.sortKey }
                  : { '#pk': Indexes.ByStatus.partitionKey },
                ExpressionAttributeValues: after
                  ? { ':pk': statusKey(status, shard), ':after': after }
                  : { ':pk': statusKey(status, shard) },
                ScanIndexForward: true,
                Limit: limit,
              }),
            ),
          );
          return { shard, items: out.Items ?? [], more: out.LastEvaluatedKey !== undefined };
        }),
      );
      const merged = pages
        .flatMap(({ shard, items }) => items.map((item) => ({ shard, item, key: item[Indexes.ByStatus.sortKey] as string })))
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
    },
  };
}
