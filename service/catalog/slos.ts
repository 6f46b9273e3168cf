/**
 * Route groups and service level objectives.
 *
 * A route group is a set of routes that share an objective. The service tags every
 * request metric with its route group (`RouteGroup` dimension), the alarms and the SLO
 * dashboard compute burn rates per group, and the load tests turn the objectives into
 * thresholds. Imports nothing but the metric catalog.
 */

export const RouteGroups = {
  MenuRead: 'menu-read',
  MenuWrite: 'menu-write',
  OrderWrite: 'order-write',
  OrderRead: 'order-read',
  Account: 'account',
  Ops: 'ops',
} as const;
export type RouteGroup = (typeof RouteGroups)[keyof typeof RouteGroups];

/**
 * Every route of the HTTP API as `METHOD /template` (Hono's `:param` syntax), with its
 * group. The service's router is checked against this list by a test, so a new route
 * cannot ship without a group.
 */
export const ROUTES = {
  'GET /health': RouteGroups.Ops,
  'GET /ready': RouteGroups.Ops,
  'GET /metrics': RouteGroups.Ops,
  'GET /menu': RouteGroups.MenuRead,
  'GET /menu/:productId': RouteGroups.MenuRead,
  'PUT /menu/:productId': RouteGroups.MenuWrite,
  'POST /users': RouteGroups.Account,
  'GET /users/me': RouteGroups.Account,
  'POST /auth/dev-token': RouteGroups.Account,
  'POST /orders': RouteGroups.OrderWrite,
  'PATCH /orders/:orderId': RouteGroups.OrderWrite,
  'GET /orders/:orderId': RouteGroups.OrderRead,
  'GET /orders': RouteGroups.OrderRead,
  'GET /users/me/orders': RouteGroups.OrderRead,
} as const satisfies Record<string, RouteGroup>;
export type RouteKey = keyof typeof ROUTES;

/** The route group of a `METHOD /template` key; unknown routes (404s) count as `ops`. */
export function routeGroupOf(method: string, template: string): RouteGroup {
  return (ROUTES as Record<string, RouteGroup>)[`${method} ${template}`] ?? RouteGroups.Ops;
}

export const SloKinds = {
  /** Share of requests that did not fail with a 5xx. */
  Availability: 'availability',
  /** Share of requests served under `thresholdMs`. */
  Latency: 'latency',
} as const;
export type SloKind = (typeof SloKinds)[keyof typeof SloKinds];

export interface SloDefinition {
  readonly id: string;
  readonly routeGroup: RouteGroup;
  readonly kind: SloKind;
  /** Target share of good events over the window, e.g. 0.999. */
  readonly objective: number;
  /** For latency SLOs: a good event is a request served in at most this many ms. */
  readonly thresholdMs?: number;
  /** The compliance window, in days. */
  readonly windowDays: number;
  readonly description: string;
}

/**
 * The objectives. Latency thresholds must be histogram bucket boundaries of
 * `Metrics.HttpRequestDuration` (a test checks it) so Prometheus can count good events.
 */
export const SLOS = [
  {
    id: 'order-write-availability',
    routeGroup: RouteGroups.OrderWrite,
    kind: SloKinds.Availability,
    objective: 0.999,
    windowDays: 30,
    description: '99.9% of order writes (place, change status) do not fail with a 5xx',
  },
  {
    id: 'order-write-latency',
    routeGroup: RouteGroups.OrderWrite,
    kind: SloKinds.Latency,
    objective: 0.99,
    thresholdMs: 300,
    windowDays: 30,
    description: '99% of order writes are served in 300 ms or less',
  },
  {
    id: 'menu-read-availability',
    routeGroup: RouteGroups.MenuRead,
    kind: SloKinds.Availability,
    objective: 0.999,
    windowDays: 30,
    description: '99.9% of menu reads do not fail with a 5xx',
  },
  {
    id: 'menu-read-latency',
    routeGroup: RouteGroups.MenuRead,
    kind: SloKinds.Latency,
    objective: 0.99,
    thresholdMs: 100,
    windowDays: 30,
    description: '99% of menu reads are served in 100 ms or less',
  },
  {
    id: 'order-read-availability',
    routeGroup: RouteGroups.OrderRead,
    kind: SloKinds.Availability,
    objective: 0.999,
    windowDays: 30,
    description: '99.9% of order reads (one order, my orders, the barista queue) do not fail with a 5xx',
  },
  {
    id: 'order-read-latency',
    routeGroup: RouteGroups.OrderRead,
    kind: SloKinds.Latency,
    objective: 0.99,
    thresholdMs: 200,
    windowDays: 30,
    description: '99% of order reads are served in 200 ms or less',
  },
  {
    id: 'account-availability',
    routeGroup: RouteGroups.Account,
    kind: SloKinds.Availability,
    objective: 0.999,
    windowDays: 30,
    description: '99.9% of registrations and profile reads do not fail with a 5xx',
  },
] as const satisfies readonly SloDefinition[];

export type SloId = (typeof SLOS)[number]['id'];

/** The error budget of an SLO as a share of events (1 - objective). */
export function errorBudget(slo: SloDefinition): number {
  return 1 - slo.objective;
}
