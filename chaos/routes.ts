/**
 * Maps a request path to its route template from the catalog (`GET /menu/latte` ->
 * `GET /menu/:productId`), so responses from any client can be grouped by SLO route group.
 */
import { ROUTES, routeGroupOf, SLOS, type RouteGroup } from '../service/catalog/index.ts';

const TEMPLATES = Object.keys(ROUTES).map((key) => {
  const [method, template] = key.split(' ') as [string, string];
  const pattern = new RegExp(`^${template.replace(/:[A-Za-z]+/g, '[^/]+')}$`);
  return { key, method, template, pattern };
});

/** `METHOD /template` for a method and a path (query string ignored); the path itself when no route matches. */
export function routeKeyOf(method: string, path: string): string {
  const bare = path.split('?')[0] ?? path;
  const upper = method.toUpperCase();
  // Prefer a literal template over a parameterised one (`/users/me` over `/users/:id`).
  const candidates = TEMPLATES.filter((t) => t.method === upper && t.pattern.test(bare));
  const exact = candidates.find((t) => t.template === bare);
  return (exact ?? candidates[0])?.key ?? `${upper} ${bare}`;
}

/** The SLO route group of a `METHOD /template` key. */
export function routeGroupOfKey(routeKey: string): RouteGroup {
  const [method = '', template = ''] = routeKey.split(' ');
  return routeGroupOf(method, template);
}

/** The latency objective (ms) of each route group that has one. */
export function latencyThresholds(): Map<RouteGroup, number> {
  const thresholds = new Map<RouteGroup, number>();
  for (const slo of SLOS)
    if (slo.kind === 'latency' && 'thresholdMs' in slo) thresholds.set(slo.routeGroup, slo.thresholdMs);
  return thresholds;
}
