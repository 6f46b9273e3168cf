/**
 * Under a sampler that drops every root span (parentbased_always_off here), a request that
 * continues no trace records nothing and makes its span only when something reads it: its
 * log lines still carry trace and span ids, its DynamoDB calls are children of its span,
 * and a request that continues a sampled trace is recorded as ever.
 */
import { Writable } from 'node:stream';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, ParentBasedSampler } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../local-stack.ts';
import { api } from '../testing/http-client.ts';
import { BatchedIdGenerator } from './batched-ids.ts';
import { SpanClock, type LeanSpan } from './lean-span.ts';
import { LeanTracerProvider } from './lean-tracer.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

async function stackWith(accessLogLevel: 'info' | 'debug') {
  const lines: Record<string, any>[] = [];
  const recorded: LeanSpan[] = [];
  const made = { ids: 0, traces: 0 };
  const ids = new BatchedIdGenerator();
  const provider = new LeanTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'unsampled-test' }),
    sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    idGenerator: {
      generateTraceId: () => (made.ids++, made.traces++, ids.generateTraceId()),
      generateSpanId: () => (made.ids++, ids.generateSpanId()),
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
