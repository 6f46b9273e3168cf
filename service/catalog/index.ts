// The service's public signal definitions: import these, never the service internals.
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
