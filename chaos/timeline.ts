/**
 * Per-second buckets of every response an experiment saw, per SLO route group: request
 * count, server errors (5xx and no-response), client errors, and latency percentiles. The
 * recovery time, the abort conditions and the alarm series are all computed from these.
 */
import type { RouteGroup } from '../service/catalog/index.ts';
import type { RecordedResponse } from './responses.ts';
import { routeGroupOfKey } from './routes.ts';

export interface GroupBucket {
  requests: number;
  /** 5xx responses plus requests that got no response (timeouts, resets, refused). */
  serverErrors: number;
  noResponse: number;
  clientErrors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface Bucket {
  /** Epoch ms of the bucket's start. */
  start: number;
  all: GroupBucket;
  groups: Partial<Record<RouteGroup, GroupBucket>>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Tenths of a millisecond are plenty for a per-second picture. */
const round = (ms: number) => Math.round(ms * 10) / 10;

function summarise(responses: readonly RecordedResponse[]): GroupBucket {
  const latencies = responses.map((r) => r.latencyMs).sort((a, b) => a - b);
  let serverErrors = 0;
  let noResponse = 0;
  let clientErrors = 0;
  for (const r of responses) {
    if (r.status === undefined) {
      noResponse += 1;
      serverErrors += 1;
    } else if (r.status >= 500) serverErrors += 1;
    else if (r.status >= 400) clientErrors += 1;
  }
  return {
    requests: responses.length,
    serverErrors,
    noResponse,
    clientErrors,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? 0),
  };
}

/**
 * Buckets responses by the second they were sent in, from `from` to `to` (epoch ms;
 * empty seconds are kept so a gap shows as a gap).
 */
export function bucketise(
  responses: readonly RecordedResponse[],
  { from, to, bucketMs = 1_000 }: { from: number; to: number; bucketMs?: number },
): Bucket[] {
  const count = Math.max(0, Math.ceil((to - from) / bucketMs));
  const slots: RecordedResponse[][] = Array.from({ length: count }, () => []);
  for (const r of responses) {
    const index = Math.floor((r.at - from) / bucketMs);
    if (index >= 0 && index < count) slots[index]?.push(r);
  }
  return slots.map((slot, i) => {
    const byGroup = new Map<RouteGroup, RecordedResponse[]>();
    for (const r of slot) {
      const group = routeGroupOfKey(r.route);
      const list = byGroup.get(group) ?? [];
      list.push(r);
      byGroup.set(group, list);
    }
    const groups: Partial<Record<RouteGroup, GroupBucket>> = {};
    for (const [group, list] of byGroup) groups[group] = summarise(list);
    return { start: from + i * bucketMs, all: summarise(slot), groups };
  });
}
