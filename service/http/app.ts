/**
 * The Coffee Cloud HTTP app: routes, one request middleware and one error handler. It
 * never listens; `server/` and `lambda/` do. Every dependency comes in through `AppDeps`,
 * so tests and fault injection swap a dependency instead of patching a module.
 */
import { Hono, type Context } from 'hono';
import { AppError, ErrorCodes, RateLimitedError, toProblem, UnauthenticatedError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { RequestScope } from '../telemetry/types.ts';
import {
  requestIdOf,
  scopeOf,
  type AppContext,
  type AppDeps,
  type AppEnv,
  type Handler,
  type RouteDeps,
  type Routes,
} from './context.ts';
import { nativeResponse, reply, setResponseHeader, wasSentNatively } from './reply.ts';
import { registerMenuRoutes } from './menu.routes.ts';
import { registerOpsRoutes } from './ops.routes.ts';
import { registerOrderRoutes } from './orders.routes.ts';
import { registerUserRoutes } from './users.routes.ts';

/** Routes that are never rate limited or fault-injected: probes, scrapes and the fault control. */
const UNLIMITED = new Set(['/health', '/ready', '/metrics']);

function clientAddress(c: Context): string {
  const env = c.env as
    | {
        incoming?: { socket?: { remoteAddress?: string } };
        event?: { requestContext?: { http?: { sourceIp?: string } } };
      }
    | undefined;
  return env?.event?.requestContext?.http?.sourceIp ?? env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * A request header (`name` in lower case). On the Node server, a header Node did not see
 * is answered from Node's own parsed headers, without building the Fetch `Headers` that
 * `c.req.header()` needs for an answer that is known already. A header that is present is always read
 * through Hono, so duplicates keep the Fetch semantics (values joined with ", ": a
 * doubled Authorization header stays invalid instead of Node's "first one wins").
 */
function header(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: { headers?: Record<string, unknown> } } | undefined)?.incoming;
  if (incoming?.headers && incoming.headers[name] === undefined) return undefined;
  return c.req.header(name);
}

/** The request's headers as telemetry reads them (a class: no closure per request). */
class RequestHeaders {
  readonly #c: Context;
  constructor(c: Context) {
    this.#c = c;
  }
  get(name: string): string | undefined {
    return header(this.#c, name);
  }
}

/** `storeOf` for route handlers: `store` bound to the request's scope on each use. */
function requestStoreOf(store: Store): RouteDeps['storeOf'] {
  return (c) => store.within(scopeOf(c));
}

export function createApp(input: AppDeps): Hono<AppEnv> {
  const deps = { clock: () => new Date(), ...input };
  const { telemetry, auth, rateLimiter, faults } = deps;
  const app = new Hono<AppEnv>();

  /**
   * The request pipeline around one handler: request id, telemetry scope, authentication,
   * rate limit, service faults, then the handler; any error becomes problem+json. It is a
   * wrapper rather than a Hono middleware, so a request that needs nothing asynchronous (an
   * anonymous GET /menu from the cache) is answered without a single promise (an async
   * middleware is costly: docs/performance.md). The request's scope (`scopeOf(c)`) goes to the store (`storeOf(c)`) and
   * the menu cache explicitly, so their DynamoDB calls become the request's child spans (see
   * call-scope.ts).
   */
  function pipeline(method: string, route: string, handler: Handler): Handler {
    const faultKey = `${method} ${route}`;
    // Unmatched paths are rate limited too (scanners), but never fault-injected.
    const limited = !UNLIMITED.has(route) && !route.startsWith('/_chaos/');
    const injectable = limited && route !== 'unmatched';
    /** After authentication: the rate limit, service faults, then the handler. */
    const admit = (c: AppContext): Response | Promise<Response> => {
      if (limited && rateLimiter) {
        const wait = rateLimiter.take(c.get('principal')?.sub ?? `ip:${clientAddress(c)}`);
        if (wait > 0) throw new RateLimitedError(wait);
      }
      if (injectable && faults && faults.rules.length > 0) return faults.apply(faultKey).then(() => handler(c));
      return handler(c);
    };
    // Per request, only anonymous arrows passed as arguments: under tsx (which keeps
    // function names) every named closure costs an Object.defineProperty per request.
    return (c) => {
      const requestId = requestIdFor(c);
      const scope = telemetry.startRequest({
        method: c.req.method,
        path: c.req.path,
        route,
        requestId,
        headers: new RequestHeaders(c),
      });
      c.set('scope', scope);
      let result: Response | Promise<Response>;
      try {
        result = scope.run(() => {
          const authorization = header(c, 'authorization');
          return authorization === undefined ? admit(c) : authenticate(c, authorization).then(() => admit(c));
        });
      } catch (error) {
        return failed(c, scope, route, requestId, error);
      }
      if (result instanceof Promise) {
        return result.then(
          (res) => finished(c, scope, route, res),
          (error: unknown) => failed(c, scope, route, requestId, error),
        );
      }
      return finished(c, scope, route, result);
    };
  }

  /** Ends the request's telemetry with the status that went out. */
  function finished(
    c: AppContext,
    scope: RequestScope,
    route: string,
    res: Response,
    errorCode?: string,
    error?: unknown,
  ): Response {
    const status = wasSentNatively(res) ? (nativeResponse(c)?.statusCode ?? 200) : res.status;
    scope.end(errorCode ? { route, status, error, errorCode } : { route, status });
    return res;
  }

  /** Answers an error as problem+json (inside the request's scope, so its log line has the ids). */
  function failed(c: AppContext, scope: RequestScope, route: string, requestId: string, error: unknown): Response {
    const answer = scope.run(() => problemResponse(error, c, requestId));
    return finished(c, scope, route, answer.response, answer.code, error);
  }

  /**
   * The Node server's response knows the request id (it writes it on every answer, see
   * server/response.ts); elsewhere (Lambda, `app.request`) it is set here, before the
   * handler runs (see `setResponseHeader`).
   */
  function requestIdFor(c: AppContext): string {
    const native = nativeResponse(c);
    if (native) return native.requestId;
    const requestId = requestIdOf(c.req.header('x-request-id'));
    setResponseHeader(c, 'x-request-id', requestId);
    return requestId;
  }

  async function authenticate(c: AppContext, authorization: string): Promise<void> {
    const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(authorization.trim());
    if (!match?.[1]) {
      c.set('authError', new UnauthenticatedError('The Authorization header must be `Bearer <jwt>`'));
      return;
    }
    try {
      c.set('principal', await auth.verify(match[1]));
    } catch (error) {
      c.set(
        'authError',
        error instanceof AppError ? error : new UnauthenticatedError('The bearer token is invalid', error),
      );
    }
  }

  function problemResponse(
    error: unknown,
    c: Context,
    requestId: string | undefined,
  ): { response: Response; code: string } {
    const { problem, headers } = toProblem(error, c.req.path);
    if (problem.status >= 500) {
      telemetry.logger.error(
        { err: error, code: problem.code, method: c.req.method, path: c.req.path, request_id: requestId },
        'request failed',
      );
    }
    return { response: reply(c, problem.status, JSON.stringify(problem), headers), code: problem.code };
  }

  const routes: Routes = {
    get: (path, handler) => void app.get(path, pipeline('GET', path, handler)),
    post: (path, handler) => void app.post(path, pipeline('POST', path, handler)),
    put: (path, handler) => void app.put(path, pipeline('PUT', path, handler)),
    patch: (path, handler) => void app.patch(path, pipeline('PATCH', path, handler)),
    delete: (path, handler) => void app.delete(path, pipeline('DELETE', path, handler)),
  };
  const { store, ...shared } = deps;
  const routeDeps: RouteDeps = { ...shared, storeOf: requestStoreOf(store) };
  registerOpsRoutes(routes, routeDeps);
  registerMenuRoutes(routes, routeDeps);
  registerUserRoutes(routes, routeDeps);
  registerOrderRoutes(routes, routeDeps);

  app.notFound(
    pipeline('*', 'unmatched', (c) => {
      throw new AppError(404, ErrorCodes.NotFound, `No route ${c.req.method} ${c.req.path}`);
    }),
  );
  // Errors never escape the pipeline; this is the last line of defence all the same.
  app.onError((error, c) => problemResponse(error, c, undefined).response);
  return app;
}
