/**
 * Bounds on every client input that ends up in a DynamoDB key, checked before the store is
 * called. DynamoDB refuses a partition key over 2,048 bytes and a sort key over 1,024 (UTF-8)
 * with a ValidationException; each bound here, with the key's prefix, stays far below, so a
 * request the bounds admit builds a key DynamoDB accepts (limits.test.ts proves it per key).
 *
 * | input                       | where it goes                          | bound                          |
 * | --------------------------- | -------------------------------------- | ------------------------------ |
 * | order id (path)             | pk `ORDER#<id>`                        | `o_` + 1 to 64 of [A-Za-z0-9_-] |
 * | product id (path, body)     | sk `PRODUCT#<id>`                      | 1 to 64 of [a-z0-9-]           |
 * | token subject (`sub`)       | pk `USER#<sub>`, gsi1pk `USER#<sub>`   | 1 to 512 UTF-8 bytes           |
 * | idempotency key (header)    | hashed into the order id               | 1 to 128 of [A-Za-z0-9_.:-]    |
 * | e-mail address (body)       | HMAC'd into the user id                | 254 characters                 |
 * | cursor (query)              | a sort key bound of a Query            | 2,048 characters, keys < 200   |
 *
 * Imports only types.ts, so it is as safe to import anywhere.
 */
import { Limits } from './types.ts';

/** DynamoDB's own limits, in UTF-8 bytes. */
export const DynamoDbLimits = {
  partitionKeyBytes: 2048,
  sortKeyBytes: 1024,
  itemBytes: 400 * 1024,
} as const;

export const KeyInputBounds = {
  orderIdChars: 64,
  productIdChars: 64,
  subjectBytes: 512,
  idempotencyKeyChars: Limits.maxIdempotencyKeyLength,
  emailChars: Limits.maxEmailLength,
  cursorChars: 2048,
  /** A sort key carried inside a cursor (`<createdAt>#<orderId>` when the service issued it). */
  cursorKeyChars: 199,
} as const;

/** The ids `orderIdFor` makes (and any other id of the same shape): anything else cannot exist. */
export const ORDER_ID = new RegExp(`^o_[A-Za-z0-9_-]{1,${KeyInputBounds.orderIdChars}}$`);
export const PRODUCT_ID = new RegExp(`^[a-z0-9][a-z0-9-]{0,${KeyInputBounds.productIdChars - 1}}$`);
export const IDEMPOTENCY_KEY = new RegExp(`^[A-Za-z0-9_.:-]{1,${KeyInputBounds.idempotencyKeyChars}}$`);

/** The length of `value` in UTF-8, as DynamoDB counts it (a lone surrogate is 3 bytes, as U+FFFD). */
export function utf8Bytes(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** True when `id` could be an order's id; a path id that is not cannot name an order (404). */
export function isOrderId(id: string): boolean {
  return ORDER_ID.test(id);
}

/** True when `sub` is a token subject the store can key a user by. */
export function isSubject(sub: unknown): sub is string {
  return typeof sub === 'string' && sub.length > 0 && utf8Bytes(sub) <= KeyInputBounds.subjectBytes;
}
