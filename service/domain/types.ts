/**
 * The Coffee Cloud domain: the shapes the HTTP API answers with. Imports nothing, so the
 * load tests and fault experiments can use the same types.
 */

export const Roles = {
  Customer: 'customer',
  Barista: 'barista',
} as const;
export type Role = (typeof Roles)[keyof typeof Roles];

export const OrderStatuses = {
  Placed: 'PLACED',
  Preparing: 'PREPARING',
  Ready: 'READY',
  PickedUp: 'PICKED_UP',
  Cancelled: 'CANCELLED',
} as const;
export type OrderStatus = (typeof OrderStatuses)[keyof typeof OrderStatuses];
export const ORDER_STATUSES = Object.values(OrderStatuses) as readonly OrderStatus[];

export const Sizes = {
  Small: 'small',
  Medium: 'medium',
  Large: 'large',
} as const;
export type Size = (typeof Sizes)[keyof typeof Sizes];
export const SIZES = Object.values(Sizes) as readonly Size[];

export const CURRENCY = 'EUR';

export interface Product {
  id: string;
  name: string;
  category: string;
  description: string;
  /** Price in integer cents, per size the product comes in. */
  prices: Partial<Record<Size, number>>;
  available: boolean;
  updatedAt: string;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface OrderItem {
  productId: string;
  name: string;
  size: Size;
  quantity: number;
  /** Integer cents, taken from the menu when the order was placed. */
  unitPrice: number;
}

export interface Order {
  id: string;
  userId: string;
  items: OrderItem[];
  /** Integer cents. */
  total: number;
  currency: string;
  status: OrderStatus;
  note?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A page of a listing; `cursor` is opaque and absent on the last page. */
export interface Page<T> {
  items: T[];
  cursor?: string;
}

/** Who may move an order from one status to the next. */
export const TRANSITIONS: Readonly<Record<OrderStatus, Partial<Record<OrderStatus, Role>>>> = {
  PLACED: { PREPARING: Roles.Barista, CANCELLED: Roles.Customer },
  PREPARING: { READY: Roles.Barista },
  READY: { PICKED_UP: Roles.Barista },
  PICKED_UP: {},
  CANCELLED: {},
};

/** Limits every input is held to (also the HTTP body limit). */
export const Limits = {
  maxBodyBytes: 16 * 1024,
  maxItemsPerOrder: 20,
  maxQuantity: 20,
  maxNoteLength: 280,
  maxNameLength: 100,
  maxEmailLength: 254,
  maxIdempotencyKeyLength: 128,
  maxPageSize: 100,
  defaultPageSize: 20,
} as const;
