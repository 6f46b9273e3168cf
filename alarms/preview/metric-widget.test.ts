import { describe, expect, it } from 'vitest';
import type { MetricSeries } from '../evaluate.ts';
import { evaluateMetricWidget, RunSeries } from './metric-widget.ts';
import { timeScaleFor } from './time-scale.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
/** 20 s of one EMF document a second: `perSecond(i)` requests, of which every fourth second two are 5xx. */
function run(): MetricSeries[] {
  const seconds = Array.from({ length: 20 }, (_, i) => i + 1);
  const all = (group: string): MetricSeries => ({
    namespace: 'CoffeeCloud',
    metricName: 'HttpRequestDuration',
    dimensions: { Service: 's', RouteGroup: group },
    observations: seconds.map((i) => ({ timestamp: t0 + i * 1000, values: [10, 100], counts: [9, 1] })),
  });
  return [
    all('menu-read'),
    all('order-write'),
    {
      namespace: 'CoffeeCloud',
      metricName: 'HttpRequestDuration',
      dimensions: { Service: 's', RouteGroup: 'menu-read', StatusClass: '5xx' },
      observations: seconds
        .filter((i) => i % 4 === 0)
        .map((i) => ({ timestamp: t0 + i * 1000, values: [5], counts: [2] })),
    },
  ];
}
const scale = timeScaleFor({ startMs: t0, endMs: t0 + 20_000 });
const row = (dims: string[], options: Record<string, unknown>) => [
  'CoffeeCloud',
  'HttpRequestDuration',
  'Service',
  's',
  ...dims,
  { period: 300, ...options },
];

describe('a metric widget over a run', () => {
  it('evaluates statistics per scaled period and metric math with PERIOD and FILL', () => {
    const widget = evaluateMetricWidget(
      {
        metrics: [
          row(['RouteGroup', 'menu-read'], { id: 'n', stat: 'SampleCount', visible: false }),
          row(['RouteGroup', 'menu-read', 'StatusClass', '5xx'], { id: 'bad', stat: 'SampleCount', visible: false }),
          [{ expression: 'n / PERIOD(n)', id: 'rps', label: 'rps' }],
          [{ expression: '100 * FILL(bad, 0) / n', id: 'rate', label: '5xx %' }],
          row(['RouteGroup', 'menu-read'], { id: 'p99', stat: 'p99', label: 'p99' }),
        ],
      },
      new RunSeries(run()),
      scale,
    );
    // 20 s run: the 300 s period is drawn as 1 s buckets (factor 300).
    expect(scale.bucketMs).toBe(1_000);
    expect(widget.xs).toHaveLength(20);
    const byLabel = Object.fromEntries(widget.series.map((s) => [s.label, s.values]));
    expect(Object.keys(byLabel)).toEqual(['rps', '5xx %', 'p99']);
    expect(byLabel.rps!.every((v) => v === 10)).toBe(true);
    expect(byLabel['5xx %']![3]).toBe(20);
    expect(byLabel['5xx %']![0]).toBe(0);
    expect(byLabel.p99![0]).toBe(100);
    expect(widget.namesEmitted).toBe(true);
  });

  it('resolves SEARCH into one series per metric found, and SUM(SEARCH) into one', () => {
    const search = `SEARCH('{CoffeeCloud,Service,RouteGroup} MetricName="HttpRequestDuration" Service="s"', 'SampleCount', 300)`;
    const data = new RunSeries(run());
    const each = evaluateMetricWidget({ metrics: [[{ expression: search, id: 'e' }]] }, data, scale);
    expect(each.series.map((s) => s.label).sort()).toEqual(['menu-read', 'order-write']);
    const summed = evaluateMetricWidget(
      { metrics: [[{ expression: `SUM(${search})`, id: 'total', label: 'total' }]] },
      data,
      scale,
      { wholeRun: true },
    );
    expect(summed.series).toEqual([{ label: 'total', values: [400] }]);
  });

  it('names AWS-vended metrics and functions it cannot compute instead of drawing them', () => {
    const data = new RunSeries(run());
    const aws = evaluateMetricWidget(
      { metrics: [['AWS/Lambda', 'Duration', 'FunctionName', 'f', { stat: 'p99' }]] },
      data,
      scale,
    );
    expect(aws.awsOnly).toBe(true);
    const band = evaluateMetricWidget(
      {
        metrics: [
          row(['RouteGroup', 'menu-read'], { id: 'n', stat: 'SampleCount' }),
          [{ expression: 'ANOMALY_DETECTION_BAND(n, 2)', id: 'band', label: 'Expected' }],
        ],
      },
      data,
      scale,
    );
    expect(band.notes).toEqual(['Expected: ANOMALY_DETECTION_BAND is computed in CloudWatch only']);
    expect(band.series.find((s) => s.label === 'Expected')!.values.every((v) => v === null)).toBe(true);
  });
});
