/**
 * The fault schedule as it runs: each window is applied at its time from the load's start
 * and undone at its end (by the rollback of its layer), its applied times and what the
 * proxy injected are written into its journal entry, and every window start and end is
 * an active period for the abort conditions.
 */
import type { ActivePeriod } from './abort.ts';
import { ROLLBACK_OF_LAYER, type FaultAction, type FaultWindow } from './experiment.ts';
import type { JournalFaultWindow, JournalStep } from './journal.ts';
import { rollBack } from './rollbacks.ts';
import type { Target } from './target.ts';

/** Waits `ms`, or less when `signal` aborts (resolves either way). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

export type StepRecorder = (name: string, status?: JournalStep['status'], detail?: string) => void;

export interface FaultWindowsOptions {
  windows: readonly FaultWindow[];
  /** One entry per window, in the same order; filled in as the windows run. */
  journal: JournalFaultWindow[];
  /** Receives one period per window started. */
  periods: ActivePeriod[];
  target: Target;
  /** Epoch ms the windows' start times count from. */
  loadFrom: number;
  /** Stops the schedule: the window on is undone at once and no other starts. */
  signal: AbortSignal;
  step: StepRecorder;
}

/** Applies each window at its time and undoes it at its end; resolves when all are done or the run stops. */
export async function runFaultWindows({
  windows,
  journal,
  periods,
  target,
  loadFrom,
  signal,
  step,
}: FaultWindowsOptions): Promise<void> {
  for (const [i, window] of windows.entries()) {
    const entry = journal[i] as JournalFaultWindow;
    await sleep(loadFrom + window.startMs - Date.now(), signal);
    if (signal.aborted) return;
    const period: ActivePeriod = { start: Date.now() };
    periods.push(period);
    entry.startedAt = period.start;
    const before = target.proxy?.stats().injectedByRule;
    try {
      step(`fault on: ${window.label}`);
      await apply(window.action, target, window, signal);
      if (window.action.layer !== 'process')
        await sleep(loadFrom + window.startMs + window.durationMs - Date.now(), signal);
    } catch (error) {
      entry.error = (error as Error).message;
      step(`fault ${window.label}`, 'failed', entry.error);
    } finally {
      await rollBack(ROLLBACK_OF_LAYER[window.action.layer], target).catch((error: unknown) => {
        entry.error = (error as Error).message;
      });
      period.end = Date.now();
      entry.endedAt = period.end;
      if (target.proxy && before) entry.injected = diff(target.proxy.stats().injectedByRule, before);
      step(
        `fault off: ${window.label}`,
        entry.error ? 'failed' : 'ok',
        entry.injected ? injectedDetail(entry.injected) : undefined,
      );
    }
  }
}

async function apply(action: FaultAction, target: Target, window: FaultWindow, signal: AbortSignal): Promise<void> {
  switch (action.layer) {
    case 'dynamodb':
      if (!target.proxy) throw new Error('no DynamoDB fault proxy in this target');
      target.proxy.setRules(action.rules);
      return;
    case 'service':
      if (!target.serviceFaults) throw new Error('the service fault endpoint is not available');
      await target.serviceFaults.set(action.rules);
      return;
    case 'process': {
      const proc = target.process;
      if (!proc) throw new Error('no service process in this target');
      await proc.kill();
      await sleep(window.durationMs, signal);
      await proc.restart();
      return;
    }
  }
}

function diff(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, n] of Object.entries(now)) if (n - (before[id] ?? 0) > 0) out[id] = n - (before[id] ?? 0);
  return out;
}

function injectedDetail(injected: Record<string, number>): string | undefined {
  const parts = Object.entries(injected).map(([id, n]) => `${id} ${n}x`);
  return parts.length ? `injected ${parts.join(', ')}` : undefined;
}
