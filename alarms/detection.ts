/**
 * Detection and reset times per fault window, as the SRE workbook tabulates them for each
 * alerting strategy: for every alarm, whether it fired while the run lasted (counted from
 * the fault's start), how long the fault would have had to last at the severity observed
 * during its window before the alarm fires (the window's observed rates extended), and how
 * long the alarm stays in ALARM after such a fault ends (the fault lasting until the last
 * alarm that fires has fired, then the steady state again).
 *
 * Every answer comes from the same evaluator (`evaluateAlarms`), once a minute as
 * CloudWatch evaluates, over series that already carry their history (history.ts).
 */
import type { AlarmDefinition, Severity } from '../dashboards/index.ts';
import { evaluateAlarms, type AlarmEvaluation, type MetricSeries } from './evaluate.ts';
import { extendWindow, followWithSteady } from './history.ts';

export interface FaultSpan {
  readonly label: string;
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
}

export interface AlarmDetection {
  readonly name: string;
  readonly severity?: Severity;
  /**
   * The alarm was in ALARM before the fault started (the steady state breaches it): it says
   * nothing about the fault, so it has no detection time.
   */
  readonly alreadyInAlarm?: true;
  /** From the fault's start to the alarm's first ALARM while the run lasted. */
  readonly inRunMs?: number;
  /** From the fault's start to ALARM had the fault gone on at its observed severity; absent: not within the horizon. */
  readonly sustainedMs?: number;
  /** From the end of that sustained fault until the alarm is OK again; absent: not within the horizon. */
  readonly resetMs?: number;
}

export interface WindowPrediction extends FaultSpan {
  /** How far the fault was extended (and how long a reset was waited for), ms. */
  readonly horizonMs: number;
  /** How long the sustained fault lasted before it ended, for the reset times. */
  readonly sustainedForMs: number;
  readonly alarms: readonly AlarmDetection[];
}

export interface PredictOptions {
  /** The alarms to predict (the ones with data locally), composites with their children. */
  alarms: readonly AlarmDefinition[];
  /** The run's series, history included. */
  series: readonly MetricSeries[];
  windows: readonly FaultSpan[];
  /** The steady state that follows a fault that ended (epoch ms). */
  steady: { from: number; to: number };
  /** When the run's data ends (epoch ms). */
  runEnd: number;
  /** How far a fault is extended; default one day (the longest alarm window). */
  horizonMs?: number;
}

const STEP_MS = 60_000;
const DAY_MS = 86_400_000;

/** The first time at or after `from` that the alarm entered ALARM, or 0 when it was in ALARM at `from`. */
function firstAlarm(evaluation: AlarmEvaluation, from: number, until = Infinity): number | undefined {
  let state = 'INSUFFICIENT_DATA';
  for (const t of evaluation.transitions) {
    if (t.timestamp >= from) {
      if (state === 'ALARM') return from;
      if (t.to === 'ALARM' && t.timestamp < until) return t.timestamp;
      if (t.timestamp >= until) return undefined;
    }
    state = t.to;
  }
  return state === 'ALARM' ? from : undefined;
}

function firstOk(evaluation: AlarmEvaluation, from: number): number | undefined {
  let state = 'INSUFFICIENT_DATA';
  for (const t of evaluation.transitions) {
    if (t.timestamp >= from && state === 'ALARM' && t.to !== 'ALARM') return t.timestamp;
    state = t.to;
  }
  return state === 'ALARM' ? undefined : from;
}

/** The state after the last evaluation at or before `time`. */
function stateAt(evaluation: AlarmEvaluation, time: number): string {
  let state = 'INSUFFICIENT_DATA';
  for (const t of evaluation.transitions) if (t.timestamp <= time) state = t.to;
  return state;
}

const stepBefore = (t: number): number => Math.floor(t / STEP_MS) * STEP_MS;

/** Every minute for the first two hours (detection to the minute), every ten minutes after. */
const FINE_MS = 2 * 3_600_000;
const COARSE_STEP_MS = 600_000;
export function evaluationTimes(from: number, to: number): number[] {
  const times: number[] = [];
  for (let t = stepBefore(from); t <= to; t += t - stepBefore(from) < FINE_MS ? STEP_MS : COARSE_STEP_MS) times.push(t);
  return times;
}

/** Detection and reset times of every alarm for every fault window. */
export function predictDetections(options: PredictOptions): WindowPrediction[] {
  const { alarms, series, windows, steady, runEnd, horizonMs = DAY_MS } = options;
  const inRun = evaluateAlarms(alarms, series, {
    from: stepBefore(Math.min(...windows.map((w) => w.start), runEnd)),
    to: stepBefore(runEnd) + 2 * STEP_MS,
    stepMs: STEP_MS,
  });
  return windows.map((window, i) => {
    const next = windows[i + 1]?.start ?? Infinity;
    const from = stepBefore(window.start);
    const extended = extendWindow(
      series,
      { from: window.start, to: window.end },
      {
        from: window.start,
        to: window.start + horizonMs,
      },
    );
    const sustained = evaluateAlarms(alarms, extended, { times: evaluationTimes(from, window.start + horizonMs) });
    const detections = new Map(sustained.map((e) => [e.name, firstAlarm(e, window.start)] as const));
    const fired = [...detections.values()].filter((t): t is number => t !== undefined);
    const endAt = fired.length ? Math.max(...fired, window.end) : window.end;
    const after = followWithSteady(
      extendWindow(series, { from: window.start, to: window.end }, { from: window.start, to: endAt }),
      steady,
      { from: endAt, to: endAt + horizonMs },
      series,
    );
    const reset = new Map(
      evaluateAlarms(alarms, after, {
        times: [...evaluationTimes(from, endAt), ...evaluationTimes(endAt, endAt + horizonMs)].filter(
          (t, k, all) => k === 0 || t > all[k - 1]!,
        ),
      }).map((e) => [e.name, e]),
    );
    const detectionsOut: AlarmDetection[] = inRun.map((e) => {
      if (stateAt(e, from) === 'ALARM')
        return { name: e.name, ...(e.severity ? { severity: e.severity } : {}), alreadyInAlarm: true as const };
      const inRunAt = firstAlarm(e, window.start, next);
      const sustainedAt = detections.get(e.name);
      const okAt = sustainedAt !== undefined ? firstOk(reset.get(e.name)!, endAt) : undefined;
      return {
        name: e.name,
        ...(e.severity ? { severity: e.severity } : {}),
        ...(inRunAt !== undefined ? { inRunMs: inRunAt - window.start } : {}),
        ...(sustainedAt !== undefined ? { sustainedMs: Math.max(0, sustainedAt - window.start) } : {}),
        ...(okAt !== undefined ? { resetMs: okAt - endAt } : {}),
      };
    });
    return { ...window, horizonMs, sustainedForMs: endAt - window.start, alarms: detectionsOut };
  });
}

/** "2 min 10 s", "41 min", "1 h 5 min", "15 s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  return sec ? `${m} min ${sec} s` : `${m} min`;
}

/** The earliest of the alarms of a severity: which one, and when. */
export function earliest(
  detections: readonly AlarmDetection[],
  severity: Severity,
  field: 'inRunMs' | 'sustainedMs',
): AlarmDetection | undefined {
  return detections
    .filter((d) => d.severity === severity && d[field] !== undefined)
    .sort((a, b) => a[field]! - b[field]!)[0];
}
