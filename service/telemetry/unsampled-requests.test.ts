/**
 * An unsampled request that continues no trace records nothing and makes its span only
 * when something reads it: its log lines still carry trace and span ids, its DynamoDB
 * calls are children of its span, and a request that continues a sampled trace is
 * recorded as ever. Under a sampler that drops every root span (parentbased_always_off)
 * nothing is decided up front; under any other, the sampler decides once, up front, and
 * the span, when started, is in the trace it decided on.
 */
import { Writable } from 'node:stream';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ROOT_CONTEXT, SpanKind, type Attributes, type Context, type Link } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../local-stack.ts';
import { api } from '../testing/http-client.ts';
import { BatchedIdGenerator } from './batched-ids.ts';
import { SpanClock, type LeanSpan } from './lean-span.ts';
import { LeanTracerProvider } from './lean-tracer.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A sampler that remembers the trace ids of the root spans it decided, and asks `inner`. */
class RootsAsked implements Sampler {
  readonly traceIds: string[] = [];
  constructor(readonly inner: Sampler) {}
  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]) {
    if (context === ROOT_CONTEXT) this.traceIds.push(traceId);
    return this.inner.shouldSample(context, traceId, name, kind, attributes, links);
  }
  toString() {
    return `RootsAsked{${this.inner.toString()}}`;
  }
}

async function stackWith(
  accessLogLevel: 'info' | 'debug',
  sampler: Sampler = new ParentBasedSampler({ root: new AlwaysOffSampler() }),
) {
  const lines: Record<string, any>[] = [];
  const recorded: LeanSpan[] = [];
  const made = { ids: 0, traces: 0, spans: 0 };
  const ids = new BatchedIdGenerator();
  const provider = new LeanTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'unsampled-test' }),
    sampler,
    idGenerator: {
      generateTraceId: () => (made.ids++, made.traces++, ids.generateTraceId()),
      generateSpanId: () => (made.ids++, made.spans++, ids.generateSpanId()),
    },
    sink: { clock: new SpanClock(), register: () => 0, onEnd: (span) => recorded.push(span) },
  });
  const stack = await startLocalStack({
    telemetry: {
      tracerProvider: provider,
      logLevel: 'info',
      accessLogLevel,
      logDestination: new Writable({
        write(chunk, _encoding, done) {
          for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
          done();
        },
      }),
    },
  });
  const token = await stack.mintToken('unsampled-customer', 'customer');
  const order = async (key: string, headers: Record<string, string> = {}) =>
    (
      await api(stack.url, 'POST', '/orders', {
        token,
        json: { items: [{ productId: 'latte', quantity: 1 }] },
        headers: { 'idempotency-key': key, ...headers },
      })
    ).status;
  return { stack, lines, recorded, made, order };
}

describe('requests under a sampler that drops every root span', () => {
  let quiet: Awaited<ReturnType<typeof stackWith>>;
  let logged: Awaited<ReturnType<typeof stackWith>>;

  beforeAll(async () => {
    quiet = await stackWith('debug');
    logged = await stackWith('info');
  });

  afterAll(async () => {
    await quiet?.stack.stop();
    await logged?.stack.stop();
  });

  it('makes no span and no ids for a GET /menu from the cache with the access line off', async () => {
    expect((await fetch(`${quiet.stack.url}/menu`)).status).toBe(200); // fills the cache
    const before = quiet.made.ids;

    for (let i = 0; i < 5; i++) expect((await fetch(`${quiet.stack.url}/menu`)).status).toBe(200);

    expect(quiet.made.ids).toBe(before);
    expect(quiet.recorded).toHaveLength(0);
  });

  it('gives DynamoDB calls a parent when an order continues no trace, and records none of it', async () => {
    const before = { ...quiet.made };

    expect(await quiet.order('quiet-1')).toBe(201);

    // The request's span and its DynamoDB children were started (unsampled), in one trace:
    // the children continued the request's span rather than each starting a trace.
    expect(quiet.made.traces - before.traces).toBe(1);
    expect(quiet.made.ids - before.ids).toBeGreaterThan(2);
    expect(quiet.recorded).toHaveLength(0);
  });

  it('puts trace and span ids on the access line of every unsampled request, one trace each', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${logged.stack.url}/menu`)).status).toBe(200);
    expect(await logged.order('logged-1', { baggage: 'coffee.run_id=run-b' })).toBe(201);
    await logged.stack.telemetry.flush();

    const access = logged.lines.filter((l) => l.message === 'request');
    expect(access).toHaveLength(4);
    for (const line of access) {
      expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(new Set(access.map((l) => l.trace_id)).size).toBe(4);
    expect(access[3]).toMatchObject({ route: '/orders', status: 201, load_run_id: 'run-b' });
    expect(logged.recorded).toHaveLength(0);
  });

  it('continues an unsampled trace without recording it, and starts a new one for an invalid traceparent', async () => {
    const unsampled = '0af7651916cd43dd8448eb211c80319c';
    const invalid = '00000000000000000000000000000000';
    expect(await logged.order('logged-3', { traceparent: `00-${unsampled}-b7ad6b7169203331-00` })).toBe(201);
    expect(await logged.order('logged-4', { traceparent: `00-${invalid}-b7ad6b7169203331-01` })).toBe(201);
    await logged.stack.telemetry.flush();

    const [continued, fresh] = logged.lines.filter((l) => l.message === 'request').slice(-2);
    expect(continued).toMatchObject({ route: '/orders', trace_id: unsampled });
    expect(fresh!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh!.trace_id).not.toBe(invalid);
    expect(logged.recorded).toHaveLength(0);
  });

  it('records a request that continues a sampled trace, with its DynamoDB calls as children', async () => {
    expect(await logged.order('logged-2', { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` })).toBe(201);

    const server = logged.recorded.find((s) => s.name === 'POST /orders')!;
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(server.parentSpanId).toBe('00f067aa0ba902b7');
    const children = logged.recorded.filter((s) => s.parentSpanId === server.spanContext().spanId);
    expect(children.length).toBeGreaterThan(0);
    expect(children.every((s) => s.spanContext().traceId === TRACE_ID)).toBe(true);
    await logged.stack.telemetry.flush();
    const access = logged.lines.filter((l) => l.message === 'request').at(-1);
    expect(access).toMatchObject({ trace_id: TRACE_ID, span_id: server.spanContext().spanId });
  });
});

describe('unsampled requests under a sampler that reads the trace id', () => {
  const ratio = new RootsAsked(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }));
  const always = new RootsAsked(new AlwaysOnSampler());
  let quiet: Awaited<ReturnType<typeof stackWith>>;
  let unsampled: Awaited<ReturnType<typeof stackWith>>;
  let sampled: Awaited<ReturnType<typeof stackWith>>;

  beforeAll(async () => {
    quiet = await stackWith('debug', new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }));
    unsampled = await stackWith('info', ratio);
    sampled = await stackWith('info', always);
  });

  afterAll(async () => {
    await quiet?.stack.stop();
    await unsampled?.stack.stop();
    await sampled?.stack.stop();
  });

  it('decides a GET /menu from the cache with its trace id alone, and starts no span, with the access line off', async () => {
    expect((await fetch(`${quiet.stack.url}/menu`)).status).toBe(200); // fills the cache
    const before = { ...quiet.made };

    for (let i = 0; i < 3; i++) expect((await fetch(`${quiet.stack.url}/menu`)).status).toBe(200);
    // An all-zero traceparent continues no trace: decided and deferred like the rest.
    const zeros = `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`;
    expect((await fetch(`${quiet.stack.url}/menu`, { headers: { traceparent: zeros } })).status).toBe(200);

    expect(quiet.made.traces - before.traces).toBe(4);
    expect(quiet.made.spans - before.spans).toBe(0);
    expect(quiet.recorded).toHaveLength(0);
  });

  it('starts the span of an access line in the trace it decided on, deciding once', async () => {
    expect((await fetch(`${unsampled.stack.url}/menu`)).status).toBe(200); // fills the cache
    await unsampled.stack.telemetry.flush();
    const before = { ...unsampled.made, asked: ratio.traceIds.length, lines: unsampled.lines.length };

    for (let i = 0; i < 3; i++) expect((await fetch(`${unsampled.stack.url}/menu`)).status).toBe(200);
    await unsampled.stack.telemetry.flush();

    const decided = ratio.traceIds.slice(before.asked);
    expect(decided).toHaveLength(3);
    const access = unsampled.lines.slice(before.lines).filter((l) => l.message === 'request');
    expect(access.map((l) => l.trace_id)).toEqual(decided);
    expect(unsampled.made.traces - before.traces).toBe(3);
    expect(unsampled.made.spans - before.spans).toBe(3);
    expect(unsampled.recorded).toHaveLength(0);
  });

  it("keeps an order's DynamoDB calls in the decided trace", async () => {
    const before = { asked: ratio.traceIds.length, traces: unsampled.made.traces };
    expect(await unsampled.order('ratio-1')).toBe(201);
    await unsampled.stack.telemetry.flush();

    expect(ratio.traceIds.slice(before.asked)).toHaveLength(1);
    // Its DynamoDB spans continued the request's span rather than each starting a trace.
    expect(unsampled.made.traces - before.traces).toBe(1);
    expect(unsampled.lines.filter((l) => l.message === 'request').at(-1)!.trace_id).toBe(ratio.traceIds.at(-1));
    expect(unsampled.recorded).toHaveLength(0);
  });

  it('records a sampled request in the trace its sampler was asked about, asking once', async () => {
    const before = always.traceIds.length;
    expect((await fetch(`${sampled.stack.url}/menu`)).status).toBe(200);

    expect(always.traceIds.slice(before)).toHaveLength(1);
    const server = sampled.recorded.find((s) => s.name === 'GET /menu')!;
    expect(server.spanContext().traceId).toBe(always.traceIds.at(-1));
    expect(server.parentSpanId).toBeUndefined();
  });
});
