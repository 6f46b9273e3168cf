import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../domain/types.ts';
import { startLocalStack, type LocalStack } from '../local-stack.ts';
import { api, expectProblem } from '../testing/http-client.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack();
});

afterAll(async () => {
  await stack?.stop();
});

const email = () => `Ada.${randomUUID()}@Example.com`;

describe('POST /users', () => {
  it('registers a customer and answers the profile with a working token', async () => {
    const address = email();
    const res = await api<{ user: User; token: string }>(stack.url, 'POST', '/users', {
      json: { email: address, name: '  Ada Lovelace ' },
    });
    expect(res.status, res.text).toBe(201);
    const { user, token } = res.body;
    expect(user).toEqual({
      id: expect.stringMatching(/^u_[\w-]+$/),
      email: address.toLowerCase(),
      name: 'Ada Lovelace',
      role: 'customer',
      createdAt: expect.any(String),
    });
    // The id does not reveal the address.
    expect(user.id).not.toContain(address.split('@')[0]!.toLowerCase());
    expect(token.split('.')).toHaveLength(3);

    const me = await api<{ user: User }>(stack.url, 'GET', '/users/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual(user);
    expect(await stack.store.getUser(user.id)).toEqual(user);
  });

  it('answers 409 for an e-mail address already registered, in any letter case', async () => {
    const address = email();
    const first = await api(stack.url, 'POST', '/users', { json: { email: address, name: 'First' } });
    expect(first.status).toBe(201);
    expectProblem(
      await api(stack.url, 'POST', '/users', { json: { email: address, name: 'Second' } }),
      409,
      'email_taken',
    );
    expectProblem(
      await api(stack.url, 'POST', '/users', { json: { email: address.toUpperCase(), name: 'Third' } }),
      409,
      'email_taken',
    );
    // The first registration is untouched.
    expect((await stack.store.getUser(first.body.user.id))?.name).toBe('First');
  });

  it('lets exactly one of two concurrent registrations of one address win', async () => {
    const address = email();
    const answers = await Promise.all(
      [0, 1].map((i) => api(stack.url, 'POST', '/users', { json: { email: address, name: `Racer ${i}` } })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
  });

  it('answers 400 naming the field for a bad e-mail or name', async () => {
    const cases: [unknown, string][] = [
      [{ email: 'not-an-address', name: 'X' }, 'email'],
      [{ name: 'X' }, 'email'],
      [{ email: email(), name: '' }, 'name'],
      [{ email: email(), name: 'x'.repeat(101) }, 'name'],
      [{ email: email(), name: 'Bell\u0007' }, 'name'],
      [{ email: email(), name: 'X', role: 'barista' }, 'role'],
    ];
    for (const [json, field] of cases) {
      const problem = expectProblem(await api(stack.url, 'POST', '/users', { json }), 400, 'validation_failed');
      expect(
        problem.errors?.map((e) => e.field),
        JSON.stringify(json),
      ).toContain(field);
    }
  });
});

describe('GET /users/me', () => {
  it('answers 404 for a valid token whose subject has no profile', async () => {
    const token = await stack.mintToken('nobody-registered', 'customer');
    expectProblem(await api(stack.url, 'GET', '/users/me', { token }), 404, 'not_found');
  });

  it('answers 401 without a token', async () => {
    expectProblem(await api(stack.url, 'GET', '/users/me'), 401, 'unauthenticated');
  });
});

describe('POST /auth/dev-token', () => {
  it('mints a token for any role that the service accepts', async () => {
    const res = await api<{ token: string; sub: string; role: string }>(stack.url, 'POST', '/auth/dev-token', {
      json: { sub: 'dev-user-1', role: 'customer' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ sub: 'dev-user-1', role: 'customer' });
    expect((await api(stack.url, 'GET', '/users/me/orders', { token: res.body.token })).status).toBe(200);
    expectProblem(await api(stack.url, 'GET', '/orders', { token: res.body.token }), 403, 'forbidden');
  });

  it('answers 400 for an unknown role or a bad subject', async () => {
    for (const [json, field] of [
      [{ sub: 'x', role: 'admin' }, 'role'],
      [{ sub: 'has space', role: 'customer' }, 'sub'],
      [{ role: 'customer' }, 'sub'],
    ] as const) {
      const problem = expectProblem(
        await api(stack.url, 'POST', '/auth/dev-token', { json }),
        400,
        'validation_failed',
      );
      expect(problem.errors?.map((e) => e.field)).toContain(field);
    }
  });
});
