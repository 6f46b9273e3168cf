/**
 * DynamoDB monitoring from both sides: the service's own view (call latency including SDK
 * retries, retries, throttles that survived the retries) and the table's (`AWS/DynamoDB`
 * latency, throttle events, system errors); alarms on throttles from both.
 */
import { Metrics } from '../../service/catalog/index.ts';
import { DYNAMODB_ACCESS } from '../../service/catalog/index.ts';
import { mathAlarms, metricAlarms, type SeverityThresholds } from '../alarm-builders.ts';
import { ComparisonOperators, TreatMissingData, type AlarmDefinition } from '../alarm-model.ts';
import { AwsMetrics, type AwsMetricDefinition } from '../aws-metrics.ts';
import { DisplayUnits, type GraphWidget, type MetricQuery } from '../model.ts';
import { counterSignal, idPart, percentileSignals, signal, type PartContext, type PartOutput } from './context.ts';

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

export function dynamoMonitoring(context: PartContext, thresholds: DynamoThresholds = {}): PartOutput {
  return {
    rows: [
      {
        title: 'DynamoDB (service view)',
        widgets: [serviceLatency(context), latencyByOperation(context), retries(context)],
      },
      { title: 'DynamoDB (table view)', widgets: [tableLatency(context), tableThrottles(context)] },
    ],
    alarms: dynamoAlarms(context, { ...DEFAULT_THRESHOLDS, ...thresholds }),
  };
}

/** An AWS/DynamoDB metric of the table (of one operation when given). */
function tableMetric(
  { options, factory }: PartContext,
  def: AwsMetricDefinition,
  spec: { id: string; stat: 'Sum' | 'Average'; period: number; label?: string; visible?: boolean; operation?: string },
): MetricQuery {
  const { operation, ...rest } = spec;
  const table = { TableName: options.tableName };
  return factory.aws(def, { ...rest, dimensions: operation ? { ...table, Operation: operation } : table });
}

function serviceLatency({ factory }: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'DynamoDB call latency seen by the service (ms)',
    unit: DisplayUnits.Milliseconds,
    signals: percentileSignals(factory, Metrics.DynamoDbDuration, ['p50', 'p99'], { idPrefix: 'ddb', period: PERIOD }),
  };
}

function latencyByOperation({ factory }: PartContext): GraphWidget {
  return {
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
        factory.prom.quantile(Metrics.DynamoDbDuration, 0.99, { by: ['Operation'] }),
        '{{db_operation_name}}',
      ),
    ],
  };
}

function retries({ factory }: PartContext): GraphWidget {
  const perPeriod = { period: PERIOD, window: '5m' };
  return {
    type: 'graph',
    title: 'SDK retries and throttled calls (per 5 min)',
    unit: DisplayUnits.Count,
    signals: [
      counterSignal(factory, Metrics.DynamoDbRetries, { id: 'retries', label: 'Retries', ...perPeriod }),
      counterSignal(factory, Metrics.DynamoDbThrottles, {
        id: 'throttled',
        label: 'Throttled after retries',
        ...perPeriod,
      }),
    ],
  };
}

function tableLatency(context: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'AWS/DynamoDB successful request latency (ms, average)',
    unit: DisplayUnits.Milliseconds,
    signals: DYNAMODB_OPERATIONS.map((operation) =>
      signal(operation, [
        tableMetric(context, AwsMetrics.DynamoSuccessfulRequestLatency, {
          id: `lat_${idPart(operation)}`,
          stat: 'Average',
          period: PERIOD,
          label: operation,
          operation,
        }),
      ]),
    ),
  };
}

function tableThrottles(context: PartContext): GraphWidget {
  const sum = (def: AwsMetricDefinition, id: string, label: string, operation?: string) =>
    signal(label, [tableMetric(context, def, { id, stat: 'Sum', period: PERIOD, label, operation })]);
  return {
    type: 'graph',
    title: 'AWS/DynamoDB throttles and system errors (per 5 min)',
    unit: DisplayUnits.Count,
    signals: [
      sum(AwsMetrics.DynamoReadThrottleEvents, 'read_thr', 'Read throttle events'),
      sum(AwsMetrics.DynamoWriteThrottleEvents, 'write_thr', 'Write throttle events'),
      ...DYNAMODB_OPERATIONS.map((operation) =>
        sum(AwsMetrics.DynamoSystemErrors, `sys_${idPart(operation)}`, `System errors ${operation}`, operation),
      ),
    ],
  };
}

/** Throttles the customers saw (after the SDK's retries) and the table's throttle events. */
function dynamoAlarms(context: PartContext, t: Required<DynamoThresholds>): AlarmDefinition[] {
  const { options, factory } = context;
  const perMinute = { stat: 'Sum', period: 60, visible: false } as const;
  return [
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
          tableMetric(context, AwsMetrics.DynamoReadThrottleEvents, { id: 'reads', ...perMinute }),
          tableMetric(context, AwsMetrics.DynamoWriteThrottleEvents, { id: 'writes', ...perMinute }),
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
}
