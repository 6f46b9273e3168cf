// Alarms as code: definitions, CloudWatch rendering, Prometheus rules, local evaluation.
export { buildAlarmDefinitions } from './definitions.ts';
export { CoffeeAlarms, toCfnAlarmProps, toCfnCompositeAlarmProps } from './cdk.ts';
export type { CoffeeAlarmsProps } from './cdk.ts';
export { buildPrometheusRules, renderPrometheusRules, SLO_ALERT_NAMES, RECORDED_WINDOWS } from './prometheus.ts';
export type { PrometheusRules, RuleGroup, RecordingRule, AlertingRule } from './prometheus.ts';
export { evaluateAlarms, statistic, evaluateExpression, EXTRA_EVALUATION_PERIODS } from './evaluate.ts';
export type { AlarmEvaluation, AlarmTransition, AlarmState, MetricSeries, Observation, EvaluateOptions } from './evaluate.ts';
export { seriesFromEmf } from './emf-series.ts';
export { renderAlarmInputs, orderForCreation } from './render-cloudwatch.ts';
export type { CloudWatchAlarmInput, TopicArns } from './render-cloudwatch.ts';
export { lintAlarmInputs, lintAlarmDefinitions, AlarmLimits } from './lint.ts';
export { BURN_RATE_TIERS, CLOUDWATCH_MAX_EVALUATION_SECONDS, sloAlarmName } from './slo-alarms.ts';
export type { BurnRateTier } from './slo-alarms.ts';
export {
  Severities,
  SEVERITIES,
  ComparisonOperators,
  AnomalyComparisonOperators,
  TreatMissingData,
  alarmRule,
  renderAlarmRule,
  ruleChildren,
  ruleTextChildren,
} from './model.ts';
export type {
  Severity,
  AlarmDefinition,
  AlarmDefinitions,
  MetricAlarmDefinition,
  MathAlarmDefinition,
  AnomalyAlarmDefinition,
  CompositeAlarmDefinition,
  AlarmRule,
  TreatMissingDataValue,
} from './model.ts';
