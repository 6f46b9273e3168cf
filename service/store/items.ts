/**
 * How the store's entities lie in the one table (see table-schema.ts): their keys, the
 * index attributes an order carries, and the mapping from items back to domain objects.
 */
import type { Order, OrderStatus, Product, User } from '../domain/types.ts';
import { Indexes, KeyAttributes, STATUS_SHARDS } from './table-schema.ts';

export const MENU_PK = 'MENU';
export const PRODUCT_SK = 'PRODUCT#';
const PROFILE_SK = 'PROFILE';
const ORDER_SK = 'ORDER';
export const HEALTH_KEY = { [KeyAttributes.Partition]: 'HEALTH', [KeyAttributes.Sort]: 'PING' };

/** The shard of the status index an order lives in: a stable hash of its id. */
export function statusShard(orderId: string): number {
  let hash = 0;
  for (let i = 0; i < orderId.length; i++) hash = (hash * 31 + orderId.charCodeAt(i)) | 0;
  return Math.abs(hash) % STATUS_SHARDS;
}

export const orderKey = (id: string) => ({ [KeyAttributes.Partition]: `ORDER#${id}`, [KeyAttributes.Sort]: ORDER_SK });
export const userKey = (id: string) => ({ [KeyAttributes.Partition]: `USER#${id}`, [KeyAttributes.Sort]: PROFILE_SK });
export const productKey = (id: string) => ({
  [KeyAttributes.Partition]: MENU_PK,
  [KeyAttributes.Sort]: `${PRODUCT_SK}${id}`,
});
export const statusKey = (status: OrderStatus, shard: number) => `STATUS#${status}#${shard}`;
export const sortKey = (order: Order) => `${order.createdAt}#${order.id}`;

export function orderItem(order: Order, requestHash: string): Record<string, unknown> {
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

export function toOrder(item: Record<string, unknown>): Order {
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

export function toProduct(item: Record<string, unknown>): Product {
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

export function toUser(item: Record<string, unknown>): User {
  return {
    id: item.id as string,
    email: item.email as string,
    name: item.name as string,
    role: item.role as User['role'],
    createdAt: item.createdAt as string,
  };
}
