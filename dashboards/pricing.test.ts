import { describe, expect, it } from 'vitest';
import { evaluateExpression } from '../alarms/index.ts';
import { buildCloudWatchDashboards } from './build.ts';
import { BYTES_PER_GB, estimateDailyCost, PRICE_TABLE } from './pricing.ts';

const usage = {
  lambdaInvocations: 2_000_000,
  lambdaDurationMs: 40_000_000,
  dynamoReadUnits: 4_000_000,
  dynamoWriteUnits: 1_000_000,
  apiRequests: 2_000_000,
  logBytes: 3 * BYTES_PER_GB,
};

describe('the cost estimate', () => {
  it('multiplies usage by the price table (us-east-1, stated with its date)', () => {
    const cost = estimateDailyCost(usage, { lambdaMemoryMb: 512 });
    expect(PRICE_TABLE.region).toBe('us-east-1');
    expect(PRICE_TABLE.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(cost.lambdaRequests).toBeCloseTo(0.4);
    expect(cost.lambdaCompute).toBeCloseTo(40_000 * 0.5 * 0.0000133334);
    expect(cost.dynamoReads).toBeCloseTo(0.5);
    expect(cost.dynamoWrites).toBeCloseTo(0.625);
    expect(cost.apiGateway).toBeCloseTo(2);
    expect(cost.logIngestion).toBeCloseTo(1.5);
    expect(cost.total).toBeCloseTo(0.4 + 0.2666668 + 0.5 + 0.625 + 2 + 1.5, 5);
  });

  it('is the same arithmetic the cost dashboard does in metric math', () => {
    const cost = buildCloudWatchDashboards({ lambdaMemoryMb: 512, apiId: 'a1b2c3' }).find((d) =>
      d.name.endsWith('cost'),
    )!;
    const total = cost.body.widgets.find((w) => w.properties.title === 'Estimated cost, last day (USD)')!;
    const entries = (total.properties.metrics as unknown[][]).map(
      (e) => e.at(-1) as { id: string; expression?: string },
    );
    // The usage metrics' values as CloudWatch would return them for the day.
    const metricValues: Record<string, number | undefined> = {
      invocations: usage.lambdaInvocations,
      duration_ms: usage.lambdaDurationMs,
      rcu_table: usage.dynamoReadUnits,
      wcu_table: usage.dynamoWriteUnits,
      api: usage.apiRequests,
      log_bytes: usage.logBytes,
      // The searches over the indexes find nothing (the usage above is the table's).
      rcu_indexes: undefined,
      wcu_indexes: undefined,
    };
    const expressions = new Map(entries.filter((e) => e.expression).map((e) => [e.id, e.expression!]));
    const value = (id: string): number | undefined => {
      if (id in metricValues) return metricValues[id];
      const expression = expressions.get(id);
      return expression === undefined ? undefined : evaluateExpression(expression, { value, period: () => 86_400 });
    };
    expect(value('usd_total')).toBeCloseTo(estimateDailyCost(usage, { lambdaMemoryMb: 512 }).total, 6);
  });
});
