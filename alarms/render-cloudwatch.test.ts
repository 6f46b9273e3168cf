import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { SLOS } from '../service/catalog/index.ts';
import { buildAlarmDefinitions } from './definitions.ts';
import { lintAlarmDefinitions, lintAlarmInputs } from './lint.ts';
import { ruleTextChildren } from '../dashboards/index.ts';
import { orderForCreation, renderAlarmInputs, type CloudWatchAlarmInput } from './render-cloudwatch.ts';

const topicArns = {
  page: 'arn:aws:sns:eu-west-1:123456789012:page',
  ticket: 'arn:aws:sns:eu-west-1:123456789012:ticket',
};
const definitions = buildAlarmDefinitions({ prefix: 'coffee-test' });
const inputs = renderAlarmInputs(definitions, { topicArns });
const byName = new Map(inputs.map((i) => [i.input.AlarmName!, i]));
const metricInput = (name: string) => (byName.get(name) as Extract<CloudWatchAlarmInput, { kind: 'metric' }>).input;

describe('alarm definitions rendered for CloudWatch', () => {
  it('hold the alarms the design asks for', () => {
    const names = [...byName.keys()];
    for (const expected of [
      'coffee-test-http-5xx-rate-order-write-page',
      'coffee-test-latency-p99-menu-read-ticket',
      'coffee-test-dynamodb-throttled-calls-page',
      'coffee-test-dynamodb-table-throttle-events-ticket',
      'coffee-test-lambda-error-rate-page',
      'coffee-test-lambda-throttles-ticket',
      'coffee-test-order-rate-drop-ticket',
    ]) {
      expect(names).toContain(expected);
    }
    for (const slo of SLOS) {
      expect(byName.get(`coffee-test-slo-${slo.id}-page`)?.kind).toBe('composite');
      expect(byName.get(`coffee-test-slo-${slo.id}-ticket`)?.kind).toBe('composite');
    }
  });

  it('put every child before the composite alarms that name it', () => {
    const position = new Map(inputs.map((i, n) => [i.input.AlarmName!, n]));
    for (const item of inputs.filter(
      (i): i is Extract<CloudWatchAlarmInput, { kind: 'composite' }> => i.kind === 'composite',
    )) {
      const children = ruleTextChildren(item.input.AlarmRule!);
      expect(children.length).toBeGreaterThan(0);
      for (const child of children) expect(position.get(child)).toBeLessThan(position.get(item.input.AlarmName!)!);
    }
    expect(() =>
      orderForCreation(
        [
          { name: 'a', c: ['b'] },
          { name: 'b', c: ['a'] },
        ],
        (x) => x.c,
      ),
    ).toThrow(/cycle/);
  });

  it('build the page composite from the 1h/5m at 14.4x and 6h/30m at 6x windows, the ticket from 1d/6h at 1x', () => {
    const page = byName.get('coffee-test-slo-order-write-availability-page') as Extract<
      CloudWatchAlarmInput,
      { kind: 'composite' }
    >;
    expect(page.input.AlarmRule).toBe(
      '(ALARM("coffee-test-slo-order-write-availability-burn-1h-fast") AND ALARM("coffee-test-slo-order-write-availability-burn-5m-fast")) OR ' +
        '(ALARM("coffee-test-slo-order-write-availability-burn-6h-slow") AND ALARM("coffee-test-slo-order-write-availability-burn-30m-slow"))',
    );
    expect(page.input.AlarmActions).toEqual([topicArns.page]);
    expect(page.input.OKActions).toEqual([topicArns.page]);
    expect(byName.get('coffee-test-slo-order-write-availability-ticket')!.input.AlarmActions).toEqual([
      topicArns.ticket,
    ]);

    const fast = metricInput('coffee-test-slo-order-write-availability-burn-1h-fast');
    expect(fast).toMatchObject({
      Threshold: 14.4,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(fast.AlarmActions).toBeUndefined();
    expect(
      fast.Metrics!.map((m) => [m.Id, m.MetricStat?.Period, m.MetricStat?.Stat, m.Expression, m.ReturnData]),
    ).toEqual([
      ['burn_total', 3600, 'SampleCount', undefined, false],
      ['burn_bad', 3600, 'SampleCount', undefined, false],
      ['burn', undefined, undefined, 'FILL(burn_bad, 0) / burn_total / 0.001', true],
    ]);
    // CloudWatch evaluates at most a day: the 3-day window becomes 1 day.
    expect(metricInput('coffee-test-slo-order-write-availability-burn-1d-ticket').Metrics![0]!.MetricStat!.Period).toBe(
      86_400,
    );
    expect(metricInput('coffee-test-slo-order-write-availability-burn-1d-ticket').Threshold).toBe(1);
  });

  it('count latency SLO bad events with the percentile rank at the threshold', () => {
    const slo = SLOS.find((s) => s.id === 'menu-read-latency')!;
    const burn = metricInput('coffee-test-slo-menu-read-latency-burn-5m-fast');
    expect(burn.Metrics![0]!.MetricStat!.Stat).toBe(`PR(:${slo.thresholdMs})`);
    expect(burn.Metrics![1]!.Expression).toBe('(100 - burn_good) / 100 / 0.01');
  });

  it('render static, percentile and anomaly alarms with their CloudWatch fields', () => {
    expect(metricInput('coffee-test-latency-p99-order-write-ticket')).toMatchObject({
      Namespace: 'CoffeeCloud',
      MetricName: 'HttpRequestDuration',
      Dimensions: [
        { Name: 'Service', Value: 'coffee-cloud' },
        { Name: 'RouteGroup', Value: 'order-write' },
      ],
      ExtendedStatistic: 'p99',
      Period: 60,
      Threshold: 300,
      EvaluateLowSampleCountPercentile: 'ignore',
      AlarmActions: [topicArns.ticket],
    });
    const anomaly = metricInput('coffee-test-order-rate-drop-ticket');
    expect(anomaly.ThresholdMetricId).toBe('band');
    expect(anomaly.Threshold).toBeUndefined();
    expect(anomaly.ComparisonOperator).toBe('LessThanLowerThreshold');
    expect(anomaly.Metrics!.at(-1)).toEqual({
      Id: 'band',
      Expression: 'ANOMALY_DETECTION_BAND(orders5m, 2)',
      Label: 'Expected band',
      ReturnData: true,
    });
  });

  it('explain every missing-data treatment and pass the lint', () => {
    for (const alarm of definitions.alarms)
      if (alarm.kind !== 'composite') expect(alarm.treatMissingDataReason.length).toBeGreaterThan(20);
    expect(lintAlarmDefinitions(definitions)).toEqual([]);
    expect(lintAlarmInputs(inputs, { serviceName: 'coffee-cloud' })).toEqual([]);
  });
});

describe('alarm lint', () => {
  const lint = (changed: CloudWatchAlarmInput[]) =>
    lintAlarmInputs(changed, { serviceName: 'coffee-cloud' }).map((p) => `${p.where}: ${p.message}`);
  const replace = (name: string, patch: Partial<PutMetricAlarmInput>) =>
    inputs.map((i) =>
      i.input.AlarmName === name ? ({ kind: 'metric', input: { ...i.input, ...patch } } as CloudWatchAlarmInput) : i,
    );
  const math = 'coffee-test-http-5xx-rate-order-write-page';

  it('catches a planted bad reference', () => {
    const bad = replace('coffee-test-latency-p99-order-write-page', { MetricName: 'HttpLatency' });
    expect(lint(bad)).toEqual([
      'alarm coffee-test-latency-p99-order-write-page: CoffeeCloud has no metric HttpLatency in the catalog',
    ]);
  });

  it('catches limits: name length, a day of evaluation, 10 metrics, SEARCH, datapoints, a missing child', () => {
    const long = 'x'.repeat(256);
    expect(lint(replace(math, { AlarmName: long }))).toContainEqual(
      `alarm ${long}: the name has 256 characters (1 to 255)`,
    );
    expect(lint(replace('coffee-test-dynamodb-throttled-calls-page', { EvaluationPeriods: 1441 }))).toContainEqual(
      expect.stringMatching(/period 60 s × 1441 evaluation periods is over one day/),
    );
    const metrics = metricInput(math).Metrics!;
    const eleven = [...Array.from({ length: 11 }, (_, i) => ({ ...metrics[0]!, Id: `m${i}` })), metrics[2]!];
    expect(lint(replace(math, { Metrics: eleven }))).toContainEqual(
      expect.stringMatching(/11 metrics, over the metric-math alarm limit of 10/),
    );
    const search = [
      ...metrics.slice(0, 2),
      { ...metrics[2]!, Expression: `SEARCH('{CoffeeCloud,Service} MetricName="Errors"', 'Sum', 60)` },
    ];
    expect(lint(replace(math, { Metrics: search }))).toContainEqual(expect.stringMatching(/alarms cannot use SEARCH/));
    expect(lint(replace(math, { DatapointsToAlarm: 5 }))).toContainEqual(
      expect.stringMatching(/DatapointsToAlarm 5 must be between 1 and EvaluationPeriods 3/),
    );
    const withoutChild = inputs.filter(
      (i) => i.input.AlarmName !== 'coffee-test-slo-account-availability-burn-5m-fast',
    );
    expect(lint(withoutChild)).toContainEqual(
      'alarm coffee-test-slo-account-availability-page: the rule names coffee-test-slo-account-availability-burn-5m-fast, which is not defined here',
    );
  });
});
