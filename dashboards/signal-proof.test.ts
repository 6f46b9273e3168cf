/**
 * Signal proof: every metric and dimension set a CloudWatch dashboard widget or alarm
 * references is really emitted by the service. The service runs on the embedded store
 * under a short load (plus one throttled write, so retries and throttles are counted),
 * and once as the Lambda handler (cold starts); its EMF output is compared with
 * `referencedSignals()`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbFaultProxy } from '../chaos/index.ts';
import { NAMESPACE } from '../service/catalog/index.ts';
import { httpApiEvent, createHandler, startEmbeddedDynamo, startLocalStack, localLambdaEnv } from '../service/index.ts';
import { runLoad } from '../loadtests/index.ts';
import { referencedSignals } from '../alarms/index.ts';

describe('signal proof', () => {
  let dir: string;
  let emitted: Set<string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-signals-'));
    const emfFile = join(dir, 'emf.log');
    const db = await startEmbeddedDynamo();
    const proxy = await startDynamoDbFaultProxy({ upstream: db.endpoint });
    const stack = await startLocalStack({
      dynamoEndpoint: proxy.url,
      telemetry: { metrics: 'emf', emfFile, exportIntervalMs: 60_000 },
    });
    try {
      await runLoad({ target: stack.url, profile: 'smoke', durationS: 3, rate: 4, seed: 3 });
      // A journey that surely moves the business metrics, with one throttled write.
      const json = { 'content-type': 'application/json' };
      const registered = (await (
        await fetch(`${stack.url}/users`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ email: 'signals@example.com', name: 'Signal Proof' }),
        })
      ).json()) as { token: string };
      proxy.setRules([
        {
          match: { operations: ['PutItem'] },
          times: 1,
          fault: { kind: 'error', error: 'ProvisionedThroughputExceededException' },
        },
      ]);
      const placed = (await (
        await fetch(`${stack.url}/orders`, {
          method: 'POST',
          headers: { ...json, authorization: `Bearer ${registered.token}`, 'idempotency-key': 'signal-proof' },
          body: JSON.stringify({ items: [{ productId: 'latte', quantity: 1 }] }),
        })
      ).json()) as { order: { id: string } };
      const barista = await stack.mintToken('barista-signals', 'barista');
      for (const [version, status] of [
        [1, 'PREPARING'],
        [2, 'READY'],
        [3, 'PICKED_UP'],
      ] as const) {
        await fetch(`${stack.url}/orders/${placed.order.id}`, {
          method: 'PATCH',
          headers: { ...json, authorization: `Bearer ${barista}`, 'if-match': String(version) },
          body: JSON.stringify({ status }),
        });
      }
      await fetch(`${stack.url}/orders/o_missing`, { headers: { authorization: `Bearer ${barista}` } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await stack.telemetry.flush();
      // The Lambda handler, once: cold starts exist only there.
      const handler = createHandler(
        localLambdaEnv(db.endpoint, { COFFEE_METRICS_EXPORTER: 'emf', COFFEE_EMF_FILE: emfFile }),
      );
      await handler(httpApiEvent({ path: '/menu' }));
    } finally {
      await stack.stop();
      await proxy.close();
      await db.stop();
    }
    emitted = new Set();
    for (const line of (await readFile(emfFile, 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      const doc = JSON.parse(line) as {
        _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
      };
      for (const directive of doc._aws.CloudWatchMetrics) {
        for (const set of directive.Dimensions) {
          for (const metric of directive.Metrics)
            emitted.add(`${directive.Namespace}|${metric.Name}|${[...set].sort().join(',')}`);
        }
      }
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds every metric and dimension set of the dashboards and alarms in what the service emits', () => {
    const signals = referencedSignals();
    expect(signals.length).toBeGreaterThan(10);
    const missing = signals
      .filter((s) => s.namespace === NAMESPACE)
      .map((s) => `${s.namespace}|${s.metricName}|${[...s.dimensions].sort().join(',')}`)
      .filter((key) => !emitted.has(key));
    expect(missing).toEqual([]);
  });

  it('would notice a reference nobody emits', () => {
    expect(emitted.has(`${NAMESPACE}|OrdersPlaced|Nonexistent,Service`)).toBe(false);
    expect(emitted.has(`${NAMESPACE}|OrdersPlaced|Service`)).toBe(true);
  });
});
