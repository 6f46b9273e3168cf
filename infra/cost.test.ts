import { describe, expect, it } from 'vitest';
import { Metrics } from '../service/catalog/index.ts';
import { PRICE_TABLE } from '../dashboards/index.ts';
import {
  alarmMetrics,
  customMetricSeries,
  DEFAULT_ORDER_USAGE,
  DIMENSION_CARDINALITY,
  estimateMonthlyFixedCost,
  estimateOrdersCost,
  FIXED_PRICES,
} from './cost.ts';

describe('cost estimate', () => {
  it('prices a million orders of the default journey with the dashboards price table (the figures `coffee infra cost` prints)', () => {
    const estimate = estimateOrdersCost();
    // 8 requests per order: Lambda requests and API Gateway requests.
    expect(estimate.lambdaRequests).toBeCloseTo(8 * PRICE_TABLE.lambda.requestsPerMillion, 6);
    expect(estimate.apiGateway).toBeCloseTo(8 * PRICE_TABLE.apiGateway.httpRequestsPerMillion, 6);
    // 8e6 invocations x 40 ms x 0.5 GB = 160 000 GB-s on arm64.
    expect(estimate.lambdaCompute).toBeCloseTo(160_000 * PRICE_TABLE.lambda.gbSecondArm64, 6);
    expect(estimate.dynamoWrites).toBeCloseTo(15 * PRICE_TABLE.dynamodb.writeRequestUnitsPerMillion, 6);
    expect(estimate.total).toBeCloseTo(31.08, 2);
    expect(estimate).toMatchObject({ currency: 'USD', region: PRICE_TABLE.region, asOf: PRICE_TABLE.asOf });
  });

  it('grows linearly with the number of orders and with the usage per order', () => {
    const one = estimateOrdersCost({ orders: 1_000_000 }).total;
    expect(estimateOrdersCost({ orders: 3_000_000 }).total).toBeCloseTo(3 * one, 6);
    const heavier = estimateOrdersCost({
      usage: { ...DEFAULT_ORDER_USAGE, writeUnits: DEFAULT_ORDER_USAGE.writeUnits * 2 },
    });
    expect(heavier.dynamoWrites).toBeCloseTo(2 * estimateOrdersCost().dynamoWrites, 6);
  });

  it('prices the fixed part from the dashboards and alarms actually defined', () => {
    const fixed = estimateMonthlyFixedCost({});
    expect(fixed.counts.dashboards).toBe(4);
    expect(fixed.dashboards).toBeCloseTo(4 * FIXED_PRICES.dashboard, 6);
    expect(fixed.alarms).toBeCloseTo(
      fixed.counts.alarmMetrics * FIXED_PRICES.alarmMetric + fixed.counts.compositeAlarms * FIXED_PRICES.compositeAlarm,
      6,
    );
    expect(fixed.total).toBeCloseTo(
      fixed.dashboards + fixed.alarms + FIXED_PRICES.kmsKey + 2 * FIXED_PRICES.secret + FIXED_PRICES.trailKmsKey,
      6,
    );
    expect(estimateMonthlyFixedCost({}, { faultInjection: false }).counts.alarmMetrics).toBe(
      fixed.counts.alarmMetrics - 2,
    );
  });

  it('bills an anomaly alarm as three alarm metrics per metric and a composite as none', () => {
    const metric = {
      kind: 'metric',
      id: 'm',
      namespace: 'N',
      metricName: 'M',
      dimensions: {},
      stat: 'Sum',
      period: 60,
    } as const;
    const base = {
      id: 'a',
      name: 'a',
      description: '',
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: 'notBreaching',
      treatMissingDataReason: '',
    } as const;
    expect(
      alarmMetrics({
        ...base,
        kind: 'anomaly',
        queries: [metric],
        returnId: 'm',
        period: 60,
        bandWidth: 2,
        comparison: 'LessThanLowerThreshold',
      }),
    ).toBe(3);
    expect(
      alarmMetrics({
        ...base,
        kind: 'math',
        queries: [metric, { ...metric, id: 'n' }, { kind: 'expression', id: 'e', expression: 'm/n' }],
        returnId: 'e',
        period: 60,
        comparison: 'GreaterThanThreshold',
        threshold: 1,
      }),
    ).toBe(2);
    expect(
      alarmMetrics({
        id: 'c',
        name: 'c',
        description: '',
        kind: 'composite',
        rule: { op: 'state', state: 'ALARM', alarm: 'a' },
      }),
    ).toBe(0);
  });

  it('counts custom metric series as the product of dimension cardinalities per dimension set', () => {
    expect(customMetricSeries([Metrics.DynamoDbRetries])).toBe(1 + DIMENSION_CARDINALITY.Operation);
    expect(customMetricSeries([Metrics.ColdStarts, Metrics.OrdersPlaced])).toBe(2);
  });
});

describe('the CloudTrail trail in the estimate', () => {
  it('prices the data events per 100,000 and prints them', async () => {
    const { costReport, estimateTrailCost, formatCostReport, TRAIL_USAGE } = await import('./cost.ts');
    const trail = estimateTrailCost(1_000_000);
    expect(trail.dataEvents).toBe(1_000_000 * TRAIL_USAGE.dataEventsPerOrder);
    expect(trail.dataEventCost).toBeCloseTo((trail.dataEvents / 100_000) * 0.1, 6);
    const text = formatCostReport(costReport({ orders: 1_000_000 })).join('\n');
    expect(text).toMatch(/CloudTrail for the same orders/);
    expect(text).toMatch(/data events \(11,000,000\)\s+\$11\.00/);
    expect(text).toMatch(/KMS key of the CloudTrail trail\s+\$1\.00/);
  });
});
