/**
 * Input schemas (zod) and the helpers that turn a body or a query into typed input or a
 * 400 that names every offending field. Unknown fields are rejected, not ignored, so a
 * client's typo (`quantitiy`) is an error it can see.
 */
import { z } from 'zod';
import { KeyInputBounds, PRODUCT_ID } from '../domain/limits.ts';
import { Limits, ORDER_STATUSES, Roles, SIZES } from '../domain/types.ts';
import { ValidationError, type FieldError } from '../errors.ts';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text a person typed: no control characters, no lone surrogates. */
const text = (max: number) =>
  z
    .string()
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !LONE_SURROGATE.test(s), { error: 'must be well-formed Unicode' })
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), {
      error: 'must not contain control characters',
    });

const name = text(Limits.maxNameLength).refine((s) => s.trim().length > 0, { error: 'must not be empty' });
export { PRODUCT_ID };
const productId = z.string().regex(PRODUCT_ID, { error: 'must be 1 to 64 lowercase letters, digits or dashes' });
const cents = z
  .int({ error: 'must be an integer number of cents' })
  .min(1, { error: 'must be at least 1' })
  .max(1_000_000, { error: 'must be at most 1000000' });

export const CreateUserBody = z.strictObject({
  email: z
    .email({ error: 'must be an e-mail address' })
    .max(KeyInputBounds.emailChars, { error: `must be at most ${KeyInputBounds.emailChars} characters` }),
  name,
});

export const DevTokenBody = z.strictObject({
  sub: z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, { error: 'must be 1 to 128 letters, digits or _.:@-' }),
  role: z.enum([Roles.Customer, Roles.Barista], { error: `must be '${Roles.Customer}' or '${Roles.Barista}'` }),
});

export const CreateOrderBody = z.strictObject({
  items: z
    .array(
      z.strictObject({
        productId,
        quantity: z
          .int({ error: 'must be an integer' })
          .min(1, { error: 'must be at least 1' })
          .max(Limits.maxQuantity, { error: `must be at most ${Limits.maxQuantity}` }),
        size: z.enum(SIZES, { error: `must be one of ${SIZES.join(', ')}` }).optional(),
      }),
      { error: 'must be an array of items' },
    )
    .min(1, { error: 'must have at least one item' })
    .max(Limits.maxItemsPerOrder, { error: `must have at most ${Limits.maxItemsPerOrder} items` }),
  note: text(Limits.maxNoteLength).optional(),
});

export const ChangeStatusBody = z.strictObject({
  status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }),
});

export const PutProductBody = z.strictObject({
  name,
  category: z.string().regex(/^[a-z][a-z-]{0,31}$/, { error: 'must be 1 to 32 lowercase letters or dashes' }),
  description: text(500).optional(),
  prices: z
    .strictObject({ small: cents.optional(), medium: cents.optional(), large: cents.optional() })
    .refine((p) => Object.values(p).some((v) => v !== undefined), { error: 'must price at least one size' }),
  available: z.boolean({ error: 'must be true or false' }),
});

export const PageQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(Limits.maxPageSize, { error: `must be at most ${Limits.maxPageSize}` })
    .default(Limits.defaultPageSize),
  cursor: z
    .string()
    .max(KeyInputBounds.cursorChars, { error: `must be at most ${KeyInputBounds.cursorChars} characters` })
    .optional(),
});

export const QueueQuery = PageQuery.extend({
  status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }).default('PLACED'),
});

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function fieldErrors(error: z.ZodError, input: unknown, prefix: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: [path, key].filter(Boolean).join('.'),
        message: 'is not a known field',
      }));
    }
    if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
      return [{ field: path || '(body)', message: path ? 'is required' : 'must be a JSON object' }];
    }
    return [{ field: path || '(body)', message: path ? issue.message : 'must be a JSON object' }];
  });
}

/** Parses `input` with `schema`, or throws a 400 naming every offending field. */
export function parse<T extends z.ZodType>(schema: T, input: unknown, prefix = ''): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(fieldErrors(result.error, input, prefix));
}
