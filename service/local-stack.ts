/**
 * The whole service on this machine in one call: embedded DynamoDB (or a given endpoint,
 * e.g. a fault proxy), the app on an ephemeral port, dev tokens. Used by the tests, the
 * load tests, the fault experiments, the benchmark and the demo.
 *
 * @example
 * const stack = await startLocalStack();
 * const token = await stack.mintToken('barista-1', 'barista');
 * await fetch(`${stack.url}/orders?status=PLACED`, { headers: { authorization: `Bearer ${token}` } });
 * await stack.stop();
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { DestinationStream } from 'pino';
import { DEFAULT_SERVICE_NAME } from './catalog/metrics.ts';
import type { LogLevel, MetricsExporter, ServiceConfig } from './config/config.ts';
import { createService } from './compose.ts';
import type { Role } from './domain/types.ts';
import type { AppDeps } from './http/context.ts';
import { listen } from './server/server.ts';
import { startEmbeddedDynamo } from './store/embedded.ts';
import type { Store } from './store/store.ts';
import { DEFAULT_TABLE_NAME } from './store/table-schema.ts';
import { startServerTracing } from './telemetry/tracing.ts';
import { createTelemetry, type FullTelemetry, type MetricReaderFactory } from './telemetry/telemetry.ts';

export { startEmbeddedDynamo };

export interface LocalStackOptions {
  /** 0 picks a free port (default). */
  port?: number;
  host?: string;
  /** On-disk store that survives a restart; in memory when absent. */
  dataDir?: string;
  /** Use this DynamoDB endpoint (a fault proxy, DynamoDB Local) instead of starting one. */
  dynamoEndpoint?: string;
  tableName?: string;
  /** Off by default: load tests and experiments measure the service, not the limiter. */
  rateLimit?: { rps: number; burst: number } | false;
  cacheTtlMs?: number;
  telemetry?: {
    tracing?: boolean;
    metrics?: MetricsExporter;
    emfFile?: string;
    exportIntervalMs?: number;
    logLevel?: LogLevel;
    accessLogLevel?: LogLevel;
    logFile?: string;
    serviceName?: string;
    tracerProvider?: TracerProvider;
    metricReaders?: MetricReaderFactory[];
    logDestination?: DestinationStream;
  };
  faults?: { token: string } | false;
  /**
   * Dev tokens (default), or tokens of an external issuer checked against its JWKS, the
   * way the deployed service checks Cognito's (no dev issuer then: `mintToken` throws).
   */
  auth?: ServiceConfig['auth'];
  sdk?: Partial<ServiceConfig['sdk']>;
  /** Deliberately broken variants for proving invariants can fail. */
  unsafe?: AppDeps['unsafe'];
}

export interface LocalStack {
  url: string;
  dynamoEndpoint: string;
  tableName: string;
  region: string;
  store: Store;
  telemetry: FullTelemetry;
  mintToken(sub: string, role: Role): Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const {
    port = 0,
    host = '127.0.0.1',
    dataDir,
    dynamoEndpoint,
    tableName = DEFAULT_TABLE_NAME,
    rateLimit = false,
    cacheTtlMs = 30_000,
    faults = false,
    sdk,
    unsafe,
  } = options;
  const t = options.telemetry ?? {};
  const config: ServiceConfig = {
    store: dynamoEndpoint ? 'endpoint' : 'embedded',
    region: 'us-east-1',
    tableName,
    sdk: { maxAttempts: 3, requestTimeoutMs: 2_000, connectionTimeoutMs: 1_000, ...sdk },
    auth: options.auth ?? { mode: 'dev' },
    rateLimit,
    cacheTtlMs,
    faults,
    telemetry: {
      serviceName: t.serviceName ?? DEFAULT_SERVICE_NAME,
      tracing: t.tracing ?? false,
      metrics: t.metrics ?? 'none',
      exportIntervalMs: t.exportIntervalMs ?? 1_000,
      logLevel: t.logLevel ?? 'silent',
      accessLogLevel: t.accessLogLevel ?? 'info',
      ...(t.emfFile ? { emfFile: t.emfFile } : {}),
      ...(t.logFile ? { logFile: t.logFile } : {}),
    },
    ...(dynamoEndpoint ? { dynamoEndpoint } : {}),
    ...(dataDir ? { dataDir } : {}),
  };
  const telemetry = await createTelemetry({
    config: config.telemetry,
    startTracing: startServerTracing,
    ...(t.tracerProvider ? { tracerProvider: t.tracerProvider } : {}),
    ...(t.metricReaders ? { metricReaders: t.metricReaders } : {}),
    ...(t.logDestination ? { logDestination: t.logDestination } : {}),
  });
  const service = await createService(config, {
    telemetry,
    ...(unsafe ? { unsafe } : {}),
    startEmbedded: (dir) => startEmbeddedDynamo(dir ? { dataDir: dir } : {}),
  });
  const server = await listen(service.app, { port, host, telemetry });
  const issuer = service.deps.devIssuer;
  return {
    url: server.url,
    dynamoEndpoint: service.dynamoEndpoint!,
    tableName,
    region: config.region,
    store: service.store,
    telemetry,
    mintToken: (sub, role) =>
      issuer
        ? issuer.issue(sub, role)
        : Promise.reject(new Error('no dev issuer: this stack checks tokens against a JWKS')),
    async stop() {
      await server.close(2_000);
      await telemetry.shutdown();
      await service.close();
    },
  };
}
