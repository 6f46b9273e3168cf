/**
 * What route files see of the app: its dependencies (the store only as the request's own),
 * the request context and its accessors. Apart from `app.ts`, which registers the routes,
 * so that route files and the app do not import each other.
 */
import type { Context } from 'hono';
import type { MenuCache } from '../cache/menu-cache.ts';
import { NO_SCOPE, type CallScope } from '../call-scope.ts';
import type { Principal } from '../domain/orders.ts';
import { UnauthenticatedError, type AppError } from '../errors.ts';
import type { DevIssuer, TokenVerifier } from '../auth/tokens.ts';
import type { ScopedStore, Store } from '../store/store.ts';
import type { Telemetry } from '../telemetry/types.ts';
import type { FaultInjector } from './faults.ts';
import type { RateLimiter } from './rate-limit.ts';

export interface AppDeps {
  store: Store;
  menu: MenuCache;
  /** Verifies bearer tokens (the dev issuer locally, a JWKS in AWS). */
  auth: TokenVerifier;
  /** Present when the dev issuer is on: enables `POST /auth/dev-token` and tokens on registration. */
  devIssuer?: DevIssuer;
  telemetry: Telemetry;
  /** Key for deriving user ids from e-mail addresses (HMAC), so ids do not reveal addresses. */
  userIdKey: Uint8Array;
  rateLimiter?: RateLimiter;
  faults?: FaultInjector;
  clock?: () => Date;
  /**
   * Deliberately broken variants, for proving that the fault experiments' invariants can
   * fail. Never set outside tests.
   */
  unsafe?: { idempotency?: boolean };
}

export type AppEnv = {
  Variables: {
    principal: Principal | undefined;
    authError: AppError | undefined;
    /** The request's telemetry scope; pass it to what a handler starts after an `await`. */
    scope: CallScope;
  };
};
export type AppContext = Context<AppEnv>;

/**
 * What route files get: the app's dependencies, except that the store is reachable only as
 * the request's own (`storeOf(c)`), so no handler can make a DynamoDB call outside its
 * request's span.
 */
export type RouteDeps = Omit<AppDeps, 'store'> & {
  clock: () => Date;
  /** The store for `c`'s request: its DynamoDB calls are the request's child spans. */
  storeOf(c: AppContext): ScopedStore;
};

/** A route handler: may answer synchronously (a cache hit) or asynchronously. */
export type Handler = (c: AppContext) => Response | Promise<Response>;

/**
 * Where route files register their handlers. Every handler is wrapped in the request
 * pipeline with its route template, so the template is known at registration instead of
 * being looked up per request.
 */
export interface Routes {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
  put(path: string, handler: Handler): void;
  patch(path: string, handler: Handler): void;
  delete(path: string, handler: Handler): void;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The client's request id when it is a sane one, else a fresh one. */
export function requestIdOf(given: string | undefined | null): string {
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** A path parameter of the matched route (always present once the route matched). */
export function pathParam(c: AppContext, name: string): string {
  return c.req.param(name) ?? '';
}

/** The request's scope (see call-scope.ts), for the store and the menu cache. */
export function scopeOf(c: AppContext): CallScope {
  return c.get('scope') ?? NO_SCOPE;
}

/** The caller, or a 401 when the request carries no valid bearer token. */
export function principalOf(c: AppContext): Principal {
  const principal = c.get('principal');
  if (principal) return principal;
  throw c.get('authError') ?? new UnauthenticatedError();
}
