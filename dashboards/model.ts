/**
 * The typed model the dashboards (and the alarms) are written in. It is independent of the
 * renderers: a `Signal` carries its CloudWatch queries and its PromQL side by side, so one
 * definition renders to a CloudWatch dashboard body, a CDK construct and Grafana JSON.
 */

/** A CloudWatch statistic: a named one, a percentile (`p99`) or a percentile rank (`PR(:300)`). */
export type Statistic = 'Sum' | 'SampleCount' | 'Average' | 'Minimum' | 'Maximum' | `p${number}` | `PR(${string})`;

/** One CloudWatch metric (namespace, name, exact dimension set) with a statistic and period. */
export interface MetricQuery {
  readonly kind: 'metric';
  /** Query id: `^[a-z][a-zA-Z0-9_]*$`, unique within a widget or alarm. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: Statistic;
  /** Seconds. */
  readonly period: number;
  readonly label?: string;
  /** False for a query an expression uses but the graph does not show. */
  readonly visible?: boolean;
}

/** A metric math expression over other queries of the same widget or alarm. */
export interface ExpressionQuery {
  readonly kind: 'expression';
  readonly id: string;
  readonly expression: string;
  readonly label?: string;
  readonly period?: number;
  readonly visible?: boolean;
}

/**
 * A CloudWatch search (`SEARCH('{Namespace,Dim1,Dim2} MetricName="X" Dim1="v"', 'Stat', period)`),
 * kept structured so the lint and the signal list can check its namespace, metric and
 * dimension set. `aggregate` wraps it (`SUM(SEARCH(...))`) into one line.
 */
export interface SearchQuery {
  readonly kind: 'search';
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  /** The exact dimension set searched (the schema in braces). */
  readonly dimensionNames: readonly string[];
  /** Dimension values the search is narrowed to. */
  readonly filters: Readonly<Record<string, string>>;
  readonly stat: Statistic;
  readonly period: number;
  readonly aggregate?: 'SUM' | 'AVG' | 'MAX';
  readonly label?: string;
  readonly visible?: boolean;
}

export type Query = MetricQuery | ExpressionQuery | SearchQuery;

/** Display units shared by both renderers (Grafana unit ids are derived from them). */
export const DisplayUnits = {
  Count: 'count',
  PerSecond: 'per-second',
  Milliseconds: 'ms',
  Percent: 'percent',
  Euro: 'eur',
  Usd: 'usd',
  Bytes: 'bytes',
  Ratio: 'ratio',
} as const;
export type DisplayUnit = (typeof DisplayUnits)[keyof typeof DisplayUnits];

/**
 * One line on a graph. `queries` are its CloudWatch queries (the visible one is the line,
 * hidden ones feed an expression); `promql` is the same signal over the Prometheus
 * exposition, absent for AWS-vended metrics that have no Prometheus equivalent.
 */
export interface Signal {
  readonly label: string;
  readonly queries: readonly Query[];
  readonly promql?: string;
  /** Grafana legend, e.g. `{{coffee_route_group}}`; defaults to the label. */
  readonly legend?: string;
}

export interface HorizontalAnnotation {
  readonly value: number;
  readonly label: string;
  readonly color?: string;
}

export interface GraphWidget {
  readonly type: 'graph';
  readonly title: string;
  readonly signals: readonly Signal[];
  readonly view?: 'timeSeries' | 'singleValue' | 'bar' | 'pie' | 'gauge';
  readonly stacked?: boolean;
  readonly unit?: DisplayUnit;
  readonly yMin?: number;
  readonly yMax?: number;
  readonly annotations?: readonly HorizontalAnnotation[];
  /** One value over the whole time range (single values, bars). */
  readonly setPeriodToTimeRange?: boolean;
  /** A widget-level time range, e.g. `-P30D` for the error budget. */
  readonly start?: string;
  readonly width?: number;
  readonly height?: number;
}

export interface TextWidget {
  readonly type: 'text';
  readonly markdown: string;
  readonly width?: number;
  readonly height?: number;
}

/** A CloudWatch Logs Insights query (CloudWatch only: Grafana has no Prometheus equivalent). */
export interface LogsWidget {
  readonly type: 'logs';
  readonly title: string;
  readonly logGroupNames: readonly string[];
  /** The query after the `SOURCE` clauses. */
  readonly query: string;
  readonly view?: 'table' | 'timeSeries' | 'bar';
  readonly width?: number;
  readonly height?: number;
}

/** The state of alarms (by name; rendered with their ARNs). */
export interface AlarmStatusWidget {
  readonly type: 'alarms';
  readonly title: string;
  readonly alarmNames: readonly string[];
  readonly width?: number;
  readonly height?: number;
}

export type Widget = GraphWidget | TextWidget | LogsWidget | AlarmStatusWidget;

export interface Row {
  readonly title?: string;
  readonly widgets: readonly Widget[];
}

export interface DashboardDefinition {
  /** Full CloudWatch dashboard name (prefix included): `[A-Za-z0-9_-]{1,255}`. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly Row[];
  /** Default time range, e.g. `-PT6H`. */
  readonly start?: string;
}

/** Where the monitored things live. Every field has a default, so `{}` works. */
export interface MonitoringOptions {
  /** Prefix of every dashboard and alarm name. Default `coffee-cloud`. */
  prefix?: string;
  /** Value of the `Service` dimension (OTEL_SERVICE_NAME). Default `DEFAULT_SERVICE_NAME`. */
  serviceName?: string;
  /** The Lambda function. Default `coffee-cloud-api`. */
  functionName?: string;
  /** Its memory size in MB, for GB-seconds. Default 1024. */
  lambdaMemoryMb?: number;
  /** Its architecture, for the GB-second price. Default `arm64`. */
  lambdaArchitecture?: 'arm64' | 'x86_64';
  /** The DynamoDB table. Default `DEFAULT_TABLE_NAME`. */
  tableName?: string;
  /** The HTTP API id; without it the API Gateway widgets search every HTTP API of the region. */
  apiId?: string;
  /** The HTTP API stage. Default `$default`. */
  apiStage?: string;
  /** The function's log group. Default `/aws/lambda/<functionName>`. */
  logGroupName?: string;
  /** Region of every widget. Default `us-east-1`. */
  region?: string;
  /** Account id, for the alarm ARNs of alarm status widgets; without it they become a note. */
  accountId?: string;
}

export type ResolvedOptions = Required<Omit<MonitoringOptions, 'apiId' | 'accountId'>> &
  Pick<MonitoringOptions, 'apiId' | 'accountId'>;
