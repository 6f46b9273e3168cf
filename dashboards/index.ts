// Dashboards as code: build, render, lint and import. Import from here, not the files.
export { buildCloudWatchDashboards, buildGrafanaDashboards } from './build.ts';
export { buildMonitoring, DashboardKinds } from './compose.ts';
export type { DashboardKind, MonitoringModel } from './compose.ts';
export { CoffeeDashboards } from './cdk.ts';
export type { CoffeeDashboardsProps } from './cdk.ts';
export { PRICE_TABLE, estimateDailyCost, gbSeconds, BYTES_PER_GB } from './pricing.ts';
export type { PriceTable, DailyUsage, CostEstimate } from './pricing.ts';
export { referencedSignals, referencesInDashboard, referencesInAlarm } from './signals.ts';
export type { ReferencedSignal, MetricReference } from './signals.ts';
export { lintDashboard, checkReference, DashboardLimits } from './lint.ts';
export type { LintProblem } from './lint.ts';
export { lintGrafanaDashboard } from './lint-grafana.ts';
export { AwsMetrics, AwsNamespaces, ALL_AWS_METRICS } from './aws-metrics.ts';
export type { AwsMetricDefinition, AwsMetricKey } from './aws-metrics.ts';
export { createMetricFactory, MetricReferenceError } from './metric-factory.ts';
export type { MetricFactory, PromFactory } from './metric-factory.ts';
export { resolveOptions, DEFAULT_PREFIX, DEFAULT_FUNCTION_NAME, DEFAULT_REGION } from './options.ts';
export { LOG_FIELDS, LOG_QUERIES } from './parts/logs.ts';
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
