/**
 * The composition: assembles the monitoring parts into the four dashboards and the alarm
 * set. Dashboards and alarms come from the same call, so an alarm always watches a signal
 * some dashboard shows, with the same query.
 */
import type { AlarmDefinition } from './alarm-model.ts';
import { createMetricFactory } from './metric-factory.ts';
import type { DashboardDefinition, MonitoringOptions, ResolvedOptions, Row } from './model.ts';
import { resolveOptions } from './options.ts';
import { businessMonitoring } from './parts/business.ts';
import type { PartContext } from './parts/context.ts';
import { costMonitoring } from './parts/cost.ts';
import { dynamoMonitoring } from './parts/dynamodb.ts';
import { httpMonitoring } from './parts/http.ts';
import { lambdaMonitoring } from './parts/lambda.ts';
import { logsMonitoring } from './parts/logs.ts';
import { securityMonitoring } from './parts/security.ts';
import { sloMonitoring } from './parts/slo.ts';

export const DashboardKinds = {
  Business: 'business',
  TechnicalHealth: 'technical-health',
  Cost: 'cost',
  Slo: 'slo',
} as const;
export type DashboardKind = (typeof DashboardKinds)[keyof typeof DashboardKinds];

export interface MonitoringModel {
  readonly options: ResolvedOptions;
  readonly dashboards: readonly DashboardDefinition[];
  readonly alarms: readonly AlarmDefinition[];
}

function header(title: string, description: string): Row {
  return {
    widgets: [
      {
        type: 'text',
        width: 24,
        height: 2,
        markdown: `# ${title}\n${description} Generated from the metrics catalog by \`coffee dashboards build\`: change the code, not this dashboard.`,
      },
    ],
  };
}

/** Builds every dashboard definition and alarm definition for the given options. */
export function buildMonitoring(options: MonitoringOptions = {}): MonitoringModel {
  const resolved = resolveOptions(options);
  const context: PartContext = { options: resolved, factory: createMetricFactory(resolved) };
  const business = businessMonitoring(context);
  const http = httpMonitoring(context);
  const dynamo = dynamoMonitoring(context);
  const lambda = lambdaMonitoring(context);
  const logs = logsMonitoring(context);
  const cost = costMonitoring(context);
  const slo = sloMonitoring(context);
  const security = securityMonitoring(context);

  const technicalAlarms = [...http.alarms, ...dynamo.alarms, ...lambda.alarms].filter((a) => a.severity !== undefined);
  const name = (kind: DashboardKind): string => `${resolved.prefix}-${kind}`;
  const define = (
    kind: DashboardKind,
    title: string,
    description: string,
    start: string,
    rows: readonly Row[],
  ): DashboardDefinition => ({
    name: name(kind),
    title,
    description,
    start,
    rows: [header(title, description), ...rows],
  });

  const dashboards = [
    define(
      DashboardKinds.Business,
      'Coffee Cloud: business',
      'Orders, revenue, registrations and fulfilment.',
      '-P1D',
      business.rows,
    ),
    define(
      DashboardKinds.TechnicalHealth,
      'Coffee Cloud: technical health',
      'Latency, errors and availability per route group; DynamoDB, Lambda, cache, event loop, logs and security.',
      '-PT6H',
      [
        {
          title: 'Alarms',
          widgets: [
            {
              type: 'alarms',
              title: 'Technical alarms',
              alarmNames: technicalAlarms.map((a) => a.name),
              width: 24,
              height: 3,
            },
          ],
        },
        ...http.rows,
        ...dynamo.rows,
        ...lambda.rows,
        ...logs.rows,
        ...security.rows,
      ],
    ),
    define(
      DashboardKinds.Cost,
      'Coffee Cloud: cost',
      'Billed usage per day and its estimated cost.',
      '-P14D',
      cost.rows,
    ),
    define(
      DashboardKinds.Slo,
      'Coffee Cloud: SLOs',
      'Error budgets and burn rates of the service level objectives.',
      '-P7D',
      slo.rows,
    ),
  ];
  return {
    options: resolved,
    dashboards,
    alarms: [...business.alarms, ...http.alarms, ...dynamo.alarms, ...lambda.alarms, ...slo.alarms, ...security.alarms],
  };
}
