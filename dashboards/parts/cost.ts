/**
 * Cost: the usage AWS bills the service for (Lambda requests and GB-seconds, DynamoDB read
 * and write units, HTTP API requests, log ingestion), per day, each with its estimated
 * cost from `PRICE_TABLE` computed by metric math (CloudWatch only: none of it is in the
 * Prometheus exposition).
 */
import { AwsMetrics } from '../aws-metrics.ts';
import { DisplayUnits, type GraphWidget, type Query, type TextWidget } from '../model.ts';
import { BYTES_PER_GB, PRICE_TABLE } from '../pricing.ts';
import { signal, type PartContext, type PartOutput } from './context.ts';

const DAY = 86_400;

interface UsageLine {
  readonly key: string;
  readonly label: string;
  /** Queries whose last one is the usage per day. */
  readonly usage: readonly Query[];
  /** The expression turning usage id into USD. */
  readonly cost: (usageId: string) => string;
}

export function costMonitoring({ options, factory }: PartContext): PartOutput {
  const p = PRICE_TABLE;
  const fn = { FunctionName: options.functionName };
  const table = { TableName: options.tableName };
  const perGbSecond = options.lambdaArchitecture === 'arm64' ? p.lambda.gbSecondArm64 : p.lambda.gbSecondX86;

  const hidden = { period: DAY, visible: false } as const;
  // Writes and reads to the indexes are billed too: the table's metric plus every index's.
  const capacity = (
    key: 'rcu' | 'wcu',
    def: typeof AwsMetrics.DynamoConsumedReadCapacity | typeof AwsMetrics.DynamoConsumedWriteCapacity,
    label: string,
  ): Query[] => [
    factory.aws(def, { ...hidden, id: `${key}_table`, stat: 'Sum', dimensions: table }),
    factory.awsSearch(def, {
      ...hidden,
      id: `${key}_indexes`,
      stat: 'Sum',
      dimensionNames: ['TableName', 'GlobalSecondaryIndexName'],
      filters: table,
      aggregate: 'SUM',
    }),
    factory.expression(key, `FILL(${key}_table, 0) + FILL(${key}_indexes, 0)`, { label }),
  ];
  const apiRequests: Query[] = options.apiId
    ? [
        factory.aws(AwsMetrics.ApiCount, {
          id: 'api',
          stat: 'Sum',
          period: DAY,
          dimensions: { ApiId: options.apiId, Stage: options.apiStage },
          label: 'HTTP API requests',
        }),
      ]
    : [
        factory.awsSearch(AwsMetrics.ApiCount, {
          id: 'api',
          stat: 'Sum',
          period: DAY,
          dimensionNames: ['ApiId', 'Stage'],
          aggregate: 'SUM',
          label: 'HTTP API requests (every HTTP API of the region)',
        }),
      ];

  const lines: UsageLine[] = [
    {
      key: 'lambda_requests',
      label: 'Lambda requests',
      usage: [
        factory.aws(AwsMetrics.LambdaInvocations, {
          id: 'invocations',
          stat: 'Sum',
          period: DAY,
          dimensions: fn,
          label: 'Lambda requests',
        }),
      ],
      cost: (id) => `${id} * ${p.lambda.requestsPerMillion} / 1000000`,
    },
    {
      key: 'lambda_compute',
      label: 'Lambda GB-seconds',
      usage: [
        factory.aws(AwsMetrics.LambdaDuration, { ...hidden, id: 'duration_ms', stat: 'Sum', dimensions: fn }),
        factory.expression('gb_seconds', `duration_ms / 1000 * ${options.lambdaMemoryMb} / 1024`, {
          label: `Lambda GB-seconds (${options.lambdaMemoryMb} MB)`,
        }),
      ],
      cost: (id) => `${id} * ${perGbSecond}`,
    },
    {
      key: 'dynamo_reads',
      label: 'DynamoDB read units',
      usage: capacity('rcu', AwsMetrics.DynamoConsumedReadCapacity, 'DynamoDB read units'),
      cost: (id) => `${id} * ${p.dynamodb.readRequestUnitsPerMillion} / 1000000`,
    },
    {
      key: 'dynamo_writes',
      label: 'DynamoDB write units',
      usage: capacity('wcu', AwsMetrics.DynamoConsumedWriteCapacity, 'DynamoDB write units'),
      cost: (id) => `${id} * ${p.dynamodb.writeRequestUnitsPerMillion} / 1000000`,
    },
    {
      key: 'api_gateway',
      label: 'HTTP API requests',
      usage: apiRequests,
      cost: (id) => `${id} * ${p.apiGateway.httpRequestsPerMillion} / 1000000`,
    },
    {
      key: 'log_ingestion',
      label: 'Log bytes ingested',
      usage: [
        factory.aws(AwsMetrics.LogsIncomingBytes, {
          id: 'log_bytes',
          stat: 'Sum',
          period: DAY,
          dimensions: { LogGroupName: options.logGroupName },
          label: 'Log bytes ingested',
        }),
      ],
      cost: (id) => `${id} / ${BYTES_PER_GB} * ${p.logs.ingestionPerGb}`,
    },
  ];

  const usageId = (line: UsageLine): string => line.usage.at(-1)!.id;
  const costQuery = (line: UsageLine): Query =>
    factory.expression(`usd_${line.key}`, line.cost(usageId(line)), { label: `${line.label} (USD/day)` });

  const usageWidgets: GraphWidget[] = lines.map((line) => ({
    type: 'graph',
    title: `${line.label} per day and estimated cost`,
    unit: DisplayUnits.Count,
    width: 8,
    signals: [signal(line.label, line.usage), signal(`${line.label} cost`, [costQuery(line)])],
  }));

  const hide = (q: Query): Query => ({ ...q, visible: false });
  const allUsage = lines.flatMap((line) => line.usage.map(hide));
  const allCosts = lines.map(costQuery);
  const total = factory.expression('usd_total', allCosts.map((q) => `FILL(${q.id}, 0)`).join(' + '), {
    label: 'Estimated total (USD/day)',
  });
  const totalWidget: GraphWidget = {
    type: 'graph',
    title: 'Estimated cost per day (USD)',
    unit: DisplayUnits.Usd,
    stacked: true,
    width: 16,
    signals: [signal('Cost per service', [...allUsage, ...allCosts])],
  };
  const totalValue: GraphWidget = {
    type: 'graph',
    title: 'Estimated cost, last day (USD)',
    view: 'singleValue',
    unit: DisplayUnits.Usd,
    width: 8,
    signals: [signal('Total', [...allUsage, ...allCosts.map(hide), total])],
  };
  const note: TextWidget = {
    type: 'text',
    width: 24,
    height: 2,
    markdown: `Estimates from the price table in \`dashboards/pricing.ts\`: ${p.region} list prices of ${p.asOf}, in ${p.currency}, first tier, free tier not deducted. Lambda at ${options.lambdaMemoryMb} MB ${options.lambdaArchitecture}; DynamoDB on demand.`,
  };

  return {
    rows: [
      { title: 'Estimated cost', widgets: [note, totalWidget, totalValue] },
      { title: 'Usage', widgets: usageWidgets },
    ],
    alarms: [],
  };
}
