/**
 * Turns an experiment's fault schedule into concrete windows: a random schedule is drawn
 * from the run's seed (same seed, same windows), and every time is multiplied by the
 * run's time scale.
 */
import type { ExperimentDefinition, FaultSchedule, FaultWindow } from './experiment.ts';
import { forkRandom } from './random.ts';

/** Windows in start order, times scaled. */
export function resolveSchedule(
  schedule: FaultSchedule,
  { seed, timeScale = 1 }: { seed: number; timeScale?: number },
): FaultWindow[] {
  const scale = (ms: number) => Math.round(ms * timeScale);
  if (schedule.kind === 'fixed') {
    return schedule.windows
      .map((w) => ({ ...w, startMs: scale(w.startMs), durationMs: scale(w.durationMs) }))
      .sort((a, b) => a.startMs - b.startMs);
  }
  const random = forkRandom(seed, 'schedule');
  const gap = schedule.minGapMs ?? 3_000;
  const durations = Array.from(
    { length: schedule.count },
    () => schedule.minDurationMs + random() * (schedule.maxDurationMs - schedule.minDurationMs),
  );
  const span = schedule.latestEndMs - schedule.earliestMs;
  const slack = span - durations.reduce((a, b) => a + b, 0) - gap * (schedule.count - 1);
  if (slack < 0)
    throw new RangeError(
      `a random schedule of ${schedule.count} windows does not fit between ${schedule.earliestMs} and ${schedule.latestEndMs} ms`,
    );
  // Split the slack into count + 1 random shares: before, between and after the windows.
  const weights = Array.from({ length: schedule.count + 1 }, () => random());
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const windows: FaultWindow[] = [];
  let cursor = schedule.earliestMs;
  durations.forEach((duration, i) => {
    cursor += (slack * (weights[i] as number)) / total;
    windows.push({
      label: schedule.label,
      action: schedule.action,
      startMs: scale(cursor),
      durationMs: scale(duration),
    });
    cursor += duration + gap;
  });
  return windows;
}

/** A shortened run keeps at least this much recovery budget: one second can be noisy on a busy machine. */
export const MIN_RECOVERY_BUDGET_MS = 3_000;

/**
 * Scales an experiment's load duration and budgets (not its rates). A shortened run keeps
 * a recovery budget of at least `MIN_RECOVERY_BUDGET_MS`, and enough load after the last
 * fault window to see the recovery within it.
 */
export function scaledTimes(
  definition: ExperimentDefinition,
  timeScale = 1,
  windows: readonly FaultWindow[] = resolveSchedule(definition.schedule, { seed: 1, timeScale }),
) {
  const scale = (ms: number) => Math.max(1, Math.round(ms * timeScale));
  const recoveryBudgetMs = Math.max(
    Math.min(MIN_RECOVERY_BUDGET_MS, definition.recoveryBudgetMs),
    scale(definition.recoveryBudgetMs),
  );
  const lastEnd = Math.max(0, ...windows.map((w) => w.startMs + w.durationMs));
  return {
    loadMs: Math.max(
      scale(definition.load.durationMs),
      timeScale < 1 && windows.length ? lastEnd + recoveryBudgetMs : 0,
    ),
    recoveryBudgetMs,
    settleMs: scale(definition.settleMs ?? 2_000),
    /** Consecutive good seconds that count as recovered (3 at full length). */
    stableBuckets: Math.max(1, Math.round(3 * timeScale)),
    abort: definition.abort.map((a) => ({
      ...a,
      windowMs: scale(a.windowMs),
      ...(a.graceMs !== undefined ? { graceMs: scale(a.graceMs) } : {}),
    })),
  };
}
