/**
 * Trace pipelines. Both export over OTLP/HTTP (JSON) with `@opentelemetry/exporter-trace-otlp-http`
 * and read the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER,
 * OTEL_RESOURCE_ATTRIBUTES, ...). No auto-instrumentation: the service makes its spans
 * explicitly (docs/design-decisions.md).
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { SynchronousContextManager } from './sync-context.ts';

export interface Tracing {
  provider: TracerProvider;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The server: the OpenTelemetry Node SDK, registered globally, traces only, with a synchronous context manager. */
export async function startNodeSdkTracing(resource: Resource): Promise<Tracing> {
  const [{ NodeSDK }, { OTLPTraceExporter }, api] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/api'),
  ]);
  const sdk = new NodeSDK({
    resource,
    traceExporter: new OTLPTraceExporter(),
    // No AsyncLocalStorage anywhere in the process (see sync-context.ts).
    contextManager: new SynchronousContextManager(),
    instrumentations: [],
    // Metrics and logs have their own pipelines (catalog-driven EMF/Prometheus/OTLP, pino).
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  const provider = api.trace.getTracerProvider();
  const delegate = (provider as { getDelegate?: () => { forceFlush?: () => Promise<void> } }).getDelegate?.();
  return {
    provider,
    flush: async () => {
      await delegate?.forceFlush?.();
    },
    shutdown: () => sdk.shutdown(),
  };
}
