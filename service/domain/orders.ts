/**
 * Order rules that do not depend on HTTP or DynamoDB: pricing from the menu, the
 * deterministic order id of an idempotency key, the canonical request hash, and who may
 * move an order to which status.
 */
import { createHash } from 'node:crypto';
import { ConflictError, ErrorCodes, ForbiddenError, ValidationError, type FieldError } from '../errors.ts';
import {
  CURRENCY,
  Roles,
  TRANSITIONS,
  type Order,
  type OrderItem,
  type OrderStatus,
  type Product,
  type Role,
  type Size,
} from './types.ts';

export interface OrderRequest {
  items: { productId: string; quantity: number; size?: Size | undefined }[];
  note?: string | undefined;
}

export interface Principal {
  sub: string;
  role: Role;
}

/**
 * The id of the order an idempotency key creates, for one user. Deterministic, so a
 * retried request finds the order its first attempt wrote (a conditional put decides).
 */
export function orderIdFor(userId: string, idempotencyKey: string): string {
  return `o_${createHash('sha256').update(`${userId}\u0000${idempotencyKey}`).digest('base64url').slice(0, 24)}`;
}

/** Hash of the request's meaning (not its bytes): the same order in other JSON spacing is the same request. */
export function requestHash(request: OrderRequest): string {
  const canonical = JSON.stringify({
    items: request.items.map((i) => [i.productId, i.quantity, i.size ?? null]),
    note: request.note ?? null,
  });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** The size used when the request names none: medium when offered, else the first size offered. */
function defaultSize(product: Product): Size | undefined {
  if (product.prices.medium !== undefined) return 'medium';
  return (Object.keys(product.prices) as Size[])[0];
}

/** Prices every item from the menu; unknown, unavailable or unsized products are named per item. */
export function priceItems(
  request: OrderRequest,
  menu: ReadonlyMap<string, Product>,
): { items: OrderItem[]; total: number } {
  const errors: FieldError[] = [];
  const items: OrderItem[] = [];
  request.items.forEach((requested, index) => {
    const product = menu.get(requested.productId);
    const field = `items.${index}`;
    if (!product) {
      errors.push({ field: `${field}.productId`, message: `no product '${requested.productId}' on the menu` });
      return;
    }
    if (!product.available) {
      errors.push({ field: `${field}.productId`, message: `'${product.id}' is not available right now` });
      return;
    }
    const size = requested.size ?? defaultSize(product);
    const unitPrice = size === undefined ? undefined : product.prices[size];
    if (size === undefined || unitPrice === undefined) {
      const offered = Object.keys(product.prices).join(', ');
      errors.push({ field: `${field}.size`, message: `'${product.id}' comes in ${offered}, not ${requested.size}` });
      return;
    }
    items.push({ productId: product.id, name: product.name, size, quantity: requested.quantity, unitPrice });
  });
  if (errors.length > 0) throw new ValidationError(errors);
  return { items, total: items.reduce((sum, i) => sum + i.unitPrice * i.quantity, 0) };
}

export function newOrder(
  id: string,
  userId: string,
  request: OrderRequest,
  menu: ReadonlyMap<string, Product>,
  now: string,
): Order {
  const { items, total } = priceItems(request, menu);
  const order: Order = {
    id,
    userId,
    items,
    total,
    currency: CURRENCY,
    status: 'PLACED',
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  if (request.note !== undefined) order.note = request.note;
  return order;
}

/** Who may read an order: its owner, or a barista. */
export function canRead(principal: Principal, order: Order): boolean {
  return principal.role === Roles.Barista || order.userId === principal.sub;
}

/**
 * Checks a requested status change. A customer may only cancel their own order; a barista
 * moves orders along the line. An illegal transition is a conflict with the order's state.
 */
export function authorizeTransition(principal: Principal, order: Order, to: OrderStatus): void {
  if (principal.role !== Roles.Barista && order.userId !== principal.sub) {
    throw new ForbiddenError('Only the owner or a barista may change this order');
  }
  const allowed = TRANSITIONS[order.status][to];
  if (allowed === undefined) {
    throw new ConflictError(ErrorCodes.IllegalTransition, `An order cannot go from ${order.status} to ${to}`);
  }
  if (allowed !== principal.role) {
    throw new ForbiddenError(`Only a ${allowed} may move an order from ${order.status} to ${to}`);
  }
}
