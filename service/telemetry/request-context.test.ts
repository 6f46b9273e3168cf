/**
 * The request context is passed explicitly (service/call-scope.ts), never through an
 * AsyncLocalStorage: with all telemetry on, under concurrent requests, every DynamoDB span
 * is the child of its own request's span, and no AsyncLocalStorage is ever entered.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalStack, type LocalStack } from '../local-stack.ts';

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

describe('the request context, with tracing, EMF metrics and logs on', () => {
  const bodies: string[] = [];
  const collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let dir: string;
  let stack: LocalStack;
  const runs = vi.spyOn(AsyncLocalStorage.prototype, 'run');
  const entered = vi.spyOn(AsyncLocalStorage.prototype, 'enterWith');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-context-'));
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    // The server sends protobuf unless told otherwise; this collector reads JSON.
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'http/json';
    stack = await startLocalStack({
      telemetry: {
        tracing: true,
        metrics: 'emf',
        emfFile: join(dir, 'emf.log'),
        exportIntervalMs: 100,
        logLevel: 'info',
        logFile: join(dir, 'service.log'),
      },
    });
  });

  afterAll(async () => {
    await stack.stop();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL;
    collector.close();
    runs.mockRestore();
    entered.mockRestore();
    await rm(dir, { recursive: true, force: true });
  });

  it('parents each DynamoDB call to its own request under 24 concurrent orders, and enters no AsyncLocalStorage', async () => {
    const token = await stack.mintToken('context-customer', 'customer');
    runs.mockClear();
    entered.mockClear();
    const traces = Array.from({ length: 24 }, () => randomBytes(16).toString('hex'));
    const answers = await Promise.all(
      traces.map((traceId, i) =>
        fetch(`${stack.url}/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': `context-${i}`,
            traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
          },
          body: JSON.stringify({ items: [{ productId: 'latte', quantity: 1 + (i % 3) }] }),
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(traces.map(() => 201));
    // A read after the handler's awaits (body, menu, auth) is still the request's child.
    const [first] = await Promise.all(answers.map((a) => a.json() as Promise<{ order: { id: string } }>));
    await fetch(`${stack.url}/orders/${first!.order.id}`, { headers: { authorization: `Bearer ${token}` } });
    await stack.telemetry.flush();

    const spans: OtlpSpan[] = bodies.flatMap((body) =>
      (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
        r.scopeSpans.flatMap((s) => s.spans),
      ),
    );
    for (const traceId of traces) {
      const server = spans.filter((s) => s.traceId === traceId && s.name === 'POST /orders');
      expect(server).toHaveLength(1);
      const puts = spans.filter((s) => s.name === 'DynamoDB.PutItem' && s.parentSpanId === server[0]!.spanId);
      expect(puts).toHaveLength(1);
      expect(puts[0]!.traceId).toBe(traceId);
    }
    const read = spans.find((s) => s.name === 'GET /orders/:orderId')!;
    expect(spans.filter((s) => s.name === 'DynamoDB.GetItem' && s.parentSpanId === read.spanId)).toHaveLength(1);

    expect(runs).not.toHaveBeenCalled();
    expect(entered).not.toHaveBeenCalled();
  });
});
