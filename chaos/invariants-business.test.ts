import { describe, expect, it } from 'vitest';
import { NAMESPACE } from '../service/catalog/index.ts';
import { checkOrdersReconcile, ordersPlacedFromEmf } from './invariants-business.ts';

/** What the service's EMF exporter writes for OrdersPlaced, once a second. */
const emfLine = (timestamp: number, orders: number) =>
  JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        { Namespace: NAMESPACE, Dimensions: [['Service']], Metrics: [{ Name: 'OrdersPlaced', Unit: 'Count' }] },
      ],
    },
    Service: 'coffee-cloud',
    OrdersPlaced: orders,
  });

describe('orders counted by EMF against orders stored', () => {
  const lines = [emfLine(1000, 14), 'a log line, not EMF', emfLine(2000, 6)];

  it('sums OrdersPlaced over the run', () => {
    expect(ordersPlacedFromEmf(lines)).toBe(20);
  });

  it('holds when equal without faults, and when fewer were counted under faults', () => {
    expect(checkOrdersReconcile({ counted: 20, stored: 20, faulted: false }).status).toBe('held');
    const underFaults = checkOrdersReconcile({ counted: 18, stored: 20, faulted: true });
    expect(underFaults.status).toBe('held');
    expect(underFaults.measured).toEqual({ counted: 18, stored: 20, difference: -2 });
    expect(underFaults.summary).toMatch(/2 stored orders were never counted/);
  });

  it('fails on a planted double count, with or without faults', () => {
    const doubled = ordersPlacedFromEmf([...lines, lines[0]!]);
    for (const faulted of [false, true]) {
      const result = checkOrdersReconcile({ counted: doubled, stored: 20, faulted });
      expect(result.status).toBe('violated');
      expect(result.violations[0]).toMatch(/double count.*OrdersPlaced 34, orders stored 20 \(difference \+14\)/);
    }
  });

  it('fails when an order is missing from the metric without faults, and skips without data', () => {
    expect(checkOrdersReconcile({ counted: 19, stored: 20, faulted: false }).status).toBe('violated');
    expect(checkOrdersReconcile({ counted: undefined, stored: 20, faulted: false }).status).toBe('skipped');
    expect(checkOrdersReconcile({ counted: 20, stored: undefined, faulted: false }).status).toBe('skipped');
  });
});
