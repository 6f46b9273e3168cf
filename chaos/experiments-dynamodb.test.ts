/**
 * The DynamoDB experiments, each shortened (time scale 0.1: 6 to 8 s of load) with the
 * audited order workload as traffic, run in sequence against the embedded stack behind
 * the fault proxy. Each must pass: probes before and after, every invariant held.
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineExperiment } from './experiment.ts';
import { experimentByName } from './experiments/index.ts';
import type { Journal } from './journal.ts';
import { runExperiment, type ExperimentRun } from './runner.ts';

const OUT = join(tmpdir(), `chaos-experiments-dynamodb-${process.pid}`);
const TIME_SCALE = 0.1;

async function run(name: string): Promise<ExperimentRun> {
  const definition = experimentByName(name);
  if (!definition) throw new Error(`no experiment ${name}`);
  return runExperiment(definition, { out: join(OUT, name), seed: 7, timeScale: TIME_SCALE });
}

/** The failure message names what did not hold, so a red test says why. */
function expectPassed(run: ExperimentRun): void {
  const broken = run.journal.invariants
    .filter((i) => i.status !== 'held')
    .map((i) => `${i.id}: ${i.summary} ${i.violations.slice(0, 3).join(' | ')}`);
  const steps = run.journal.steps.filter((s) => s.status === 'failed').map((s) => `${s.name}: ${s.detail ?? ''}`);
  expect({ verdict: run.verdict, broken, steps }).toEqual({ verdict: 'passed', broken: [], steps: [] });
}

async function writtenJournal(run: ExperimentRun): Promise<Journal> {
  expect(await readFile(run.reportFile, 'utf8')).toContain('Invariants');
  return JSON.parse(await readFile(run.journalFile, 'utf8')) as Journal;
}

afterAll(async () => {
  await rm(OUT, { recursive: true, force: true });
});

describe('DynamoDB experiments (shortened)', () => {
  it('dynamodb-throttling: the SDK retries throttles, orders stay whole', async () => {
    const result = await run('dynamodb-throttling');
    expectPassed(result);
    const journal = await writtenJournal(result);
    expect(journal.faultWindows[0]?.injected?.['throttle-writes']).toBeGreaterThan(0);
    expect(journal.proxy?.maxAttemptSeen).toBeGreaterThanOrEqual(2);
    expect(journal.orders.acknowledged).toBeGreaterThan(0);
    expect(journal.invariants.map((i) => i.status)).toEqual(['held', 'held', 'held', 'held', 'held', 'held']);
    // Every fault window gets its detection times, and the blip pages nobody with the steady history in front.
    expect(journal.alarms.history?.kind).toBe('steady');
    expect(journal.alarms.predictions).toHaveLength(journal.faultWindows.length);
    expect(journal.alarms.predictions?.[0]?.line).toMatch(/this \d+ s window: no page, no ticket/);
  });

  it('dynamodb-latency: DynamoDB slows down, requests slow down, nothing is lost', async () => {
    const result = await run('dynamodb-latency');
    expectPassed(result);
    const journal = await writtenJournal(result);
    expect(journal.faultWindows[0]?.injected?.['slow-dynamodb']).toBeGreaterThan(0);
  });

  it('dynamodb-outage: every failure is a clean 503, the service comes back', async () => {
    const result = await run('dynamodb-outage');
    expectPassed(result);
    const journal = await writtenJournal(result);
    const contract = journal.invariants.find((i) => i.id === 'error-contract');
    // An outage of every call cannot go unnoticed: 503s were answered and checked.
    expect(contract?.measured?.errorResponses).toBeGreaterThan(0);
    expect(journal.timeline.some((b) => b.all.serverErrors > 0)).toBe(true);
  });

  it('an abort condition stops the run, rolls every fault back and says why', async () => {
    const outage = experimentByName('dynamodb-outage')!;
    const definition = defineExperiment({
      ...outage,
      name: 'outage-with-a-tight-abort',
      abort: [{ kind: 'error-rate', above: 0.2, windowMs: 10_000, minRequests: 5 }],
    });
    const result = await runExperiment(definition, { out: join(OUT, 'abort'), seed: 7, timeScale: TIME_SCALE });

    expect(result.verdict).toBe('aborted');
    expect(result.journal.abort?.reason).toMatch(/error rate .* is above 20\.0%/);
    expect(result.journal.steps.map((s) => s.name)).toContain('abort condition tripped');
    expect(result.journal.rollbacks).toEqual([
      expect.objectContaining({ name: 'clear the DynamoDB fault rules (kill switch)', status: 'ok' }),
    ]);
    // Aborted well before the planned end of the load.
    expect(result.journal.load.to - result.journal.load.from).toBeLessThan(outage.load.durationMs * TIME_SCALE);
    expect(result.journal.summary).toMatch(/^ABORTED\. Aborted: error rate/);
  });

  it('dynamodb-connection-resets: resets before and after the write, no duplicate', async () => {
    const result = await run('dynamodb-connection-resets');
    expectPassed(result);
    const journal = await writtenJournal(result);
    expect(journal.faultWindows).toHaveLength(2);
    expect(journal.proxy?.byOutcome['connection-reset']).toBeGreaterThan(0);
  });
});
