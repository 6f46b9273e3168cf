/**
 * Security monitoring from CloudTrail (the CIS AWS Foundations benchmark's monitoring
 * controls, narrowed to this service): metric filters on the trail's log group turn events
 * into counts in `CoffeeCloud/Security`, and an alarm per filter fires on the first event.
 * The CDK app (infra/) creates the trail, its log group and these filters; the alarms are
 * rendered and imported with the others.
 */
import { metricAlarms } from '../alarm-builders.ts';
import { ComparisonOperators, Severities, TreatMissingData, type Severity } from '../alarm-model.ts';
import type { GraphWidget, MetricQuery, ResolvedOptions } from '../model.ts';
import { signal, type PartContext, type PartOutput } from './context.ts';

/** The namespace the metric filters publish to. */
export const SECURITY_NAMESPACE = 'CoffeeCloud/Security';

/** Name of the IAM role of the service's function (infra names it so the filters can match it). */
export function serviceRoleName(functionName: string): string {
  return `${functionName}-role`;
}

export interface SecurityMetricFilter {
  readonly id: string;
  readonly metricName: string;
  readonly severity: Severity;
  readonly description: string;
  /** A CloudWatch Logs filter pattern over the CloudTrail JSON events. */
  readonly pattern: string;
}

/** One filter and one alarm per event an SRE must hear about. */
export function securityMetricFilters(
  options: Pick<ResolvedOptions, 'tableName' | 'functionName'>,
): SecurityMetricFilter[] {
  const role = serviceRoleName(options.functionName);
  return [
    {
      id: 'table-access-denied',
      metricName: 'TableAccessDenied',
      severity: Severities.Ticket,
      description: `A call to the table ${options.tableName} was denied (AccessDenied): a role lost a permission, or someone probes the data.`,
      pattern: `{ ($.eventSource = "dynamodb.amazonaws.com") && ($.errorCode = "AccessDenied*") && ($.requestParameters.tableName = "${options.tableName}") }`,
    },
    {
      id: 'service-role-changed',
      metricName: 'ServiceRoleChanged',
      severity: Severities.Page,
      description: `The service's IAM role (${role}) or its policies changed outside a deployment review.`,
      pattern: `{ ($.eventSource = "iam.amazonaws.com") && ($.requestParameters.roleName = "${role}*") && (($.eventName = "Put*Policy") || ($.eventName = "Attach*Policy") || ($.eventName = "Detach*Policy") || ($.eventName = "Delete*Policy") || ($.eventName = "UpdateAssumeRolePolicy") || ($.eventName = "DeleteRole")) }`,
    },
    {
      id: 'table-deleted',
      metricName: 'TableDeleted',
      severity: Severities.Page,
      description: `DeleteTable was called on ${options.tableName}.`,
      pattern: `{ ($.eventSource = "dynamodb.amazonaws.com") && ($.eventName = "DeleteTable") && ($.requestParameters.tableName = "${options.tableName}") }`,
    },
    {
      id: 'backup-deleted',
      metricName: 'BackupDeleted',
      severity: Severities.Page,
      description: 'A DynamoDB or AWS Backup recovery point was deleted.',
      pattern:
        '{ (($.eventSource = "dynamodb.amazonaws.com") && ($.eventName = "DeleteBackup")) || (($.eventSource = "backup.amazonaws.com") && ($.eventName = "DeleteRecoveryPoint")) }',
    },
    {
      id: 'pitr-disabled',
      metricName: 'PointInTimeRecoveryDisabled',
      severity: Severities.Page,
      description: `UpdateContinuousBackups turned point-in-time recovery off on ${options.tableName}.`,
      pattern: `{ ($.eventSource = "dynamodb.amazonaws.com") && ($.eventName = "UpdateContinuousBackups") && ($.requestParameters.tableName = "${options.tableName}") && ($.requestParameters.pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled IS FALSE) }`,
    },
    {
      id: 'root-account-used',
      metricName: 'RootAccountUsed',
      severity: Severities.Page,
      description: 'The root user signed in or called an API (CIS 1.7): nothing in this service needs it.',
      pattern:
        '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }',
    },
    {
      id: 'console-signin-failures',
      metricName: 'ConsoleSignInFailures',
      severity: Severities.Ticket,
      description: 'Console sign-in failed (CIS 4.6): three in five minutes files a ticket.',
      pattern: '{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
    },
  ];
}

const PERIOD = 300;

function securityMetric(filter: SecurityMetricFilter): MetricQuery {
  return {
    kind: 'metric',
    id: `sec_${filter.id.replace(/-/g, '_')}`,
    namespace: SECURITY_NAMESPACE,
    metricName: filter.metricName,
    dimensions: {},
    stat: 'Sum',
    period: PERIOD,
    label: filter.metricName,
  };
}

export function securityMonitoring({ options }: PartContext): PartOutput {
  const filters = securityMetricFilters(options);
  const alarms = filters.flatMap((filter) =>
    metricAlarms(
      {
        prefix: options.prefix,
        id: `security-${filter.id}`,
        description: `${filter.description} From CloudTrail through the metric filter ${filter.metricName}.`,
        comparison: ComparisonOperators.GreaterThanOrEqualToThreshold,
        treatMissingData: TreatMissingData.NotBreaching,
        treatMissingDataReason:
          'A metric filter publishes nothing until its first matching event: no data is no event.',
        metric: securityMetric(filter),
      },
      {
        [filter.severity]: {
          threshold: filter.id === 'console-signin-failures' ? 3 : 1,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
        },
      },
    ),
  );
  const events: GraphWidget = {
    type: 'graph',
    title: 'Security events from CloudTrail (per 5 minutes)',
    view: 'bar',
    signals: filters.map((f) => signal(f.metricName, [securityMetric(f)])),
    width: 16,
  };
  return {
    rows: [
      {
        title: 'Security',
        widgets: [
          events,
          { type: 'alarms', title: 'Security alarms', alarmNames: alarms.map((a) => a.name), width: 8 },
        ],
      },
    ],
    alarms,
  };
}
