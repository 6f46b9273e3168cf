/**
 * Trace pipelines. Both read the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*, ...) and send OTLP/HTTP with
 * the SDK's exporters. No auto-instrumentation: the service makes its spans explicitly
 * (docs/design-decisions.md).
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { BatchedIdGenerator } from './batched-ids.ts';
import { LeanTracerProvider } from './lean-tracer.ts';
import { SpanHandOff } from './span-handoff.ts';
import { SynchronousContextManager } from './sync-context.ts';
import { handOffOptionsFromEnv, samplerFromEnv, serverResource } from './trace-config.ts';

export interface Tracing {
  provider: TracerProvider;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The server: the service's own TracerProvider (lean-tracer.ts) with the SDK's sampler
 * and resource detection and ids cut from a block of random hex (batched-ids.ts),
 * configured as the Node SDK reads the environment (trace-config.ts), registered globally
 * with a synchronous context manager. A span is recorded as plain data and leaves the
 * main thread in batches: a worker serialises and sends them (span-handoff.ts), so the
 * request path pays for recording a span, not for its OTLP.
 */
export async function startServerTracing(resource: Resource): Promise<Tracing> {
  const [
    api,
    { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator, getStringFromEnv, diagLogLevelFromString },
  ] = await Promise.all([import('@opentelemetry/api'), import('@opentelemetry/core')]);
  const logLevel = getStringFromEnv('OTEL_LOG_LEVEL');
  if (logLevel != null) api.diag.setLogger(new api.DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  const handOff = new SpanHandOff(handOffOptionsFromEnv());
  const provider = new LeanTracerProvider({
    resource: serverResource(resource),
    sampler: samplerFromEnv(),
    idGenerator: new BatchedIdGenerator(),
    sink: handOff,
  });
  // What NodeSDK.start() registered: no AsyncLocalStorage anywhere in the process (see
  // sync-context.ts), the W3C propagators, this provider.
  api.context.setGlobalContextManager(new SynchronousContextManager());
  api.propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  api.trace.setGlobalTracerProvider(provider);
  return { provider, flush: () => handOff.forceFlush(), shutdown: () => handOff.shutdown() };
}
