/**
 * Steady-state probes: a few sequential requests per probe, judged against the catalog's
 * objectives. A probe of N samples cannot show a 99% objective, so it holds when no
 * sample fails (5xx or no response), every status is expected, and at least 90% of the
 * samples are within the route group's latency objective.
 */
import { randomUUID } from 'node:crypto';
import type { Product } from '../service/catalog/index.ts';
import type { SteadyStateProbe } from './experiment.ts';
import { fromFetch, networkErrorName, type RecordedResponse } from './responses.ts';
import { latencyThresholds, routeGroupOfKey } from './routes.ts';
import { percentile } from './timeline.ts';

export interface ProbeResult {
  name: string;
  route: string;
  holds: boolean;
  samples: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  thresholdMs?: number;
  withinThreshold: number;
  /** Why it does not hold. */
  reasons: string[];
}

/** Share of samples that must be within the latency objective. */
export const PROBE_WITHIN_SHARE = 0.9;

export interface ProbeContext {
  baseUrl: string;
  runId: string;
  timeoutMs?: number;
  onResponse?: (response: RecordedResponse) => void;
}

async function request(
  context: ProbeContext,
  route: string,
  path: string,
  init: { method: string; headers?: Record<string, string>; body?: unknown },
) {
  const at = Date.now();
  const headers = {
    'x-load-run-id': context.runId,
    ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...init.headers,
  };
  let record: RecordedResponse;
  let text = '';
  try {
    const response = await fetch(new URL(path, context.baseUrl), {
      method: init.method,
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(context.timeoutMs ?? 5_000),
    });
    text = await response.text();
    record = fromFetch({ source: 'probe', method: init.method, route, at, latencyMs: Date.now() - at }, response, text);
  } catch (error) {
    record = {
      source: 'probe',
      method: init.method,
      route,
      at,
      latencyMs: Date.now() - at,
      networkError: networkErrorName(error),
    };
  }
  context.onResponse?.(record);
  return { record, text };
}

/** What the order probes need: a customer and a product. Created once per probe round. */
async function orderFixture(context: ProbeContext): Promise<{ token: string; product: Product } | string> {
  const menu = await request(context, 'GET /menu', '/menu', { method: 'GET' });
  if (menu.record.status !== 200) return `GET /menu answered ${menu.record.status ?? menu.record.networkError}`;
  const product = (JSON.parse(menu.text) as { items: Product[] }).items.find(
    (p) => p.available && Object.keys(p.prices).length > 0,
  );
  if (!product) return 'no orderable product on the menu';
  const user = await request(context, 'POST /users', '/users', {
    method: 'POST',
    body: { email: `probe-${randomUUID()}@example.com`, name: 'Steady-state probe' },
  });
  if (user.record.status !== 201) return `POST /users answered ${user.record.status ?? user.record.networkError}`;
  return { token: (JSON.parse(user.text) as { token: string }).token, product };
}

export async function runProbe(probe: SteadyStateProbe, context: ProbeContext): Promise<ProbeResult> {
  const thresholds = latencyThresholds();
  const thresholdMs = thresholds.get(routeGroupOfKey(probe.route));
  const records: RecordedResponse[] = [];
  const reasons: string[] = [];
  let fixture: Awaited<ReturnType<typeof orderFixture>> | undefined;
  if (
    probe.route === 'POST /orders' ||
    probe.route === 'GET /users/me/orders' ||
    probe.route === 'GET /menu/:productId'
  ) {
    fixture = await orderFixture(context);
    if (typeof fixture === 'string') reasons.push(`setup failed: ${fixture}`);
  }
  if (reasons.length === 0) {
    for (let i = 0; i < probe.samples; i++) {
      const ready = fixture as { token: string; product: Product } | undefined;
      const auth = ready ? { authorization: `Bearer ${ready.token}` } : undefined;
      let sent;
      switch (probe.route) {
        case 'POST /orders': {
          const product = (ready as { product: Product }).product;
          const size = Object.keys(product.prices)[0] as string;
          sent = await request(context, probe.route, '/orders', {
            method: 'POST',
            headers: { ...auth, 'idempotency-key': `probe-${randomUUID()}` },
            body: { items: [{ productId: product.id, quantity: 1, size }] },
          });
          break;
        }
        case 'GET /menu/:productId':
          sent = await request(
            context,
            probe.route,
            `/menu/${encodeURIComponent((ready as { product: Product }).product.id)}`,
            { method: 'GET' },
          );
          break;
        case 'GET /users/me/orders':
          sent = await request(context, probe.route, '/users/me/orders', {
            method: 'GET',
            ...(auth ? { headers: auth } : {}),
          });
          break;
        default:
          sent = await request(context, probe.route, probe.route.split(' ')[1] as string, { method: 'GET' });
      }
      records.push(sent.record);
    }
  }
  const statuses: Record<string, number> = {};
  for (const r of records) {
    const key = r.status === undefined ? (r.networkError ?? 'no response') : String(r.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const unexpected = records.filter((r) => r.status === undefined || !probe.expectStatus.includes(r.status));
  if (unexpected.length > 0)
    reasons.push(`${unexpected.length} of ${records.length} answers were not ${probe.expectStatus.join('/')}`);
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const withinThreshold =
    thresholdMs === undefined ? records.length : latencies.filter((ms) => ms <= thresholdMs).length;
  if (
    thresholdMs !== undefined &&
    records.length > 0 &&
    withinThreshold < Math.ceil(records.length * PROBE_WITHIN_SHARE)
  ) {
    reasons.push(`only ${withinThreshold} of ${records.length} within ${thresholdMs} ms`);
  }
  return {
    name: probe.name,
    route: probe.route,
    holds: reasons.length === 0,
    samples: records.length,
    statuses,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ...(thresholdMs !== undefined ? { thresholdMs } : {}),
    withinThreshold,
    reasons,
  };
}

export async function runProbes(
  probes: readonly SteadyStateProbe[],
  context: ProbeContext,
): Promise<{ holds: boolean; results: ProbeResult[] }> {
  const results: ProbeResult[] = [];
  for (const probe of probes) results.push(await runProbe(probe, context));
  return { holds: results.every((r) => r.holds), results };
}
