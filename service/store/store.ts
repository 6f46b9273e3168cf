/**
 * The order store: products, users and orders in one DynamoDB table (see table-schema.ts).
 *
 * Idempotency comes from deterministic keys and conditional writes, optimistic concurrency
 * from a `version` attribute; no transactions and no Scan on a request path. Every SDK
 * error leaves this module as an `AppError` (see errors.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CallScope } from '../call-scope.ts';
import type { Order, OrderStatus, Page, Product, User } from '../domain/types.ts';
import { documentSend } from './documents.ts';
import { DynamoStore } from './dynamo-store.ts';

export { statusShard } from './items.ts';

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

export function createStore({ client, tableName }: StoreOptions): Store {
  return new DynamoStore(documentSend(client), tableName);
}
