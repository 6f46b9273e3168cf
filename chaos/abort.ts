/**
 * Abort conditions: checked every second during the load on the responses of the last
 * `windowMs`. The first one that trips stops the load and rolls every fault back.
 */
import type { AbortCondition } from './experiment.ts';
import type { RecordedResponse } from './responses.ts';
import { percentile } from './timeline.ts';

export interface AbortTrip {
  condition: AbortCondition;
  /** The observed error rate (0..1) or p99 (ms). */
  observed: number;
  requests: number;
  /** Epoch ms. */
  at: number;
  reason: string;
}

/** Fault periods as epoch ms; `end` undefined while the fault is on. */
export interface ActivePeriod {
  start: number;
  end?: number;
}

function insideFault(at: number, periods: readonly ActivePeriod[], graceMs: number): boolean {
  return periods.some((p) => at >= p.start && (p.end === undefined || at <= p.end + graceMs));
}

export function evaluateAbort(
  conditions: readonly AbortCondition[],
  responses: readonly RecordedResponse[],
  { now, periods }: { now: number; periods: readonly ActivePeriod[] },
): AbortTrip | undefined {
  for (const condition of conditions) {
    const from = now - condition.windowMs;
    const graceMs = condition.graceMs ?? 0;
    const considered = responses.filter(
      (r) =>
        r.at >= from && r.at <= now && (condition.scope !== 'outside-faults' || !insideFault(r.at, periods, graceMs)),
    );
    if (considered.length < (condition.minRequests ?? 1)) continue;
    const where = condition.scope === 'outside-faults' ? ' outside the fault windows' : '';
    if (condition.kind === 'error-rate') {
      const failed = considered.filter((r) => r.status === undefined || r.status >= 500).length;
      const rate = failed / considered.length;
      if (rate > condition.above) {
        return {
          condition,
          observed: rate,
          requests: considered.length,
          at: now,
          reason: `error rate ${(rate * 100).toFixed(1)}% over the last ${condition.windowMs} ms${where} is above ${(condition.above * 100).toFixed(1)}%`,
        };
      }
    } else {
      const p99 = percentile(
        considered.map((r) => r.latencyMs).sort((a, b) => a - b),
        99,
      );
      if (p99 > condition.aboveMs) {
        return {
          condition,
          observed: p99,
          requests: considered.length,
          at: now,
          reason: `p99 ${p99} ms over the last ${condition.windowMs} ms${where} is above ${condition.aboveMs} ms`,
        };
      }
    }
  }
  return undefined;
}
