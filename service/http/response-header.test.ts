/**
 * `setResponseHeader` is the one way to set a response header: a header a middleware or a
 * handler sets with it reaches the client on the Node server (answers written natively)
 * and through the Lambda handler (a Hono response) alike, and setting one too late fails
 * the same way on both instead of being lost on one of them.
 */
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type CreateServiceOptions } from '../compose.ts';
import { loadConfig } from '../config/config.ts';
import { ConflictError, ErrorCodes } from '../errors.ts';
import { httpApiEvent } from '../lambda/events.ts';
import { createHandler, type LambdaHandler } from '../lambda/handler.ts';
import { listen, type RunningServer } from '../server/server.ts';
import { startEmbeddedDynamo } from '../store/embedded.ts';
import { createTelemetry, type FullTelemetry } from '../telemetry/telemetry.ts';
import { localLambdaEnv } from '../testing/lambda-env.ts';
import type { AppEnv } from './context.ts';
import { LateResponseHeaderError, replyJson, setResponseHeader } from './reply.ts';

/** What the probe routes' late attempts threw, per entry point. */
const late: unknown[] = [];

/** Routes whose middleware and handler set headers: in time, and too late. */
function addProbeRoutes(app: Hono<AppEnv>): void {
  const stamp = async (c: Parameters<typeof setResponseHeader>[0], next: () => Promise<void>) => {
    setResponseHeader(c, 'x-probe-middleware', 'before-next');
    await next();
    try {
      setResponseHeader(c, 'x-probe-late', 'after-next');
    } catch (error) {
      late.push(error);
    }
  };
  app.get('/_probe/ok', stamp, (c) => {
    setResponseHeader(c, 'x-probe-handler', 'before-reply');
    const answer = replyJson(c, { ok: true });
    try {
      setResponseHeader(c, 'x-probe-late', 'after-reply');
    } catch (error) {
      late.push(error);
    }
    return answer;
  });
  app.get('/_probe/problem', stamp, (c) => {
    setResponseHeader(c, 'x-probe-handler', 'before-throw');
    throw new ConflictError(ErrorCodes.VersionMismatch, 'a problem answer keeps the headers set before it');
  });
}

interface Answer {
  status: number;
  header(name: string): string | undefined;
}

describe('a response header set with setResponseHeader', () => {
  let db: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  let telemetry: FullTelemetry;
  let server: RunningServer;
  let closeService: () => Promise<void>;
  let lambda: LambdaHandler;

  const entryPoints: Record<string, (path: string) => Promise<Answer>> = {
    'the Node server': async (path) => {
      const res = await fetch(`${server.url}${path}`);
      await res.text();
      return { status: res.status, header: (name) => res.headers.get(name) ?? undefined };
    },
    'the Lambda handler': async (path) => {
      const result = (await lambda(httpApiEvent({ path }))) as { statusCode: number; headers: Record<string, string> };
      return { status: result.statusCode, header: (name) => result.headers[name] };
    },
  };

  beforeAll(async () => {
    db = await startEmbeddedDynamo();
    const config = loadConfig(
      localLambdaEnv(db.endpoint, { COFFEE_TABLE_NAME: 'coffee-response-header', COFFEE_RATE_LIMIT_RPS: '0' }),
      { store: 'endpoint', metrics: 'none' },
    );
    telemetry = await createTelemetry({ config: config.telemetry });
    const service = await createService(config, { telemetry });
    addProbeRoutes(service.app);
    server = await listen(service.app);
    closeService = () => service.close();
    lambda = createHandler(localLambdaEnv(db.endpoint, { COFFEE_METRICS_EXPORTER: 'none' }), {
      build: async (lambdaConfig, options: CreateServiceOptions) => {
        const built = await createService(lambdaConfig, options);
        addProbeRoutes(built.app);
        return built;
      },
    });
  });

  afterAll(async () => {
    await server?.close(1_000);
    await telemetry?.shutdown();
    await closeService?.();
    await db?.stop();
  });

  for (const [entryPoint, send] of Object.entries(entryPoints)) {
    describe(`on ${entryPoint}`, () => {
      it('reaches the client from a middleware (before next) and from the handler, on a success', async () => {
        late.length = 0;
        const answer = await send('/_probe/ok');
        expect(answer.status).toBe(200);
        expect(answer.header('x-probe-middleware')).toBe('before-next');
        expect(answer.header('x-probe-handler')).toBe('before-reply');
        expect(answer.header('x-frame-options')).toBe('DENY');
        // Too late (after reply, after next): refused with an error, never sent, on both.
        expect(answer.header('x-probe-late')).toBeUndefined();
        expect(late).toHaveLength(2);
        for (const error of late) expect(error).toBeInstanceOf(LateResponseHeaderError);
      });

      it('reaches the client on a problem answer too', async () => {
        const answer = await send('/_probe/problem');
        expect(answer.status).toBe(409);
        expect(answer.header('content-type')).toBe('application/problem+json');
        expect(answer.header('x-probe-middleware')).toBe('before-next');
        expect(answer.header('x-probe-handler')).toBe('before-throw');
      });
    });
  }
});
