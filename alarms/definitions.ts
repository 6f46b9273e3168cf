import { buildMonitoring, type MonitoringOptions, type AlarmDefinitions } from '../dashboards/index.ts';

/**
 * Every alarm: static, metric-math and anomaly alarms from the monitoring parts and the
 * multi-window burn-rate alarms (with their composites) of every SLO. Uses the same
 * options as the dashboards (`prefix`, `serviceName`, `functionName`, `tableName`, ...).
 *
 * @example buildAlarmDefinitions({ prefix: 'coffee-prod', functionName: 'coffee-prod-api' })
 */
export function buildAlarmDefinitions(options: MonitoringOptions = {}): AlarmDefinitions {
  const model = buildMonitoring(options);
  return { prefix: model.options.prefix, alarms: model.alarms };
}
