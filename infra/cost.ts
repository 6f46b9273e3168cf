/**
 * What the deployed stacks cost: a fixed monthly part that is paid with no traffic, and a
 * variable part per million orders. The variable part is `estimateDailyCost` of the
 * dashboards (the same `PRICE_TABLE` the cost dashboard multiplies usage by) applied to a
 * per-order usage model; the fixed part counts the dashboards and alarms the observability
 * stack deploys (the same definitions) and prices them with `FIXED_PRICES` below.
 *
 * Estimates, not a bill: prices are list prices of one region on one date, without free
 * tiers unless said; the per-order model's assumptions are the defaults of
 * `DEFAULT_ORDER_USAGE` and can be replaced by measured values (the cost dashboard shows
 * the real ones once deployed).
 */
import { buildAlarmDefinitions } from '../alarms/index.ts';
import { ALL_METRICS, RouteGroups, type DimensionName, type MetricDefinition } from '../service/catalog/index.ts';
import {
  buildCloudWatchDashboards,
  estimateDailyCost,
  PRICE_TABLE,
  type AlarmDefinition,
  type CostEstimate,
  type MonitoringOptions,
} from '../dashboards/index.ts';

/**
 * Monthly prices of what `PRICE_TABLE` (usage prices) does not cover. us-east-1 list
 * prices in USD as published on the AWS pricing pages of CloudWatch, KMS, Secrets Manager
 * and DynamoDB in mid-2025, recorded by hand and not re-checked since: update `asOf` with
 * them.
 */
export const FIXED_PRICES = {
  region: 'us-east-1',
  asOf: '2025-07-01',
  currency: 'USD',
  /** Per dashboard and month (an account's first 3 dashboards of up to 50 metrics are free). */
  dashboard: 3.0,
  /** Per standard-resolution alarm metric and month; a math alarm pays per metric it reads. */
  alarmMetric: 0.1,
  /** An anomaly detection alarm is billed as three alarm metrics per metric (value and band). */
  anomalyAlarmMetricFactor: 3,
  /** Per composite alarm and month. */
  compositeAlarm: 0.5,
  /** Per customer-managed KMS key and month (the alarm topics' key). */
  kmsKey: 1.0,
  /** Per secret and month. */
  secret: 0.4,
  /** Per GB-month: DynamoDB standard storage, continuous backup (PITR), AWS Backup warm storage. */
  dynamoStoragePerGb: 0.25,
  pitrPerGb: 0.2,
  backupPerGb: 0.1,
  /** Per custom metric and month, first 10 000 (EMF metrics, prorated by the hours they get data). */
  customMetric: 0.3,
  /** AWS FIS, per action-minute of a running experiment. */
  fisActionMinute: 0.1,
  /** CloudTrail data events, per 100,000 (management events: the first copy is free). */
  trailDataEventsPer100k: 0.1,
  /** The trail's key (log files and log group), per month. */
  trailKmsKey: 1.0,
} as const;

/**
 * The trail's per-order volume: every DynamoDB call of an order's journey is one data event
 * (the PutItem, three status UpdateItems, two GetItems, the queue's four shard Queries and
 * the user lookup), and each event also lands in the trail's log group.
 */
export const TRAIL_USAGE = {
  dataEventsPerOrder: 11,
  /** A CloudTrail DynamoDB data event as delivered to CloudWatch Logs. */
  bytesPerEvent: 1_500,
} as const;

/** Usage of one placed order across its journey (customer and barista), see `DEFAULT_ORDER_USAGE`. */
export interface OrderUsage {
  /** API requests (= Lambda invocations) per order. */
  readonly requests: number;
  /** Average billed Lambda duration per request, ms. */
  readonly lambdaMsPerRequest: number;
  /** DynamoDB read request units per order (table and indexes). */
  readonly readUnits: number;
  /** DynamoDB write request units per order (table and indexes). */
  readonly writeUnits: number;
  /** Log bytes ingested per request: function logs, EMF metrics, Lambda platform lines, API access log. */
  readonly logBytesPerRequest: number;
}

/**
 * The default journey of one order, as the load tests' scenarios drive it:
 * - requests: GET /menu, POST /orders, GET /orders/{id} twice (tracking), one barista
 *   queue read (GET /orders?status=), three PATCHes (PREPARING, READY, PICKED_UP) = 8;
 * - writes: the PutItem of a < 1 KB order is 1 WRU plus 1 per GSI it lands in (both
 *   project ALL) = 3; each status PATCH is 1 WRU on the table, 2 on `byStatus` (the key
 *   changes: delete and insert) and 1 on `byUser` = 4, three of them = 12; total 15;
 * - reads: two eventually consistent GetItems (0.5 each), the queue read fans out over the
 *   status shards (4 Queries of at least 0.5 RCU) and the order's user lookup = 3.5;
 *   the menu is served from the in-process cache;
 * - 40 ms average billed duration per warm invocation, and 2.5 KB of logs per request
 *   (one JSON request line, one EMF document, Lambda's START/END/REPORT, the access log).
 */
export const DEFAULT_ORDER_USAGE: OrderUsage = {
  requests: 8,
  lambdaMsPerRequest: 40,
  readUnits: 3.5,
  writeUnits: 15,
  logBytesPerRequest: 2_560,
};

export interface MonthlyFixedCost {
  dashboards: number;
  alarms: number;
  kmsKey: number;
  /** The service secret and the fault-token secret it copies from. */
  secrets: number;
  /** The CloudTrail trail's key (the trail itself, one copy of management events, costs nothing at rest). */
  trailKmsKey: number;
  total: number;
  counts: { dashboards: number; alarmMetrics: number; compositeAlarms: number };
  currency: 'USD';
  asOf: string;
}

/** Secrets the service stack creates (see `ServiceStack`). */
const SECRETS = 2;

/** Billed alarm metrics of one alarm definition (0 for a composite). */
export function alarmMetrics(alarm: AlarmDefinition): number {
  switch (alarm.kind) {
    case 'composite':
      return 0;
    case 'metric':
      return 1;
    case 'math':
      return alarm.queries.filter((q) => q.kind === 'metric').length;
    case 'anomaly':
      return alarm.queries.filter((q) => q.kind === 'metric').length * FIXED_PRICES.anomalyAlarmMetricFactor;
  }
}

/**
 * The monthly cost paid with no traffic at all: dashboards, alarms, the topic key and the
 * secrets. An empty table, its backups, the API, the function and Cognito (under its free
 * MAUs) cost nothing at rest; storage grows with the orders (see `FIXED_PRICES`).
 */
export function estimateMonthlyFixedCost(
  options: MonitoringOptions = {},
  { prices = FIXED_PRICES, faultInjection = true }: { prices?: typeof FIXED_PRICES; faultInjection?: boolean } = {},
): MonthlyFixedCost {
  const dashboards = buildCloudWatchDashboards(options).length;
  const alarms = buildAlarmDefinitions(options).alarms;
  // The fault-injection stack adds its guardrail: one math alarm on two API Gateway metrics.
  const guardrailMetrics = faultInjection ? 2 : 0;
  const alarmMetricCount = alarms.reduce((sum, alarm) => sum + alarmMetrics(alarm), guardrailMetrics);
  const compositeAlarms = alarms.filter((a) => a.kind === 'composite').length;
  const parts = {
    dashboards: dashboards * prices.dashboard,
    alarms: alarmMetricCount * prices.alarmMetric + compositeAlarms * prices.compositeAlarm,
    kmsKey: prices.kmsKey,
    secrets: SECRETS * prices.secret,
    trailKmsKey: prices.trailKmsKey,
  };
  return {
    ...parts,
    total: parts.dashboards + parts.alarms + parts.kmsKey + parts.secrets + parts.trailKmsKey,
    counts: { dashboards, alarmMetrics: alarmMetricCount, compositeAlarms },
    currency: prices.currency,
    asOf: prices.asOf,
  };
}

/**
 * The usage cost of `orders` orders (default one million), priced with the dashboards'
 * `PRICE_TABLE` through `estimateDailyCost` (the estimate is linear, so the "day" is
 * simply the whole batch).
 */
export function estimateOrdersCost({
  orders = 1_000_000,
  usage = DEFAULT_ORDER_USAGE,
  lambdaMemoryMb = 512,
}: { orders?: number; usage?: OrderUsage; lambdaMemoryMb?: number } = {}): CostEstimate {
  const requests = orders * usage.requests;
  return estimateDailyCost(
    {
      lambdaInvocations: requests,
      lambdaDurationMs: requests * usage.lambdaMsPerRequest,
      dynamoReadUnits: orders * usage.readUnits,
      dynamoWriteUnits: orders * usage.writeUnits,
      apiRequests: requests,
      logBytes: requests * usage.logBytesPerRequest,
    },
    { lambdaMemoryMb, architecture: 'arm64', prices: PRICE_TABLE },
  );
}

/**
 * How many values each dimension takes in a deployment, for counting custom metric
 * series. `Route` counts route-and-method pairs (the set it is published in always has
 * `Method` too, counted as 1); the rest are the values the service emits under normal
 * traffic (error codes: the handful that occur, not every code that exists).
 */
export const DIMENSION_CARDINALITY: Readonly<Record<DimensionName, number>> = {
  Service: 1,
  Route: 12,
  Method: 1,
  StatusClass: 3,
  RouteGroup: Object.keys(RouteGroups).length,
  Operation: 4,
  ErrorCode: 8,
  ToStatus: 4,
  Cache: 1,
};

/**
 * The custom metric series (name and dimension values) the function publishes with EMF:
 * every dimension set of every catalog metric emitted in Lambda. Each series is billed
 * `FIXED_PRICES.customMetric` a month, prorated by the hours it receives data, so this is
 * a cost of running with traffic, not of the orders themselves.
 */
export function customMetricSeries(
  metrics: readonly MetricDefinition[] = ALL_METRICS,
  cardinality = DIMENSION_CARDINALITY,
): number {
  return metrics
    .filter((m) => m.runtime !== 'server')
    .flatMap((m) => m.dimensionSets)
    .reduce((sum, set) => sum + set.reduce((product, dimension) => product * cardinality[dimension], 1), 0);
}

const usd = (n: number) => `$${n.toFixed(2)}`;

export interface CostReport {
  readonly orders: number;
  readonly lambdaMemoryMb: number;
  readonly usage: OrderUsage;
  readonly fixedMonthly: MonthlyFixedCost;
  readonly orderCost: CostEstimate;
  /** Custom metric series published while traffic flows, and their monthly price. */
  readonly customMetrics: { readonly series: number; readonly monthly: number };
  /** The CloudTrail data events of the orders and their delivery to the trail's log group. */
  readonly trail: TrailCost;
}

export interface TrailCost {
  readonly dataEvents: number;
  readonly dataEventCost: number;
  readonly logIngestionCost: number;
  readonly total: number;
}

/** What the trail adds per `orders` orders: data events priced per 100,000, and their log ingestion. */
export function estimateTrailCost(orders: number, usage = TRAIL_USAGE): TrailCost {
  const dataEvents = orders * usage.dataEventsPerOrder;
  const dataEventCost = (dataEvents / 100_000) * FIXED_PRICES.trailDataEventsPer100k;
  const logIngestionCost = ((dataEvents * usage.bytesPerEvent) / 1024 ** 3) * PRICE_TABLE.logs.ingestionPerGb;
  return { dataEvents, dataEventCost, logIngestionCost, total: dataEventCost + logIngestionCost };
}

/** The whole estimate for the deployed configuration (the numbers `coffee infra cost` prints). */
export function costReport({
  orders = 1_000_000,
  lambdaMemoryMb = 512,
  usage = DEFAULT_ORDER_USAGE,
  options = {},
}: { orders?: number; lambdaMemoryMb?: number; usage?: OrderUsage; options?: MonitoringOptions } = {}): CostReport {
  const series = customMetricSeries();
  return {
    orders,
    lambdaMemoryMb,
    usage,
    fixedMonthly: estimateMonthlyFixedCost({ ...options, lambdaMemoryMb }),
    orderCost: estimateOrdersCost({ orders, usage, lambdaMemoryMb }),
    customMetrics: { series, monthly: series * FIXED_PRICES.customMetric },
    trail: estimateTrailCost(orders),
  };
}

/** The report as aligned text lines. */
export function formatCostReport(report: CostReport): string[] {
  const { fixedMonthly: f, orderCost: o, usage: u } = report;
  const row = (label: string, value: string) => `  ${label.padEnd(44)} ${value.padStart(10)}`;
  return [
    `At rest, per month (${f.currency}, list prices ${FIXED_PRICES.region} ${f.asOf}):`,
    row(`dashboards (${f.counts.dashboards})`, usd(f.dashboards)),
    row(`alarms (${f.counts.alarmMetrics} alarm metrics, ${f.counts.compositeAlarms} composites)`, usd(f.alarms)),
    row('KMS key of the alarm topics', usd(f.kmsKey)),
    row(`Secrets Manager secrets (${SECRETS})`, usd(f.secrets)),
    row('KMS key of the CloudTrail trail', usd(f.trailKmsKey)),
    row('total', usd(f.total)),
    '',
    `Per ${report.orders.toLocaleString('en-US')} orders (${o.currency}, PRICE_TABLE ${o.region} ${o.asOf}; ${u.requests} requests, ${u.writeUnits} WRU, ${u.readUnits} RRU per order, ${u.lambdaMsPerRequest} ms at ${report.lambdaMemoryMb} MB arm64):`,
    row('API Gateway HTTP API requests', usd(o.apiGateway)),
    row('Lambda requests', usd(o.lambdaRequests)),
    row('Lambda compute', usd(o.lambdaCompute)),
    row('DynamoDB writes', usd(o.dynamoWrites)),
    row('DynamoDB reads', usd(o.dynamoReads)),
    row(`log ingestion (${(u.logBytesPerRequest / 1024).toFixed(1)} KB per request)`, usd(o.logIngestion)),
    row('total', usd(o.total)),
    '',
    `CloudTrail for the same orders (${TRAIL_USAGE.dataEventsPerOrder} DynamoDB data events per order, ${usd(FIXED_PRICES.trailDataEventsPer100k)} per 100,000; management events free):`,
    row(`data events (${report.trail.dataEvents.toLocaleString('en-US')})`, usd(report.trail.dataEventCost)),
    row('their delivery to the trail log group', usd(report.trail.logIngestionCost)),
    row('total', usd(report.trail.total)),
    '',
    `While traffic flows: ${report.customMetrics.series} custom metric series (EMF) x ${usd(FIXED_PRICES.customMetric)} = ${usd(report.customMetrics.monthly)} a month, prorated by the hours they receive data.`,
    `Storage grows with the orders: DynamoDB ${usd(FIXED_PRICES.dynamoStoragePerGb)}, PITR ${usd(FIXED_PRICES.pitrPerGb)}, backups ${usd(FIXED_PRICES.backupPerGb)} per GB-month; an order is about 1 KB (x3 with both GSIs).`,
  ];
}
