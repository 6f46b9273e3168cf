/**
 * The Coffee Cloud HTTP app: routes, one request middleware and one error handler. It
 * never listens; `server/` and `lambda/` do. Every dependency comes in through `AppDeps`,
 * so tests and fault injection swap a dependency instead of patching a module.
 */
import { Hono, type Context } from 'hono';
import { routePath } from 'hono/route';
import type { MenuCache } from '../cache/menu-cache.ts';
import type { Principal } from '../domain/orders.ts';
import { AppError, ErrorCodes, RateLimitedError, toProblem, UnauthenticatedError } from '../errors.ts';
import type { DevIssuer, TokenVerifier } from '../auth/tokens.ts';
import type { Store } from '../store/store.ts';
import type { Telemetry } from '../telemetry/types.ts';
import type { FaultInjector } from './faults.ts';
import type { RateLimiter } from './rate-limit.ts';
import { registerMenuRoutes } from './menu.routes.ts';
import { registerOpsRoutes } from './ops.routes.ts';
import { registerOrderRoutes } from './orders.routes.ts';
import { registerUserRoutes } from './users.routes.ts';

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
    requestId: string;
    errorCode: string | undefined;
  };
};
export type AppContext = Context<AppEnv>;

/** Paths that are never rate limited or fault-injected: probes, scrapes and the fault control. */
const UNLIMITED = new Set(['/health', '/ready', '/metrics']);
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The client's request id when it is a sane one, else a fresh one. */
export function requestIdOf(given: string | undefined | null): string {
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; event?: { requestContext?: { http?: { sourceIp?: string } } } } | undefined;
  return env?.event?.requestContext?.http?.sourceIp ?? env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** The caller, or a 401 when the request carries no valid bearer token. */
export function principalOf(c: AppContext): Principal {
  const principal = c.get('principal');
  if (principal) return principal;
  throw c.get('authError') ?? new UnauthenticatedError();
}

export function createApp(input: AppDeps): Hono<AppEnv> {
  const deps = { clock: () => new Date(), ...input };
  const { telemetry, auth, rateLimiter, faults } = deps;
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    // The Node server assigns the request id on the socket (see server.ts); elsewhere it
    // is set here, before the handler runs, so Hono merges it into the response it builds
    // (changing a finished response would cost a copy of it).
    const outgoing = (c.env as { outgoing?: { getHeader(name: string): unknown } } | undefined)?.outgoing;
    const assigned = outgoing?.getHeader('x-request-id');
    let requestId: string;
    if (typeof assigned === 'string') requestId = assigned;
    else {
      requestId = requestIdOf(c.req.header('x-request-id'));
      c.header('x-request-id', requestId);
    }
    c.set('requestId', requestId);
    const path = c.req.path;
    const template = routePath(c, -1);
    const route = template === '*' || template === '' ? 'unmatched' : template;
    const scope = telemetry.startRequest({ method: c.req.method, path, route, requestId, headers: { get: (n) => c.req.header(n) } });
    let failure: unknown;
    await scope.run(async () => {
      try {
        await authenticate(c);
        if (!UNLIMITED.has(path) && !path.startsWith('/_chaos/')) {
          if (rateLimiter) {
            const wait = rateLimiter.take(c.get('principal')?.sub ?? `ip:${clientAddress(c)}`);
            if (wait > 0) throw new RateLimitedError(wait);
          }
          if (faults && route !== 'unmatched') await faults.apply(`${c.req.method} ${route}`);
        }
        await next();
      } catch (error) {
        // Errors thrown before next() (auth, rate limit, faults) take the same path as the
        // route's own errors, inside the request's context so the error line has its ids.
        failure = error;
        c.res = onError(error, c);
      }
    });
    const status = c.res.status;
    const errorCode = c.get('errorCode');
    scope.end(errorCode ? { route, status, error: c.error ?? failure, errorCode } : { route, status });
  });

  async function authenticate(c: AppContext): Promise<void> {
    const header = c.req.header('authorization');
    if (!header) return;
    const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(header.trim());
    if (!match?.[1]) {
      c.set('authError', new UnauthenticatedError('The Authorization header must be `Bearer <jwt>`'));
      return;
    }
    try {
      c.set('principal', await auth.verify(match[1]));
    } catch (error) {
      c.set('authError', error instanceof AppError ? error : new UnauthenticatedError('The bearer token is invalid', error));
    }
  }

  function onError(error: unknown, c: Context<AppEnv>): Response {
    const { problem, headers: problemHeaders } = toProblem(error, c.req.path);
    if (problem.status >= 500) {
      telemetry.logger.error(
        { err: error, code: problem.code, method: c.req.method, path: c.req.path, request_id: c.get('requestId') },
        'request failed',
      );
    }
    // The request middleware reads the code for the metrics and the access line.
    c.set('errorCode', problem.code);
    return c.body(JSON.stringify(problem), problem.status as 400, problemHeaders);
  }

  app.onError(onError);
  app.notFound((c) => onError(new AppError(404, ErrorCodes.NotFound, `No route ${c.req.method} ${c.req.path}`), c));

  registerOpsRoutes(app, deps);
  registerMenuRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerOrderRoutes(app, deps);
  return app;
}
