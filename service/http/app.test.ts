import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_NAME } from '../catalog/metrics.ts';
import { ROUTES } from '../catalog/index.ts';
import { createService } from '../compose.ts';
import type { ServiceConfig } from '../config/config.ts';
import { startLocalStack, type LocalStack } from '../local-stack.ts';
import { api, expectProblem } from '../testing/http-client.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('the router', () => {
  it('registers exactly the routes of the catalog (plus the fault-control routes when faults are on)', async () => {
    const config: ServiceConfig = {
      store: 'endpoint',
      dynamoEndpoint: stack.dynamoEndpoint,
      region: stack.region,
      tableName: stack.tableName,
      sdk: { maxAttempts: 1, requestTimeoutMs: 2_000, connectionTimeoutMs: 1_000 },
      auth: { mode: 'dev' },
      rateLimit: false,
      cacheTtlMs: 1_000,
      faults: { token: 'fault-token-for-the-route-test' },
      telemetry: {
        serviceName: DEFAULT_SERVICE_NAME,
        tracing: false,
        metrics: 'none',
        exportIntervalMs: 60_000,
        logLevel: 'silent',
        accessLogLevel: 'silent',
      },
    };
    const service = await createService(config, { telemetry: stack.telemetry });
    try {
      const keys = service.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`);
      const apiRoutes = keys.filter((k) => !k.includes(' /_chaos/'));
      expect(new Set(apiRoutes).size).toBe(apiRoutes.length);
      expect(apiRoutes.sort()).toEqual(Object.keys(ROUTES).sort());
      expect(keys.filter((k) => k.includes(' /_chaos/')).sort()).toEqual([
        'DELETE /_chaos/faults',
        'GET /_chaos/faults',
        'PUT /_chaos/faults',
      ]);
    } finally {
      await service.close();
    }
  });

  it('answers an unknown route with a 404 problem naming it', async () => {
    const res = await api(stack.url, 'GET', '/no/such/route');
    const problem = expectProblem(res, 404, 'not_found');
    expect(problem.detail).toContain('/no/such/route');
    expect(problem.instance).toBe('/no/such/route');
  });

  it('answers an unregistered method on a known path with a 404 problem', async () => {
    expectProblem(await api(stack.url, 'DELETE', '/menu'), 404, 'not_found');
  });
});

describe('probes', () => {
  it('GET /health answers ok', async () => {
    const res = await api(stack.url, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /ready answers 200 while DynamoDB answers', async () => {
    const res = await api(stack.url, 'GET', '/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
  });

  it('GET /metrics is a 404 problem when the Prometheus exporter is off', async () => {
    expectProblem(await api(stack.url, 'GET', '/metrics'), 404, 'not_found');
  });

  it('GET /metrics serves the Prometheus exposition when the exporter is on', async () => {
    const prom = await startLocalStack({ telemetry: { metrics: 'prometheus' } });
    try {
      expect((await api(prom.url, 'GET', '/menu')).status).toBe(200);
      const res = await api(prom.url, 'GET', '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.text).toMatch(/^# TYPE \w+ histogram$/m);
    } finally {
      await prom.stop();
    }
  });
});

describe('headers on every answer', () => {
  const expectSecureHeaders = (headers: Headers) => {
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(headers.has('x-powered-by')).toBe(false);
    // The internal error-code header never leaves the service.
    expect(headers.has('x-error-code')).toBe(false);
  };

  it('sets secure headers on success and on problem answers', async () => {
    expectSecureHeaders((await api(stack.url, 'GET', '/menu')).headers);
    const notFound = await api(stack.url, 'GET', '/nothing-here');
    expect(notFound.status).toBe(404);
    expectSecureHeaders(notFound.headers);
    const unauthenticated = await api(stack.url, 'GET', '/users/me');
    expect(unauthenticated.status).toBe(401);
    expectSecureHeaders(unauthenticated.headers);
  });

  it('echoes a well-formed x-request-id, on success and on errors', async () => {
    const ok = await api(stack.url, 'GET', '/menu', { headers: { 'x-request-id': 'load-7.req:42' } });
    expect(ok.headers.get('x-request-id')).toBe('load-7.req:42');
    const err = await api(stack.url, 'GET', '/orders/o_nope', { headers: { 'x-request-id': 'req-err-1' } });
    expect(err.status).toBe(401);
    expect(err.headers.get('x-request-id')).toBe('req-err-1');
  });

  it('replaces a malformed x-request-id with a fresh one and makes one up when absent', async () => {
    const odd = await api(stack.url, 'GET', '/health', { headers: { 'x-request-id': 'has spaces <script>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const none1 = await api(stack.url, 'GET', '/health');
    const none2 = await api(stack.url, 'GET', '/health');
    expect(none1.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(none1.headers.get('x-request-id')).not.toBe(none2.headers.get('x-request-id'));
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After on the third quick request of one client, per principal', async () => {
    const limited = await startLocalStack({ rateLimit: { rps: 1, burst: 2 } });
    try {
      const first = await api(limited.url, 'GET', '/menu');
      const second = await api(limited.url, 'GET', '/menu');
      const third = await api(limited.url, 'GET', '/menu');
      expect([first.status, second.status]).toEqual([200, 200]);
      expectProblem(third, 429, 'rate_limited');
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Probes are never limited; another principal has a bucket of its own.
      expect((await api(limited.url, 'GET', '/health')).status).toBe(200);
      const token = await limited.mintToken('rate-limit-other', 'customer');
      expect((await api(limited.url, 'GET', '/menu', { token })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
