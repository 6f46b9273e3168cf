/**
 * The typed alarm model. Alarms are defined once in these terms and rendered to
 * CloudWatch (`PutMetricAlarm`/`PutCompositeAlarm` inputs and CDK resources), evaluated
 * locally by `evaluateAlarms`, and (for the SLO alarms) rendered to Prometheus rules.
 */
import type { MetricQuery, Query } from './model.ts';

/** Who is told: `page` wakes someone up, `ticket` is handled in working hours. */
export const Severities = {
  Page: 'page',
  Ticket: 'ticket',
} as const;
export type Severity = (typeof Severities)[keyof typeof Severities];
export const SEVERITIES: readonly Severity[] = Object.values(Severities);

export const ComparisonOperators = {
  GreaterThanThreshold: 'GreaterThanThreshold',
  GreaterThanOrEqualToThreshold: 'GreaterThanOrEqualToThreshold',
  LessThanThreshold: 'LessThanThreshold',
  LessThanOrEqualToThreshold: 'LessThanOrEqualToThreshold',
} as const;
export type ComparisonOperator = (typeof ComparisonOperators)[keyof typeof ComparisonOperators];

export const AnomalyComparisonOperators = {
  LessThanLowerThreshold: 'LessThanLowerThreshold',
  GreaterThanUpperThreshold: 'GreaterThanUpperThreshold',
  LessThanLowerOrGreaterThanUpperThreshold: 'LessThanLowerOrGreaterThanUpperThreshold',
} as const;
export type AnomalyComparisonOperator = (typeof AnomalyComparisonOperators)[keyof typeof AnomalyComparisonOperators];

/** How CloudWatch treats a period without a datapoint. */
export const TreatMissingData = {
  Breaching: 'breaching',
  NotBreaching: 'notBreaching',
  Ignore: 'ignore',
  Missing: 'missing',
} as const;
export type TreatMissingDataValue = (typeof TreatMissingData)[keyof typeof TreatMissingData];

interface AlarmBase {
  /** Stable key, unique in the set; the alarm name is `<prefix>-<id>`. */
  readonly id: string;
  /** Full CloudWatch alarm name (1..255 characters). */
  readonly name: string;
  readonly description: string;
  /**
   * Whom the alarm notifies. Absent on the children of a composite alarm: only the
   * composite notifies, so one incident is one notification.
   */
  readonly severity?: Severity;
}

interface EvaluatedAlarm extends AlarmBase {
  /** Number of most recent periods looked at (N). */
  readonly evaluationPeriods: number;
  /** How many of them must breach (M, at most N). */
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingDataValue;
  /** Why this missing-data treatment: it is a choice per alarm, not a default. */
  readonly treatMissingDataReason: string;
}

/** One metric against a static threshold. */
export interface MetricAlarmDefinition extends EvaluatedAlarm {
  readonly kind: 'metric';
  readonly metric: MetricQuery;
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  /** Percentile alarms only: `ignore` keeps the state when too few samples make a percentile meaningless. */
  readonly evaluateLowSampleCountPercentile?: 'evaluate' | 'ignore';
}

/** A metric math expression (`returnId`) against a static threshold. */
export interface MathAlarmDefinition extends EvaluatedAlarm {
  readonly kind: 'math';
  /** At most 10 metrics (a CloudWatch limit); `returnId` names the expression alarmed on. */
  readonly queries: readonly Query[];
  readonly returnId: string;
  /** Seconds; every metric of `queries` uses it. */
  readonly period: number;
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
}

/** A metric (or expression) against its anomaly detection band. */
export interface AnomalyAlarmDefinition extends EvaluatedAlarm {
  readonly kind: 'anomaly';
  readonly queries: readonly Query[];
  /** The query the band is computed for. */
  readonly returnId: string;
  readonly period: number;
  /** Band width in standard deviations (`ANOMALY_DETECTION_BAND(x, width)`). */
  readonly bandWidth: number;
  readonly comparison: AnomalyComparisonOperator;
}

/** A composite alarm's rule, kept structured so it can be rendered and evaluated. */
export type AlarmRule =
  | { readonly op: 'and' | 'or'; readonly rules: readonly AlarmRule[] }
  | { readonly op: 'not'; readonly rule: AlarmRule }
  | { readonly op: 'state'; readonly state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'; readonly alarm: string };

export interface CompositeAlarmDefinition extends AlarmBase {
  readonly kind: 'composite';
  readonly rule: AlarmRule;
}

export type AlarmDefinition =
  MetricAlarmDefinition | MathAlarmDefinition | AnomalyAlarmDefinition | CompositeAlarmDefinition;

export interface AlarmDefinitions {
  readonly prefix: string;
  readonly alarms: readonly AlarmDefinition[];
}

export const alarmRule = {
  alarm: (alarm: string): AlarmRule => ({ op: 'state', state: 'ALARM', alarm }),
  and: (...rules: AlarmRule[]): AlarmRule => ({ op: 'and', rules }),
  or: (...rules: AlarmRule[]): AlarmRule => ({ op: 'or', rules }),
  not: (rule: AlarmRule): AlarmRule => ({ op: 'not', rule }),
};

/** The CloudWatch `AlarmRule` text of a rule. */
export function renderAlarmRule(rule: AlarmRule): string {
  switch (rule.op) {
    case 'state':
      return `${rule.state}("${rule.alarm}")`;
    case 'not':
      return `NOT (${renderAlarmRule(rule.rule)})`;
    default: {
      const joiner = rule.op === 'and' ? ' AND ' : ' OR ';
      return rule.rules.map((r) => (r.op === 'state' ? renderAlarmRule(r) : `(${renderAlarmRule(r)})`)).join(joiner);
    }
  }
}

/** The alarm names a rule refers to. */
export function ruleChildren(rule: AlarmRule): string[] {
  switch (rule.op) {
    case 'state':
      return [rule.alarm];
    case 'not':
      return ruleChildren(rule.rule);
    default:
      return [...new Set(rule.rules.flatMap(ruleChildren))];
  }
}

/** The alarm names an `AlarmRule` text refers to (for rules read back from CloudWatch). */
export function ruleTextChildren(rule: string): string[] {
  return [...new Set([...rule.matchAll(/\b(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*"?([^")]+?)"?\s*\)/g)].map((m) => m[1]!))];
}
