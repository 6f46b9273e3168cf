/** Customers: registration, the caller's profile, and dev tokens when the dev issuer is on. */
import { createHmac } from 'node:crypto';
import { Roles, type User } from '../domain/types.ts';
import { NotFoundError } from '../errors.ts';
import { principalOf, type RouteDeps, type Routes } from './context.ts';
import { readJson } from './body.ts';
import { replyJson } from './reply.ts';
import { CreateUserBody, DevTokenBody, parse } from './validation.ts';

/**
 * A customer's id: an HMAC of the normalised e-mail address. One address is one id, so
 * the conditional put that creates the profile is also the duplicate check (no second
 * item, no transaction), and the id does not reveal the address.
 */
export function userIdFor(email: string, key: Uint8Array): string {
  return `u_${createHmac('sha256', key).update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)}`;
}

export function registerUserRoutes(
  routes: Routes,
  { storeOf, devIssuer, telemetry, userIdKey, clock }: RouteDeps,
): void {
  routes.post('/users', async (c) => {
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
    await storeOf(c).createUser(user);
    telemetry.metrics.userRegistered();
    if (!devIssuer) return replyJson(c, { user }, 201);
    return replyJson(c, { user, token: await devIssuer.issue(id, Roles.Customer) }, 201);
  });

  routes.get('/users/me', async (c) => {
    const principal = principalOf(c);
    const user = await storeOf(c).getUser(principal.sub);
    if (!user) throw new NotFoundError('Your profile');
    return replyJson(c, { user });
  });

  if (!devIssuer) return;
  routes.post('/auth/dev-token', async (c) => {
    const { sub, role } = parse(DevTokenBody, await readJson(c));
    return replyJson(c, { token: await devIssuer.issue(sub, role), sub, role }, 201);
  });
}
