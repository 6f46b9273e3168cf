/**
 * The service-side experiments, the broken variant and the demo, shortened and in
 * sequence: a crash and restart of the real `coffee serve` child process, the service's
 * own fault rules, a deliberately broken service whose duplicates the invariant must
 * catch, and the one-command demo with the load-test engine.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemoDetailed } from './demo.ts';
import { experimentByName } from './experiments/index.ts';
import type { Journal } from './journal.ts';
import { createLoadEngine } from './load-engine.ts';
import { runExperiment, type ExperimentRun } from './runner.ts';

const OUT = join(tmpdir(), `chaos-experiments-service-${process.pid}`);
const TIME_SCALE = 0.1;

function definition(name: string) {
  const found = experimentByName(name);
  if (!found) throw new Error(`no experiment ${name}`);
  return found;
}

function expectPassed(run: ExperimentRun): void {
  const broken = run.journal.invariants
    .filter((i) => i.status !== 'held')
    .map((i) => `${i.id}: ${i.summary} ${i.violations.slice(0, 3).join(' | ')}`);
  const steps = run.journal.steps.filter((s) => s.status === 'failed').map((s) => `${s.name}: ${s.detail ?? ''}`);
  expect({ verdict: run.verdict, broken, steps }).toEqual({ verdict: 'passed', broken: [], steps: [] });
}

afterAll(async () => {
  await rm(OUT, { recursive: true, force: true });
});

describe('service experiments (shortened)', () => {
  it('service-crash-restart: SIGKILL twice under load, no acknowledged order lost, no duplicate', async () => {
    const run = await runExperiment(definition('service-crash-restart'), {
      out: join(OUT, 'crash'),
      seed: 7,
      timeScale: TIME_SCALE,
    });
    expectPassed(run);
    const windows = run.journal.faultWindows;
    expect(windows.map((w) => w.startedAt !== undefined && w.endedAt !== undefined)).toEqual([true, true]);
    expect(run.journal.steps.filter((s) => s.name.startsWith('fault on: SIGKILL'))).toHaveLength(2);
    // Each window restarted the service, so the declared restart had nothing left to do.
    expect(run.journal.rollbacks.map((r) => [r.name, r.status, r.detail])).toEqual([
      ['restart the killed service', 'skipped', 'the service is running'],
    ]);
    // Orders acknowledged before the first kill were read back from the data directory after the last restart.
    const firstKill = windows[0]?.startedAt as number;
    expect(run.journal.orders.acknowledged).toBeGreaterThan(0);
    expect(run.journal.timeline.some((b) => b.start < firstKill)).toBe(true);
    // Every index was compared with the table, on the files as the service left them.
    expect(run.journal.invariants.find((i) => i.id === 'indexes-match-table')).toMatchObject({
      status: 'held',
      violationCount: 0,
    });
  });

  it('route-errors: injected errors follow the contract, retried orders are not doubled', async () => {
    const run = await runExperiment(definition('route-errors'), {
      out: join(OUT, 'route-errors'),
      seed: 7,
      timeScale: TIME_SCALE,
    });
    expectPassed(run);
    expect(run.journal.faultWindows.map((w) => w.error)).toEqual([undefined, undefined]);
    // Only the declared rollback: the embedded target's proxy is not touched, route-errors injects nothing there.
    expect(run.journal.rollbacks.map((r) => [r.name, r.status])).toEqual([
      ['DELETE /_chaos/faults (kill switch)', 'ok'],
    ]);
  });

  it('a service with idempotency switched off fails the duplicate-order invariant', async () => {
    const run = await runExperiment(definition('dynamodb-throttling'), {
      out: join(OUT, 'broken'),
      seed: 7,
      timeScale: 0.08,
      unsafe: { idempotency: false },
      // Clients resend half of their acknowledged orders (as after a lost response).
      orders: { replayProbability: 0.5 },
    });
    const duplicates = run.journal.invariants.find((i) => i.id === 'no-duplicate-orders');

    expect(run.verdict).toBe('failed');
    expect(duplicates?.status).toBe('violated');
    expect(duplicates?.measured?.duplicates).toBeGreaterThan(0);
    expect(duplicates?.violations.join('\n')).toMatch(/acknowledged as 2 different orders|duplicates/);
    // The other invariants still judge the broken service on their own terms.
    expect(run.journal.invariants.find((i) => i.id === 'acknowledged-orders-durable')?.status).toBe('held');
    const journal = JSON.parse(await readFile(run.journalFile, 'utf8')) as Journal;
    expect(journal.run.unsafe).toEqual({ idempotency: false });
  });

  it('coffee demo: the load engine, one DynamoDB fault window, the report and the dashboards', async () => {
    const lines: string[] = [];
    let printed = '';
    const out = join(OUT, 'demo');
    const outcome = await runDemoDetailed({
      out,
      timeScale: 0.15,
      loadEngine: await createLoadEngine({ workers: 0 }),
      log: (line) => lines.push(line),
      print: (text) => (printed += text),
    });

    // The demo's steady-state probes are latency SLOs, which a loaded 2-core CI machine can
    // miss at this shortened time scale; the verdict is printed either way. What must hold
    // regardless of speed is the data invariant.
    expect([0, 1]).toContain(outcome.exitCode);
    expect(printed).toMatch(/PASSED|FAILED/);
    expect(printed).toMatch(/held\s+Every acknowledged order is in DynamoDB/);
    expect(lines.some((l) => l.startsWith('- fault on: DynamoDB throttling'))).toBe(true);
    const report = await readFile(outcome.reportFile, 'utf8');
    expect(report).toContain('Invariants');
    expect(report).toContain('Alarm timeline');
    expect(report).toContain('DynamoDB throttling');
    // One writer, one chart library: the experiment's charts and the load test's, both uPlot.
    expect(report).toContain('id="chart-chaos-traffic"');
    expect(report).toContain('id="chart-throughput"');
    expect(report).not.toContain('<svg');
    const journal = JSON.parse(await readFile(outcome.journalFile, 'utf8')) as Journal;
    expect(journal.run.loadEngine).toMatch(/loadtests/);
    expect(journal.load.bySource.load).toBeGreaterThan(0);
    expect(journal.alarms.status).toBe('evaluated');
    const dashboards = await readdir(join(out, 'dashboards'));
    expect(dashboards.length).toBe(outcome.dashboardFiles.length);
    expect(dashboards.length).toBeGreaterThan(0);
    const body = JSON.parse(await readFile(outcome.dashboardFiles[0] as string, 'utf8')) as { widgets?: unknown[] };
    expect(body.widgets?.length).toBeGreaterThan(0);
  });
});
