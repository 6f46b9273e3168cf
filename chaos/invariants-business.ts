/**
 * Business metrics reconcile with the store: the orders the service counted in its EMF
 * (`OrdersPlaced` summed over the run) against the orders stored in DynamoDB. Without
 * faults the two are equal. Under faults the metric may count fewer, never more: the service
 * counts an order when its conditional write succeeds, so a write that succeeded while the
 * service saw a failure (a timeout, a connection reset after the write, a killed process
 * with metrics not yet exported) is stored, and the client's retry is answered with the
 * stored order without a count. A count above the store is a double count.
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
}

export function checkOrdersReconcile({ counted, stored, faulted }: ReconcileInput): InvariantResult {
  if (counted === undefined)
    return skipped(InvariantIds.OrdersReconcile, TITLE, "the service's metrics were not captured");
  if (stored === undefined) return skipped(InvariantIds.OrdersReconcile, TITLE, 'the store is not reachable from here');
  const difference = counted - stored;
  const measured = { counted, stored, difference };
  const figures = `OrdersPlaced ${counted}, orders stored ${stored} (difference ${difference >= 0 ? '+' : ''}${difference})`;
  const violations: string[] = [];
  if (difference > 0) violations.push(`the metric counted orders that were never stored (a double count): ${figures}`);
  if (!faulted && difference < 0) violations.push(`without faults every stored order must be counted: ${figures}`);
  const why = faulted
    ? difference < 0
      ? `; ${-difference} stored orders were never counted: a write that succeeded while the service saw a failure (a timeout, a reset, a killed process) is answered on the retry without a count`
      : '; equal under faults'
    : '; equal without faults';
  return result(InvariantIds.OrdersReconcile, TITLE, stored, violations, `${figures}${why}`, measured);
}
