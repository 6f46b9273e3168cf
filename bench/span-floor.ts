/**
 * The least one traced request can cost with the OpenTelemetry SDK: a span started with
 * the attributes of the service's server span, ended, and serialised to OTLP JSON by the
 * serializer `@opentelemetry/exporter-trace-otlp-http` uses, in batches of 512 as the
 * batch processor sends them. Measured in a tight loop in this process, where the code
 * and data stay in the CPU's caches, and without the HTTP send: every part of the real
 * path left out only adds to it, so this is a floor, not an estimate.
 *
 * Set against the CPU time per request that the GET /menu budget leaves to telemetry, it
 * says whether any arrangement of the service's own code could meet that budget.
 */
import { SpanKind, ROOT_CONTEXT } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

const BATCH = 512;

/** CPU microseconds per span: start, end and OTLP JSON serialisation. */
export function spanFloorMicros(spans = 50_000): number {
  let batch: ReadableSpan[] = [];
  let bytes = 0;
  const serialize = () => {
    bytes += JsonTraceSerializer.serializeRequest(batch)?.length ?? 0;
    batch = [];
  };
  const processor: SpanProcessor = {
    onStart() {},
    onEnd(span) {
      batch.push(span);
      if (batch.length === BATCH) serialize();
    },
    forceFlush: async () => serialize(),
    shutdown: async () => {},
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'coffee-cloud' }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('coffee-cloud');
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const span = tracer.startSpan(
        'GET /menu',
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': 'GET',
            'http.route': '/menu',
            'url.path': '/menu',
            'url.scheme': 'http',
            'user_agent.original': 'autocannon',
            'coffee.request_id': `r-${i}`,
          },
        },
        ROOT_CONTEXT,
      );
      span.setAttribute('http.response.status_code', 200);
      span.end();
    }
  };
  run(spans / 2); // warm-up: the JIT, the serializer's shapes
  bytes = 0;
  const before = process.cpuUsage();
  run(spans);
  const used = process.cpuUsage(before);
  if (bytes === 0) throw new Error('the span floor serialised nothing in its timed loop');
  return (used.user + used.system) / spans;
}

/**
 * The CPU time per request a throughput budget leaves to telemetry, when the thread that
 * spends `cpuMicrosPerRequest` on each untraced request is what limits the rate: a ratio
 * of at least `budget` allows `1 / budget - 1` of that on top.
 */
export function allowanceMicros(cpuMicrosPerRequest: number, budget: number): number {
  return cpuMicrosPerRequest * (1 / budget - 1);
}
