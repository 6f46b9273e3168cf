/**
 * The runner performs the rollbacks an experiment declares, and only those: against a
 * real fault proxy and a real HTTP endpoint standing in for the service's fault control.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDynamoDbFaultProxy, type DynamoDbFaultProxy } from './dynamodb-proxy.ts';
import { defineExperiment, RollbackKinds } from './experiment.ts';
import { experimentByName } from './experiments/index.ts';
import { performRollbacks } from './rollbacks.ts';
import { ExperimentUsageError, runExperiment } from './runner.ts';
import { createServiceFaultClient } from './service-faults.ts';
import type { Target } from './target.ts';

/** The service's fault endpoint as far as a rollback sees it: records each call, answers `status`. */
let faultControl: http.Server;
let faultControlUrl: string;
let calls: string[];
let status: number;
let proxy: DynamoDbFaultProxy;

beforeAll(async () => {
  faultControl = http.createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '' : '{"code":"internal"}');
  });
  await new Promise<void>((resolve) => faultControl.listen(0, '127.0.0.1', resolve));
  faultControlUrl = `http://127.0.0.1:${(faultControl.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => faultControl.close(() => resolve()));
});

beforeEach(async () => {
  calls = [];
  status = 204;
  // Nothing is forwarded in these tests: the upstream is never called.
  proxy = await startDynamoDbFaultProxy({
    upstream: 'http://127.0.0.1:9',
    rules: [{ id: 'outage', fault: { kind: 'error', error: 'ServiceUnavailable' } }],
  });
});

afterEach(async () => {
  await proxy.close();
});

function target(): Target {
  return {
    kind: 'embedded',
    url: () => faultControlUrl,
    proxy,
    serviceFaults: createServiceFaultClient({ baseUrl: faultControlUrl, token: 't' }),
    openStore: async () => undefined,
    close: async () => {},
  };
}

describe('performRollbacks', () => {
  it('clears the proxy rules when declared, and leaves the service fault rules alone when not', async () => {
    const steps = await performRollbacks([RollbackKinds.ClearDynamoDbFaults], target());

    expect(proxy.rules).toEqual([]);
    expect(calls).toEqual([]);
    expect(steps.map((s) => [s.name, s.status])).toEqual([['clear the DynamoDB fault rules (kill switch)', 'ok']]);
  });

  it('calls DELETE /_chaos/faults when declared, and leaves the proxy rules alone when not', async () => {
    const steps = await performRollbacks([RollbackKinds.ClearServiceFaults], target());

    expect(calls).toEqual(['DELETE /_chaos/faults']);
    expect(proxy.rules.map((r) => r.id)).toEqual(['outage']);
    expect(steps.map((s) => [s.name, s.status])).toEqual([['DELETE /_chaos/faults (kill switch)', 'ok']]);
  });

  it('journals a rollback that failed with its error, and still performs the others', async () => {
    status = 500;
    const steps = await performRollbacks(
      [RollbackKinds.ClearServiceFaults, RollbackKinds.ClearDynamoDbFaults],
      target(),
    );

    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['clear the DynamoDB fault rules (kill switch)', 'ok'],
      ['DELETE /_chaos/faults (kill switch)', 'failed'],
    ]);
    expect(steps[1]?.detail).toMatch(/answered 500/);
    expect(proxy.rules).toEqual([]);
  });

  it('journals a declared rollback the target cannot perform as skipped, with why', async () => {
    const steps = await performRollbacks([RollbackKinds.RestartService], target());

    expect(steps).toEqual([
      expect.objectContaining({
        name: 'restart the killed service',
        status: 'skipped',
        detail: 'this target has no service process',
      }),
    ]);
  });
});

describe('runExperiment', () => {
  it('refuses, before starting anything, an experiment that does not declare the rollback of a fault layer it injects', async () => {
    const outage = experimentByName('dynamodb-outage')!;
    const out = join(tmpdir(), `chaos-rollbacks-${process.pid}`);
    const definition = defineExperiment({
      ...outage,
      name: 'outage-without-rollback',
      rollbacks: [RollbackKinds.ClearServiceFaults],
    });

    const run = runExperiment(definition, { out });

    await expect(run).rejects.toThrow(ExperimentUsageError);
    await expect(run).rejects.toThrow(
      /injects dynamodb faults and does not declare their rollback "clear-dynamodb-faults"/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
