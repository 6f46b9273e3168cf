/**
 * Trace pipelines. Both read the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*, ...) and send OTLP/HTTP (JSON)
 * with `@opentelemetry/exporter-trace-otlp-http`. No auto-instrumentation: the service
 * makes its spans explicitly (docs/design-decisions.md).
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { SpanHandOff } from './span-handoff.ts';
import { SynchronousContextManager } from './sync-context.ts';

export interface Tracing {
  provider: TracerProvider;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The server: the OpenTelemetry Node SDK (sampler, resource detection, span limits from
 * the environment), registered globally, traces only, with a synchronous context manager.
 * Ended spans leave the main thread in batches: a worker serialises and sends them
 * (span-handoff.ts), so the request path pays for recording a span, not for its OTLP.
 */
export async function startNodeSdkTracing(resource: Resource): Promise<Tracing> {
  const [{ NodeSDK }, { getNumberFromEnv }, api] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/core'),
    import('@opentelemetry/api'),
  ]);
  const handOff = new SpanHandOff({
    ...optional('maxExportBatchSize', getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE')),
    ...optional('maxQueueSize', getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE')),
    ...optional('scheduledDelayMillis', getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY')),
    ...optional('exportTimeoutMillis', getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT')),
  });
  const sdk = new NodeSDK({
    resource,
    spanProcessors: [handOff],
    // No AsyncLocalStorage anywhere in the process (see sync-context.ts).
    contextManager: new SynchronousContextManager(),
    instrumentations: [],
    // Metrics and logs have their own pipelines (catalog-driven EMF/Prometheus/OTLP, pino).
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return {
    provider: api.trace.getTracerProvider(),
    flush: () => handOff.forceFlush(),
    shutdown: () => sdk.shutdown(),
  };
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
