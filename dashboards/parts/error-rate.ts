/**
 * The error-rate alarm HTTP and Lambda share: errors in percent of calls per minute, with a
 * traffic floor so that one failure in two calls of a near-idle minute is not an outage.
 */
import { mathAlarms, type SeverityThresholds } from '../alarm-builders.ts';
import { ComparisonOperators, TreatMissingData, type MathAlarmDefinition } from '../alarm-model.ts';
import type { MetricQuery } from '../model.ts';
import type { PartContext } from './context.ts';

/** Page at 5% for 3 minutes, ticket at 1% for 8 minutes of 10. */
export const ERROR_RATE_PERCENT = {
  page: { threshold: 5, evaluationPeriods: 3, datapointsToAlarm: 3 },
  ticket: { threshold: 1, evaluationPeriods: 10, datapointsToAlarm: 8 },
} as const satisfies SeverityThresholds;

/** Calls per minute below which the error rate counts as 0. */
export const MIN_CALLS_PER_MINUTE = 10;

export interface ErrorRateAlarmSpec {
  /** Alarm key without the severity. */
  readonly id: string;
  readonly description: string;
  /** Calls and failed calls per minute (hidden queries; their ids name them in the expression). */
  readonly calls: MetricQuery;
  readonly errors: MetricQuery;
  readonly minCallsPerMinute: number;
  /** Label of the rate expression. */
  readonly label: string;
  readonly treatMissingDataReason: string;
}

/** One alarm per severity on `IF(calls >= floor, 100 * FILL(errors, 0) / calls, 0)`, returned as `rate`. */
export function errorRateAlarms(
  { options, factory }: PartContext,
  spec: ErrorRateAlarmSpec,
  thresholds: SeverityThresholds,
): MathAlarmDefinition[] {
  const { calls, errors } = spec;
  const rate = `IF(${calls.id} >= ${spec.minCallsPerMinute}, 100 * FILL(${errors.id}, 0) / ${calls.id}, 0)`;
  return mathAlarms(
    {
      prefix: options.prefix,
      id: spec.id,
      description: spec.description,
      queries: [calls, errors, factory.expression('rate', rate, { label: spec.label })],
      returnId: 'rate',
      period: 60,
      comparison: ComparisonOperators.GreaterThanOrEqualToThreshold,
      treatMissingData: TreatMissingData.NotBreaching,
      treatMissingDataReason: spec.treatMissingDataReason,
    },
    thresholds,
  );
}
