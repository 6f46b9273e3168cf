/**
 * DynamoDB monitoring from both sides: the service's own view (call latency including SDK
 * retries, retries, throttles that survived the retries) and the table's (`AWS/DynamoDB`
 * latency, throttle events, system errors); alarms on throttles from both.
 */
import { Metrics } from '../../service/catalog/index.ts';
import { DYNAMODB_ACCESS } from '../../service/catalog/index.ts';
import { mathAlarms, metricAlarms, type SeverityThresholds } from '../alarm-builders.ts';
import { ComparisonOperators, TreatMissingData } from '../alarm-model.ts';
import { AwsMetrics } from '../aws-metrics.ts';
import { DisplayUnits, type GraphWidget } from '../model.ts';
import { idPart, signal, type PartContext, type PartOutput } from './context.ts';

const PERIOD = 300;

/** The operations the service calls (the store's least-privilege list is the source). */
export const DYNAMODB_OPERATIONS = DYNAMODB_ACCESS.table.map((action) => action.replace(/^dynamodb:/, ''));

export interface DynamoThresholds {
  /** Calls per minute that failed throttled after the SDK's retries (user-visible). */
  readonly serviceThrottles?: SeverityThresholds;
  /** Table read + write throttle events per minute (absorbed or not by retries). */
  readonly tableThrottleEvents?: SeverityThresholds;
}

const DEFAULT_THRESHOLDS = {
  serviceThrottles: {
    page: { threshold: 50, evaluationPeriods: 3, datapointsToAlarm: 3 },
    ticket: { threshold: 1, evaluationPeriods: 5, datapointsToAlarm: 3 },
  },
  tableThrottleEvents: {
    ticket: { threshold: 10, evaluationPeriods: 5, datapointsToAlarm: 3 },
  },
} as const satisfies Required<DynamoThresholds>;

export function dynamoMonitoring({ options, factory }: PartContext, thresholds: DynamoThresholds = {}): PartOutput {
  const { prom } = factory;
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const table = { TableName: options.tableName };

  const serviceLatency: GraphWidget = {
    type: 'graph',
    title: 'DynamoDB call latency seen by the service (ms)',
    unit: DisplayUnits.Milliseconds,
    signals: (['p50', 'p99'] as const).map((stat) =>
      signal(
        stat,
        [factory.metric(Metrics.DynamoDbDuration, { id: `ddb_${stat}`, stat, period: PERIOD, label: stat })],
        prom.quantile(Metrics.DynamoDbDuration, Number(stat.slice(1)) / 100),
        stat,
      ),
    ),
  };
  const byOperation: GraphWidget = {
    type: 'graph',
    title: 'DynamoDB p99 by operation, seen by the service (ms)',
    unit: DisplayUnits.Milliseconds,
    signals: [
      signal(
        'p99 by operation',
        [
          factory.search(Metrics.DynamoDbDuration, {
            id: 'ddb_by_op',
            stat: 'p99',
            period: PERIOD,
            dimensionNames: ['Operation'],
          }),
        ],
        prom.quantile(Metrics.DynamoDbDuration, 0.99, { by: ['Operation'] }),
        '{{db_operation_name}}',
      ),
    ],
  };
  const retries: GraphWidget = {
    type: 'graph',
    title: 'SDK retries and throttled calls (per 5 min)',
    unit: DisplayUnits.Count,
    signals: [
      signal(
        'Retries',
        [factory.metric(Metrics.DynamoDbRetries, { id: 'retries', stat: 'Sum', period: PERIOD, label: 'Retries' })],
        prom.counterIncrease(Metrics.DynamoDbRetries, { window: '5m' }),
      ),
      signal(
        'Throttled after retries',
        [
          factory.metric(Metrics.DynamoDbThrottles, {
            id: 'throttled',
            stat: 'Sum',
            period: PERIOD,
            label: 'Throttled after retries',
          }),
        ],
        prom.counterIncrease(Metrics.DynamoDbThrottles, { window: '5m' }),
      ),
    ],
  };
  const tableLatency: GraphWidget = {
    type: 'graph',
    title: 'AWS/DynamoDB successful request latency (ms, average)',
    unit: DisplayUnits.Milliseconds,
    signals: DYNAMODB_OPERATIONS.map((operation) =>
      signal(operation, [
        factory.aws(AwsMetrics.DynamoSuccessfulRequestLatency, {
          id: `lat_${idPart(operation)}`,
          stat: 'Average',
          period: PERIOD,
          dimensions: { ...table, Operation: operation },
          label: operation,
        }),
      ]),
    ),
  };
  const tableThrottles: GraphWidget = {
    type: 'graph',
    title: 'AWS/DynamoDB throttles and system errors (per 5 min)',
    unit: DisplayUnits.Count,
    signals: [
      signal('Read throttle events', [
        factory.aws(AwsMetrics.DynamoReadThrottleEvents, {
          id: 'read_thr',
          stat: 'Sum',
          period: PERIOD,
          dimensions: table,
          label: 'Read throttle events',
        }),
      ]),
      signal('Write throttle events', [
        factory.aws(AwsMetrics.DynamoWriteThrottleEvents, {
          id: 'write_thr',
          stat: 'Sum',
          period: PERIOD,
          dimensions: table,
          label: 'Write throttle events',
        }),
      ]),
      ...DYNAMODB_OPERATIONS.map((operation) =>
        signal(`System errors ${operation}`, [
          factory.aws(AwsMetrics.DynamoSystemErrors, {
            id: `sys_${idPart(operation)}`,
            stat: 'Sum',
            period: PERIOD,
            dimensions: { ...table, Operation: operation },
            label: `System errors ${operation}`,
          }),
        ]),
      ),
    ],
  };

  const alarms = [
    ...metricAlarms(
      {
        prefix: options.prefix,
        id: 'dynamodb-throttled-calls',
        description: 'DynamoDB calls that were still throttled after the SDK retries, per minute: customers got a 503.',
        metric: factory.metric(Metrics.DynamoDbThrottles, { id: 'throttled', stat: 'Sum', period: 60 }),
        comparison: ComparisonOperators.GreaterThanOrEqualToThreshold,
        treatMissingData: TreatMissingData.NotBreaching,
        treatMissingDataReason:
          'The counter is exported only for minutes with a throttle, so a missing minute had none.',
      },
      t.serviceThrottles,
    ),
    ...mathAlarms(
      {
        prefix: options.prefix,
        id: 'dynamodb-table-throttle-events',
        description: `Read and write throttle events of table ${options.tableName}, per minute (the SDK may still absorb them: see the service's throttled calls).`,
        queries: [
          factory.aws(AwsMetrics.DynamoReadThrottleEvents, {
            id: 'reads',
            stat: 'Sum',
            period: 60,
            dimensions: table,
            visible: false,
          }),
          factory.aws(AwsMetrics.DynamoWriteThrottleEvents, {
            id: 'writes',
            stat: 'Sum',
            period: 60,
            dimensions: table,
            visible: false,
          }),
          factory.expression('events', 'FILL(reads, 0) + FILL(writes, 0)', { label: 'Throttle events' }),
        ],
        returnId: 'events',
        period: 60,
        comparison: ComparisonOperators.GreaterThanOrEqualToThreshold,
        treatMissingData: TreatMissingData.NotBreaching,
        treatMissingDataReason:
          'DynamoDB publishes throttle events only when there are some; FILL turns those gaps into 0 (CloudWatch would otherwise ignore missing data for AWS/DynamoDB and keep an alarm in ALARM).',
      },
      t.tableThrottleEvents,
    ),
  ];

  return {
    rows: [
      { title: 'DynamoDB (service view)', widgets: [serviceLatency, byOperation, retries] },
      { title: 'DynamoDB (table view)', widgets: [tableLatency, tableThrottles] },
    ],
    alarms,
  };
}
