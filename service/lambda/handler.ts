/**
 * The AWS Lambda entry point for API Gateway HTTP API (payload v2). The service is built
 * on the first invocation of an execution environment (a cold start, counted) and reused;
 * every invocation flushes its spans and metrics (EMF on stdout, which CloudWatch Logs
 * turns into metrics) before it returns.
 */
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { createService, type Service } from '../compose.ts';
import { loadConfig } from '../config/config.ts';
import { createTelemetry, type FullTelemetry } from '../telemetry/telemetry.ts';
import { startLightTracing } from '../telemetry/tracing-light.ts';
import { SECURITY_HEADERS } from '../http/security-headers.ts';

type Env = Record<string, string | undefined>;
export type LambdaHandler = (event: LambdaEvent, context?: LambdaContext) => Promise<unknown>;

export interface HandlerOptions {
  /** Builds the service from its configuration (default `createService`; tests extend its app). */
  build?: typeof createService;
}

/** Builds a handler for `env`; nothing starts until the first event. */
export function createHandler(env: Env, { build = createService }: HandlerOptions = {}): LambdaHandler {
  let ready: Promise<{ service: Service; telemetry: FullTelemetry; fetch: ReturnType<typeof handle> }> | undefined;

  async function init() {
    const config = loadConfig(env, { store: 'aws', metrics: 'emf' });
    const telemetry = await createTelemetry({
      config: config.telemetry,
      region: config.region,
      startTracing: startLightTracing,
      bufferLogs: false,
    });
    telemetry.coldStart();
    const service = await build(config, { telemetry });
    return { service, telemetry, fetch: handle(service.app) };
  }

  return async (event, context) => {
    ready ??= init().catch((error: unknown) => {
      ready = undefined; // let the next invocation try again
      throw error;
    });
    const { fetch, telemetry } = await ready;
    try {
      const result = await fetch(event, context);
      return { ...result, headers: { ...SECURITY_HEADERS, ...result.headers } };
    } finally {
      await telemetry.flush();
    }
  };
}

export const handler: LambdaHandler = createHandler(process.env);
