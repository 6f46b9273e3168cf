/**
 * "Alarms as expected": each experiment declares what its alarms should do about every
 * fault window (a short blip pages nobody; a sustained outage pages within minutes), and
 * the prediction of the alarm timeline is held against it, window by window. A cold start
 * (`--history none`) is not checked: without a history every window holds only the run, so
 * its answer says nothing about production.
 */
import { formatDuration } from '../alarms/index.ts';
import type { AlarmTimeline, WindowAlarmPrediction } from './alarm-timeline.ts';
import type { AlarmExpectation } from './experiment.ts';
import { InvariantIds, result, skipped, type InvariantResult } from './invariants.ts';

const TITLE = 'The alarms do what the experiment expects of each fault window';

/** One row of the expectation table: what was expected, what was predicted, and whether they agree. */
export interface ExpectationRow {
  window: string;
  severity: AlarmExpectation['severity'];
  expected: string;
  predicted: string;
  holds: boolean;
  reason: string;
}

function expectedText(e: AlarmExpectation): string {
  const parts: string[] = [];
  if (e.duringRun) parts.push(e.duringRun === 'fires' ? 'fires during the run' : 'quiet during the run');
  if (e.sustainedWithinMs !== undefined)
    parts.push(
      e.sustainedWithinMs === 'never'
        ? 'never fires if sustained'
        : `fires within ${formatDuration(e.sustainedWithinMs)} if sustained`,
    );
  return parts.join('; ');
}

function firstOf(p: WindowAlarmPrediction, severity: string, field: 'inRunMs' | 'sustainedMs'): number | undefined {
  const times = p.alarms.filter((a) => a.severity === severity && a[field] !== undefined).map((a) => a[field]!);
  return times.length ? Math.min(...times) : undefined;
}

/** The expectation table for every window and expectation. */
export function expectationRows(
  expectations: readonly AlarmExpectation[],
  predictions: readonly WindowAlarmPrediction[],
): ExpectationRow[] {
  const rows: ExpectationRow[] = [];
  for (const p of predictions) {
    for (const e of expectations) {
      const inRun = firstOf(p, e.severity, 'inRunMs');
      const sustained = firstOf(p, e.severity, 'sustainedMs');
      let holds = true;
      if (e.duringRun === 'fires' && inRun === undefined) holds = false;
      if (e.duringRun === 'quiet' && inRun !== undefined) holds = false;
      if (e.sustainedWithinMs === 'never' && sustained !== undefined) holds = false;
      if (typeof e.sustainedWithinMs === 'number' && (sustained === undefined || sustained > e.sustainedWithinMs))
        holds = false;
      const predicted = [
        inRun === undefined ? 'quiet during the run' : `fired ${formatDuration(inRun)} after the fault started`,
        sustained === undefined
          ? `never within ${formatDuration(p.horizonMs)} if sustained`
          : `fires after ${formatDuration(sustained)} if sustained`,
      ].join('; ');
      rows.push({
        window: p.label,
        severity: e.severity,
        expected: expectedText(e),
        predicted,
        holds,
        reason: e.reason,
      });
    }
  }
  return rows;
}

export function checkAlarmsAsExpected(
  expectations: readonly AlarmExpectation[] | undefined,
  timeline: AlarmTimeline,
): InvariantResult {
  if (!expectations?.length)
    return skipped(InvariantIds.AlarmsAsExpected, TITLE, 'the experiment declares no alarm expectation');
  if (timeline.status !== 'evaluated') return skipped(InvariantIds.AlarmsAsExpected, TITLE, timeline.note);
  if (timeline.history?.kind === 'none')
    return skipped(
      InvariantIds.AlarmsAsExpected,
      TITLE,
      'cold start (--history none): without a history the prediction says nothing about production',
    );
  const predictions = timeline.predictions ?? [];
  if (predictions.length === 0) return skipped(InvariantIds.AlarmsAsExpected, TITLE, 'no fault window was applied');
  const rows = expectationRows(expectations, predictions);
  const violations = rows
    .filter((r) => !r.holds)
    .map((r) => `${r.window}, ${r.severity}: expected ${r.expected}; predicted ${r.predicted}`);
  return result(
    InvariantIds.AlarmsAsExpected,
    TITLE,
    rows.length,
    violations,
    `${rows.length - violations.length} of ${rows.length} expectations met (${predictions.length} fault windows)`,
  );
}
