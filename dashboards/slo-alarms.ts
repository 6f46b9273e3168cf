/**
 * Multi-window, multi-burn-rate SLO alarms (Google SRE workbook, "Alerting on SLOs",
 * recommendation 6): alert when the budget burns fast over a long window *and* is still
 * burning over a short one (the short window makes the alert stop soon after the burn does).
 *
 * | tier   | severity | long window | short window | burn rate | budget spent when it fires |
 * | fast   | page     | 1 h         | 5 min        | 14.4x     | 2% of 30 days              |
 * | slow   | page     | 6 h         | 30 min       | 6x        | 5%                         |
 * | ticket | ticket   | 3 d         | 6 h          | 1x        | 10%                        |
 *
 * In CloudWatch every window is a metric-math alarm on the burn rate with one period the
 * length of the window; a composite alarm per SLO and severity ANDs each pair and ORs the
 * page tiers. CloudWatch caps a metric alarm's period × evaluation periods at one day, so
 * the ticket tier's 3-day window is evaluated over 1 day there (at the same 1x burn rate,
 * which is stricter: it fires on a day-long burn that a 3-day window would still absorb);
 * the Prometheus rules keep the full 3 days.
 */
import { SLOS, type SloDefinition } from '../service/catalog/index.ts';
import type { MetricFactory } from './metric-factory.ts';
import { promDuration, sloRatioQueries } from './slo-queries.ts';
import {
  alarmRule,
  ComparisonOperators,
  Severities,
  TreatMissingData,
  type AlarmDefinition,
  type CompositeAlarmDefinition,
  type MathAlarmDefinition,
  type Severity,
} from './alarm-model.ts';

export interface BurnRateTier {
  readonly id: 'fast' | 'slow' | 'ticket';
  readonly severity: Severity;
  /** Seconds. */
  readonly longWindow: number;
  readonly shortWindow: number;
  readonly burnRate: number;
}

export const BURN_RATE_TIERS: readonly BurnRateTier[] = [
  { id: 'fast', severity: Severities.Page, longWindow: 3600, shortWindow: 300, burnRate: 14.4 },
  { id: 'slow', severity: Severities.Page, longWindow: 21_600, shortWindow: 1800, burnRate: 6 },
  { id: 'ticket', severity: Severities.Ticket, longWindow: 259_200, shortWindow: 21_600, burnRate: 1 },
];

/** CloudWatch: a metric alarm's period × evaluation periods may not exceed one day. */
export const CLOUDWATCH_MAX_EVALUATION_SECONDS = 86_400;

/** The window CloudWatch can evaluate for a requested one. */
export function cloudWatchWindow(seconds: number): number {
  return Math.min(seconds, CLOUDWATCH_MAX_EVALUATION_SECONDS);
}

export function sloAlarmName(prefix: string, slo: SloDefinition, severity: Severity): string {
  return `${prefix}-slo-${slo.id}-${severity}`;
}

function windowAlarm(
  factory: MetricFactory,
  prefix: string,
  slo: SloDefinition,
  tier: BurnRateTier,
  window: number,
): MathAlarmDefinition {
  const period = cloudWatchWindow(window);
  const capped =
    period !== window ? ` (CloudWatch evaluates at most 1 day; the SLO tier asks for ${promDuration(window)})` : '';
  const { queries, id } = sloRatioQueries(factory, slo, {
    id: 'burn',
    periodSeconds: period,
    burn: true,
    label: 'burn rate',
  });
  const key = `slo-${slo.id}-burn-${promDuration(period)}-${tier.id}`;
  return {
    kind: 'math',
    id: key,
    name: `${prefix}-${key}`,
    description: `${slo.id}: error budget burn rate over ${promDuration(period)} above ${tier.burnRate}x${capped}. Child of ${sloAlarmName(prefix, slo, tier.severity)}; notifies nobody itself.`,
    queries,
    returnId: id,
    period,
    comparison: ComparisonOperators.GreaterThanThreshold,
    threshold: tier.burnRate,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: TreatMissingData.NotBreaching,
    treatMissingDataReason: 'No request in the window spends no error budget, so a window without data is healthy.',
  };
}

/** The window alarms and the composite alarms (one per severity) of one SLO. */
export function sloBurnRateAlarms(factory: MetricFactory, prefix: string, slo: SloDefinition): AlarmDefinition[] {
  const alarms: AlarmDefinition[] = [];
  const pairs = new Map<Severity, { tier: BurnRateTier; long: MathAlarmDefinition; short: MathAlarmDefinition }[]>();
  for (const tier of BURN_RATE_TIERS) {
    const long = windowAlarm(factory, prefix, slo, tier, tier.longWindow);
    const short = windowAlarm(factory, prefix, slo, tier, tier.shortWindow);
    alarms.push(long, short);
    pairs.set(tier.severity, [...(pairs.get(tier.severity) ?? []), { tier, long, short }]);
  }
  for (const [severity, list] of pairs) {
    const rules = list.map(({ long, short }) => alarmRule.and(alarmRule.alarm(long.name), alarmRule.alarm(short.name)));
    const tiers = list
      .map(
        ({ tier }) =>
          `${tier.burnRate}x over ${promDuration(cloudWatchWindow(tier.longWindow))} and ${promDuration(tier.shortWindow)}`,
      )
      .join(', or ');
    const composite: CompositeAlarmDefinition = {
      kind: 'composite',
      id: `slo-${slo.id}-${severity}`,
      name: sloAlarmName(prefix, slo, severity),
      description: `${slo.description} (objective ${slo.objective * 100}% over ${slo.windowDays} days): the error budget burns at ${tiers}.`,
      severity,
      rule: rules.length === 1 ? rules[0]! : alarmRule.or(...rules),
    };
    alarms.push(composite);
  }
  return alarms;
}

/** Burn-rate alarms for every SLO of the catalog. */
export function allSloAlarms(
  factory: MetricFactory,
  prefix: string,
  slos: readonly SloDefinition[] = SLOS,
): AlarmDefinition[] {
  return slos.flatMap((slo) => sloBurnRateAlarms(factory, prefix, slo));
}
