/**
 * Every route of the app, enumerated from the Hono app itself, gets one real request over
 * a real server, and every DynamoDB call that request makes is a span in the request's own
 * trace, below its server span. The calls are counted independently of spans (the
 * DynamoDB duration histogram is recorded with or without a parent), so a call made outside
 * the request's scope, which gets no span at all, fails the test too.
 */
import { SpanKind } from '@opentelemetry/api';
import { MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../catalog/metrics.ts';
import { createService, type Service } from '../compose.ts';
import { loadConfig } from '../config/config.ts';
import { listen, type RunningServer } from '../server/server.ts';
import { startEmbeddedDynamo } from '../store/embedded.ts';
import { createTelemetry, type FullTelemetry } from '../telemetry/telemetry.ts';
import { api, type ApiRequest } from '../testing/http-client.ts';
import { localLambdaEnv } from '../testing/lambda-env.ts';

/** A reader collected on demand, to count DynamoDB calls between two requests. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Fixture {
  customer: string;
  barista: string;
  orderId: string;
}

interface RequestCase {
  path: (f: Fixture) => string;
  request?: (f: Fixture) => ApiRequest;
  status: number;
  /** Whether the route reaches DynamoDB (the menu cache is off here: every read loads). */
  dynamo: boolean;
}

const FAULT_TOKEN = 'fault-token-for-the-route-walk';
const chaos: ApiRequest = { token: FAULT_TOKEN };
const product = { name: 'Walk Latte', category: 'coffee', prices: { medium: 420 }, available: true };

/** One request per `METHOD /template`; a route missing here fails the test. */
const CASES: Record<string, RequestCase> = {
  'GET /health': { path: () => '/health', status: 200, dynamo: false },
  'GET /ready': { path: () => '/ready', status: 200, dynamo: true },
  'GET /metrics': { path: () => '/metrics', status: 200, dynamo: false },
  'GET /menu': { path: () => '/menu', status: 200, dynamo: true },
  'GET /menu/:productId': { path: () => '/menu/latte', status: 200, dynamo: true },
  'PUT /menu/:productId': {
    path: () => '/menu/walk-latte',
    request: (f) => ({ token: f.barista, json: product }),
    status: 200,
    dynamo: true,
  },
  'POST /users': {
    path: () => '/users',
    request: () => ({ json: { email: 'walk.second@example.com', name: 'Walk Two' } }),
    status: 201,
    dynamo: true,
  },
  'GET /users/me': { path: () => '/users/me', request: (f) => ({ token: f.customer }), status: 200, dynamo: true },
  'POST /auth/dev-token': {
    path: () => '/auth/dev-token',
    request: () => ({ json: { sub: 'walk-sub', role: 'customer' } }),
    status: 201,
    dynamo: false,
  },
  'POST /orders': {
    path: () => '/orders',
    request: (f) => ({
      token: f.customer,
      headers: { 'idempotency-key': 'walk-2' },
      json: { items: [{ productId: 'latte', quantity: 1 }] },
    }),
    status: 201,
    dynamo: true,
  },
  'PATCH /orders/:orderId': {
    path: (f) => `/orders/${f.orderId}`,
    request: (f) => ({ token: f.barista, headers: { 'if-match': '1' }, json: { status: 'PREPARING' } }),
    status: 200,
    dynamo: true,
  },
  'GET /orders/:orderId': {
    path: (f) => `/orders/${f.orderId}`,
    request: (f) => ({ token: f.customer }),
    status: 200,
    dynamo: true,
  },
  'GET /orders': {
    path: () => '/orders?status=PLACED',
    request: (f) => ({ token: f.barista }),
    status: 200,
    dynamo: true,
  },
  'GET /users/me/orders': {
    path: () => '/users/me/orders',
    request: (f) => ({ token: f.customer }),
    status: 200,
    dynamo: true,
  },
  'GET /_chaos/faults': { path: () => '/_chaos/faults', request: () => chaos, status: 200, dynamo: false },
  'PUT /_chaos/faults': {
    path: () => '/_chaos/faults',
    request: () => ({ ...chaos, json: { rules: [] } }),
    status: 200,
    dynamo: false,
  },
  'DELETE /_chaos/faults': { path: () => '/_chaos/faults', request: () => chaos, status: 200, dynamo: false },
};

describe('every route of the app, traced', () => {
  const spans = new InMemorySpanExporter();
  let reader: OnDemandReader;
  let db: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  let telemetry: FullTelemetry;
  let service: Service;
  let server: RunningServer;
  let fixture: Fixture;

  /** DynamoDB calls made so far, as the duration histogram counts them. */
  async function dynamoCalls(): Promise<number> {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === Metrics.DynamoDbDuration.otelName);
    return ((metric as HistogramMetricData | undefined)?.dataPoints ?? []).reduce((sum, p) => sum + p.value.count, 0);
  }

  async function serverSpanOf(requestId: string): Promise<ReadableSpan> {
    // The server span ends right after the answer is written; give it a few turns.
    for (let turn = 0; turn < 50; turn++) {
      const span = spans
        .getFinishedSpans()
        .find((s) => s.kind === SpanKind.SERVER && s.attributes['coffee.request_id'] === requestId);
      if (span) return span;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`no server span for request ${requestId}`);
  }

  /** True when `span`'s parent chain, within the finished spans, reaches `ancestor`. */
  function descendsFrom(span: ReadableSpan, ancestor: ReadableSpan): boolean {
    const byId = new Map(spans.getFinishedSpans().map((s) => [s.spanContext().spanId, s]));
    for (
      let parent = span.parentSpanContext?.spanId;
      parent !== undefined;
      parent = byId.get(parent)?.parentSpanContext?.spanId
    ) {
      if (parent === ancestor.spanContext().spanId) return true;
    }
    return false;
  }

  beforeAll(async () => {
    db = await startEmbeddedDynamo();
    const env = localLambdaEnv(db.endpoint, {
      COFFEE_TABLE_NAME: 'coffee-route-walk',
      COFFEE_RATE_LIMIT_RPS: '0',
      // Every menu read loads from the store, so the menu routes' calls are seen.
      COFFEE_CACHE_TTL_MS: '0',
      COFFEE_FAULTS: 'true',
      COFFEE_FAULT_TOKEN: FAULT_TOKEN,
    });
    const config = loadConfig(env, { store: 'endpoint', metrics: 'prometheus' });
    telemetry = await createTelemetry({
      config: config.telemetry,
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
      metricReaders: [(metricProducers) => (reader = new OnDemandReader({ metricProducers }))],
    });
    service = await createService(config, { telemetry });
    server = await listen(service.app);
    const customer = (
      await api(server.url, 'POST', '/users', { json: { email: 'walk.first@example.com', name: 'Walk One' } })
    ).body.token as string;
    const order = await api(server.url, 'POST', '/orders', {
      token: customer,
      headers: { 'idempotency-key': 'walk-1' },
      json: { items: [{ productId: 'latte', quantity: 1 }] },
    });
    expect(order.status, order.text).toBe(201);
    fixture = {
      customer,
      barista: await service.deps.devIssuer!.issue('walk-barista', 'barista'),
      orderId: order.body.order.id as string,
    };
  });

  afterAll(async () => {
    await server?.close(1_000);
    await telemetry?.shutdown();
    await service?.close();
    await db?.stop();
  });

  it('has a request case for every registered route, and no case for a route that is gone', () => {
    const routes = service.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`);
    expect(
      routes.filter((key) => !(key in CASES)),
      'routes without a request case',
    ).toEqual([]);
    expect(
      Object.keys(CASES).filter((key) => !routes.includes(key)),
      'cases without a route',
    ).toEqual([]);
  });

  it("makes every DynamoDB call of a route's request a descendant of that request's server span", async () => {
    const routes = service.app.routes.filter((r) => r.method !== 'ALL' && `${r.method} ${r.path}` in CASES);
    let routesWithCalls = 0;
    for (const [index, { method, path: template }] of routes.entries()) {
      const key = `${method} ${template}`;
      const test = CASES[key]!;
      const requestId = `route-walk-${index}`;
      spans.reset();
      const before = await dynamoCalls();
      const request = test.request?.(fixture) ?? {};
      const res = await api(server.url, method, test.path(fixture), {
        ...request,
        headers: { ...request.headers, 'x-request-id': requestId },
      });
      expect(res.status, `${key}: ${res.text}`).toBe(test.status);
      const serverSpan = await serverSpanOf(requestId);
      expect(serverSpan.attributes['http.route'], key).toBe(template);
      const calls = (await dynamoCalls()) - before;
      const dynamoSpans = spans
        .getFinishedSpans()
        .filter((s) => s.kind === SpanKind.CLIENT && s.attributes['db.system.name'] === 'aws.dynamodb');
      expect(calls > 0, `${key} reaches DynamoDB`).toBe(test.dynamo);
      expect(dynamoSpans.length, `${key}: one span per DynamoDB call`).toBe(calls);
      for (const span of dynamoSpans) {
        expect(span.spanContext().traceId, `${key}: ${span.name} in the request's trace`).toBe(
          serverSpan.spanContext().traceId,
        );
        expect(descendsFrom(span, serverSpan), `${key}: ${span.name} below the server span`).toBe(true);
      }
      if (calls > 0) routesWithCalls++;
    }
    // Not vacuous: most routes do reach the store.
    expect(routesWithCalls).toBeGreaterThan(routes.length / 2);
  });
});
