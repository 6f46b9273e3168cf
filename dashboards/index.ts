// The monitoring model and the dashboards: the metric factory (catalog -> metric queries),
// the parts (metrics -> widgets and the alarms of the same resource), their composition,
// and the dashboards' rendering, lint and import. `alarms/` renders the alarms it defines.
export { buildCloudWatchDashboards, buildGrafanaDashboards } from './build.ts';
export { buildMonitoring, DashboardKinds } from './compose.ts';
export type { DashboardKind, MonitoringModel } from './compose.ts';
export { CoffeeDashboards } from './cdk.ts';
export type { CoffeeDashboardsProps } from './cdk.ts';
export { PRICE_TABLE, estimateDailyCost, gbSeconds, BYTES_PER_GB } from './pricing.ts';
export type { PriceTable, DailyUsage, CostEstimate } from './pricing.ts';
export { referencesInDashboard, referencesInExpression } from './signals.ts';
export type { MetricReference } from './signals.ts';
export {
  lintDashboard,
  checkReference,
  expressionIds,
  isValidPeriod,
  isValidStatistic,
  DashboardLimits,
} from './lint.ts';
export type { LintProblem } from './lint.ts';
export { lintGrafanaDashboard } from './lint-grafana.ts';
export { AwsMetrics, AwsNamespaces, ALL_AWS_METRICS } from './aws-metrics.ts';
export type { AwsMetricDefinition, AwsMetricKey } from './aws-metrics.ts';
export { createMetricFactory, createPromFactory, MetricReferenceError } from './metric-factory.ts';
export { budgetOf, promDuration, sloRatioPromql, sloRatioQueries } from './slo-queries.ts';
export type { MetricFactory, PromFactory } from './metric-factory.ts';
export { resolveOptions, DEFAULT_PREFIX, DEFAULT_FUNCTION_NAME, DEFAULT_REGION } from './options.ts';
export { LOG_FIELDS, LOG_QUERIES } from './parts/logs.ts';
export { SECURITY_NAMESPACE, securityMetricFilters, serviceRoleName } from './parts/security.ts';
export type { SecurityMetricFilter } from './parts/security.ts';
export type { CloudWatchDashboard, DashboardBody, CloudWatchWidget } from './render-cloudwatch.ts';
export type { GrafanaDashboard, GrafanaDashboardJson } from './render-grafana.ts';
export type {
  MonitoringOptions,
  DashboardDefinition,
  Widget,
  Signal,
  Query,
  MetricQuery,
  ExpressionQuery,
  SearchQuery,
  Statistic,
} from './model.ts';
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
} from './alarm-model.ts';
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
} from './alarm-model.ts';
export { BURN_RATE_TIERS, CLOUDWATCH_MAX_EVALUATION_SECONDS, sloAlarmName } from './slo-alarms.ts';
export type { BurnRateTier } from './slo-alarms.ts';
