/**
 * Which alarms would have fired during a run, and when: the alarm definitions (alarms/)
 * evaluated by the alarms' local CloudWatch model over the service's own metrics from
 * the run, read back from the EMF output the service wrote while it ran.
 *
 * Why the service's EMF and not the load result: the alarms are defined on the service's
 * metrics (route groups, error codes, DynamoDB retries and throttles after the SDK), which
 * a client cannot see. Periods and the one-minute evaluation step are CloudWatch's own, so
 * a one-minute run spans one or two evaluations: the timeline says what CloudWatch would
 * have said, not a time-compressed guess. Alarms on AWS-vended metrics (Lambda, API
 * Gateway, the table's own CloudWatch metrics) have no data locally and are listed apart.
 */
import { readFile } from 'node:fs/promises';
import { buildAlarmDefinitions, evaluateAlarms, seriesFromEmf } from '../alarms/index.ts';
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
  /** Epoch ms of the first ALARM, when it fired. */
  firedAt?: number;
  /** Why it could not be evaluated (anomaly detection). */
  notEvaluable?: string;
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
}

export interface AlarmTimelineSource {
  /** The service's EMF output for the run (absent for a remote target). */
  emfFile: string | undefined;
  /** The run's span, epoch ms. */
  from: number;
  to: number;
}

const STEP_MS = 60_000;

export function unavailableTimeline(note: string): AlarmTimeline {
  return { status: 'unavailable', note, periodSeconds: 0, alarms: [], withoutData: [] };
}

export async function buildAlarmTimeline({ emfFile, from, to }: AlarmTimelineSource): Promise<AlarmTimeline> {
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
  const series = seriesFromEmf(text.split('\n'));
  if (series.length === 0) return unavailableTimeline('the service wrote no metrics during the run');
  const definitions = buildAlarmDefinitions();
  // Evaluate at every whole minute the run touched, and one after it (the last period's data lands then).
  const evaluations = evaluateAlarms(definitions, series, {
    from: Math.ceil(from / STEP_MS) * STEP_MS,
    to: Math.ceil(to / STEP_MS) * STEP_MS + STEP_MS,
    stepMs: STEP_MS,
  });
  // An alarm belongs on the timeline when it watches the service's own metrics (or is a
  // composite of such alarms); the others watch AWS-vended metrics that only exist in AWS.
  const serviceAlarms = new Set<string>();
  for (const definition of definitions.alarms) {
    if (definition.kind !== 'composite' && JSON.stringify(definition).includes(`"namespace":"${NAMESPACE}"`))
      serviceAlarms.add(definition.name);
  }
  for (const definition of definitions.alarms) {
    if (
      definition.kind === 'composite' &&
      [...serviceAlarms].some((name) => JSON.stringify(definition.rule).includes(JSON.stringify(name)))
    )
      serviceAlarms.add(definition.name);
  }
  const alarms: AlarmTimelineEntry[] = [];
  const withoutData: string[] = [];
  for (const evaluation of evaluations) {
    if (!evaluation.evaluable || !serviceAlarms.has(evaluation.name)) {
      withoutData.push(evaluation.name);
      continue;
    }
    const transitions = evaluation.transitions.map((t) => ({ at: t.timestamp, state: t.to, reason: t.reason }));
    const fired = transitions.find((t) => t.state === 'ALARM');
    alarms.push({
      name: evaluation.name,
      kind: evaluation.kind,
      ...(evaluation.severity ? { severity: evaluation.severity } : {}),
      transitions,
      ...(fired ? { firedAt: fired.at } : {}),
    });
  }
  const fired = alarms.filter((a) => a.firedAt !== undefined).length;
  return {
    status: 'evaluated',
    note: `${definitions.alarms.length} alarm definitions evaluated every minute over the service's own metrics (${series.length} series from its EMF output): ${fired} would have fired. ${withoutData.length} alarms watch AWS-vended metrics or need anomaly models and have no data locally.`,
    periodSeconds: STEP_MS / 1000,
    alarms,
    withoutData,
  };
}
