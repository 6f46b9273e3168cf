/**
 * Correctly signed tokens whose claims have the wrong types: RFC 7519 makes `sub` a
 * string, and the service keys users and orders by it, so a token with any other `sub`
 * (or a role or groups claim of the wrong type) is refused with 401, over HTTP and at the
 * verifier; a token with the right types still works.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyInputBounds } from '../domain/limits.ts';
import { UnauthenticatedError } from '../errors.ts';
import { startLocalStack, type LocalStack } from '../local-stack.ts';
import { api, expectProblem } from '../testing/http-client.ts';
import { createDevIssuer, DEV_AUDIENCE, DEV_ISSUER } from './tokens.ts';

let stack: LocalStack;
let dataDir: string;
let key: Uint8Array;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'coffee-claims-'));
  stack = await startLocalStack({ dataDir });
  key = Buffer.from(
    (JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8')) as { devSigningKey: string }).devSigningKey,
    'base64url',
  );
});

afterAll(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A token signed with the service's own dev key, carrying exactly `claims` (and a fresh jti). */
function sign(claims: JWTPayload): Promise<string> {
  return new SignJWT({ ...claims, jti: randomUUID() })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key);
}

const notAString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);
const badSubject = fc.oneof(
  notAString,
  fc.constant(''),
  fc.integer({ min: KeyInputBounds.subjectBytes + 1, max: 4_000 }).map((n) => 'é'.repeat(Math.ceil(n / 2))),
);
const badGroups = fc.oneof(
  fc.oneof(
    fc.string({ maxLength: 10 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  ),
  fc.array(notAString, { minLength: 1, maxLength: 3 }).map((groups) => ['barista', ...groups]),
);

/** Claims of which exactly one has the wrong type. */
const badClaims: fc.Arbitrary<[string, JWTPayload]> = fc.oneof(
  badSubject.map((sub): [string, JWTPayload] => ['sub', { sub, role: 'customer' } as JWTPayload]),
  notAString.map((role): [string, JWTPayload] => ['role', { sub: 'u_claims', role } as JWTPayload]),
  badGroups.map((groups): [string, JWTPayload] => [
    'cognito:groups',
    { sub: 'u_claims', 'cognito:groups': groups } as JWTPayload,
  ]),
);

describe('tokens whose claims have the wrong type', () => {
  it('are refused by the verifier', async () => {
    const verifier = createDevIssuer({ key });
    await fc.assert(
      fc.asyncProperty(badClaims, async ([claim, claims]) => {
        const error = await verifier.verify(await sign(claims)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${claim}: ${JSON.stringify(claims).slice(0, 120)}`).toBeInstanceOf(UnauthenticatedError);
        expect((error as Error).message).toContain(claim);
      }),
      { numRuns: 200 },
    );
  });

  it('answer 401 on the routes that key by the caller, and store no order', async () => {
    await fc.assert(
      fc.asyncProperty(
        badClaims,
        fc.constantFrom('GET /users/me', 'GET /users/me/orders', 'POST /orders'),
        async ([claim, claims], route) => {
          const [method, path] = route.split(' ') as [string, string];
          const res = await api(stack.url, method, path, {
            token: await sign(claims),
            ...(method === 'POST'
              ? { json: { items: [{ productId: 'latte', quantity: 1 }] }, headers: { 'idempotency-key': randomUUID() } }
              : {}),
          });
          expect(expectProblem(res, 401, 'unauthenticated').detail, `${route} ${claim}`).toContain(claim);
          expect(res.headers.get('www-authenticate')).toBe('Bearer');
        },
      ),
      { numRuns: 60 },
    );
    const queue = await stack.store.listOrdersByStatus('PLACED', 100);
    expect(queue.items.filter((o) => typeof o.userId !== 'string')).toEqual([]);
  });

  it('leave tokens with the right types working: a string sub, role and groups', async () => {
    const customer = await sign({ sub: `u_${'x'.repeat(100)}`, role: 'customer', 'cognito:groups': ['regulars'] });
    expect((await api(stack.url, 'GET', '/users/me/orders', { token: customer })).status).toBe(200);
    const barista = await sign({ sub: 'b_claims', 'cognito:groups': ['barista'] });
    expect((await api(stack.url, 'GET', '/orders?status=PLACED', { token: barista })).status).toBe(200);
    const longest = await sign({ sub: 'é'.repeat(KeyInputBounds.subjectBytes / 2) });
    expect((await api(stack.url, 'GET', '/users/me/orders', { token: longest })).status).toBe(200);
  });
});
