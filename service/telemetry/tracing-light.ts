import type { Resource } from '@opentelemetry/resources';
import type { Tracing } from './tracing.ts';

/**
 * Lambda: the same exporter and sampler on `sdk-trace-base` directly. The Node SDK pulls
 * every exporter (gRPC included) into the bundle and costs cold-start time the budget
 * does not have; nothing here is registered globally.
 */
export async function startLightTracing(resource: Resource): Promise<Tracing> {
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  return { provider, flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}
