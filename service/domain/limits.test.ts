/** The key bounds: each input at its bound, with its key's prefix, fits DynamoDB's key limits. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbLimits,
  IDEMPOTENCY_KEY,
  isOrderId,
  isSubject,
  KeyInputBounds,
  ORDER_ID,
  PRODUCT_ID,
  utf8Bytes,
} from './limits.ts';

/** The widest UTF-8 a UTF-16 code unit can take (a lone surrogate or a BMP character: 3 bytes). */
const WIDEST_UNIT_BYTES = 3;

describe('key bounds', () => {
  it('counts UTF-8 bytes as Buffer does, surrogate pairs and lone surrogates included', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'grapheme' }),
          fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) }),
        ),
        (s) => {
          expect(utf8Bytes(s)).toBe(Buffer.byteLength(s, 'utf8'));
        },
      ),
    );
  });

  it('keeps every key built from a bounded input within DynamoDB limits', () => {
    const partitionKeys = [
      `ORDER#o_${'x'.repeat(KeyInputBounds.orderIdChars)}`,
      `USER#${'x'.repeat(KeyInputBounds.subjectBytes)}`,
    ];
    for (const key of partitionKeys) expect(utf8Bytes(key)).toBeLessThanOrEqual(DynamoDbLimits.partitionKeyBytes);
    const sortKeys = [
      `PRODUCT#${'x'.repeat(KeyInputBounds.productIdChars)}`,
      'é'.repeat(KeyInputBounds.cursorKeyChars),
    ];
    for (const key of sortKeys) expect(utf8Bytes(key)).toBeLessThanOrEqual(DynamoDbLimits.sortKeyBytes);
    expect(KeyInputBounds.cursorKeyChars * WIDEST_UNIT_BYTES).toBeLessThanOrEqual(DynamoDbLimits.sortKeyBytes);
  });

  it('admits ids and keys up to their bounds and nothing past them', () => {
    expect(isOrderId(`o_${'A'.repeat(KeyInputBounds.orderIdChars)}`)).toBe(true);
    expect(isOrderId(`o_${'A'.repeat(KeyInputBounds.orderIdChars + 1)}`)).toBe(false);
    expect(isOrderId('o_')).toBe(false);
    expect(isOrderId(`o_${crypto.randomUUID()}`)).toBe(true);
    expect(ORDER_ID.test('o_a/b')).toBe(false);
    expect(PRODUCT_ID.test('x'.repeat(KeyInputBounds.productIdChars))).toBe(true);
    expect(PRODUCT_ID.test('x'.repeat(KeyInputBounds.productIdChars + 1))).toBe(false);
    expect(IDEMPOTENCY_KEY.test('k'.repeat(KeyInputBounds.idempotencyKeyChars))).toBe(true);
    expect(IDEMPOTENCY_KEY.test('k'.repeat(KeyInputBounds.idempotencyKeyChars + 1))).toBe(false);
    expect(isSubject('é'.repeat(KeyInputBounds.subjectBytes / 2))).toBe(true);
    expect(isSubject('é'.repeat(KeyInputBounds.subjectBytes / 2 + 1))).toBe(false);
    for (const sub of ['', 42, null, undefined, ['a'], { s: 'a' }])
      expect(isSubject(sub), JSON.stringify(sub)).toBe(false);
  });
});
