// The service's pure face: the signal catalog, the SLOs, the domain types and the table
// design. Nothing here imports Node APIs, so k6 scripts can import it too. The service's
// runtime pieces (servers, stores, stacks) are behind `service/index.ts`.
export {
  NAMESPACE,
  DEFAULT_SERVICE_NAME,
  Units,
  OTEL_UNITS,
  MetricKinds,
  Dimensions,
  Metrics,
  ALL_METRICS,
  LATENCY_BUCKETS_MS,
  ORDER_VALUE_BUCKETS_CENTS,
  PREPARATION_BUCKETS_MS,
  metricByName,
  prometheusName,
  prometheusLabel,
} from './metrics.ts';
export type { Unit, MetricKind, DimensionName, MetricDefinition, MetricKey } from './metrics.ts';
export { RouteGroups, ROUTES, SloKinds, SLOS, routeGroupOf, errorBudget } from './slos.ts';
export type { RouteGroup, RouteKey, SloKind, SloDefinition, SloId } from './slos.ts';
export { Roles, OrderStatuses, ORDER_STATUSES, Sizes, SIZES, CURRENCY, TRANSITIONS, Limits } from '../domain/types.ts';
export type { Role, OrderStatus, Size, Product, User, OrderItem, Order, Page } from '../domain/types.ts';
export { DEFAULT_TABLE_NAME, KeyAttributes, Indexes, STATUS_SHARDS, DYNAMODB_ACCESS } from '../store/table-schema.ts';
