import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_NAME, Metrics, NAMESPACE, SLOS } from '../service/catalog/index.ts';
import {
  createMetricFactory,
  ComparisonOperators,
  type MathAlarmDefinition,
  type MetricAlarmDefinition,
  type TreatMissingDataValue,
} from '../dashboards/index.ts';
import { buildAlarmDefinitions } from './definitions.ts';
import { seriesFromEmf } from './emf-series.ts';
import { evaluateAlarms, evaluateExpression, statistic, type MetricSeries, type Observation } from './evaluate.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1);
const factory = createMetricFactory({ serviceName: DEFAULT_SERVICE_NAME });

function throttleAlarm(
  treatMissingData: TreatMissingDataValue,
  datapointsToAlarm = 2,
  evaluationPeriods = 3,
): MetricAlarmDefinition {
  return {
    kind: 'metric',
    id: 'throttles',
    name: 'test-throttles',
    description: 'test',
    severity: 'ticket',
    metric: factory.metric(Metrics.DynamoDbThrottles, { id: 'm', stat: 'Sum', period: 60 }),
    comparison: ComparisonOperators.GreaterThanOrEqualToThreshold,
    threshold: 1,
    evaluationPeriods,
    datapointsToAlarm,
    treatMissingData,
    treatMissingDataReason: 'test',
  };
}

/** One observation per listed minute (undefined = no datapoint that minute). */
function perMinute(
  metricName: string,
  dimensions: Record<string, string>,
  values: readonly (number | undefined)[],
): MetricSeries {
  const observations: Observation[] = [];
  values.forEach((v, i) => {
    if (v !== undefined) observations.push({ timestamp: T0 + i * MINUTE + 1000, values: [v] });
  });
  return { namespace: NAMESPACE, metricName, dimensions, observations };
}

const service = { Service: DEFAULT_SERVICE_NAME };

describe('statistic', () => {
  const observations: Observation[] = [
    { timestamp: 0, values: [10, 100, 400], counts: [90, 8, 2] },
    { timestamp: 1, values: [50], counts: [0] },
  ];
  it('computes CloudWatch statistics from values and counts', () => {
    expect(statistic('SampleCount', observations)).toBe(100);
    expect(statistic('Sum', observations)).toBe(900 + 800 + 800);
    expect(statistic('Average', observations)).toBe(25);
    expect(statistic('Minimum', observations)).toBe(10);
    expect(statistic('Maximum', observations)).toBe(400);
    expect(statistic('p90', observations)).toBe(10);
    expect(statistic('p95', observations)).toBe(100);
    expect(statistic('p99', observations)).toBe(400);
    expect(statistic('PR(:100)', observations)).toBe(98);
    expect(statistic('PR(10:400)', observations)).toBe(10);
  });
  it('prefers exact statistics when the writer gave them, and has no datapoint without data', () => {
    const exact: Observation[] = [
      { timestamp: 0, values: [5, 15], counts: [1, 1], statistics: { sum: 21, count: 2, min: 4, max: 17 } },
    ];
    expect(statistic('Sum', exact)).toBe(21);
    expect(statistic('Maximum', exact)).toBe(17);
    expect(statistic('Sum', [])).toBeUndefined();
  });
});

describe('evaluateExpression', () => {
  const scope = (values: Record<string, number | undefined>) => ({
    value: (id: string) => values[id],
    period: () => 300,
  });
  it('evaluates the metric math the alarms use', () => {
    expect(evaluateExpression('FILL(bad, 0) / total / 0.001', scope({ total: 1000, bad: undefined }))).toBe(0);
    expect(evaluateExpression('FILL(bad, 0) / total / 0.001', scope({ total: 1000, bad: 20 }))).toBeCloseTo(20);
    expect(
      evaluateExpression('IF(total >= 10, 100 * FILL(errors, 0) / total, 0)', scope({ total: 5, errors: 5 })),
    ).toBe(0);
    expect(
      evaluateExpression('IF(total >= 10, 100 * FILL(errors, 0) / total, 0)', scope({ total: 20, errors: 5 })),
    ).toBe(25);
    expect(evaluateExpression('(100 - good) / 100 / 0.01', scope({ good: 97 }))).toBeCloseTo(3);
    expect(evaluateExpression('n / PERIOD(n)', scope({ n: 600 }))).toBe(2);
    expect(evaluateExpression('-a + 2 * (b - 1)', scope({ a: 1, b: 3 }))).toBe(3);
  });
  it('gives no datapoint for a missing operand or a division by zero', () => {
    expect(evaluateExpression('bad / total', scope({ bad: 1, total: undefined }))).toBeUndefined();
    expect(evaluateExpression('bad / total', scope({ bad: 1, total: 0 }))).toBeUndefined();
  });
  it('refuses what it cannot evaluate', () => {
    expect(() => evaluateExpression("SEARCH('{x} y', 'Sum', 60)", scope({}))).toThrow();
  });
});

describe('evaluateAlarms: M out of N and missing data', () => {
  const run = (treat: TreatMissingDataValue, values: (number | undefined)[], datapointsToAlarm = 2) =>
    evaluateAlarms([throttleAlarm(treat, datapointsToAlarm)], [perMinute('DynamoDbThrottles', service, values)], {
      from: T0 + MINUTE * 3,
      to: T0 + MINUTE * values.length,
    })[0]!;

  it('goes to ALARM when 2 of the last 3 datapoints breach, and back to OK', () => {
    const result = run('notBreaching', [0, 0, 0, 5, 0, 3, 0, 0, 0, 0]);
    expect(result.transitions.map((t) => [(t.timestamp - T0) / MINUTE, t.to])).toEqual([
      [3, 'OK'],
      [6, 'ALARM'], // the periods ending at minute 6 hold 3, 0, 5
      [7, 'OK'], // then 0, 3, 0
    ]);
  });

  it('applies each missing-data treatment when the whole evaluation range is empty', () => {
    // Six empty minutes cover the 3 evaluation periods and the 2 the range looks further back.
    const gap = [undefined, undefined, undefined, undefined, undefined, undefined];
    expect(run('missing', [0, 0, 0, ...gap], 1).state).toBe('INSUFFICIENT_DATA');
    expect(run('breaching', [0, 0, 0, ...gap], 1).state).toBe('ALARM');
    expect(run('notBreaching', [5, 5, 5, ...gap], 1).state).toBe('OK');
    // ignore keeps the state it had.
    expect(run('ignore', [0, 0, 0, ...gap], 1).state).toBe('OK');
    expect(run('ignore', [5, 5, 5, ...gap], 1).state).toBe('ALARM');
  });

  it('looks past missing datapoints for real ones under "missing" and "ignore"', () => {
    // The last 3 periods hold 5, -, - ; the range adds 5, 0: two real breaching datapoints.
    expect(run('missing', [0, 0, 0, 5, 5, undefined, undefined]).state).toBe('ALARM');
    expect(run('notBreaching', [0, 0, 0, 5, 5, undefined, undefined]).state).toBe('OK');
  });

  it('counts missing datapoints as breaching only under "breaching"', () => {
    const sparse = [0, 0, 0, 5, undefined, 0];
    expect(run('breaching', sparse).state).toBe('ALARM');
    expect(run('notBreaching', sparse).state).toBe('OK');
    expect(run('missing', sparse).state).toBe('OK');
  });
});

describe('evaluateAlarms: the real alarm set', () => {
  const definitions = buildAlarmDefinitions();
  const slo = SLOS.find((s) => s.id === 'order-write-availability')!;
  const page = `coffee-cloud-slo-${slo.id}-page`;

  /** Per minute: 600 order writes, `bad` of them 5xx, for `minutes` minutes. */
  function traffic(badPerMinute: (minute: number) => number, minutes: number): MetricSeries[] {
    const all: Observation[] = [];
    const bad: Observation[] = [];
    for (let i = 0; i < minutes; i++) {
      const timestamp = T0 + i * MINUTE + 1000;
      const b = badPerMinute(i);
      all.push({ timestamp, values: [20], counts: [600], statistics: { sum: 12_000, count: 600, min: 20, max: 20 } });
      if (b > 0) bad.push({ timestamp, values: [20], counts: [b] });
    }
    return [
      {
        namespace: NAMESPACE,
        metricName: 'HttpRequestDuration',
        dimensions: { ...service, RouteGroup: slo.routeGroup },
        observations: all,
      },
      {
        namespace: NAMESPACE,
        metricName: 'HttpRequestDuration',
        dimensions: { ...service, RouteGroup: slo.routeGroup, StatusClass: '5xx' },
        observations: bad,
      },
    ];
  }

  it('pages on a fast burn of the order-write budget and recovers when it stops', () => {
    // Healthy for 6 h, then 3% errors (30x) for an hour, then healthy again for half an hour.
    // Over 6 h that hour is 5x, under the slow tier's 6x: only the fast tier pages.
    const burnStart = 360;
    const burnEnd = 420;
    const series = traffic((m) => (m >= burnStart && m < burnEnd ? 18 : 0), 450);
    const result = evaluateAlarms(definitions, series);
    const pageAlarm = result.find((a) => a.name === page)!;
    const toAlarm = pageAlarm.transitions.find((t) => t.to === 'ALARM')!;
    const toOk = pageAlarm.transitions.filter((t) => t.to === 'OK').at(-1)!;
    const minute = (t: number) => (t - T0) / MINUTE;
    // The 1h window passes 14.4x (1.44% errors) after 29 minutes at 3%; the 5m window is at 30x by then.
    expect(minute(toAlarm.timestamp)).toBeGreaterThan(burnStart + 25);
    expect(minute(toAlarm.timestamp)).toBeLessThan(burnStart + 35);
    // The 5m window clears within 5 minutes of the burn stopping.
    expect(minute(toOk.timestamp)).toBeGreaterThan(burnEnd);
    expect(minute(toOk.timestamp)).toBeLessThanOrEqual(burnEnd + 6);
    // The 5xx rate alarm (5% page threshold) never fires at 3%; its ticket (1%) does.
    expect(
      result
        .find((a) => a.name === 'coffee-cloud-http-5xx-rate-order-write-page')!
        .transitions.some((t) => t.to === 'ALARM'),
    ).toBe(false);
    expect(
      result
        .find((a) => a.name === 'coffee-cloud-http-5xx-rate-order-write-ticket')!
        .transitions.some((t) => t.to === 'ALARM'),
    ).toBe(true);
    // Other SLOs saw no traffic: their window alarms are OK (no data, not breaching).
    expect(result.find((a) => a.name === 'coffee-cloud-slo-menu-read-availability-burn-1h-fast')!.state).toBe('OK');
  });

  it('stays quiet under a healthy error rate', () => {
    // One 5xx every 10 minutes (0.17x), the first after 5 minutes of traffic.
    const result = evaluateAlarms(
      definitions,
      traffic((m) => (m % 10 === 5 ? 1 : 0), 180),
    );
    const fired = result.filter((a) => a.transitions.some((t) => t.to === 'ALARM')).map((a) => a.name);
    expect(fired).toEqual([]);
  });

  it('reports anomaly alarms as not evaluable locally', () => {
    const anomaly = evaluateAlarms(definitions, []).find((a) => a.kind === 'anomaly')!;
    expect(anomaly.evaluable).toBe(false);
    expect(anomaly.reason).toMatch(/not evaluable locally/);
  });

  it('evaluates a math alarm on EMF documents read by seriesFromEmf', () => {
    const alarm = definitions.alarms.find(
      (a) => a.name === 'coffee-cloud-http-5xx-rate-order-write-page',
    ) as MathAlarmDefinition;
    const lines: string[] = [];
    for (let i = 0; i < 6; i++) {
      const _aws = (dims: string[]) => ({
        Timestamp: T0 + i * MINUTE + 500,
        CloudWatchMetrics: [
          {
            Namespace: NAMESPACE,
            Dimensions: [dims],
            Metrics: [{ Name: 'HttpRequestDuration', Unit: 'Milliseconds' }],
          },
        ],
      });
      const histogram = (count: number) => ({
        Values: [12.5],
        Counts: [count],
        Max: 20,
        Min: 5,
        Count: count,
        Sum: 12.5 * count,
      });
      lines.push(
        JSON.stringify({
          _aws: _aws(['Service', 'RouteGroup']),
          ...service,
          RouteGroup: 'order-write',
          HttpRequestDuration: histogram(100),
        }),
      );
      lines.push(
        JSON.stringify({
          _aws: _aws(['Service', 'RouteGroup', 'StatusClass']),
          ...service,
          RouteGroup: 'order-write',
          StatusClass: '5xx',
          HttpRequestDuration: histogram(i >= 2 ? 10 : 0),
        }),
      );
    }
    lines.push('not json', '{"level":30,"msg":"a log line"}');
    const series = seriesFromEmf(lines);
    expect(series).toHaveLength(2);
    const [result] = evaluateAlarms([alarm], series);
    // 10% errors from minute 2: three breaching minutes (3 of 3) put it in ALARM at minute 5;
    // after the last document (minute 5) the minutes without requests count as healthy.
    expect(result!.transitions.map((t) => [(t.timestamp - T0) / MINUTE, t.to])).toEqual([
      [1, 'OK'],
      [5, 'ALARM'],
      [7, 'OK'],
    ]);
  });
});
