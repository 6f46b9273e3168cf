/**
 * An experiment's verdict and its one-line summary, from the run's structured outcomes
 * (probes, invariants, abort, interruption, rollbacks), never from the steps' wording.
 */
import type { AbortTrip } from './abort.ts';
import { InvariantIds, type InvariantResult } from './invariants.ts';
import type { JournalStep, Verdict } from './journal.ts';
import type { Bucket } from './timeline.ts';

export interface RunOutcomes {
  /** Absent when the probes did not run. */
  steadyBefore?: { holds: boolean };
  steadyAfter?: { holds: boolean };
  invariants: readonly InvariantResult[];
  abort?: AbortTrip;
  /** The error that interrupted the run, when one did. */
  interruption?: string;
  rollbacks: readonly JournalStep[];
}

/**
 * `aborted` when an abort condition tripped; `passed` when the probes held before and
 * after, no invariant was violated, nothing interrupted the run and no rollback failed;
 * `failed` otherwise.
 */
export function decideVerdict(outcomes: RunOutcomes): Verdict {
  if (outcomes.abort) return 'aborted';
  const hypothesisHeld = Boolean(outcomes.steadyBefore?.holds && outcomes.steadyAfter?.holds);
  const invariantsHeld = outcomes.invariants.every((i) => i.status !== 'violated');
  const restored = outcomes.rollbacks.every((r) => r.status !== 'failed');
  return hypothesisHeld && invariantsHeld && restored && outcomes.interruption === undefined ? 'passed' : 'failed';
}

/** What the faults did to the clients: failed requests and the worst p99 per route group inside the windows. */
export function faultImpact(timeline: readonly Bucket[], windows: readonly { start: number; end: number }[]): string {
  const inside = timeline.filter((b) => windows.some((w) => b.start + 1_000 > w.start && b.start < w.end));
  if (inside.length === 0) return '';
  const requests = inside.reduce((n, b) => n + b.all.requests, 0);
  const failed = inside.reduce((n, b) => n + b.all.serverErrors, 0);
  const worst = new Map<string, number>();
  for (const b of inside)
    for (const [group, stats] of Object.entries(b.groups))
      worst.set(group, Math.max(worst.get(group) ?? 0, stats?.p99Ms ?? 0));
  const p99 = [...worst.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([g, ms]) => `${g} ${Math.round(ms)} ms`)
    .join(', ');
  return `During the faults ${failed} of ${requests} requests failed (5xx or no answer); worst p99 per second: ${p99}.`;
}

/** One line: the verdict, then what broke, what held and how fast the service recovered. */
export function summarise(verdict: Verdict, outcomes: RunOutcomes, impact = ''): string {
  if (outcomes.steadyBefore?.holds === false)
    return 'The steady state did not hold before the faults: the experiment was not run.';
  const { invariants, abort } = outcomes;
  const broken = invariants.filter((i) => i.status === 'violated').map((i) => i.id);
  const held = invariants.filter((i) => i.status === 'held').map((i) => i.id);
  const failedRollbacks = outcomes.rollbacks.filter((r) => r.status === 'failed').map((r) => r.name);
  const parts = [
    abort ? `Aborted: ${abort.reason}.` : '',
    outcomes.interruption !== undefined ? `Interrupted by an error: ${outcomes.interruption}.` : '',
    impact,
    broken.length ? `Broken invariants: ${broken.join(', ')}.` : 'No invariant broke.',
    held.length ? `Held: ${held.join(', ')}.` : '',
    outcomes.steadyAfter?.holds === false ? 'The steady state did not hold afterwards.' : '',
    failedRollbacks.length ? `Rollbacks failed: ${failedRollbacks.join(', ')}.` : '',
    recoveredIn(invariants),
  ];
  return `${verdict.toUpperCase()}. ${parts.filter(Boolean).join(' ')}`;
}

function recoveredIn(invariants: readonly InvariantResult[]): string {
  const recovery = invariants.find((i) => i.id === InvariantIds.Recovery);
  const times = recovery?.measured
    ? Object.entries(recovery.measured)
        .filter(([k, v]) => k.endsWith('RecoveryMs') && v !== null)
        .map(([, v]) => v as number)
    : [];
  if (recovery?.status === 'violated' && times.length === 0) return 'It did not recover within the run.';
  return times.length ? `Recovered ${Math.max(...times)} ms after the fault ended.` : '';
}
