/**
 * A service started as a child process (`coffee serve`, as the process experiments start it)
 * pointed at the capture by its environment alone: its spans reach the receiver, its access
 * line is matched from its log file, and a request without a sampled traceparent is not traced.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startServiceProcess } from '../../service/index.ts';
import { RunCapture } from './run-capture.ts';

let dir: string | undefined;
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

it('a child service exports its spans to the capture and its log lines are matched from its file', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-capture-child-'));
  const logFile = path.join(dir, 'service.log');
  const capture = await RunCapture.start();
  const service = await startServiceProcess({ env: capture.serviceEnv(), inheritConfig: false, logFile });
  const traceId = randomBytes(16).toString('hex');
  try {
    // First without a traceparent: with parent-based sampling it is not traced, its DynamoDB call neither.
    await fetch(`${service.url}/menu`);
    const res = await fetch(`${service.url}/menu`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(res.status).toBe(200);
    capture.keep({ traceId } as Parameters<RunCapture['keep']>[0]);
  } finally {
    await service.stop();
  }
  const result = await capture.finish({ logFile });
  expect(result.counts.badPayloads).toBe(0);
  const [trace] = result.traces;
  expect(trace?.traceId).toBe(traceId);
  expect(trace?.spans.map((s) => s.name)).toContain('GET /menu');
  expect(result.counts.spansReceived).toBe(trace?.spans.length);
  expect(trace?.logs.some((l) => l.fields.route === '/menu' && l.fields.status === 200)).toBe(true);
}, 60_000);
