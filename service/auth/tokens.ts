/**
 * Bearer tokens. Locally a dev issuer signs HS256 JWTs with a per-data-directory key; in
 * AWS the service verifies tokens of a real issuer (e.g. Cognito) against its JWKS.
 * Verified tokens are cached until they expire, so a hot path verifies a token once.
 */
import { SignJWT, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { isSubject, KeyInputBounds } from '../domain/limits.ts';
import type { Principal } from '../domain/orders.ts';
import { Roles, type Role } from '../domain/types.ts';
import { UnauthenticatedError } from '../errors.ts';

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export interface DevIssuer extends TokenVerifier {
  issue(sub: string, role: Role, ttlSeconds?: number): Promise<string>;
}

export const DEV_ISSUER = 'coffee-cloud-dev';
export const DEV_AUDIENCE = 'coffee-cloud';
const MAX_CACHED_TOKENS = 10_000;
const CLOCK_TOLERANCE_S = 5;

const GROUPS_CLAIM = 'cognito:groups';

/**
 * The caller a verified payload names. RFC 7519 makes `sub` a string; the role and the
 * groups are a string and an array of strings when present. A signed token with other
 * types is refused rather than coerced: its subject would become a user id and a key.
 */
function principalOf(payload: JWTPayload): Principal {
  if (!isSubject(payload.sub)) {
    throw new UnauthenticatedError(
      `The bearer token's sub claim must be a string of 1 to ${KeyInputBounds.subjectBytes} bytes`,
    );
  }
  const role = payload.role;
  if (role !== undefined && typeof role !== 'string')
    throw new UnauthenticatedError("The bearer token's role claim must be a string");
  const groups = payload[GROUPS_CLAIM];
  if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string'))) {
    throw new UnauthenticatedError(`The bearer token's ${GROUPS_CLAIM} claim must be an array of strings`);
  }
  const barista = role === Roles.Barista || (groups as string[] | undefined)?.includes(Roles.Barista) === true;
  return { sub: payload.sub, role: barista ? Roles.Barista : Roles.Customer };
}

/** Wraps a verifier with a bounded cache of verified tokens, dropped at their expiry. */
function cached(verify: (token: string) => Promise<{ principal: Principal; exp: number }>): TokenVerifier {
  const cache = new Map<string, { principal: Principal; exp: number }>();
  return {
    async verify(token) {
      const hit = cache.get(token);
      if (hit && hit.exp * 1000 > Date.now()) return hit.principal;
      if (hit) cache.delete(token);
      const verified = await verify(token);
      if (cache.size >= MAX_CACHED_TOKENS) cache.delete(cache.keys().next().value as string);
      cache.set(token, verified);
      return verified.principal;
    },
  };
}

async function verifyWith(
  token: string,
  key: Uint8Array | JWTVerifyGetKey,
  issuer: string,
  audience: string | undefined,
): Promise<{ principal: Principal; exp: number }> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key as Uint8Array, {
      issuer,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'exp'],
    }));
  } catch (error) {
    throw new UnauthenticatedError('The bearer token is invalid or expired', error);
  }
  // Cognito ID tokens carry `aud`, its access tokens `client_id`; accept either.
  if (audience !== undefined) {
    const aud = Array.isArray(payload.aud) ? payload.aud : payload.aud === undefined ? [] : [payload.aud];
    if (!aud.includes(audience) && payload.client_id !== audience) {
      throw new UnauthenticatedError('The bearer token is for another audience');
    }
  }
  return { principal: principalOf(payload), exp: payload.exp as number };
}

/** The local issuer: signs and verifies HS256 tokens with `key` (32 bytes or more). */
export function createDevIssuer({
  key,
  issuer = DEV_ISSUER,
  audience = DEV_AUDIENCE,
}: {
  key: Uint8Array;
  issuer?: string;
  audience?: string;
}): DevIssuer {
  const verifier = cached((token) => verifyWith(token, key, issuer, audience));
  return {
    verify: verifier.verify,
    async issue(sub, role, ttlSeconds = 12 * 3600) {
      return new SignJWT({ role })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },
  };
}

/** Verifies tokens of an external issuer against its JWKS (fetched and cached by jose). */
export function createJwksVerifier({
  jwksUrl,
  issuer,
  audience,
}: {
  jwksUrl: string;
  issuer: string;
  audience?: string;
}): TokenVerifier {
  const jwks = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 2_000 });
  return cached((token) => verifyWith(token, jwks, issuer, audience));
}
