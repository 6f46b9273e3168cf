import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceProcess, type ServiceProcess } from '../service/index.ts';
import { experimentByName } from './experiments/index.ts';
import { runExperiment } from './runner.ts';
import { createServiceFaultClient } from './service-faults.ts';

const TOKEN = 'chaos-test-fault-token-0123456789';
let dataDir: string;
let service: ServiceProcess;

async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(new URL(path, service.url), { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'chaos-process-'));
  service = await startServiceProcess({
    dataDir,
    faultToken: TOKEN,
    env: { COFFEE_RATE_LIMIT_RPS: '0', COFFEE_LOG_LEVEL: 'warn', COFFEE_METRICS_EXPORTER: 'none' },
  });
});

afterAll(async () => {
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a service running as a child process, as a remote target', () => {
  it('takes service fault rules (status, event-loop block) through the token-guarded endpoint, and the kill switch clears them', async () => {
    const faults = createServiceFaultClient({ baseUrl: service.url, token: TOKEN });
    await faults.set([
      { route: 'GET /menu', probability: 1, status: 503 },
      { route: 'GET /health', probability: 1, blockMs: 50 },
    ]);
    expect(await faults.list()).toMatchObject([
      { route: 'GET /menu', status: 503 },
      { route: 'GET /health', blockMs: 50 },
    ]);
    const injected = await json('/menu');
    expect(injected.status).toBe(503);
    expect(injected.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(injected.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(injected.body.code).toBe('injected_fault');
    expect((await json('/health')).status).toBe(200);

    await expect(
      createServiceFaultClient({ baseUrl: service.url, token: 'wrong-token-wrong-token-wrong-tok' }).list(),
    ).rejects.toThrow(/answered 40[13]/);
    await faults.clear();
    expect(await faults.list()).toEqual([]);
    expect((await json('/menu')).status).toBe(200);
  });

  it('runs a service-layer experiment against a service already running at a URL', async () => {
    const out = join(dataDir, 'remote-run');
    const run = await runExperiment(experimentByName('route-errors')!, {
      out,
      seed: 3,
      timeScale: 0.05,
      target: { url: service.url, faultToken: TOKEN },
    });

    expect(run.journal.run.target).toEqual({ kind: 'remote', url: service.url });
    expect(run.journal.faultWindows.every((w) => w.startedAt !== undefined && w.error === undefined)).toBe(true);
    // Without the target's DynamoDB endpoint the store cannot be audited, and without its EMF
    // the alarms cannot be predicted: said, not guessed.
    expect(run.journal.invariants.filter((i) => i.status === 'skipped').map((i) => i.id)).toEqual([
      'acknowledged-orders-durable',
      'no-duplicate-orders',
      'orders-reconcile',
      'alarms-as-expected',
    ]);
    expect(run.journal.invariants.find((i) => i.id === 'error-contract')?.status).toBe('held');
    expect(run.journal.alarms.status).toBe('unavailable');
    expect(await createServiceFaultClient({ baseUrl: service.url, token: TOKEN }).list()).toEqual([]);
  });
});
