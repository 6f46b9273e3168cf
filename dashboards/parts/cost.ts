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
const HIDDEN = { period: DAY, visible: false } as const;

interface UsageLine {
  readonly key: string;
  readonly label: string;
  /** Queries whose last one is the usage per day. */
  readonly usage: readonly Query[];
  /** The expression turning usage id into USD. */
  readonly cost: (usageId: string) => string;
}

export function costMonitoring(context: PartContext): PartOutput {
  const lines = usageLines(context);
  return {
    rows: [
      { title: 'Estimated cost', widgets: [note(context), totalCost(context, lines), totalLastDay(context, lines)] },
      { title: 'Usage', widgets: lines.map((line) => usageWidget(context, line)) },
    ],
    alarms: [],
  };
}

/** Each billed usage per day with its price (`PRICE_TABLE`, Lambda at the options' architecture). */
function usageLines(context: PartContext): UsageLine[] {
  const { options, factory } = context;
  const p = PRICE_TABLE;
  const fn = { FunctionName: options.functionName };
  const perGbSecond = options.lambdaArchitecture === 'arm64' ? p.lambda.gbSecondArm64 : p.lambda.gbSecondX86;
  return [
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
        factory.aws(AwsMetrics.LambdaDuration, { ...HIDDEN, id: 'duration_ms', stat: 'Sum', dimensions: fn }),
        factory.expression('gb_seconds', `duration_ms / 1000 * ${options.lambdaMemoryMb} / 1024`, {
          label: `Lambda GB-seconds (${options.lambdaMemoryMb} MB)`,
        }),
      ],
      cost: (id) => `${id} * ${perGbSecond}`,
    },
    {
      key: 'dynamo_reads',
      label: 'DynamoDB read units',
      usage: capacity(context, 'rcu', AwsMetrics.DynamoConsumedReadCapacity, 'DynamoDB read units'),
      cost: (id) => `${id} * ${p.dynamodb.readRequestUnitsPerMillion} / 1000000`,
    },
    {
      key: 'dynamo_writes',
      label: 'DynamoDB write units',
      usage: capacity(context, 'wcu', AwsMetrics.DynamoConsumedWriteCapacity, 'DynamoDB write units'),
      cost: (id) => `${id} * ${p.dynamodb.writeRequestUnitsPerMillion} / 1000000`,
    },
    {
      key: 'api_gateway',
      label: 'HTTP API requests',
      usage: apiRequests(context),
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
}

/** Reads and writes to the indexes are billed too: the table's metric plus every index's. */
function capacity(
  { options, factory }: PartContext,
  key: 'rcu' | 'wcu',
  def: typeof AwsMetrics.DynamoConsumedReadCapacity | typeof AwsMetrics.DynamoConsumedWriteCapacity,
  label: string,
): Query[] {
  const table = { TableName: options.tableName };
  return [
    factory.aws(def, { ...HIDDEN, id: `${key}_table`, stat: 'Sum', dimensions: table }),
    factory.awsSearch(def, {
      ...HIDDEN,
      id: `${key}_indexes`,
      stat: 'Sum',
      dimensionNames: ['TableName', 'GlobalSecondaryIndexName'],
      filters: table,
      aggregate: 'SUM',
    }),
    factory.expression(key, `FILL(${key}_table, 0) + FILL(${key}_indexes, 0)`, { label }),
  ];
}

/** The service's HTTP API when its id is known, else every HTTP API of the region. */
function apiRequests({ options, factory }: PartContext): Query[] {
  return options.apiId
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
}

function costQuery({ factory }: PartContext, line: UsageLine): Query {
  const usageId = line.usage.at(-1)!.id;
  return factory.expression(`usd_${line.key}`, line.cost(usageId), { label: `${line.label} (USD/day)` });
}

function usageWidget(context: PartContext, line: UsageLine): GraphWidget {
  return {
    type: 'graph',
    title: `${line.label} per day and estimated cost`,
    unit: DisplayUnits.Count,
    width: 8,
    signals: [signal(line.label, line.usage), signal(`${line.label} cost`, [costQuery(context, line)])],
  };
}

const hide = (q: Query): Query => ({ ...q, visible: false });

/** Every line's usage, hidden: the cost expressions read them. */
function allUsage(lines: readonly UsageLine[]): Query[] {
  return lines.flatMap((line) => line.usage.map(hide));
}

function totalCost(context: PartContext, lines: readonly UsageLine[]): GraphWidget {
  return {
    type: 'graph',
    title: 'Estimated cost per day (USD)',
    unit: DisplayUnits.Usd,
    stacked: true,
    width: 16,
    signals: [signal('Cost per service', [...allUsage(lines), ...lines.map((line) => costQuery(context, line))])],
  };
}

function totalLastDay(context: PartContext, lines: readonly UsageLine[]): GraphWidget {
  const costs = lines.map((line) => costQuery(context, line));
  const total = context.factory.expression('usd_total', costs.map((q) => `FILL(${q.id}, 0)`).join(' + '), {
    label: 'Estimated total (USD/day)',
  });
  return {
    type: 'graph',
    title: 'Estimated cost, last day (USD)',
    view: 'singleValue',
    unit: DisplayUnits.Usd,
    width: 8,
    signals: [signal('Total', [...allUsage(lines), ...costs.map(hide), total])],
  };
}

function note({ options }: PartContext): TextWidget {
  const p = PRICE_TABLE;
  return {
    type: 'text',
    width: 24,
    height: 2,
    markdown: `Estimates from the price table in \`dashboards/pricing.ts\`: ${p.region} list prices of ${p.asOf}, in ${p.currency}, first tier, free tier not deducted. Lambda at ${options.lambdaMemoryMb} MB ${options.lambdaArchitecture}; DynamoDB on demand.`,
  };
}
