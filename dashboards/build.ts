/**
 * The build entry points: options in, dashboard bodies and Grafana JSON out.
 */
import { buildMonitoring } from './compose.ts';
import type { MonitoringOptions } from './model.ts';
import { renderDashboardBody, type CloudWatchDashboard } from './render-cloudwatch.ts';
import { renderGrafanaDashboard, type GrafanaDashboard } from './render-grafana.ts';

/**
 * Every CloudWatch dashboard as `{ name, body }`; `body` is the object to
 * `JSON.stringify` into `PutDashboard`'s `DashboardBody`.
 *
 * @example buildCloudWatchDashboards({ prefix: 'coffee-prod', region: 'eu-west-1', accountId: '123456789012' })
 */
export function buildCloudWatchDashboards(options: MonitoringOptions = {}): CloudWatchDashboard[] {
  const model = buildMonitoring(options);
  return model.dashboards.map((definition) => ({
    name: definition.name,
    body: renderDashboardBody(definition, model.options),
  }));
}

/** Every dashboard as Grafana JSON for the Prometheus metrics (import with a Prometheus data source). */
export function buildGrafanaDashboards(options: MonitoringOptions = {}): GrafanaDashboard[] {
  return buildMonitoring(options).dashboards.map(renderGrafanaDashboard);
}
