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
import { readFileSync } from 'node:fs';
import { SpanKind, ROOT_CONTEXT, trace, type Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { BatchedIdGenerator, LeanTracerProvider, SpanHandOff, type LeanSink } from '../service/index.ts';

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
        { kind: SpanKind.SERVER, attributes: serverAttributes(i) },
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

/** The server span's attributes at its start, as the service sets them on GET /menu. */
function serverAttributes(i: number) {
  return {
    'http.request.method': 'GET',
    'http.route': '/menu',
    'url.path': '/menu',
    'url.scheme': 'http',
    'user_agent.original': 'autocannon',
    'coffee.request_id': `r-${i}`,
  };
}

/** Where the server's own span (service/telemetry/lean-tracer.ts) spends the main thread, in µs per span. */
export interface LeanSpanCost {
  /** Ids, the sampler's decision, the span object, the clock. */
  start: number;
  /** The server span's seven attributes. */
  attributes: number;
  /** The end's clock reading. */
  end: number;
  /** The span's values copied into the batch, and its share of the batch's structured clone to the export thread. */
  handOff: number;
  /** What the service does with every span: its context for the DynamoDB spans, its ids for the log lines. */
  context: number;
  /** An unsampled request's whole cost: ids, the decision, a non-recording span, its context and ids. */
  unsampled: number;
}

const ROUNDS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** This thread's CPU time so far, in ns (the scheduler's own count: the export thread is not in it). */
function threadNanos(): number {
  return Number(readFileSync(`/proc/thread-self/schedstat`, 'utf8').split(' ')[0]);
}

/** Each phase of the lean span measured as the difference of two tight loops, main thread only. */
export async function leanSpanCost(spans = 50_000): Promise<LeanSpanCost> {
  const handOff = new SpanHandOff({
    url: 'http://127.0.0.1:9/v1/traces',
    // The loops run without yielding, so the worker never reports back: room for every span they make.
    maxQueueSize: Number.MAX_SAFE_INTEGER,
    // Nothing listens there: the exporter's retries would hold the shutdown for its timeout.
    exportTimeoutMillis: 500,
    onProblem: () => {},
  });
  const discard: LeanSink = { clock: handOff.clock, register: () => 0, onEnd: () => {} };
  const tracer = (sink: LeanSink, sampler: Sampler = new AlwaysOnSampler()) =>
    new LeanTracerProvider({
      resource: resourceFromAttributes({}),
      sampler,
      // The server's ids (service/telemetry/tracing.ts).
      idGenerator: new BatchedIdGenerator(),
      sink,
    }).getTracer('coffee-cloud');
  const [discarding, handing, unsampled] = [tracer(discard), tracer(handOff), tracer(discard, new AlwaysOffSampler())];
  const loop = (t: Tracer, phases: { attributes?: boolean; end?: boolean; context?: boolean }) => () => {
    for (let i = 0; i < spans; i++) {
      const span = t.startSpan('GET /menu', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
      if (phases.context) {
        trace.setSpan(ROOT_CONTEXT, span);
        const { traceId, spanId } = span.spanContext();
        if (traceId.length + spanId.length !== 48) throw new Error('ids of a span are 32 and 16 hex digits');
      }
      if (phases.attributes && span.isRecording()) {
        span.setAttributes(serverAttributes(i));
        span.setAttribute('http.response.status_code', 200);
      }
      if (phases.end) span.end();
    }
  };
  const variants = {
    start: loop(discarding, {}),
    attributes: loop(discarding, { attributes: true }),
    end: loop(discarding, { attributes: true, end: true }),
    handOff: loop(handing, { attributes: true, end: true }),
    context: loop(handing, { attributes: true, end: true, context: true }),
    unsampled: loop(unsampled, { context: true }),
  };
  // Interleaved rounds, the median of each: one loop's garbage lands in the next one's time.
  const times: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS + 1; round++)
    for (const [name, fn] of Object.entries(variants)) {
      const before = threadNanos();
      fn();
      if (round > 0) (times[name] ??= []).push((threadNanos() - before) / 1000 / spans);
    }
  const m = (name: keyof typeof variants) => median(times[name]!);
  const cost: LeanSpanCost = {
    start: m('start'),
    attributes: m('attributes') - m('start'),
    end: m('end') - m('attributes'),
    handOff: m('handOff') - m('end'),
    context: m('context') - m('handOff'),
    unsampled: m('unsampled'),
  };
  await handOff.shutdown();
  return cost;
}
