// Alarms as code: CloudWatch rendering and import, CDK constructs, Prometheus rules, local
// evaluation and lint. The alarm definitions themselves are built beside their widgets by
// the monitoring parts in `dashboards/` (their model is `dashboards/alarm-model.ts`).
export { buildAlarmDefinitions } from './definitions.ts';
export { CoffeeAlarms, toCfnAlarmProps, toCfnCompositeAlarmProps } from './cdk.ts';
export type { CoffeeAlarmsProps } from './cdk.ts';
export { buildPrometheusRules, renderPrometheusRules, SLO_ALERT_NAMES, RECORDED_WINDOWS } from './prometheus.ts';
export type { PrometheusRules, RuleGroup, RecordingRule, AlertingRule } from './prometheus.ts';
export { evaluateAlarms, statistic, evaluateExpression, EXTRA_EVALUATION_PERIODS } from './evaluate.ts';
export type {
  AlarmEvaluation,
  AlarmTransition,
  AlarmState,
  MetricSeries,
  Observation,
  EvaluateOptions,
} from './evaluate.ts';
export { seriesFromEmf } from './emf-series.ts';
export {
  HistoryKinds,
  HISTORY_STEP_MS,
  longestWindowMs,
  profileOf,
  synthesize,
  withSteadyHistory,
  withRecordedHistory,
} from './history.ts';
export type { History, SeriesProfile } from './history.ts';
export { readHistoryFile, seriesFromGetMetricData, HistoryFileError } from './history-file.ts';
export { predictDetections, formatDuration, earliest } from './detection.ts';
export type { FaultSpan, AlarmDetection, WindowPrediction } from './detection.ts';
export { renderAlarmInputs, orderForCreation } from './render-cloudwatch.ts';
export type { CloudWatchAlarmInput, TopicArns } from './render-cloudwatch.ts';
export { lintAlarmInputs, lintAlarmDefinitions, AlarmLimits } from './lint.ts';
export { referencedSignals, referencesInAlarm } from './signals.ts';
export type { ReferencedSignal } from './signals.ts';
export { dashboardsPreview, alarmStatuses, TileOutcomes } from './preview/dashboards-preview.ts';
export type { DashboardsPreview, DashboardsPreviewInput, TileOutcome } from './preview/dashboards-preview.ts';
export type { AlarmStatus } from './preview/tiles.ts';
export { timeScaleFor, scaledPeriodMs, describePeriod } from './preview/time-scale.ts';
export type { TimeScale } from './preview/time-scale.ts';
export { runLogsQuery, logRecord, UnsupportedQueryError } from './preview/logs-insights.ts';
