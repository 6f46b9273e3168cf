import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbFaultProxy, type DynamoDbFaultProxy } from '../../chaos/index.ts';
import { ALL_METRICS, Dimensions, NAMESPACE, OTEL_UNITS, type DimensionName } from '../catalog/metrics.ts';
import { startLocalStack, startEmbeddedDynamo, type LocalStack } from '../local-stack.ts';

const CLOUDWATCH_UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const EMAIL = 'telemetry.test@example.com';

function lineCollector() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

const json = (body: unknown) => ({ 'content-type': 'application/json', body: JSON.stringify(body) });

describe('telemetry of a request, from load-run id to trace, logs and metrics', () => {
  const spans = new InMemorySpanExporter();
  const metricsOut = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const logs = lineCollector();
  let dir: string;
  let db: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  let proxy: DynamoDbFaultProxy;
  let stack: LocalStack;
  let customer: string;
  let barista: string;

  async function call(
    method: string,
    path: string,
    { token, headers = {}, body }: { token?: string; headers?: Record<string, string>; body?: unknown } = {},
  ) {
    const init: RequestInit = {
      method,
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    };
    if (body !== undefined) {
      const { body: text, ...type } = json(body);
      init.body = text;
      init.headers = { ...init.headers, ...type };
    }
    const response = await fetch(`${stack.url}${path}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-telemetry-'));
    db = await startEmbeddedDynamo();
    proxy = await startDynamoDbFaultProxy({ upstream: db.endpoint });
    stack = await startLocalStack({
      dynamoEndpoint: proxy.url,
      faults: { token: 'fault-token-for-tests' },
      telemetry: {
        tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
        metricReaders: [
          (metricProducers) =>
            new PeriodicExportingMetricReader({
              exporter: metricsOut,
              exportIntervalMillis: 3_600_000,
              metricProducers,
            }),
        ],
        logDestination: logs.stream,
        logLevel: 'info',
        metrics: 'emf',
        emfFile: join(dir, 'emf.log'),
        exportIntervalMs: 3_600_000,
      },
    });
    // A journey that moves every server-side metric of the catalog.
    const registered = await call('POST', '/users', { body: { email: EMAIL, name: 'Tele Metry' } });
    customer = registered.body.token as string;
    barista = await stack.mintToken('barista-1', 'barista');
    await call('GET', '/menu');
    await call('GET', '/menu');
    await call('GET', '/menu/latte');
    const traced = await call('POST', '/orders', {
      token: customer,
      headers: {
        'idempotency-key': 'order-1',
        traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01`,
        'x-load-run-id': 'run-42',
      },
      body: { items: [{ productId: 'latte', quantity: 2 }] },
    });
    expect(traced.status).toBe(201);
    // One throttled PutItem, which the SDK retries away: a retry and a throttle, no error.
    proxy.setRules([
      {
        match: { operations: ['PutItem'] },
        times: 1,
        fault: { kind: 'error', error: 'ProvisionedThroughputExceededException' },
      },
    ]);
    const retried = await call('POST', '/orders', {
      token: customer,
      headers: { 'idempotency-key': 'order-2', baggage: 'coffee.run_id=run-b,synthetic=true' },
      body: { items: [{ productId: 'espresso', quantity: 1, size: 'small' }] },
    });
    expect(retried.status).toBe(201);
    const id = traced.body.order.id as string;
    const headers = (version: number) => ({ 'if-match': String(version) });
    expect(
      (await call('PATCH', `/orders/${id}`, { token: barista, headers: headers(1), body: { status: 'PREPARING' } }))
        .status,
    ).toBe(200);
    expect(
      (await call('PATCH', `/orders/${id}`, { token: barista, headers: headers(2), body: { status: 'READY' } })).status,
    ).toBe(200);
    expect((await call('GET', '/orders/o_missing', { token: customer })).status).toBe(404);
    await fetch(`${stack.url}/_chaos/faults`, {
      method: 'PUT',
      headers: { authorization: 'Bearer fault-token-for-tests', 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ route: 'GET /menu/:productId', probability: 1, exception: true }] }),
    });
    expect((await call('GET', '/menu/mocha')).status).toBe(500);
    await fetch(`${stack.url}/_chaos/faults`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer fault-token-for-tests' },
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // event-loop delay samples
    await stack.telemetry.flush();
  });

  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await db?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const serverSpan = (name: string, pred: (s: ReadableSpan) => boolean = () => true) =>
    spans.getFinishedSpans().find((s) => s.name === name && pred(s));

  it('continues an incoming traceparent in one server span named by the route template', () => {
    const span = serverSpan('POST /orders', (s) => s.spanContext().traceId === TRACE_ID);
    expect(span).toBeDefined();
    expect(span!.parentSpanContext?.spanId).toBe(PARENT_SPAN);
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/orders',
      'http.response.status_code': 201,
      'url.path': '/orders',
      'coffee.load_run_id': 'run-42',
    });
    expect(span!.attributes['user_agent.original']).toBeTypeOf('string');
  });

  it('makes each DynamoDB call a child span with operation, table and consumed capacity', () => {
    const parent = serverSpan('POST /orders', (s) => s.spanContext().traceId === TRACE_ID)!;
    const children = spans
      .getFinishedSpans()
      .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
    const put = children.find((s) => s.name === 'DynamoDB.PutItem');
    expect(put).toBeDefined();
    expect(put!.spanContext().traceId).toBe(TRACE_ID);
    expect(put!.attributes).toMatchObject({
      'db.operation.name': 'PutItem',
      'db.system.name': 'aws.dynamodb',
      'aws.dynamodb.table_names': [stack.tableName],
    });
    expect(put!.attributes['aws.dynamodb.consumed_capacity']).toBeTypeOf('number');
  });

  it('puts a throttle on the span of the call it happened to, among calls at once', async () => {
    // The client shares one handler, and its context, between the calls of a command class
    // (dynamo-client.ts): each call's span must still be its own.
    proxy.setRules([
      { match: { operations: ['PutItem'] }, times: 1, fault: { kind: 'error', error: 'ThrottlingException' } },
    ]);
    const answers = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        call('POST', '/orders', {
          token: customer,
          headers: { 'idempotency-key': `together-${i}`, baggage: 'coffee.run_id=run-together' },
          body: { items: [{ productId: 'latte', quantity: i }] },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    await stack.telemetry.flush();
    const servers = spans
      .getFinishedSpans()
      .filter((s) => s.name === 'POST /orders' && s.attributes['coffee.load_run_id'] === 'run-together');
    const puts = servers.map((server) =>
      spans
        .getFinishedSpans()
        .find((s) => s.name === 'DynamoDB.PutItem' && s.parentSpanContext?.spanId === server.spanContext().spanId),
    );
    expect(puts).toHaveLength(4);
    const throttled = puts.filter((put) => put?.events.some((e) => e.name === 'dynamodb.throttled'));
    expect(throttled).toHaveLength(1);
    expect(throttled[0]?.attributes['coffee.dynamodb.attempts']).toBe(2);
    expect(puts.filter((put) => put?.attributes['coffee.dynamodb.attempts'] === 1)).toHaveLength(3);
  });

  it('puts a throttle the SDK retried away on the DynamoDB call span, as an event', () => {
    const server = serverSpan('POST /orders', (s) => s.attributes['coffee.load_run_id'] === 'run-b')!;
    const put = spans
      .getFinishedSpans()
      .find((s) => s.name === 'DynamoDB.PutItem' && s.parentSpanContext?.spanId === server.spanContext().spanId);
    expect(put?.events.map((e) => e.name)).toEqual(['dynamodb.throttled']);
    expect(put?.attributes['coffee.dynamodb.attempts']).toBe(2);
  });

  it('reads the load run id from baggage when there is no header', () => {
    expect(serverSpan('POST /orders', (s) => s.attributes['coffee.load_run_id'] === 'run-b')).toBeDefined();
  });

  it('records a 5xx as an error span with an exception event', () => {
    const failed = serverSpan('GET /menu/:productId', (s) => s.attributes['http.response.status_code'] === 500)!;
    expect(failed.status.code).toBe(2);
    expect(failed.events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('puts the trace id of a request on its log lines, and redacts e-mail addresses and tokens', () => {
    const span = serverSpan('POST /orders', (s) => s.spanContext().traceId === TRACE_ID)!;
    const access = logs.lines.find((l) => l.trace_id === TRACE_ID && l.message === 'request');
    expect(access).toMatchObject({
      span_id: span.spanContext().spanId,
      load_run_id: 'run-42',
      route: '/orders',
      status: 201,
      level: 'info',
    });
    expect(access!.duration_ms).toBeTypeOf('number');
    expect(logs.lines.some((l) => l.level === 'error' && l.code === 'internal' && typeof l.trace_id === 'string')).toBe(
      true,
    );
    const text = JSON.stringify(logs.lines);
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain(customer);
  });

  it('emits every server-side catalog metric with the catalog unit and dimensions, and nothing else', () => {
    const exported = metricsOut
      .getMetrics()
      .at(-1)!
      .scopeMetrics.flatMap((s) => s.metrics);
    const byName = new Map(exported.map((m) => [m.descriptor.name, m]));
    const expected = ALL_METRICS.filter((m) => m.runtime !== 'lambda');
    expect([...byName.keys()].sort()).toEqual(expected.map((m) => m.otelName).sort());
    for (const def of expected) {
      const metric = byName.get(def.otelName)!;
      expect(metric.descriptor.unit, def.name).toBe(OTEL_UNITS[def.unit]);
      expect(metric.dataPoints.length, def.name).toBeGreaterThan(0);
      const allowed = new Set(def.dimensions.map((d: DimensionName) => Dimensions[d].attribute));
      for (const point of metric.dataPoints)
        for (const key of Object.keys(point.attributes)) expect(allowed, `${def.name}.${key}`).toContain(key);
    }
  });

  it('writes EMF that follows the specification', async () => {
    const docs = (await readFile(join(dir, 'emf.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(docs.length).toBeGreaterThan(0);
    const seen = new Set<string>();
    for (const doc of docs) {
      expect(Number.isInteger(doc._aws.Timestamp)).toBe(true);
      expect(Math.abs(doc._aws.Timestamp - Date.now())).toBeLessThan(60_000);
      for (const directive of doc._aws.CloudWatchMetrics) {
        expect(directive.Namespace).toBe(NAMESPACE);
        expect(directive.Metrics.length).toBeLessThanOrEqual(100);
        for (const set of directive.Dimensions) {
          expect(set.length).toBeLessThanOrEqual(30);
          for (const dimension of set) expect(typeof doc[dimension]).toBe('string');
        }
        for (const { Name, Unit } of directive.Metrics) {
          const def = ALL_METRICS.find((m) => m.name === Name);
          expect(def, Name).toBeDefined();
          expect(CLOUDWATCH_UNITS.has(Unit)).toBe(true);
          expect(Unit).toBe(def!.unit);
          expect(def!.dimensionSets.map((s) => s.join(','))).toContain(directive.Dimensions[0].join(','));
          const value = doc[Name];
          if (typeof value === 'object') {
            expect(value.Values.length).toBe(value.Counts.length);
            expect(value.Values.length).toBeLessThanOrEqual(100);
            expect(value.Counts.reduce((a: number, b: number) => a + b, 0)).toBe(value.Count);
          } else {
            expect(typeof value).toBe('number');
          }
          seen.add(Name);
        }
      }
    }
    expect(seen).toContain('OrdersPlaced');
    expect(seen).toContain('DynamoDbThrottles');
    expect(seen).toContain('HttpRequestDuration');
  });
});

describe('Prometheus exposition', () => {
  it('passes promtool check metrics, with names from the catalog', async () => {
    const stack = await startLocalStack({ telemetry: { metrics: 'prometheus' } });
    try {
      await fetch(`${stack.url}/menu`);
      await fetch(`${stack.url}/menu/nope`);
      const text = await (await fetch(`${stack.url}/metrics`)).text();
      expect(text).toContain('coffee_http_server_duration_bucket{');
      expect(text).toContain('coffee_cache_hits_total');
      const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, output }));
        child.stdin.end(text);
      });
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});

describe('OTLP/HTTP export', () => {
  it('sends traces and metrics to a collector, as JSON', async () => {
    const received: { path: string; body: string }[] = [];
    const collector = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    // The server sends protobuf unless told otherwise; this collector reads JSON.
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'http/json';
    const stack = await startLocalStack({ telemetry: { tracing: true, metrics: 'otlp', exportIntervalMs: 3_600_000 } });
    try {
      expect((await fetch(`${stack.url}/menu`)).status).toBe(200);
      await stack.telemetry.flush();
      const traces = received.find((r) => r.path === '/v1/traces');
      const metrics = received.find((r) => r.path === '/v1/metrics');
      expect(traces).toBeDefined();
      const spans = (JSON.parse(traces!.body) as any).resourceSpans.flatMap((r: any) =>
        r.scopeSpans.flatMap((s: any) => s.spans),
      );
      expect(spans.map((s: any) => s.name)).toContain('GET /menu');
      expect(spans.map((s: any) => s.name)).toContain('DynamoDB.Query');
      const names = (JSON.parse(metrics!.body) as any).resourceMetrics.flatMap((r: any) =>
        r.scopeMetrics.flatMap((s: any) => s.metrics.map((m: any) => m.name)),
      );
      expect(names).toContain('coffee.http.server.duration');
    } finally {
      await stack.stop();
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL;
      collector.close();
    }
  });
});
