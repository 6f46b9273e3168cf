/** The verdict comes from the run's structured outcomes: probes, invariants, abort, interruption and rollbacks. */
import { describe, expect, it } from 'vitest';
import type { AbortTrip } from './abort.ts';
import { InvariantIds, type InvariantResult } from './invariants.ts';
import { decideVerdict, summarise, type RunOutcomes } from './verdict.ts';

const invariant = (status: InvariantResult['status']): InvariantResult => ({
  id: InvariantIds.NoDuplicateOrders,
  title: 'No idempotency key produced two orders',
  status,
  summary: '',
  checked: 1,
  violationCount: status === 'violated' ? 1 : 0,
  violations: status === 'violated' ? ['key k acknowledged as 2 different orders'] : [],
});
const held: RunOutcomes = {
  steadyBefore: { holds: true },
  steadyAfter: { holds: true },
  invariants: [invariant('held'), invariant('skipped')],
  rollbacks: [{ at: 1, name: 'clear the DynamoDB fault rules (kill switch)', status: 'ok' }],
};
const trip: AbortTrip = {
  condition: { kind: 'error-rate', above: 0.2, windowMs: 1_000 },
  observed: 0.5,
  requests: 10,
  at: 1,
  reason: 'error rate 50.0% is above 20.0%',
};

describe('decideVerdict', () => {
  it('passes when the probes held before and after, no invariant was violated and every rollback succeeded', () => {
    expect(decideVerdict(held)).toBe('passed');
  });

  it.each<[string, Partial<RunOutcomes>]>([
    ['the steady state did not hold afterwards', { steadyAfter: { holds: false } }],
    ['an invariant was violated', { invariants: [invariant('held'), invariant('violated')] }],
    ['an error interrupted the run', { interruption: 'socket hang up' }],
    [
      'a rollback failed',
      { rollbacks: [{ at: 1, name: 'DELETE /_chaos/faults (kill switch)', status: 'failed', detail: 'answered 500' }] },
    ],
  ])('fails when %s', (_why, change) => {
    expect(decideVerdict({ ...held, ...change })).toBe('failed');
  });

  it('fails when the closing probes did not run', () => {
    const { steadyAfter: _notProbed, ...outcomes } = held;
    expect(decideVerdict(outcomes)).toBe('failed');
  });

  it('is aborted when an abort condition tripped, whatever else held', () => {
    expect(decideVerdict({ ...held, abort: trip })).toBe('aborted');
    expect(decideVerdict({ ...held, invariants: [invariant('violated')], abort: trip })).toBe('aborted');
  });

  it('does not count a skipped rollback against the run', () => {
    expect(
      decideVerdict({
        ...held,
        rollbacks: [{ at: 1, name: 'restart the killed service', status: 'skipped', detail: 'the service is running' }],
      }),
    ).toBe('passed');
  });
});

describe('summarise', () => {
  it('names the interruption and the rollbacks that failed', () => {
    const outcomes: RunOutcomes = {
      ...held,
      interruption: 'socket hang up',
      rollbacks: [{ at: 1, name: 'DELETE /_chaos/faults (kill switch)', status: 'failed' }],
    };

    expect(summarise('failed', outcomes)).toBe(
      'FAILED. Interrupted by an error: socket hang up. No invariant broke. Held: no-duplicate-orders. Rollbacks failed: DELETE /_chaos/faults (kill switch).',
    );
  });
});
