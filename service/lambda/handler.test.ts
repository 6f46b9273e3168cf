import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../store/embedded.ts';
import { buildLambdaBundle } from './build.ts';
import { localLambdaEnv } from '../testing/lambda-env.ts';
import { httpApiEvent } from './events.ts';
import { createHandler } from './handler.ts';

const run = promisify(execFile);

describe('Lambda handler (API Gateway HTTP API, payload v2)', () => {
  let db: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  let dir: string;

  beforeAll(async () => {
    db = await startEmbeddedDynamo();
    dir = await mkdtemp(join(tmpdir(), 'coffee-lambda-'));
  });
  afterAll(async () => {
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const env = (emfFile: string) =>
    localLambdaEnv(db.endpoint, { COFFEE_METRICS_EXPORTER: 'emf', COFFEE_EMF_FILE: emfFile });

  it('serves real v2 events and flushes EMF metrics before each invocation returns', async () => {
    const emfFile = join(dir, 'emf.log');
    const handler = createHandler(env(emfFile));
    const registered = (await handler(
      httpApiEvent({
        method: 'POST',
        path: '/users',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'lambda@example.com', name: 'Lam Bda' }),
      }),
    )) as { statusCode: number; body: string };
    expect(registered.statusCode).toBe(201);
    const { token } = JSON.parse(registered.body) as { token: string };
    const order = (await handler(
      httpApiEvent({
        method: 'POST',
        path: '/orders',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'idempotency-key': 'lambda-1',
        },
        body: JSON.stringify({ items: [{ productId: 'flat-white', quantity: 1 }] }),
      }),
    )) as { statusCode: number; body: string; headers: Record<string, string> };
    expect(order.statusCode).toBe(201);
    expect(JSON.parse(order.body).order.total).toBe(380);
    const missing = (await handler(
      httpApiEvent({ path: '/orders/o_nope', headers: { authorization: `Bearer ${token}` } }),
    )) as { statusCode: number; headers: Record<string, string> };
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('application/problem+json');

    // No wait: the invocation itself flushed.
    const docs = (await readFile(emfFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const names = new Set(
      docs.flatMap((d) =>
        (d._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((c) =>
          c.Metrics.map((m) => m.Name),
        ),
      ),
    );
    expect(names).toContain('ColdStarts');
    expect(names).toContain('OrdersPlaced');
    expect(docs.find((d) => 'ColdStarts' in d)?.ColdStarts).toBe(1);
  });

  it('bundles into one ESM file without the embedded store, which a fresh node process runs, sending its spans before it answers', async () => {
    // Inside the repository, so the external AWS SDK resolves from node_modules as the
    // Lambda runtime's own SDK would.
    await mkdir(fileURLToPath(new URL('../../out/', import.meta.url)), { recursive: true });
    const out = await mkdtemp(fileURLToPath(new URL('../../out/lambda-test-', import.meta.url)));
    const bundle = await buildLambdaBundle({ outdir: out });
    const text = await readFile(bundle.file, 'utf8');
    expect(text).not.toMatch(/from\s*["']dynalite["']|require\(["']dynalite["']\)/);
    expect(text).not.toContain('@opentelemetry/sdk-node');
    // Nor the server's own tracer and span hand-off: Lambda keeps the SDK's (tracing-light.ts).
    // The bundle is minified, so its source map says which files are in it.
    const { sources } = JSON.parse(await readFile(`${bundle.file}.map`, 'utf8')) as { sources: string[] };
    expect(sources.some((source) => source.endsWith('service/telemetry/active-request.ts'))).toBe(true);
    expect(sources.filter((source) => /telemetry\/(lean-tracer|lean-span|span-handoff)\.ts$/.test(source))).toEqual([]);
    const probe = fileURLToPath(new URL('./cold-start-probe.mjs', import.meta.url));
    const receiver = await startOtlpJsonReceiver();
    try {
      const { stdout } = await run(
        'node',
        [probe, bundle.file, JSON.stringify(httpApiEvent({ path: '/menu/latte' }))],
        {
          env: {
            ...process.env,
            ...env(join(dir, 'probe-emf.log')),
            COFFEE_TRACING: 'true',
            OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          },
        },
      );
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { statusCode: number; body: string };
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body).product.id).toBe('latte');
      // The process ends right after its answer and nothing exports at exit: these spans
      // arrived because the invocation's flush sent them.
      const spans = receiver.spans();
      const server = spans.find((s) => s.kind === SPAN_KIND_SERVER);
      expect(server?.name).toMatch(/^GET \/menu/);
      expect(spans.filter((s) => s.kind === SPAN_KIND_CLIENT && s.parentSpanId === server?.spanId)).not.toHaveLength(0);
    } finally {
      await receiver.stop();
      await rm(out, { recursive: true, force: true });
    }
  });
});

/** OTLP's span kinds as the JSON encoding numbers them. */
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

interface OtlpJsonSpan {
  name: string;
  kind: number;
  spanId: string;
  parentSpanId?: string;
}

/** An OTLP/HTTP JSON receiver on port 0 that keeps the spans it was sent on /v1/traces. */
async function startOtlpJsonReceiver(): Promise<{ url: string; spans(): OtlpJsonSpan[]; stop(): Promise<void> }> {
  const bodies: { resourceSpans: { scopeSpans: { spans: OtlpJsonSpan[] }[] }[] }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces')
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof bodies)[0]);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => bodies.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
