/**
 * Which alarms would have fired during a run, and when: the alarm definitions (alarms/)
 * evaluated by the alarms' local CloudWatch model over the service's own metrics from
 * the run, read back from the EMF output the service wrote while it ran, with a history in
 * front of the run (by default the run's own steady state before the first fault, over the
 * longest alarm window), and for every fault window the detection and reset times of every
 * alarm had the fault gone on at its observed severity.
 *
 * Why the service's EMF and not the load result: the alarms are defined on the service's
 * metrics (route groups, error codes, DynamoDB retries and throttles after the SDK), which
 * a client cannot see. Periods and the one-minute evaluation step are CloudWatch's own.
 * Alarms on AWS-vended metrics (Lambda, API Gateway, the table's own CloudWatch metrics,
 * CloudTrail) have no data locally and are listed apart.
 */
import { readFile } from 'node:fs/promises';
import {
  buildAlarmDefinitions,
  earliest,
  evaluateAlarms,
  formatDuration,
  HistoryFileError,
  HistoryKinds,
  longestWindowMs,
  readHistoryFile,
  predictDetections,
  seriesFromEmf,
  withRecordedHistory,
  withSteadyHistory,
  type AlarmDetection,
  type History,
  type MetricSeries,
} from '../alarms/index.ts';
import type { AlarmDefinition } from '../dashboards/index.ts';
import { NAMESPACE } from '../service/catalog/index.ts';

export interface AlarmTransition {
  /** Epoch ms of the evaluation that changed the state. */
  at: number;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
}

export interface AlarmTimelineEntry {
  name: string;
  kind: string;
  severity?: string;
  transitions: AlarmTransition[];
  /** Epoch ms of the first ALARM within the run, when it fired. */
  firedAt?: number;
  /** Why it could not be evaluated (anomaly detection). */
  notEvaluable?: string;
}

/** Which history stood in front of the run. */
export interface HistoryUsed {
  kind: History['kind'];
  /** One line for the report, e.g. "steady state of the first 15 s, over 1 d". */
  label: string;
  /** How far back it reaches, ms (0 for a cold start). */
  lengthMs: number;
  source?: string;
}

/** What one fault window did to the alarms, and would have done had it gone on. */
export interface WindowAlarmPrediction {
  label: string;
  /** Epoch ms. */
  start: number;
  end: number;
  /** What the window did to the service, e.g. "order-write requests failing at 32%". */
  severity: string;
  /** How long the extended fault lasted for the reset times. */
  sustainedForMs: number;
  horizonMs: number;
  alarms: AlarmDetection[];
  /** The reader's line: "...: page after 2 min 10 s, ticket after 41 min; this 15 s window: no page, no ticket". */
  line: string;
}

export interface AlarmTimeline {
  status: 'evaluated' | 'unavailable';
  note: string;
  /** Seconds between evaluations (0 when unavailable). */
  periodSeconds: number;
  /** Alarms that had data from the run, in definition order. */
  alarms: AlarmTimelineEntry[];
  /** Alarms with no data here (AWS-vended metrics, anomaly detection). */
  withoutData: string[];
  history?: HistoryUsed;
  /** One per fault window that was applied. */
  predictions?: WindowAlarmPrediction[];
}

/** How the history is chosen: `steady` (default), `none`, or a recorded one (`readHistoryFile`). */
export type HistoryChoice = History;

export interface AlarmTimelineSource {
  /** The service's EMF output for the run (absent for a remote target). */
  emfFile: string | undefined;
  /** The run's span, epoch ms. */
  from: number;
  to: number;
  /** The fault windows that were applied, epoch ms. */
  windows?: readonly { label: string; start: number; end: number }[];
  /** Default `{ kind: 'steady' }`. */
  history?: HistoryChoice;
}

const STEP_MS = 60_000;
const RECOVERY_MS = 10_000;
/** Less load than this before the first fault is measured with the rest of the run outside the faults. */
const MIN_STEADY_MS = 10_000;
const SEVERITIES = ['page', 'ticket'] as const;

/** `--history`: `steady` (default), `none` (a cold start) or a file of EMF lines or a GetMetricData export. */
export async function resolveHistory(value: string | undefined): Promise<HistoryChoice> {
  if (value === undefined || value === HistoryKinds.Steady) return { kind: HistoryKinds.Steady };
  if (value === HistoryKinds.None) return { kind: HistoryKinds.None };
  return readHistoryFile(value);
}

export { HistoryFileError };

export function unavailableTimeline(note: string): AlarmTimeline {
  return { status: 'unavailable', note, periodSeconds: 0, alarms: [], withoutData: [] };
}

/** The alarms that watch the service's own metrics, and the composites of such alarms. */
function serviceAlarmsOf(alarms: readonly AlarmDefinition[]): Set<string> {
  const names = new Set<string>();
  for (const definition of alarms) {
    if (definition.kind !== 'composite' && JSON.stringify(definition).includes(`"namespace":"${NAMESPACE}"`))
      names.add(definition.name);
  }
  for (const definition of alarms) {
    if (
      definition.kind === 'composite' &&
      [...names].some((name) => JSON.stringify(definition.rule).includes(JSON.stringify(name)))
    )
      names.add(definition.name);
  }
  return names;
}

/** The series with the chosen history in front of the run. */
function applyHistory(
  series: MetricSeries[],
  history: HistoryChoice,
  source: AlarmTimelineSource,
  lengthMs: number,
): { series: MetricSeries[]; used: HistoryUsed } {
  const steadyTo = Math.min(source.to, ...(source.windows ?? []).map((w) => w.start));
  switch (history.kind) {
    case HistoryKinds.None:
      return {
        series,
        used: { kind: history.kind, label: 'none: a cold start (every window holds only the run)', lengthMs: 0 },
      };
    case HistoryKinds.Recorded:
      return {
        series: withRecordedHistory(series, history.series, { runStart: source.from, lengthMs }),
        used: {
          kind: history.kind,
          label: `recorded in ${history.source}, shifted to end where the run starts (at most ${formatDuration(lengthMs)})`,
          lengthMs,
          source: history.source,
        },
      };
    default: {
      // A few seconds of a ramping load are no steady state: then the run outside its faults is.
      const short = steadyTo - source.from < MIN_STEADY_MS;
      const outside = outsideFaults(source);
      const measured = short
        ? `the run outside its fault windows (${formatDuration(outside.reduce((n, i) => n + i.to - i.from, 0))}; only ${formatDuration(steadyTo - source.from)} before the first fault)`
        : `its first ${formatDuration(steadyTo - source.from)}, before the first fault`;
      return {
        series: withSteadyHistory(series, {
          steadyFrom: source.from,
          steadyTo: short ? source.from : steadyTo,
          runStart: source.from,
          lengthMs,
          fallback: outside,
        }),
        used: {
          kind: history.kind,
          label: `the run's steady state (rates and error ratios of ${measured}) extended back over ${formatDuration(lengthMs)}, the longest alarm window`,
          lengthMs,
        },
      };
    }
  }
}

/** The run outside its fault windows and 10 s after each (recovery): for series absent before the first fault. */
function outsideFaults({ from, to, windows = [] }: AlarmTimelineSource): { from: number; to: number }[] {
  const intervals: { from: number; to: number }[] = [];
  let cursor = from;
  for (const w of [...windows].sort((a, b) => a.start - b.start)) {
    if (w.start > cursor) intervals.push({ from: cursor, to: w.start });
    cursor = Math.max(cursor, w.end + RECOVERY_MS);
  }
  if (to > cursor) intervals.push({ from: cursor, to });
  return intervals;
}

/** "order-write requests failing at 32%" or "order-write p99 at 1200 ms": the worst route group in the window. */
export function windowSeverity(series: readonly MetricSeries[], start: number, end: number): string {
  const groups = new Map<string, { total: number; bad: number; values: Map<number, number> }>();
  for (const s of series) {
    if (s.metricName !== 'HttpRequestDuration' || s.dimensions.RouteGroup === undefined) continue;
    const keys = Object.keys(s.dimensions).sort().join(',');
    const group = groups.get(s.dimensions.RouteGroup) ?? { total: 0, bad: 0, values: new Map() };
    groups.set(s.dimensions.RouteGroup, group);
    for (const o of s.observations) {
      if (o.timestamp < start || o.timestamp >= end) continue;
      const count = o.statistics?.count ?? o.values.length;
      if (keys === 'RouteGroup,Service') {
        group.total += count;
        o.values.forEach((v, i) => group.values.set(v, (group.values.get(v) ?? 0) + (o.counts?.[i] ?? 1)));
      } else if (keys === 'RouteGroup,Service,StatusClass' && s.dimensions.StatusClass === '5xx') group.bad += count;
    }
  }
  const measured = [...groups].filter(([name, g]) => g.total > 0 && name !== 'ops');
  if (measured.length === 0) return 'no request reached the service';
  const [worstName, worst] = measured.sort((a, b) => b[1].bad / b[1].total - a[1].bad / a[1].total)[0]!;
  if (worst.bad > 0) return `${worstName} requests failing at ${Math.round((100 * worst.bad) / worst.total)}%`;
  const p99 = (g: { values: Map<number, number>; total: number }): number => {
    const sorted = [...g.values].sort((a, b) => a[0] - b[0]);
    const total = sorted.reduce((n, [, c]) => n + c, 0);
    let seen = 0;
    for (const [v, c] of sorted) if ((seen += c) >= 0.99 * total) return v;
    return sorted.at(-1)?.[0] ?? 0;
  };
  const [slowName, slow] = measured.sort((a, b) => p99(b[1]) - p99(a[1]))[0]!;
  return `no 5xx; ${slowName} p99 at ${Math.round(p99(slow))} ms`;
}

/** An alarm's name without the deployment prefix (`coffee-cloud-slo-...` → `slo-...`). */
function shortName(name: string): string {
  const key = buildAlarmDefinitions().alarms.find((a) => a.name === name)?.id;
  return key ?? name;
}

/** The reader's line for one window. */
export function predictionLine(
  severity: string,
  durationMs: number,
  alarms: readonly AlarmDetection[],
  horizonMs: number,
): string {
  const sustained = SEVERITIES.map((s) => {
    const first = earliest(alarms, s, 'sustainedMs');
    return first
      ? `${s} after ${formatDuration(first.sustainedMs!)} (${shortName(first.name)})`
      : `no ${s} within ${formatDuration(horizonMs)}`;
  });
  const inRun = SEVERITIES.map((s) => {
    const first = earliest(alarms, s, 'inRunMs');
    return first ? `${s} after ${formatDuration(first.inRunMs!)}` : `no ${s}`;
  });
  const already = alarms.filter((a) => a.alreadyInAlarm && a.severity).length;
  const note = already
    ? ` (${already} notifying alarms were in ALARM before the fault: the steady state itself breaches them)`
    : '';
  return `${severity}: ${sustained.join(', ')}; this ${formatDuration(durationMs)} window: ${inRun.join(', ')}${note}`;
}

export async function buildAlarmTimeline(source: AlarmTimelineSource): Promise<AlarmTimeline> {
  const { emfFile, from, to, windows = [], history = { kind: HistoryKinds.Steady } } = source;
  if (!emfFile)
    return unavailableTimeline(
      'no metrics of the service were captured for this target (it is not started by the run)',
    );
  let text: string;
  try {
    text = await readFile(emfFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return unavailableTimeline(`the service wrote no metrics (${emfFile} is missing)`);
    throw error;
  }
  const runSeries = seriesFromEmf(text.split('\n'));
  if (runSeries.length === 0) return unavailableTimeline('the service wrote no metrics during the run');
  const definitions = buildAlarmDefinitions();
  const serviceAlarms = serviceAlarmsOf(definitions.alarms);
  const local = definitions.alarms.filter((a) => serviceAlarms.has(a.name) && a.kind !== 'anomaly');
  const { series, used } = applyHistory(runSeries, history, source, longestWindowMs(local));
  // Evaluate at every whole minute the run touched, and one after it (the last period's data lands then).
  const evaluations = evaluateAlarms(local, series, {
    from: Math.ceil(from / STEP_MS) * STEP_MS,
    to: Math.ceil(to / STEP_MS) * STEP_MS + STEP_MS,
    stepMs: STEP_MS,
  });
  const alarms: AlarmTimelineEntry[] = evaluations.map((evaluation) => {
    const transitions = evaluation.transitions.map((t) => ({ at: t.timestamp, state: t.to, reason: t.reason }));
    const fired = transitions.find((t) => t.state === 'ALARM');
    return {
      name: evaluation.name,
      kind: evaluation.kind,
      ...(evaluation.severity ? { severity: evaluation.severity } : {}),
      transitions,
      ...(fired ? { firedAt: fired.at } : {}),
    };
  });
  const withoutData = definitions.alarms.filter((a) => !local.includes(a)).map((a) => a.name);
  const steadyTo = Math.min(to, ...windows.map((w) => w.start));
  const predictions = windows.length
    ? predictDetections({
        alarms: local,
        series,
        windows,
        steady: { from, to: steadyTo },
        runEnd: to,
      }).map((p) => {
        const severity = windowSeverity(runSeries, p.start, p.end);
        return {
          label: p.label,
          start: p.start,
          end: p.end,
          severity,
          sustainedForMs: p.sustainedForMs,
          horizonMs: p.horizonMs,
          alarms: [...p.alarms],
          line: `${p.label}, ${predictionLine(severity, p.end - p.start, p.alarms, p.horizonMs)}`,
        };
      })
    : [];
  const fired = alarms.filter((a) => a.firedAt !== undefined).length;
  return {
    status: 'evaluated',
    note: `${local.length} alarm definitions evaluated every minute over the service's own metrics (${runSeries.length} series from its EMF output), with the history ${used.label}: ${fired} would have fired during the run. ${withoutData.length} alarms watch AWS-vended metrics or need anomaly models and have no data locally.`,
    periodSeconds: STEP_MS / 1000,
    alarms,
    withoutData,
    history: used,
    predictions,
  };
}
