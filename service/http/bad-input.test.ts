/**
 * Bad input, example-based and property-based (fast-check): whatever a client sends to
 * the write routes, the answer is a 4xx problem+json whose `status` repeats the HTTP
 * status, never a 5xx; and the store holds no partial order afterwards.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, Product } from '../domain/types.ts';
import { startLocalStack, type LocalStack } from '../local-stack.ts';
import {
  api,
  expectCompleteOrder,
  expectProblem,
  getMenu,
  placeOrder,
  rawRequest,
  registerCustomer,
  type RawResponse,
} from '../testing/http-client.ts';

const RUNS = 200;
const MAX_BODY = 16 * 1024;

let stack: LocalStack;
let customer: { token: string; userId: string };
let barista: string;
let menu: Map<string, Product>;
let target: Order;
/** Orders this file meant to create (201s); the store must hold exactly these for the customer. */
const intended: string[] = [];
let keySeq = 0;
const nextKey = () => `fuzz-${++keySeq}`;

beforeAll(async () => {
  stack = await startLocalStack();
  const { token, user } = await registerCustomer(stack.url, 'Fuzz Target');
  customer = { token, userId: user.id };
  barista = await stack.mintToken('barista-fuzz', 'barista');
  menu = new Map((await getMenu(stack.url)).map((p) => [p.id, p]));
  target = await placeOrder(stack.url, token, [{ productId: available()[0]!.id, quantity: 2 }]);
  intended.push(target.id);
});

afterAll(async () => {
  await stack?.stop();
});

const available = () => [...menu.values()].filter((p) => p.available);

/** The client-error contract, for fetch and raw answers alike. */
function expectClientError(
  res: { status: number; headers: Headers | RawResponse['headers']; text: string },
  context: string,
): void {
  const type = res.headers instanceof Headers ? res.headers.get('content-type') : res.headers['content-type'];
  if (res.status < 400 || res.status > 499 || !String(type).startsWith('application/problem+json')) {
    throw new Error(`${context}: expected a 4xx problem+json, got ${res.status} ${type}: ${res.text.slice(0, 300)}`);
  }
  const problem = JSON.parse(res.text) as {
    status?: unknown;
    code?: unknown;
    type?: unknown;
    title?: unknown;
    detail?: unknown;
  };
  expect(problem.status, context).toBe(res.status);
  expect(problem.code, context).toMatch(/^[a-z_]+$/);
  expect(typeof problem.type, context).toBe('string');
  expect(typeof problem.title, context).toBe('string');
  expect(typeof problem.detail, context).toBe('string');
}

// ---------------------------------------------------------------------------------------
// Arbitraries

/** JSON.stringify that never throws and always yields text. */
const serialize = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

/** A JSON text with a lone UTF-16 surrogate escaped in a string (`"\ud800"`), where JSON allows it. */
const loneSurrogate = fc.constantFrom('\\ud800', '\\udfff', '\\udbff\\u0041', 'x\\udc00y');

/** Any body text: random JSON, serialized values, raw Unicode, huge strings, truncated JSON. */
const anyBodyText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.json({ maxDepth: 2, stringUnit: 'binary' }),
  fc.anything({ maxDepth: 3, withBoxedValues: true, withNullPrototype: true }).map(serialize),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ maxLength: 100 }).map((s) => `{"${s}`),
  loneSurrogate.map((s) => `{"items":[{"productId":"${s}","quantity":1}]}`),
  loneSurrogate.map((s) => `{"note":"${s}","items":[{"productId":"latte","quantity":1}]}`),
  loneSurrogate.map((s) => `{"${s}":1}`),
  fc
    .integer({ min: 281, max: 40_000 })
    .map((n) => JSON.stringify({ note: 'é'.repeat(n), items: [{ productId: 'latte', quantity: 1 }] })),
  fc.integer({ min: 1, max: 10 }).map((n) => '['.repeat(n * 1_000)),
);

const notAnInteger = fc.oneof(
  fc.double({ noInteger: true }),
  fc.string({ maxLength: 5 }),
  fc.constantFrom(null, true, false, [], {}, '1', Number.NaN),
);
const unknownKey = (known: string[]) => fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !known.includes(k));
/** Strings a person did not type: too long, control characters, lone surrogates, wrong type. */
const badText = (max: number) =>
  fc.oneof(
    fc.integer({ min: max + 1, max: max + 5_000 }).map((n) => 'ű'.repeat(n)),
    fc.constantFrom('\u0000', 'a\u0007b', '\u001b[31m', '\ud800', 'x\udfff', '\ud83d'),
    fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
    ),
  );

/** A valid order body, built from the live menu. */
const validOrder = fc.constant(null).chain(() =>
  fc.record(
    {
      items: fc.array(
        fc.constantFrom(...available()).chain((p) =>
          fc.record(
            {
              productId: fc.constant(p.id),
              quantity: fc.integer({ min: 1, max: 20 }),
              size: fc.constantFrom(...(Object.keys(p.prices) as string[])),
            },
            { requiredKeys: ['productId', 'quantity'] },
          ),
        ),
        { minLength: 1, maxLength: 5 },
      ),
      note: fc.string({ maxLength: 50 }).filter((s) => s.trim() === s && !/[\u0000-\u001f\u007f]/.test(s)),
    },
    { requiredKeys: ['items'] },
  ),
);

/**
 * Path ids past DynamoDB's key limits (a partition key is at most 2,048 bytes, a sort key
 * 1,024): ASCII, multi-byte, and shaped like an order id, percent-encoded for the path.
 */
const overLongId = fc.oneof(
  fc.integer({ min: 1_025, max: 6_000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 1_025, max: 6_000 }).map((n) => `o_${'A'.repeat(n)}`),
  fc.integer({ min: 210, max: 700 }).map((n) => encodeURIComponent('é€'.repeat(n))),
  fc.constant(`o_${'x'.repeat(2_100)}`),
);
/** Header keys past any bound (printable ASCII, as a header carries them). */
const overLongKey = fc
  .integer({ min: 129, max: 8_000 })
  .chain((n) => fc.stringMatching(/^[A-Za-z0-9_.:-]$/).map((c) => c.repeat(n)));
/** Cursors that decode to a well-formed shape whose sort key is past the bounds (and DynamoDB's). */
const overLongCursor = fc
  .tuple(fc.integer({ min: 200, max: 1_500 }), fc.boolean())
  .map(([n, byUser]) =>
    Buffer.from(JSON.stringify(byUser ? { k: 'é'.repeat(n) } : { s: ['é'.repeat(n), 0, 0, 0] })).toString('base64url'),
  );

type Body = Record<string, unknown> & { items: Record<string, unknown>[] };
type Mutation = (body: Body) => unknown;

/** Each mutation makes a valid order body invalid in exactly one way. */
const orderMutation: fc.Arbitrary<[string, Mutation]> = fc.oneof(
  fc
    .oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.dictionary(fc.string(), fc.nat()))
    .map((v): [string, Mutation] => ['items not an array', (b) => ({ ...b, items: v })]),
  fc.constant<[string, Mutation]>(['no items', (b) => ({ ...b, items: [] })]),
  fc.constant<[string, Mutation]>(['items missing', ({ items: _items, ...rest }) => rest]),
  fc
    .integer({ min: 21, max: 40 })
    .map((n): [string, Mutation] => [
      'too many items',
      (b) => ({ ...b, items: Array.from({ length: n }, () => b.items[0]) }),
    ]),
  fc
    .oneof(
      fc.integer(),
      fc.constant(null),
      fc.string().filter((s) => !/^[a-z0-9][a-z0-9-]{0,63}$/.test(s)),
      badText(64),
    )
    .map((v): [string, Mutation] => ['bad productId', (b) => ({ ...b, items: [{ ...b.items[0], productId: v }] })]),
  fc
    .stringMatching(/^zz[a-z0-9-]{1,20}$/)
    .map((id): [string, Mutation] => [
      'unknown product',
      (b) => ({ ...b, items: [...b.items, { productId: id, quantity: 1 }] }),
    ]),
  fc
    .oneof(fc.integer({ max: 0 }), fc.integer({ min: 21 }), notAnInteger)
    .map((v): [string, Mutation] => ['bad quantity', (b) => ({ ...b, items: [{ ...b.items[0], quantity: v }] })]),
  fc
    .oneof(
      fc.string().filter((s) => !['small', 'medium', 'large'].includes(s)),
      fc.integer(),
      fc.constant(null),
    )
    .map((v): [string, Mutation] => ['bad size', (b) => ({ ...b, items: [{ ...b.items[0], size: v }] })]),
  fc.constant<[string, Mutation]>([
    'size not offered',
    (b) => {
      const p = available().find((x) => x.prices.small === undefined)!;
      return { ...b, items: [{ productId: p.id, quantity: 1, size: 'small' }] };
    },
  ]),
  badText(280).map((v): [string, Mutation] => ['bad note', (b) => ({ ...b, note: v })]),
  fc
    .tuple(unknownKey(['items', 'note']), fc.jsonValue({ maxDepth: 1 }))
    .map(([k, v]): [string, Mutation] => ['unknown field', (b) => ({ ...b, [k]: v })]),
  fc
    .tuple(unknownKey(['productId', 'quantity', 'size']), fc.jsonValue({ maxDepth: 1 }))
    .map(([k, v]): [string, Mutation] => ['unknown item field', (b) => ({ ...b, items: [{ ...b.items[0], [k]: v }] })]),
  fc.constantFrom<[string, Mutation]>(
    ['price from the client', (b) => ({ ...b, total: 1 })],
    ['unit price from the client', (b) => ({ ...b, items: [{ ...b.items[0], unitPrice: 1 }] })],
  ),
);

// ---------------------------------------------------------------------------------------

describe('examples', () => {
  const post = (init: { body?: string; headers?: Record<string, string> }) =>
    api(stack.url, 'POST', '/orders', {
      token: customer.token,
      ...(init.body === undefined ? {} : { body: init.body }),
      headers: { 'idempotency-key': nextKey(), ...init.headers },
    });

  it('answers 413 for a body over 16 KiB, with or without a Content-Length', async () => {
    const big = JSON.stringify({ items: [{ productId: 'latte', quantity: 1 }], note: 'x'.repeat(MAX_BODY) });
    expectProblem(await post({ body: big, headers: { 'content-type': 'application/json' } }), 413, 'payload_too_large');
    const chunked = await rawRequest(
      stack.url,
      'POST',
      '/orders',
      [
        ['authorization', `Bearer ${customer.token}`],
        ['content-type', 'application/json'],
        ['idempotency-key', nextKey()],
        ['transfer-encoding', 'chunked'],
      ],
      big,
    );
    expectProblem(chunked, 413, 'payload_too_large');
    const lying = await rawRequest(
      stack.url,
      'PUT',
      '/menu/latte',
      [
        ['authorization', `Bearer ${barista}`],
        ['content-type', 'application/json'],
        ['content-length', String(MAX_BODY + 1)],
      ],
      'x'.repeat(MAX_BODY + 1),
    );
    expectProblem(lying, 413, 'payload_too_large');
  });

  it('answers requests the HTTP parser refuses with a problem too (repeated Content-Length, oversized headers)', async () => {
    const body = JSON.stringify({ items: [{ productId: 'latte', quantity: 1 }] });
    const auth: [string, string] = ['authorization', `Bearer ${customer.token}`];
    const repeated = await rawRequest(
      stack.url,
      'POST',
      '/orders',
      [
        auth,
        ['content-type', 'application/json'],
        ['idempotency-key', nextKey()],
        ['content-length', String(body.length)],
        ['content-length', String(body.length)],
      ],
      body,
    );
    expect(expectProblem(repeated, 400, 'validation_failed').errors?.[0]?.field).toBe('(request)');
    const huge = await rawRequest(stack.url, 'GET', '/menu', [['x-padding', 'p'.repeat(20_000)]]);
    expectProblem(huge, 431, 'payload_too_large');
  });

  it('answers 415 when the body is not declared JSON', async () => {
    const body = JSON.stringify({ items: [{ productId: 'latte', quantity: 1 }] });
    for (const type of [
      'text/plain',
      'application/xml',
      'application/x-www-form-urlencoded',
      'application/jsonp',
      'json',
    ]) {
      expectProblem(await post({ body, headers: { 'content-type': type } }), 415, 'unsupported_media_type');
    }
    const none = await rawRequest(stack.url, 'POST', '/users', [], body);
    expectProblem(none, 415, 'unsupported_media_type');
    // Structured-syntax JSON types and parameters are JSON.
    expect(
      (
        await api(stack.url, 'POST', '/users', {
          body: JSON.stringify({ email: `${randomUUID()}@example.com`, name: 'P' }),
          headers: { 'content-type': 'application/merge-patch+json; charset=UTF-8' },
        })
      ).status,
    ).toBe(201);
  });

  it('answers 400 malformed_json (never 500) for malformed JSON, and 400 naming (body) for JSON that is not an object', async () => {
    for (const body of [
      '{',
      '{"items": [}',
      '',
      '   ',
      'nul',
      '{"items":[]} trailing',
      "{'items': []}",
      '{"items":[{"productId":"latte","quantity":1,}]}',
      '\ufeff{}',
    ]) {
      const problem = expectProblem(
        await post({ body, headers: { 'content-type': 'application/json' } }),
        400,
        'malformed_json',
      );
      expect(problem.errors?.[0]?.field).toBe('(body)');
    }
    for (const body of ['[]', '"order"', 'null', '42', 'true']) {
      const problem = expectProblem(
        await post({ body, headers: { 'content-type': 'application/json' } }),
        400,
        'validation_failed',
      );
      expect(problem.errors?.[0]?.field, body).toBe('(body)');
    }
  });

  it('answers 400 naming the field for wrong types, unknown fields and odd Unicode', async () => {
    const cases: [string, string][] = [
      ['{"items":"latte"}', 'items'],
      ['{"items":[{"productId":"latte","quantity":"2"}]}', 'items.0.quantity'],
      ['{"items":[{"productId":"latte","quantity":1}],"coupon":"FREE"}', 'coupon'],
      ['{"items":[{"productId":"latte","quantity":1}],"note":"\\ud800"}', 'note'],
      ['{"items":[{"productId":"lat\\udfffte","quantity":1}]}', 'items.0.productId'],
      [`{"items":[{"productId":"latte","quantity":1}],"note":"${'€'.repeat(281)}"}`, 'note'],
    ];
    for (const [body, field] of cases) {
      const problem = expectProblem(
        await post({ body, headers: { 'content-type': 'application/json' } }),
        400,
        'validation_failed',
      );
      expect(
        problem.errors?.map((e) => e.field),
        body,
      ).toContain(field);
    }
  });
});

describe('over-long ids and keys', () => {
  it('answers GET and PATCH /orders/{id} with a 2,100-character id 404, never 500', async () => {
    const id = `o_${'x'.repeat(2_100)}`;
    expectProblem(await api(stack.url, 'GET', `/orders/${id}`, { token: customer.token }), 404, 'not_found');
    expectProblem(await api(stack.url, 'GET', `/orders/${'a'.repeat(2_100)}`, { token: barista }), 404, 'not_found');
    const patch = await api(stack.url, 'PATCH', `/orders/${id}`, {
      token: barista,
      json: { status: 'PREPARING' },
      headers: { 'if-match': '"1"' },
    });
    expectProblem(patch, 404, 'not_found');
  });

  it('every route that takes an id or a key answers 4xx problem+json for one past the bounds', async () => {
    const body = JSON.stringify({ items: [{ productId: available()[0]!.id, quantity: 1 }] });
    const product = [...menu.values()][0]!;
    const productBody = JSON.stringify({
      name: product.name,
      category: product.category,
      prices: product.prices,
      available: product.available,
    });
    const request = fc.oneof(
      overLongId.map((id) => ({ method: 'GET', path: `/orders/${id}`, token: customer.token, expect: 404 })),
      overLongId.map((id) => ({
        method: 'PATCH',
        path: `/orders/${id}`,
        token: barista,
        body: '{"status":"PREPARING"}',
        headers: { 'if-match': '"1"' },
        expect: 404,
      })),
      overLongId.map((id) => ({ method: 'GET', path: `/menu/${id}`, expect: 404 })),
      overLongId.map((id) => ({ method: 'PUT', path: `/menu/${id}`, token: barista, body: productBody, expect: 400 })),
      overLongKey.map((key) => ({
        method: 'POST',
        path: '/orders',
        token: customer.token,
        body,
        headers: { 'idempotency-key': key },
        expect: 400,
      })),
      fc.integer({ min: 255, max: 6_000 }).map((n) => ({
        method: 'POST',
        path: '/users',
        body: JSON.stringify({ email: `${'e'.repeat(n)}@example.com`, name: 'Long' }),
        expect: 400,
      })),
      fc.tuple(fc.constantFrom('/users/me/orders', '/orders?status=PLACED&'), overLongCursor).map(([path, cursor]) => ({
        method: 'GET',
        path: `${path}${path.includes('?') ? '' : '?'}cursor=${cursor}`,
        token: path.startsWith('/orders') ? barista : customer.token,
        expect: 400,
      })),
    );
    await fc.assert(
      fc.asyncProperty(
        request,
        async (r: {
          method: string;
          path: string;
          token?: string;
          body?: string;
          headers?: Record<string, string>;
          expect: number;
        }) => {
          const res = await api(stack.url, r.method, r.path, {
            ...(r.token ? { token: r.token } : {}),
            ...(r.body ? { body: r.body } : {}),
            headers: { ...(r.body ? { 'content-type': 'application/json' } : {}), ...r.headers },
          });
          const context = `${r.method} ${r.path.slice(0, 80)}... (${r.path.length} chars)`;
          expectClientError(res, context);
          expect(res.status, context).toBe(r.expect);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('properties', () => {
  it('POST /orders: any body text is a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(anyBodyText, async (body) => {
        const res = await api(stack.url, 'POST', '/orders', {
          token: customer.token,
          body,
          headers: { 'content-type': 'application/json', 'idempotency-key': nextKey() },
        });
        expectClientError(res, body.slice(0, 200));
      }),
      { numRuns: RUNS },
    );
  });

  it('POST /orders: any byte sequence is a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const res = await rawRequest(
          stack.url,
          'POST',
          '/orders',
          [
            ['authorization', `Bearer ${customer.token}`],
            ['content-type', 'application/json'],
            ['idempotency-key', nextKey()],
          ],
          Buffer.from(bytes),
        );
        expectClientError(res, Buffer.from(bytes).toString('hex').slice(0, 200));
      }),
      { numRuns: RUNS },
    );
  });

  it('POST /orders: a valid order broken in any one way is a 400 naming a field', async () => {
    await fc.assert(
      fc.asyncProperty(validOrder, orderMutation, async (valid, [what, mutate]) => {
        const json = mutate(valid as Body);
        const res = await api(stack.url, 'POST', '/orders', {
          token: customer.token,
          json,
          headers: { 'idempotency-key': nextKey() },
        });
        expectClientError(res, `${what}: ${serialize(json).slice(0, 200)}`);
        const problem = JSON.parse(res.text) as { status: number; errors?: { field: string; message: string }[] };
        expect(problem.status, what).toBe(400);
        expect(problem.errors?.length, what).toBeGreaterThan(0);
        for (const e of problem.errors ?? [])
          expect(typeof e.field === 'string' && typeof e.message === 'string').toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('POST /orders: missing, malformed and duplicated headers are a 4xx problem', async () => {
    const body = JSON.stringify({ items: [{ productId: available()[0]!.id, quantity: 1 }] });
    const idempotency = fc.oneof(
      fc.constant<[string, string][]>([]),
      fc.constant<[string, string][]>([['Idempotency-Key', '']]),
      fc
        .string({ minLength: 129, maxLength: 300 })
        .map((k): [string, string][] => [['Idempotency-Key', encodeURIComponent(k).slice(0, 400)]]),
      overLongKey.map((k): [string, string][] => [['Idempotency-Key', k]]),
      fc
        .string({ minLength: 1, maxLength: 30 })
        .filter((k) => /[^A-Za-z0-9_.:-]/.test(k) && /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(k))
        .map((k): [string, string][] => [['Idempotency-Key', k]]),
      fc.tuple(fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.boolean()).map(([k, same]): [string, string][] => [
        ['Idempotency-Key', k],
        ['idempotency-key', same ? k : `${k}x`],
      ]),
    );
    const contentType = fc.oneof(
      fc.constant<[string, string][]>([]),
      fc
        .constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream')
        .map((t): [string, string][] => [['Content-Type', t]]),
      fc.constantFrom('application/json', 'text/plain').map((t): [string, string][] => [
        ['Content-Type', 'application/json'],
        ['content-type', t],
      ]),
    );
    const authorization = fc.oneof(
      fc.constant<[string, string][]>([]),
      fc
        .constantFrom('Basic Zm9vOmJhcg==', 'Bearer', 'Bearer a.b.c', 'bearer  ', 'Token xyz')
        .map((a): [string, string][] => [['Authorization', a]]),
      fc.constant<[string, string][]>([
        ['Authorization', `Bearer ${'x'.repeat(10)}`],
        ['Authorization', 'Bearer y'],
      ]),
    );
    const valid = {
      idempotency: (): [string, string][] => [['Idempotency-Key', nextKey()]],
      contentType: (): [string, string][] => [['Content-Type', 'application/json']],
      authorization: (): [string, string][] => [['Authorization', `Bearer ${customer.token}`]],
    };
    await fc.assert(
      fc.asyncProperty(
        fc.option(idempotency, { nil: undefined }),
        fc.option(contentType, { nil: undefined }),
        fc.option(authorization, { nil: undefined }),
        fc.constantFrom<[string, string][]>(
          [],
          [
            ['Content-Length', String(body.length)],
            ['Content-Length', String(body.length)],
          ],
          [
            ['Transfer-Encoding', 'chunked'],
            ['Content-Length', String(body.length)],
          ],
        ),
        async (key, type, auth, framing) => {
          // At least one header is wrong, so no request may succeed.
          fc.pre(key !== undefined || type !== undefined || auth !== undefined || framing.length > 0);
          const headers = [
            ...(key ?? valid.idempotency()),
            ...(type ?? valid.contentType()),
            ...(auth ?? valid.authorization()),
            ...framing,
          ];
          const res = await rawRequest(stack.url, 'POST', '/orders', headers, body);
          expectClientError(res, JSON.stringify(headers));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('PATCH /orders/:id: bad bodies, If-Match values and ids are a 4xx problem, and the order does not change', async () => {
    const badStatusBody = fc.oneof(
      anyBodyText,
      fc
        .oneof(
          fc.string().filter((s) => !['PLACED', 'PREPARING', 'READY', 'PICKED_UP', 'CANCELLED'].includes(s)),
          fc.integer(),
          fc.constant(null),
          fc.constantFrom('preparing', 'Preparing ', ' PREPARING'),
        )
        .map((s) => JSON.stringify({ status: s })),
      fc
        .tuple(unknownKey(['status']), fc.jsonValue({ maxDepth: 1 }))
        .map(([k, v]) => JSON.stringify({ status: 'PREPARING', [k]: v })),
    );
    const ifMatch = fc.oneof(
      fc.constant(undefined),
      fc.constant('1'),
      fc.string({ maxLength: 20 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
      fc.integer({ min: 2, max: 1e9 }).map((n) => `"${n}"`),
      fc.constantFrom('*', '"-1"', 'W/', '1, 1', '"1", "2"', '0x1', '1e0'),
    );
    const orderId = fc.oneof(
      fc.constant(target.id),
      fc.string({ minLength: 1, maxLength: 40 }).map((s) => encodeURIComponent(s)),
      overLongId,
    );
    await fc.assert(
      fc.asyncProperty(orderId, ifMatch, badStatusBody, async (id, match, body) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (match !== undefined) headers['if-match'] = match;
        const res = await api(stack.url, 'PATCH', `/orders/${id}`, { token: barista, body, headers });
        expectClientError(res, `${id} If-Match=${match} ${body.slice(0, 200)}`);
      }),
      { numRuns: RUNS },
    );
    // Duplicated If-Match and Content-Type headers, through node:http.
    for (const headers of [
      [
        ['If-Match', '1'],
        ['If-Match', '1'],
        ['Content-Type', 'application/json'],
      ],
      [
        ['If-Match', '1'],
        ['Content-Type', 'application/json'],
        ['Content-Type', 'application/json'],
      ],
    ] as [string, string][][]) {
      const res = await rawRequest(
        stack.url,
        'PATCH',
        `/orders/${target.id}`,
        [['Authorization', `Bearer ${barista}`], ...headers],
        JSON.stringify({ status: 'PREPARING' }),
      );
      expectClientError(res, JSON.stringify(headers));
    }
    expect(await stack.store.getOrder(target.id)).toEqual(target);
  });

  it('PUT /menu/:id: bad bodies and ids are a 4xx problem, and the menu does not change', async () => {
    const before = await getMenu(stack.url);
    const product = before[0]!;
    const valid = {
      name: product.name,
      category: product.category,
      prices: product.prices,
      available: product.available,
    };
    const mutation = fc.oneof(
      anyBodyText,
      badText(100).map((v) => JSON.stringify({ ...valid, name: v })),
      fc
        .oneof(
          fc.string().filter((s) => !/^[a-z][a-z-]{0,31}$/.test(s)),
          fc.integer(),
        )
        .map((v) => JSON.stringify({ ...valid, category: v })),
      fc
        .oneof(
          fc.constant({}),
          fc.record({ small: notAnInteger }),
          fc.record({ medium: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 1_000_001 })) }),
          fc.dictionary(unknownKey(['small', 'medium', 'large']), fc.nat(), { minKeys: 1, maxKeys: 2 }),
        )
        .map((p) => JSON.stringify({ ...valid, prices: p })),
      fc.oneof(fc.string(), fc.integer(), fc.constant(null)).map((v) => JSON.stringify({ ...valid, available: v })),
      fc
        .tuple(unknownKey(['name', 'category', 'description', 'prices', 'available']), fc.jsonValue({ maxDepth: 1 }))
        .map(([k, v]) => JSON.stringify({ ...valid, [k]: v })),
    );
    const id = fc.oneof(
      fc.constant(product.id),
      fc.string({ minLength: 1, maxLength: 70 }).map((s) => encodeURIComponent(s)),
      overLongId,
    );
    await fc.assert(
      fc.asyncProperty(id, mutation, async (productId, body) => {
        const res = await api(stack.url, 'PUT', `/menu/${productId}`, {
          token: barista,
          body,
          headers: { 'content-type': 'application/json' },
        });
        expectClientError(res, `${productId} ${body.slice(0, 200)}`);
      }),
      { numRuns: RUNS },
    );
    expect(await getMenu(stack.url)).toEqual(before);
  });

  it('POST /users: bad bodies are a 4xx problem', async () => {
    const valid = () => ({ email: `${randomUUID()}@example.com`, name: 'Valid Name' });
    const mutation = fc.oneof(
      anyBodyText,
      fc
        .oneof(
          fc.string().filter((s) => !s.includes('@')),
          fc.integer(),
          fc.constant(null),
          fc.constantFrom('a@', '@b.c', 'a b@c.d', 'a@b', `${'x'.repeat(250)}@example.com`),
          badText(254),
        )
        .map((v) => () => JSON.stringify({ ...valid(), email: v })),
      badText(100).map((v) => () => JSON.stringify({ ...valid(), name: v })),
      fc.constantFrom('', '   ', '\t').map((v) => () => JSON.stringify({ ...valid(), name: v })),
      fc.tuple(unknownKey(['email', 'name']), fc.jsonValue({ maxDepth: 1 })).map(
        ([k, v]) =>
          () =>
            JSON.stringify({ ...valid(), [k]: v }),
      ),
      fc.constantFrom('email', 'name').map((k) => () => {
        const v: Record<string, string> = valid();
        delete v[k];
        return JSON.stringify(v);
      }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (make) => {
        const body = typeof make === 'string' ? make : make();
        const res = await api(stack.url, 'POST', '/users', { body, headers: { 'content-type': 'application/json' } });
        expectClientError(res, body.slice(0, 200));
      }),
      { numRuns: RUNS },
    );
  });

  it('listings: any query string answers 200 or a 4xx problem, never a 5xx', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer().map(String),
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.string({ minLength: 2049, maxLength: 2100 }),
      overLongCursor,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/users/me/orders', '/orders'),
        fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'other'), value, { maxKeys: 3 }),
        async (path, query) => {
          const qs = new URLSearchParams(query).toString();
          const res = await api(stack.url, 'GET', `${path}?${qs}`, {
            token: path === '/orders' ? barista : customer.token,
          });
          if (res.status !== 200) expectClientError(res, `${path}?${qs}`);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('afterwards', () => {
  it('the store holds no partial order: exactly the intended orders, each whole and priced from the menu', async () => {
    const { token } = await registerCustomer(stack.url);
    intended.push((await placeOrder(stack.url, customer.token, [{ productId: available()[1]!.id, quantity: 3 }])).id);
    await placeOrder(stack.url, token, [{ productId: available()[2]!.id, quantity: 1 }]);
    const mine = await stack.store.listOrdersByUser(customer.userId, 100);
    expect(mine.cursor).toBeUndefined();
    expect(mine.items.map((o) => o.id).sort()).toEqual([...intended].sort());
    for (const order of mine.items) expectCompleteOrder(order, menu);
    // Every order anyone placed in this stack is whole too.
    const queue = await stack.store.listOrdersByStatus('PLACED', 100);
    expect(queue.items.length).toBeGreaterThanOrEqual(3);
    for (const order of queue.items) expectCompleteOrder(order, menu);
    expect(await stack.store.getOrder(target.id)).toEqual(target);
  });
});
