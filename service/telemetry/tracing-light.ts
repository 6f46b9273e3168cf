import type { Resource } from '@opentelemetry/resources';
import type { Tracing } from './tracing.ts';

/**
 * Lambda: the same exporter and sampler on `sdk-trace-base` directly. The Node SDK pulls
 * every exporter (gRPC included) into the bundle and costs cold-start time the budget
 * does not have; nothing here is registered globally.
 *
 * Spans are the SDK's, exported on the invoking thread, not the server's lean spans handed
 * to a worker (lean-tracer.ts, span-handoff.ts): an invocation ends with a flush that must
 * serialise and send its spans before the environment freezes, so a worker would save no
 * time on the answer, and its start (a second isolate loading the exporter) would land in
 * the cold init. The lean spans exported on this thread did not pay either: a cold init
 * runs every line once, and the lean tracer's code plus the export thread's conversion
 * cost the first event as much as the SDK's provider, span and batch processor
 * (docs/performance.md, "Lambda cold init").
 *
 * Imported when tracing starts, not with the bundle: statically imported, the ratio looked
 * 3 to 5 ms better only because the cold init without telemetry then evaluated these
 * modules too.
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
