/**
 * Helpers the monitoring parts use to turn one signal and thresholds keyed by severity into
 * one alarm per severity (the cdk-monitoring-constructs pattern: `{ page: {...}, ticket: {...} }`).
 */
import type { MetricQuery, Query } from './model.ts';
import type {
  ComparisonOperator,
  MathAlarmDefinition,
  MetricAlarmDefinition,
  Severity,
  TreatMissingDataValue,
} from './alarm-model.ts';

/** One severity's trigger: `datapointsToAlarm` of the last `evaluationPeriods` periods beyond `threshold`. */
export interface ThresholdSpec {
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

export type SeverityThresholds = Partial<Record<Severity, ThresholdSpec>>;

interface CommonSpec {
  readonly prefix: string;
  /** Alarm key without the severity; the severity is appended. */
  readonly id: string;
  readonly description: string;
  readonly comparison: ComparisonOperator;
  readonly treatMissingData: TreatMissingDataValue;
  readonly treatMissingDataReason: string;
}

function each<T>(thresholds: SeverityThresholds, make: (severity: Severity, spec: ThresholdSpec) => T): T[] {
  return (Object.entries(thresholds) as [Severity, ThresholdSpec | undefined][])
    .filter((entry): entry is [Severity, ThresholdSpec] => entry[1] !== undefined)
    .map(([severity, spec]) => make(severity, spec));
}

/** The fields every severity's alarm shares, with that severity's threshold. */
function common(spec: CommonSpec, severity: Severity, t: ThresholdSpec) {
  return {
    id: `${spec.id}-${severity}`,
    name: `${spec.prefix}-${spec.id}-${severity}`,
    description: spec.description,
    severity,
    comparison: spec.comparison,
    threshold: t.threshold,
    evaluationPeriods: t.evaluationPeriods,
    datapointsToAlarm: t.datapointsToAlarm,
    treatMissingData: spec.treatMissingData,
    treatMissingDataReason: spec.treatMissingDataReason,
  };
}

export function metricAlarms(
  spec: CommonSpec & { metric: MetricQuery; evaluateLowSampleCountPercentile?: 'evaluate' | 'ignore' },
  thresholds: SeverityThresholds,
): MetricAlarmDefinition[] {
  return each(thresholds, (severity, t) => ({
    kind: 'metric',
    ...common(spec, severity, t),
    metric: spec.metric,
    ...(spec.evaluateLowSampleCountPercentile
      ? { evaluateLowSampleCountPercentile: spec.evaluateLowSampleCountPercentile }
      : {}),
  }));
}

export function mathAlarms(
  spec: CommonSpec & { queries: readonly Query[]; returnId: string; period: number },
  thresholds: SeverityThresholds,
): MathAlarmDefinition[] {
  return each(thresholds, (severity, t) => ({
    kind: 'math',
    ...common(spec, severity, t),
    queries: spec.queries,
    returnId: spec.returnId,
    period: spec.period,
  }));
}
