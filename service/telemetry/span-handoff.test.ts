import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, ROOT_CONTEXT } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbFaultProxy } from '../../chaos/index.ts';
import { startEmbeddedDynamo, startLocalStack } from '../local-stack.ts';
import { startServiceProcess } from '../server/child-process.ts';
import { SpanHandOff } from './span-handoff.ts';

interface OtlpSpan {
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  status?: { code?: number };
  events?: { name: string }[];
  attributes?: { key: string }[];
}
interface OtlpBody {
  resourceSpans: { resource: unknown; scopeSpans: { scope: unknown; spans: OtlpSpan[] }[] }[];
}

/** An OTLP/HTTP JSON receiver on port 0 that keeps every body by path. */
class OtlpReceiver {
  readonly bodies = new Map<string, OtlpBody[]>();
  readonly #server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const list = this.bodies.get(req.url ?? '') ?? [];
      list.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpBody);
      this.bodies.set(req.url ?? '', list);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
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

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('spans handed to the export thread', () => {
  const receiver = new OtlpReceiver();
  let base: string;

  beforeAll(async () => {
    base = await receiver.start();
  });
  afterAll(() => receiver.stop());

  it('reach an OTLP receiver identical to what the SDK batch processor and exporter send', async () => {
    const db = await startEmbeddedDynamo();
    const proxy = await startDynamoDbFaultProxy({ upstream: db.endpoint });
    // One provider, two pipelines: the same spans go through both.
    const provider = new BasicTracerProvider({
      // An asynchronous attribute, as resource detection makes: both wait for it.
      resource: resourceFromAttributes({ 'service.name': 'coffee-cloud', 'host.id': Promise.resolve('host-1') }),
      spanProcessors: [
        new SpanHandOff({ url: `${base}/handoff/v1/traces`, maxExportBatchSize: 4 }),
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/sdk/v1/traces` })),
      ],
    });
    const stack = await startLocalStack({ dynamoEndpoint: proxy.url, telemetry: { tracerProvider: provider } });
    try {
      const token = await stack.mintToken('customer-1', 'customer');
      const order = (key: string, traceparent?: string) =>
        fetch(`${stack.url}/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': key,
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
    } finally {
      await stack.stop();
      await provider.shutdown();
      await proxy.close();
      await db.stop();
    }

    const sdk = receiver.spans('/sdk/v1/traces');
    const handedOff = receiver.spans('/handoff/v1/traces');
    expect(handedOff).toEqual(sdk);
    // The comparison covers what it claims to: remote and local parents, events, error status, the resource.
    const spans = sdk.map((s) => s.span);
    expect(spans.length).toBeGreaterThanOrEqual(6);
    expect(spans.some((s) => s.traceState === 'vendor=a1')).toBe(true);
    expect(spans.some((s) => s.parentSpanId === '00f067aa0ba902b7')).toBe(true);
    expect(spans.some((s) => s.kind === SpanKind.CLIENT + 1 && s.parentSpanId)).toBe(true);
    expect(spans.some((s) => s.events?.some((e) => e.name === 'dynamodb.throttled'))).toBe(true);
    expect(spans.some((s) => s.events?.some((e) => e.name === 'exception'))).toBe(true);
    expect(spans.some((s) => s.status?.code === SpanStatusCode.ERROR)).toBe(true);
    expect(JSON.stringify(sdk[0]!.resource)).toContain('host-1');
  });

  it('drops and counts spans when the hand-off is full, and still sends what it took', async () => {
    const handOff = new SpanHandOff({ url: `${base}/full/v1/traces`, maxQueueSize: 2, onProblem: () => {} });
    const provider = new BasicTracerProvider({ spanProcessors: [handOff] });
    const tracer = provider.getTracer('test');
    // The worker cannot have answered in between: 2 taken, the next 3 dropped.
    for (let i = 0; i < 5; i++) tracer.startSpan(`span ${i}`, {}, ROOT_CONTEXT).end();
    expect(handOff.dropped).toBe(3);
    await provider.shutdown();
    expect(
      receiver
        .spans('/full/v1/traces')
        .map((s) => s.span.name)
        .sort(),
    ).toEqual(['span 0', 'span 1']);
  });

  it('coffee serve sends its spans from the export thread and flushes them when it stops', async () => {
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
    const names = receiver.spans('/serve/v1/traces').map((s) => s.span.name);
    expect(names.filter((name) => name === 'GET /menu')).toHaveLength(3);
  });
});
