/** Customers: registration, the caller's profile, and dev tokens when the dev issuer is on. */
import { createHmac } from 'node:crypto';
import type { Hono } from 'hono';
import { Roles, type User } from '../domain/types.ts';
import { NotFoundError } from '../errors.ts';
import { principalOf, type AppDeps, type AppEnv } from './app.ts';
import { readJson } from './body.ts';
import { CreateUserBody, DevTokenBody, parse } from './validation.ts';

/**
 * A customer's id: an HMAC of the normalised e-mail address. One address is one id, so
 * the conditional put that creates the profile is also the duplicate check (no second
 * item, no transaction), and the id does not reveal the address.
 */
export function userIdFor(email: string, key: Uint8Array): string {
  return `u_${createHmac('sha256', key).update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)}`;
}

export function registerUserRoutes(app: Hono<AppEnv>, { store, devIssuer, telemetry, userIdKey, clock }: AppDeps & { clock: () => Date }): void {
  app.post('/users', async (c) => {
    const body = parse(CreateUserBody, await readJson(c));
    // With an external issuer (Cognito) the identity exists already: the profile takes
    // the token's subject. With the dev issuer, registration creates the identity.
    const id = devIssuer ? userIdFor(body.email, userIdKey) : principalOf(c).sub;
    const user: User = {
      id,
      email: body.email.trim().toLowerCase(),
      name: body.name.trim(),
      role: Roles.Customer,
      createdAt: clock().toISOString(),
    };
    await store.createUser(user);
    telemetry.metrics.userRegistered();
    if (!devIssuer) return c.json({ user }, 201);
    return c.json({ user, token: await devIssuer.issue(id, Roles.Customer) }, 201);
  });

  app.get('/users/me', async (c) => {
    const principal = principalOf(c);
    const user = await store.getUser(principal.sub);
    if (!user) throw new NotFoundError('Your profile');
    return c.json({ user });
  });

  if (!devIssuer) return;
  app.post('/auth/dev-token', async (c) => {
    const { sub, role } = parse(DevTokenBody, await readJson(c));
    return c.json({ token: await devIssuer.issue(sub, role), sub, role }, 201);
  });
}
