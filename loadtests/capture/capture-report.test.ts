/**
 * End to end, with the real parts: the service on the embedded DynamoDB behind the fault
 * proxy, throttling every PutItem; the capture receiving its spans and log lines; requests
 * that carry a client-chosen `traceparent`, marked as exemplars; the report opened in
 * Chromium. The failed order's trace shows the server span, the SDK's throttled attempts and
 * the 503; clicking a point of the latency chart opens that second's slowest trace.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbFaultProxy, type DynamoDbFaultProxy } from '../../chaos/index.ts';
import { writeReportPage } from '../../cli/index.ts';
import { startEmbeddedDynamo, startLocalStack, type EmbeddedDynamo, type LocalStack } from '../../service/index.ts';
import { api, getMenu, registerCustomer, requireOnPath } from '../../service/testing/index.ts';
import { capturedStackTelemetry } from './load-run-capture.ts';
import { requestsSection } from './requests-section.ts';
import { RunCapture, type CaptureResult } from './run-capture.ts';
import type { Exemplar } from './types.ts';
import { traceElementId } from './waterfall.ts';

let dir: string;
let browser: Browser;
let dynamo: EmbeddedDynamo;
let proxy: DynamoDbFaultProxy;
let stack: LocalStack;
let capture: RunCapture;
let captured: CaptureResult;
let origin: number;
const ids = { menu: '', order: '' };

/** Sends one request with a fresh sampled traceparent and marks it as the client's exemplar. */
async function traced(
  group: string,
  method: string,
  route: string,
  reqPath: string,
  req: Parameters<typeof api>[3] = {},
): Promise<{ status: number; traceId: string }> {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  const sentAt = Date.now();
  const res = await api(stack.url, method, reqPath, {
    ...req,
    headers: { ...req.headers, traceparent: `00-${traceId}-${spanId}-01` },
  });
  const answeredAt = Date.now();
  const exemplar: Exemplar = {
    traceId,
    spanId,
    routeGroup: group,
    route,
    method,
    path: reqPath,
    status: res.status,
    latencyMs: answeredAt - sentAt,
    intendedAt: sentAt,
    sentAt,
    answeredAt,
    second: Math.floor((sentAt - origin) / 1000),
    reason: res.status >= 500 ? 'failed' : 'slowest',
  };
  capture.keep(exemplar);
  return { status: res.status, traceId };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-capture-'));
  browser = await chromium.launch({ executablePath: requireOnPath('chromium') });
  dynamo = await startEmbeddedDynamo();
  proxy = await startDynamoDbFaultProxy({ upstream: dynamo.endpoint });
  capture = await RunCapture.start();
  const stackTelemetry = capturedStackTelemetry(capture, dir);
  stack = await startLocalStack({ dynamoEndpoint: proxy.url, telemetry: stackTelemetry.telemetry });
  const [product] = await getMenu(stack.url);
  const { token } = await registerCustomer(stack.url);
  // A trace nobody marks: the receiver drops it.
  await api(stack.url, 'GET', '/menu', { headers: { traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01` } });
  origin = Date.now();
  ids.menu = (await traced('menu-read', 'GET', 'GET /menu', '/menu')).traceId;
  // The next second: every PutItem throttled, so the order fails after the SDK's attempts.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  proxy.setRules([
    {
      match: { operations: ['PutItem'] },
      probability: 1,
      fault: { kind: 'error', error: 'ProvisionedThroughputExceededException' },
    },
  ]);
  const order = await traced('order-write', 'POST', 'POST /orders', '/orders', {
    token,
    json: { items: [{ productId: product!.id, quantity: 1 }] },
    headers: { 'idempotency-key': randomBytes(8).toString('hex') },
  });
  expect(order.status).toBe(503);
  ids.order = order.traceId;
  await stack.stop();
  await stackTelemetry.close();
  captured = await capture.finish();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await dynamo?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a run captured by the toolkit', () => {
  it('keeps the marked traces with their spans and log lines and drops the unmarked one', () => {
    expect(captured.traces.map((t) => t.traceId).sort()).toEqual([ids.menu, ids.order].sort());
    expect(captured.counts.tracesDropped).toBeGreaterThanOrEqual(1);
    const order = captured.traces.find((t) => t.traceId === ids.order)!;
    const put = order.spans.find((s) => s.name === 'DynamoDB.PutItem')!;
    expect(put.attributes['coffee.dynamodb.attempts']).toBeGreaterThanOrEqual(2);
    expect(put.events.filter((e) => e.name === 'dynamodb.throttled').length).toBeGreaterThanOrEqual(2);
    expect(order.logs.some((l) => l.fields.status === 503)).toBe(true);
  });

  it('shows the failed order as a waterfall in Chromium, and a latency point opens its second\u2019s slowest trace', async () => {
    const section = requestsSection({ runId: 'test', origin, capture: captured })!;
    const file = await writeReportPage(dir, { title: 'capture', headline: '<h1>capture</h1>', sections: [section] });
    expect((await readFile(file, 'utf8')).length).toBeLessThan(1_000_000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-charts-ready]');

    const order = `#${traceElementId(ids.order)}`;
    expect(await page.textContent(`${order} summary`)).toContain('503');
    expect(await page.locator(`${order} .wf-span.server`).count()).toBe(1);
    expect(await page.locator(`${order} .wf-attempt`).count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator(`${order} .wf-event.throttle`).count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator(`${order} .wf-client`).count()).toBe(1);
    expect(await page.textContent(`${order} table.wf-logs`)).toContain('503');
    expect(await page.locator(`${order}[open]`).count()).toBe(0);

    // The chart has two seconds: the menu read's and the failed order's. Click the second one.
    const plot = page.locator('#chart-capture-slowest .u-over');
    const clickAt = async (side: 'left' | 'right') => {
      await plot.scrollIntoViewIfNeeded();
      const box = (await plot.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.click(side === 'left' ? box.x + 2 : box.x + box.width - 2, box.y + box.height / 2);
    };
    await clickAt('right');
    await page.waitForSelector(`${order}[open]`, { timeout: 5_000 });
    expect(await page.getAttribute('body', 'data-opened')).toBe(traceElementId(ids.order));
    await clickAt('left');
    await page.waitForSelector(`#${traceElementId(ids.menu)}[open]`, { timeout: 5_000 });
    expect(errors).toEqual([]);
    await page.close();
  });
});
