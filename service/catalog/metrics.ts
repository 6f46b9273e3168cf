/**
 * The metrics catalog: every metric the Coffee Cloud service emits, and nothing else.
 *
 * The service's OpenTelemetry instruments, the EMF and Prometheus exporters, the
 * dashboards, the alarms, the load-test thresholds and the chaos expectations are all
 * built from this module. It imports nothing, so any part (CDK code included) can load it.
 *
 * Naming:
 * - `name` is the CloudWatch metric name (PascalCase, in `NAMESPACE`).
 * - `otelName` is the OpenTelemetry instrument name; the Prometheus name is derived from
 *   it by `prometheusName()` (dots become underscores, counters get `_total`, histograms
 *   expose `_bucket`, `_sum` and `_count`), exactly as the OpenTelemetry Prometheus
 *   exporter does.
 * - Every dimension is listed once in `Dimensions` with its OpenTelemetry attribute key
 *   and its Prometheus label.
 */

/** The CloudWatch namespace every custom metric of the service lives in. */
export const NAMESPACE = 'CoffeeCloud';

/** The default value of the `Service` dimension (the OpenTelemetry `service.name`). */
export const DEFAULT_SERVICE_NAME = 'coffee-cloud';

/** CloudWatch units used by the catalog (a subset of CloudWatch's list). */
export const Units = {
  Count: 'Count',
  Milliseconds: 'Milliseconds',
  Bytes: 'Bytes',
  Percent: 'Percent',
  None: 'None',
} as const;
export type Unit = (typeof Units)[keyof typeof Units];

/** The OpenTelemetry (UCUM) unit string for each CloudWatch unit. */
export const OTEL_UNITS: Record<Unit, string> = {
  Count: '{count}',
  Milliseconds: 'ms',
  Bytes: 'By',
  Percent: '%',
  None: '1',
};

export const MetricKinds = {
  Counter: 'counter',
  Histogram: 'histogram',
  /** A value that goes up and down (an OpenTelemetry UpDownCounter or observable gauge). */
  Gauge: 'gauge',
} as const;
export type MetricKind = (typeof MetricKinds)[keyof typeof MetricKinds];

/**
 * Every dimension a metric may carry. `attribute` is the OpenTelemetry attribute key the
 * service records; `source: 'resource'` means the value comes from the OpenTelemetry
 * resource (the same for every data point of a process), not from the data point.
 */
export const Dimensions = {
  Service: { attribute: 'service.name', source: 'resource', description: 'The service name (OTEL_SERVICE_NAME)' },
  Route: { attribute: 'http.route', source: 'point', description: 'The route template, e.g. /orders/:orderId' },
  Method: { attribute: 'http.request.method', source: 'point', description: 'The HTTP method' },
  StatusClass: { attribute: 'coffee.status_class', source: 'point', description: '2xx, 3xx, 4xx or 5xx' },
  RouteGroup: { attribute: 'coffee.route_group', source: 'point', description: 'The SLO route group of the route' },
  Operation: { attribute: 'db.operation.name', source: 'point', description: 'The DynamoDB operation, e.g. PutItem' },
  ErrorCode: { attribute: 'error.type', source: 'point', description: 'The stable problem+json error code' },
  ToStatus: { attribute: 'coffee.order.status', source: 'point', description: 'The order status a transition led to' },
  Cache: { attribute: 'coffee.cache.name', source: 'point', description: 'The in-process cache, e.g. product' },
} as const;
export type DimensionName = keyof typeof Dimensions;

/** The Prometheus label of a dimension: its OpenTelemetry attribute with dots as underscores. */
export function prometheusLabel(dimension: DimensionName): string {
  return Dimensions[dimension].attribute.replace(/[^a-zA-Z0-9_]/g, '_');
}

export interface MetricDefinition {
  /** CloudWatch metric name. */
  readonly name: string;
  /** OpenTelemetry instrument name. */
  readonly otelName: string;
  readonly kind: MetricKind;
  readonly unit: Unit;
  readonly description: string;
  /** Every dimension a data point can carry (the union of `dimensionSets`). */
  readonly dimensions: readonly DimensionName[];
  /**
   * The dimension sets the metric is published under in CloudWatch (the EMF
   * `Dimensions` array). Percentiles do not aggregate across dimensions in CloudWatch,
   * so a metric that is alarmed on per route group is published per route group too.
   */
  readonly dimensionSets: readonly (readonly DimensionName[])[];
  /** Histogram bucket boundaries (Prometheus `le`, OpenTelemetry explicit buckets). */
  readonly buckets?: readonly number[];
  /** Where it is emitted: every runtime, or only in AWS Lambda. */
  readonly runtime?: 'all' | 'lambda' | 'server';
}

/**
 * Latency buckets in milliseconds. They contain every SLO latency threshold (see
 * `slos.ts`), so Prometheus can count "requests under the threshold" exactly.
 */
export const LATENCY_BUCKETS_MS = [
  1, 2, 5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
] as const;

/** Order value buckets, in cents. */
export const ORDER_VALUE_BUCKETS_CENTS = [250, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000] as const;

/** Preparation time buckets, in milliseconds (seconds to an hour). */
export const PREPARATION_BUCKETS_MS = [
  1000, 5000, 15000, 30000, 60000, 120000, 300000, 600000, 1200000, 3600000,
] as const;

const define = <const T extends MetricDefinition>(metric: T): T => metric;

/** The catalog. Keys are how code refers to a metric (`Metrics.OrdersPlaced`). */
export const Metrics = {
  // Business KPIs
  OrdersPlaced: define({
    name: 'OrdersPlaced',
    otelName: 'coffee.orders.placed',
    kind: 'counter',
    unit: 'Count',
    description: 'Orders accepted (first acknowledgement of an idempotency key)',
    dimensions: ['Service'],
    dimensionSets: [['Service']],
  }),
  OrderValue: define({
    name: 'OrderValue',
    otelName: 'coffee.orders.value',
    kind: 'histogram',
    unit: 'None',
    description: 'Total of each order placed, in integer cents (Sum is revenue)',
    dimensions: ['Service'],
    dimensionSets: [['Service']],
    buckets: ORDER_VALUE_BUCKETS_CENTS,
  }),
  Registrations: define({
    name: 'Registrations',
    otelName: 'coffee.users.registered',
    kind: 'counter',
    unit: 'Count',
    description: 'Customers registered',
    dimensions: ['Service'],
    dimensionSets: [['Service']],
  }),
  OrderStatusTransitions: define({
    name: 'OrderStatusTransitions',
    otelName: 'coffee.orders.status_transitions',
    kind: 'counter',
    unit: 'Count',
    description: 'Order status changes, by the status reached (the status funnel)',
    dimensions: ['Service', 'ToStatus'],
    dimensionSets: [['Service', 'ToStatus']],
  }),
  OrderPreparationTime: define({
    name: 'OrderPreparationTime',
    otelName: 'coffee.orders.preparation_time',
    kind: 'histogram',
    unit: 'Milliseconds',
    description: 'Time from PLACED to READY',
    dimensions: ['Service'],
    dimensionSets: [['Service']],
    buckets: PREPARATION_BUCKETS_MS,
  }),
  Errors: define({
    name: 'Errors',
    otelName: 'coffee.errors',
    kind: 'counter',
    unit: 'Count',
    description: 'Error responses, by their stable problem+json code',
    dimensions: ['Service', 'ErrorCode'],
    dimensionSets: [['Service', 'ErrorCode']],
  }),

  // Technical health
  HttpRequestDuration: define({
    name: 'HttpRequestDuration',
    otelName: 'coffee.http.server.duration',
    kind: 'histogram',
    unit: 'Milliseconds',
    description: 'Server-side request duration (SampleCount is the request count)',
    dimensions: ['Service', 'RouteGroup', 'Route', 'Method', 'StatusClass'],
    dimensionSets: [
      ['Service', 'RouteGroup'],
      ['Service', 'RouteGroup', 'StatusClass'],
      ['Service', 'Route', 'Method', 'StatusClass'],
    ],
    buckets: LATENCY_BUCKETS_MS,
  }),
  DynamoDbDuration: define({
    name: 'DynamoDbDuration',
    otelName: 'coffee.dynamodb.duration',
    kind: 'histogram',
    unit: 'Milliseconds',
    description: 'DynamoDB call duration including the SDK retries, by operation',
    dimensions: ['Service', 'Operation'],
    dimensionSets: [['Service'], ['Service', 'Operation']],
    buckets: LATENCY_BUCKETS_MS,
  }),
  DynamoDbRetries: define({
    name: 'DynamoDbRetries',
    otelName: 'coffee.dynamodb.retries',
    kind: 'counter',
    unit: 'Count',
    description: 'Attempts the SDK retried (attempts minus one per call)',
    dimensions: ['Service', 'Operation'],
    dimensionSets: [['Service'], ['Service', 'Operation']],
  }),
  DynamoDbThrottles: define({
    name: 'DynamoDbThrottles',
    otelName: 'coffee.dynamodb.throttles',
    kind: 'counter',
    unit: 'Count',
    description: 'DynamoDB calls that failed throttled after the SDK retries',
    dimensions: ['Service', 'Operation'],
    dimensionSets: [['Service'], ['Service', 'Operation']],
  }),
  CacheHits: define({
    name: 'CacheHits',
    otelName: 'coffee.cache.hits',
    kind: 'counter',
    unit: 'Count',
    description: 'Lookups answered by the in-process cache',
    dimensions: ['Service', 'Cache'],
    dimensionSets: [['Service', 'Cache']],
  }),
  CacheMisses: define({
    name: 'CacheMisses',
    otelName: 'coffee.cache.misses',
    kind: 'counter',
    unit: 'Count',
    description: 'Lookups that went to DynamoDB',
    dimensions: ['Service', 'Cache'],
    dimensionSets: [['Service', 'Cache']],
  }),
  InFlightRequests: define({
    name: 'InFlightRequests',
    otelName: 'coffee.http.server.active_requests',
    kind: 'gauge',
    unit: 'Count',
    description: 'Requests being served',
    dimensions: ['Service'],
    dimensionSets: [['Service']],
  }),
  EventLoopDelay: define({
    name: 'EventLoopDelay',
    otelName: 'coffee.nodejs.event_loop.delay_p99',
    kind: 'gauge',
    unit: 'Milliseconds',
    description: 'p99 event-loop delay over the last export interval',
    dimensions: ['Service'],
    dimensionSets: [['Service']],
    runtime: 'all',
  }),
  ColdStarts: define({
    name: 'ColdStarts',
    otelName: 'coffee.lambda.cold_starts',
    kind: 'counter',
    unit: 'Count',
    description: 'Lambda invocations that initialised a new execution environment',
    dimensions: ['Service'],
    dimensionSets: [['Service']],
    runtime: 'lambda',
  }),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof Metrics;

/** All catalog metrics as a list. */
export const ALL_METRICS: readonly MetricDefinition[] = Object.values(Metrics);

/** Look a metric up by its CloudWatch name. */
export function metricByName(name: string): MetricDefinition | undefined {
  return ALL_METRICS.find((m) => m.name === name);
}

/**
 * The Prometheus series name of a catalog metric, as the OpenTelemetry Prometheus
 * exporter writes it. For histograms this is the base name (add `_bucket`, `_sum`,
 * `_count`).
 */
export function prometheusName(metric: MetricDefinition): string {
  const base = metric.otelName.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
  return metric.kind === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
}
