import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  type IdGenerator,
  type SpanLimits,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbFaultProxy } from '../../chaos/index.ts';
import { startEmbeddedDynamo, startLocalStack } from '../local-stack.ts';
import { startServiceProcess } from '../server/child-process.ts';
import { LeanTracerProvider } from './lean-tracer.ts';
import { OtlpProtocols, SpanHandOff } from './span-handoff.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status?: { code?: number };
  events?: { name: string; attributes?: { key: string; value: { stringValue?: string } }[] }[];
  links?: { traceState?: string; attributes?: unknown[]; droppedAttributesCount?: number }[];
  attributes?: { key: string; value: { stringValue?: string } }[];
  droppedAttributesCount?: number;
}
interface OtlpBody {
  resourceSpans: { resource: unknown; scopeSpans: { scope: unknown; spans: OtlpSpan[] }[] }[];
}

/** An OTLP/HTTP receiver on port 0 that keeps every body by path (JSON parsed, protobuf as bytes). */
class OtlpReceiver {
  readonly bodies = new Map<string, OtlpBody[]>();
  readonly raw = new Map<string, { contentType: string; body: Buffer }[]>();
  readonly #server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      this.raw.set(path, [...(this.raw.get(path) ?? []), { contentType, body }]);
      if (contentType.startsWith('application/json'))
        this.bodies.set(path, [...(this.bodies.get(path) ?? []), JSON.parse(body.toString('utf8')) as OtlpBody]);
      res.writeHead(200, { 'content-type': contentType }).end(contentType.startsWith('application/json') ? '{}' : '');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Every span received on `path` with its resource and scope, ordered by span id. */
  spans(path: string): { resource: unknown; scope: unknown; span: OtlpSpan }[] {
    const out = (this.bodies.get(path) ?? []).flatMap((body) =>
      body.resourceSpans.flatMap(({ resource, scopeSpans }) =>
        scopeSpans.flatMap(({ scope, spans }) => spans.map((span) => ({ resource, scope, span }))),
      ),
    );
    return out.sort((a, b) => a.span.spanId.localeCompare(b.span.spanId));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** One id generator for both tracers of the tee: each start is given the same ids in both. */
class ScriptedIds implements IdGenerator {
  readonly #random = new RandomIdGenerator();
  next = { traceId: '', spanId: '' };

  draw(): void {
    this.next = { traceId: this.#random.generateTraceId(), spanId: this.#random.generateSpanId() };
  }
  generateTraceId(): string {
    return this.next.traceId;
  }
  generateSpanId(): string {
    return this.next.spanId;
  }
}

/**
 * Two tracer providers behind one: every span the service starts is started in both with
 * the same ids, parent and clock readings (times are given explicitly, in epoch ms), and
 * every call on it is made on both. The lean span is the one the service sees.
 */
class TeeTracerProvider implements TracerProvider {
  constructor(
    readonly ids: ScriptedIds,
    readonly lean: TracerProvider,
    readonly sdk: TracerProvider,
  ) {}

  getTracer(name: string, version?: string): Tracer {
    const [lean, sdk, ids] = [this.lean.getTracer(name, version), this.sdk.getTracer(name, version), this.ids];
    return {
      startSpan(spanName: string, options: SpanOptions = {}, context: Context = ROOT_CONTEXT): Span {
        ids.draw();
        const timed = { ...options, startTime: options.startTime ?? Date.now() };
        return teeSpan(lean.startSpan(spanName, timed, context), sdk.startSpan(spanName, timed, context));
      },
      startActiveSpan: () => {
        throw new Error('not used by the service');
      },
    };
  }
}

function teeSpan(lean: Span, sdk: Span): Span {
  /** The call on both spans, with one clock reading for both. */
  const both = (call: (span: Span, now: number) => unknown) => {
    const now = Date.now();
    call(lean, now);
    call(sdk, now);
    return tee;
  };
  const isTime = (v: unknown) => typeof v === 'number' || v instanceof Date || Array.isArray(v);
  const tee: Span = {
    spanContext: () => lean.spanContext(),
    isRecording: () => lean.isRecording(),
    setAttribute: (key, value) => both((s) => s.setAttribute(key, value)),
    setAttributes: (attributes) => both((s) => s.setAttributes(attributes)),
    addEvent: (name, attributesOrTime, time) =>
      isTime(attributesOrTime)
        ? both((s) => s.addEvent(name, attributesOrTime))
        : both((s, now) => s.addEvent(name, attributesOrTime, time ?? now)),
    addLink: (link) => both((s) => s.addLink(link)),
    addLinks: (links) => both((s) => s.addLinks(links)),
    setStatus: (status) => both((s) => s.setStatus(status)),
    updateName: (name) => both((s) => s.updateName(name)),
    end: (time) => void both((s, now) => s.end(time ?? now)),
    recordException: (exception, time) => void both((s, now) => s.recordException(exception, time ?? now)),
  };
  return tee;
}

/** Limits low enough that the service's spans meet them: long values cut, some attributes dropped. */
const LIMITS: SpanLimits = {
  attributeCountLimit: 8,
  attributeValueLengthLimit: 40,
  eventCountLimit: 2,
  attributePerEventCountLimit: 2,
  linkCountLimit: 2,
  attributePerLinkCountLimit: 1,
};

function teeProviders(base: string, resource: Resource) {
  const ids = new ScriptedIds();
  const handOff = new SpanHandOff({
    url: `${base}/lean/v1/traces`,
    protocol: OtlpProtocols.Json,
    maxExportBatchSize: 4,
    spanLimits: LIMITS,
  });
  const sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() });
  const lean = new LeanTracerProvider({ resource, sampler, idGenerator: ids, sink: handOff });
  const sdk = new BasicTracerProvider({
    resource,
    sampler,
    idGenerator: ids,
    spanLimits: LIMITS,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/sdk/v1/traces` }))],
  });
  return {
    provider: new TeeTracerProvider(ids, lean, sdk),
    shutdown: () => Promise.all([handOff.shutdown(), sdk.shutdown()]),
  };
}

/** Spans with what the service's never have: links, a remote trace state, invalid values, many events, a root. */
function startUnusualSpans(tracer: Tracer): void {
  const state = new TraceState('vendor=b2,other=c3');
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: state,
  });
  const link = (spanId: string, attributes?: Record<string, string>) => ({
    context: { traceId: '5b8efff798038103d269b633813fc60c', spanId, traceFlags: 1, isRemote: true, traceState: state },
    ...(attributes ? { attributes } : {}),
  });
  const span = tracer.startSpan(
    'unusual',
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'a.list': ['x'.repeat(60), 'y'], 'a.bad': { nested: 1 } as never, 'a.mixed': [1, 'two'] as never },
      links: [link('eee19b7ec3c1b173', { 'l.one': '1', 'l.two': '2' }), link('eee19b7ec3c1b174')],
    },
    remote,
  );
  span.addLink(link('eee19b7ec3c1b175'));
  span.setAttribute('a.undefined', undefined as never);
  span.setAttribute('a.number', 3.5);
  for (let i = 0; i < 3; i++) span.addEvent(`event ${i}`, { one: 1, two: 'two', three: true });
  span.setStatus({ code: SpanStatusCode.OK });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'ignored after OK' });
  span.end();
  tracer.startSpan('root, no parent', { root: true }, remote).end();
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('spans handed to the export thread', () => {
  const receiver = new OtlpReceiver();
  let base: string;

  beforeAll(async () => {
    base = await receiver.start();
  });
  afterAll(() => receiver.stop());

  it("reach an OTLP receiver identical to what the SDK's batch processor and exporter send for the same requests", async () => {
    const db = await startEmbeddedDynamo();
    const proxy = await startDynamoDbFaultProxy({ upstream: db.endpoint });
    // An asynchronous attribute, as resource detection makes: both wait for it.
    const resource = resourceFromAttributes({ 'service.name': 'coffee-cloud', 'host.id': Promise.resolve('host-1') });
    const tee = teeProviders(base, resource);
    const stack = await startLocalStack({ dynamoEndpoint: proxy.url, telemetry: { tracerProvider: tee.provider } });
    try {
      const token = await stack.mintToken('customer-1', 'customer');
      const order = (key: string, traceparent?: string) =>
        fetch(`${stack.url}/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': key,
            'user-agent': `a user agent longer than the value length limit of ${LIMITS.attributeValueLengthLimit}`,
            ...(traceparent ? { traceparent, tracestate: 'vendor=a1' } : {}),
          },
          body: JSON.stringify({ items: [{ productId: 'latte', quantity: 1 }] }),
        });
      await (await fetch(`${stack.url}/menu`)).text();
      await (await fetch(`${stack.url}/nowhere`)).text();
      // A throttle the SDK retries away (an event), then a PutItem that fails every attempt (a 503, status ERROR).
      proxy.setRules([
        { match: { operations: ['PutItem'] }, times: 1, fault: { kind: 'error', error: 'ThrottlingException' } },
      ]);
      expect((await order('k-1', `00-${TRACE_ID}-00f067aa0ba902b7-01`)).status).toBe(201);
      proxy.setRules([{ match: { operations: ['PutItem'] }, fault: { kind: 'error', error: 'InternalServerError' } }]);
      expect((await order('k-2')).status).toBe(503);
      proxy.setRules([]);
      startUnusualSpans(tee.provider.getTracer('another-scope', '1.2.3'));
    } finally {
      await stack.stop();
      await tee.shutdown();
      await proxy.close();
      await db.stop();
    }

    const sdk = receiver.spans('/sdk/v1/traces');
    const lean = receiver.spans('/lean/v1/traces');
    expect(lean).toEqual(sdk);
    // The comparison covers what it claims to: remote and local parents, trace state, events,
    // exceptions, error status, limits, links, two scopes, the resource.
    const spans = sdk.map((s) => s.span);
    expect(spans.length).toBeGreaterThanOrEqual(8);
    expect(spans.some((s) => s.traceState === 'vendor=a1')).toBe(true);
    expect(spans.some((s) => s.parentSpanId === '00f067aa0ba902b7')).toBe(true);
    expect(spans.some((s) => s.kind === SpanKind.CLIENT + 1 && s.parentSpanId)).toBe(true);
    expect(spans.some((s) => s.events?.some((e) => e.name === 'dynamodb.throttled'))).toBe(true);
    expect(spans.some((s) => s.events?.some((e) => e.name === 'exception'))).toBe(true);
    expect(spans.some((s) => s.status?.code === SpanStatusCode.ERROR)).toBe(true);
    expect(spans.some((s) => (s.droppedAttributesCount ?? 0) > 0)).toBe(true);
    const userAgents = spans.flatMap((s) => s.attributes ?? []).filter((a) => a.key === 'user_agent.original');
    expect(userAgents.map((a) => a.value.stringValue?.length)).toContain(LIMITS.attributeValueLengthLimit);
    const unusual = spans.find((s) => s.name === 'unusual')!;
    expect(unusual.traceState).toBe('vendor=b2,other=c3');
    expect(unusual.links).toHaveLength(2);
    expect(unusual.events?.map((e) => e.name)).toEqual(['event 1', 'event 2']);
    expect(new Set(sdk.map((s) => JSON.stringify(s.scope))).size).toBe(2);
    expect(JSON.stringify(sdk[0]!.resource)).toContain('host-1');
  });

  it('drops and counts spans when the hand-off is full, and still sends what it took', async () => {
    const handOff = new SpanHandOff({
      url: `${base}/full/v1/traces`,
      protocol: OtlpProtocols.Json,
      maxQueueSize: 2,
      onProblem: () => {},
    });
    const provider = new LeanTracerProvider({
      resource: resourceFromAttributes({}),
      sampler: new AlwaysOnSampler(),
      idGenerator: new RandomIdGenerator(),
      sink: handOff,
    });
    const tracer = provider.getTracer('test');
    // The worker cannot have answered in between: 2 taken, the next 3 dropped.
    for (let i = 0; i < 5; i++) tracer.startSpan(`span ${i}`, {}, ROOT_CONTEXT).end();
    expect(handOff.dropped).toBe(3);
    await handOff.shutdown();
    expect(
      receiver
        .spans('/full/v1/traces')
        .map((s) => s.span.name)
        .sort(),
    ).toEqual(['span 0', 'span 1']);
  });

  it('coffee serve sends its spans in OTLP protobuf from the export thread and flushes them when it stops', async () => {
    const service = await startServiceProcess({
      inheritConfig: false,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `${base}/serve`,
        COFFEE_METRICS_EXPORTER: 'none',
        COFFEE_RATE_LIMIT_RPS: '0',
      },
    });
    try {
      for (let i = 0; i < 3; i++) await (await fetch(`${service.url}/menu`)).text();
    } finally {
      // SIGTERM: the spans wait for the 5 s schedule, so only the shutdown flush sends them.
      expect((await service.stop()).code).toBe(0);
    }
    const bodies = receiver.raw.get('/serve/v1/traces') ?? [];
    expect(bodies.map((b) => b.contentType)).toEqual(bodies.map(() => 'application/x-protobuf'));
    // A span's name is its bytes in the protobuf body, once per span.
    const names = bodies.map((b) => b.body.toString('latin1').split('GET /menu').length - 1);
    expect(names.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('times a span by the wall clock at its start and the monotonic clock after', async () => {
    const handOff = new SpanHandOff({ url: `${base}/clock/v1/traces`, protocol: OtlpProtocols.Json });
    const tracer = new LeanTracerProvider({
      resource: resourceFromAttributes({}),
      sampler: new AlwaysOnSampler(),
      idGenerator: new RandomIdGenerator(),
      sink: handOff,
    }).getTracer('test');
    const before = Date.now();
    const span = tracer.startSpan('timed', {}, ROOT_CONTEXT);
    await new Promise((resolve) => setTimeout(resolve, 20));
    span.addEvent('midway');
    span.end();
    const after = Date.now();
    await handOff.shutdown();
    const sent = receiver.spans('/clock/v1/traces')[0]!.span;
    const ms = (nanos: string | undefined) => Number(BigInt(nanos ?? '0') / 1_000_000n);
    const [start, end] = [ms(sent.startTimeUnixNano), ms(sent.endTimeUnixNano)];
    expect(start).toBeGreaterThanOrEqual(before - 1);
    expect(end).toBeLessThanOrEqual(after + 1);
    expect(end - start).toBeGreaterThanOrEqual(15);
  });
});
