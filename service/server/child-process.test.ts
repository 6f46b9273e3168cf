import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceProcess, type ServiceProcess } from './child-process.ts';

const QUIET = { COFFEE_RATE_LIMIT_RPS: '0', COFFEE_LOG_LEVEL: 'warn', COFFEE_METRICS_EXPORTER: 'none' };
let dataDir: string;
let service: ServiceProcess;

async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL(path, service.url), { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'coffee-child-'));
  service = await startServiceProcess({
    dataDir: join(dataDir, 'data'),
    env: QUIET,
    logFile: join(dataDir, 'service.log'),
  });
});

afterAll(async () => {
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the service as a child process', () => {
  it('keeps an acknowledged order across SIGKILL and a restart on the same data directory and port', async () => {
    const menu = await json('/menu');
    const product = menu.body.items.find((p: { available: boolean }) => p.available);
    const registered = await json('/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'crash@example.com', name: 'Crash' }),
    });
    const auth = { authorization: `Bearer ${registered.body.token}`, 'content-type': 'application/json' };
    const order = { items: [{ productId: product.id, quantity: 2, size: Object.keys(product.prices)[0] }] };
    const placed = await json('/orders', {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': 'crash-1' },
      body: JSON.stringify(order),
    });
    expect(placed.status).toBe(201);
    const url = service.url;
    const pid = service.pid;

    const exit = await service.kill();
    expect(exit.signal).toBe('SIGKILL');
    expect(service.running).toBe(false);
    await expect(fetch(new URL('/health', url))).rejects.toThrow();

    await service.restart();
    expect(service.url).toBe(url);
    expect(service.pid).not.toBe(pid);
    expect(service.starts).toBe(2);
    const read = await json(`/orders/${placed.body.order.id}`, { headers: auth });
    expect(read.status).toBe(200);
    expect(read.body.order).toMatchObject({
      id: placed.body.order.id,
      total: placed.body.order.total,
      items: placed.body.order.items,
    });
    // The retry of the same key after the restart answers the same order.
    const retried = await json('/orders', {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': 'crash-1' },
      body: JSON.stringify(order),
    });
    expect(retried.status).toBe(200);
    expect(retried.body.order.id).toBe(placed.body.order.id);
  });

  it('appends what the child prints to the log file, across restarts', async () => {
    const log = await readFile(join(dataDir, 'service.log'), 'utf8');
    expect(log.match(/listening on http:\/\//g)?.length).toBe(service.starts);
  });

  it('rejects with the exit and the end of stderr when the service exits before listening', async () => {
    const start = startServiceProcess({ env: { ...QUIET, COFFEE_RATE_LIMIT_RPS: 'many' } });
    await expect(start).rejects.toThrow(
      /exited \(code 2, signal null\) before listening: .*COFFEE_RATE_LIMIT_RPS must be an integer/s,
    );
  });

  it("leaves out this process's COFFEE_* variables when told not to inherit them", async () => {
    process.env.COFFEE_RATE_LIMIT_RPS = 'many';
    try {
      const isolated = await startServiceProcess({
        env: { COFFEE_LOG_LEVEL: 'warn', COFFEE_METRICS_EXPORTER: 'none' },
        inheritConfig: false,
      });
      expect(isolated.running).toBe(true);
      await isolated.stop();
      expect(isolated.running).toBe(false);
      await expect(startServiceProcess({ env: { COFFEE_LOG_LEVEL: 'warn' } })).rejects.toThrow(
        /COFFEE_RATE_LIMIT_RPS must be an integer/,
      );
    } finally {
      delete process.env.COFFEE_RATE_LIMIT_RPS;
    }
  });

  it('rejects a start that does not print its address within startTimeoutMs', async () => {
    await expect(startServiceProcess({ env: QUIET, startTimeoutMs: 1 })).rejects.toThrow(
      'the service did not start within 1 ms',
    );
  });
});
