/**
 * Business metrics reconcile with the store: the orders the service counted in its EMF
 * (`OrdersPlaced` summed over the run) against the orders stored in DynamoDB. Without
 * faults the two are equal; under faults the metric may count more (EMF is at least once:
 * an order counted and then lost is a bug the durability invariant finds, an order counted
 * twice is what this check is for), never fewer, and the difference is reported.
 */
import { seriesFromEmf } from '../alarms/index.ts';
import { Metrics } from '../service/catalog/index.ts';
import { InvariantIds, result, skipped, type InvariantResult } from './invariants.ts';
import type { StoreReader } from './store-reader.ts';

const TITLE = "Orders counted by the service's metrics reconcile with the orders stored";

/** `OrdersPlaced` summed over EMF lines (the `[Service]` dimension set, so each order counts once). */
export function ordersPlacedFromEmf(lines: Iterable<string>): number {
  let total = 0;
  for (const series of seriesFromEmf(lines)) {
    if (series.metricName !== Metrics.OrdersPlaced.name) continue;
    if (Object.keys(series.dimensions).join(',') !== 'Service') continue;
    for (const o of series.observations)
      total += o.statistics?.sum ?? o.values.reduce((n, v, i) => n + v * (o.counts?.[i] ?? 1), 0);
  }
  return total;
}

/** Orders in the table (full scan, after the run). */
export async function countStoredOrders(reader: StoreReader): Promise<number> {
  const sortKey = reader.keyAttributes[1];
  return (await reader.scan()).filter((item) => item[sortKey] === 'ORDER').length;
}

export interface ReconcileInput {
  /** `OrdersPlaced` summed over the run, or undefined when the service's metrics were not captured. */
  counted: number | undefined;
  /** Orders stored, or undefined when the store was not reachable. */
  stored: number | undefined;
  /** Whether a fault window was applied. */
  faulted: boolean;
  /** Whether the service process was killed (its metrics not yet exported die with it). */
  processKilled: boolean;
}

export function checkOrdersReconcile({ counted, stored, faulted, processKilled }: ReconcileInput): InvariantResult {
  if (counted === undefined)
    return skipped(InvariantIds.OrdersReconcile, TITLE, "the service's metrics were not captured");
  if (stored === undefined) return skipped(InvariantIds.OrdersReconcile, TITLE, 'the store is not reachable from here');
  const difference = counted - stored;
  const measured = { counted, stored, difference };
  const figures = `OrdersPlaced ${counted}, orders stored ${stored} (difference ${difference >= 0 ? '+' : ''}${difference})`;
  if (processKilled)
    return {
      ...skipped(
        InvariantIds.OrdersReconcile,
        TITLE,
        `not checked: a killed process loses the metrics it had not exported yet; ${figures}`,
      ),
      measured,
    };
  const violations: string[] = [];
  if (!faulted && difference !== 0) violations.push(`without faults the metric must equal the store: ${figures}`);
  if (faulted && difference < 0)
    violations.push(`the metric counted fewer orders than were stored (EMF is at least once, never less): ${figures}`);
  const why = faulted ? 'under faults the metric may count more, never fewer' : 'without faults they are equal';
  return result(InvariantIds.OrdersReconcile, TITLE, stored, violations, `${figures}; ${why}`, measured);
}
