import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../service/catalog/index.ts';
import { buildCloudWatchDashboards } from './build.ts';
import type { CommandIo } from '../cli/index.ts';
import { buildCommand, lintCommand } from './commands.ts';
import { DashboardLimits, lintDashboard } from './lint.ts';
import { createMetricFactory, MetricReferenceError } from './metric-factory.ts';
import type { CloudWatchWidget, DashboardBody } from './render-cloudwatch.ts';

const base = buildCloudWatchDashboards({ accountId: '123456789012' }).find((d) => d.name.endsWith('business'))!;

function metricWidget(metrics: unknown[][], extra: Record<string, unknown> = {}): CloudWatchWidget {
  return {
    type: 'metric',
    x: 0,
    y: 100,
    width: 6,
    height: 6,
    properties: { title: 'planted', region: 'us-east-1', metrics, ...extra },
  };
}

function withWidget(widget: CloudWatchWidget): DashboardBody {
  return { ...base.body, widgets: [...base.body.widgets, widget] };
}

const lint = (body: DashboardBody | string, name = base.name) =>
  lintDashboard(name, body, { serviceName: 'coffee-cloud' }).map((p) => p.message);

function capture(): CommandIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

describe('dashboard lint', () => {
  it('passes the built dashboards', () => {
    expect(lint(base.body)).toEqual([]);
  });

  it.each([
    [
      'a metric the catalog does not have',
      [['CoffeeCloud', 'OrdersRefunded', 'Service', 'coffee-cloud', { id: 'x', stat: 'Sum', period: 60 }]],
      /no metric OrdersRefunded in the catalog/,
    ],
    [
      'a dimension set the service does not publish',
      [
        [
          'CoffeeCloud',
          'HttpRequestDuration',
          'Service',
          'coffee-cloud',
          'Route',
          '/menu',
          { id: 'x', stat: 'p99', period: 60 },
        ],
      ],
      /not published with dimensions \[Service, Route\]/,
    ],
    [
      'an unknown dimension',
      [
        [
          'CoffeeCloud',
          'OrdersPlaced',
          'Service',
          'coffee-cloud',
          'Customer',
          'c1',
          { id: 'x', stat: 'Sum', period: 60 },
        ],
      ],
      /unknown dimension Customer/,
    ],
    [
      'a percentile of a counter',
      [['CoffeeCloud', 'OrdersPlaced', 'Service', 'coffee-cloud', { id: 'x', stat: 'p99', period: 60 }]],
      /counter: statistic p99 does not fit/,
    ],
    [
      'another service name',
      [['CoffeeCloud', 'OrdersPlaced', 'Service', 'tea-cloud', { id: 'x', stat: 'Sum', period: 60 }]],
      /Service="tea-cloud"/,
    ],
    [
      'an AWS metric under the wrong dimensions',
      [['AWS/Lambda', 'Errors', 'TableName', 't', { id: 'x', stat: 'Sum', period: 60 }]],
      /AWS\/Lambda Errors is not published with dimensions \[TableName\]/,
    ],
    [
      'an AWS metric that is not in the AWS catalog',
      [['AWS/Lambda', 'Invocationz', 'FunctionName', 'f', { id: 'x', stat: 'Sum', period: 60 }]],
      /not in the AWS metric catalog/,
    ],
    ['an unknown namespace', [['Coffee', 'OrdersPlaced', { id: 'x', stat: 'Sum', period: 60 }]], /namespace "Coffee"/],
    [
      'a search over a dimension set the service does not publish',
      [[{ id: 'x', expression: `SEARCH('{CoffeeCloud,Service,Cache,ErrorCode} MetricName="Errors"', 'Sum', 300)` }]],
      /Errors is not published with dimensions \[Service, Cache, ErrorCode\]/,
    ],
    [
      'an expression over an undefined query',
      [
        ['CoffeeCloud', 'OrdersPlaced', 'Service', 'coffee-cloud', { id: 'a', stat: 'Sum', period: 60 }],
        [{ id: 'e', expression: 'a / b' }],
      ],
      /uses "b", which no query of the widget defines/,
    ],
    [
      'a bad statistic',
      [['CoffeeCloud', 'OrderValue', 'Service', 'coffee-cloud', { id: 'x', stat: 'p999x', period: 60 }]],
      /"p999x" is not a CloudWatch statistic/,
    ],
    [
      'a bad period',
      [['CoffeeCloud', 'OrdersPlaced', 'Service', 'coffee-cloud', { id: 'x', stat: 'Sum', period: 90 }]],
      /period 90 s/,
    ],
    [
      'a duplicate id',
      [
        ['CoffeeCloud', 'OrdersPlaced', 'Service', 'coffee-cloud', { id: 'x', stat: 'Sum', period: 60 }],
        ['CoffeeCloud', 'Registrations', 'Service', 'coffee-cloud', { id: 'x', stat: 'Sum', period: 60 }],
      ],
      /"x" is used twice/,
    ],
  ])('catches a planted bad reference: %s', (_, metrics, message) => {
    expect(lint(withWidget(metricWidget(metrics)))).toEqual([expect.stringMatching(message)]);
  });

  it('checks the grid and the widget types', () => {
    expect(lint(withWidget({ ...metricWidget([]), x: 20, width: 6 }))).toContainEqual(
      expect.stringMatching(/leaves the 24-column grid/),
    );
    expect(lint(withWidget({ ...metricWidget([]), type: 'chart' as never }))).toContainEqual(
      expect.stringMatching(/unknown widget type/),
    );
    expect(
      lint(
        withWidget({
          type: 'log',
          x: 0,
          y: 200,
          width: 6,
          height: 6,
          properties: { region: 'us-east-1', query: 'fields @message' },
        }),
      ),
    ).toContainEqual(expect.stringMatching(/SOURCE/));
  });

  it('checks CloudWatch limits: widgets, metrics per widget and dashboard, name and size', () => {
    const text = (i: number): CloudWatchWidget => ({
      type: 'text',
      x: 0,
      y: i,
      width: 1,
      height: 1,
      properties: { markdown: 'x' },
    });
    expect(
      lint({ widgets: Array.from({ length: DashboardLimits.widgetsPerDashboard + 1 }, (_, i) => text(i)) }),
    ).toContainEqual(expect.stringMatching(/501 widgets, over the limit of 500/));
    const many = Array.from({ length: 501 }, (_, i) => [
      'CoffeeCloud',
      'OrdersPlaced',
      'Service',
      'coffee-cloud',
      { id: `m${i}`, stat: 'Sum', period: 60 },
    ]);
    expect(lint(withWidget(metricWidget(many)))).toContainEqual(
      expect.stringMatching(/501 metrics, over the widget limit of 500/),
    );
    const six = Array.from({ length: 6 }, (_, w) =>
      metricWidget(
        many
          .slice(0, 450)
          .map((e) => [...e.slice(0, -1), { ...(e.at(-1) as object), id: `w${w}_${(e.at(-1) as { id: string }).id}` }]),
      ),
    );
    expect(lint({ widgets: six.map((w, i) => ({ ...w, y: i * 6 })) })).toContainEqual(
      expect.stringMatching(/2700 metrics, over the dashboard limit of 2500/),
    );
    expect(lint(base.body, 'coffee cloud/business')).toContainEqual(expect.stringMatching(/may only contain/));
    expect(lint(base.body, 'x'.repeat(256))).toContainEqual(expect.stringMatching(/256 characters/));
    const big = withWidget({
      type: 'text',
      x: 0,
      y: 300,
      width: 24,
      height: 2,
      properties: { markdown: 'x'.repeat(DashboardLimits.bodyBytes) },
    });
    expect(lint(big)).toContainEqual(expect.stringMatching(/over the 1000000-byte budget/));
    expect(lint('{ not json')).toContainEqual(expect.stringMatching(/not JSON/));
  });
});

describe('the metric factory', () => {
  const factory = createMetricFactory({ serviceName: 'coffee-cloud' });
  it('refuses a dimension set, a statistic or a label the catalog does not allow', () => {
    expect(() =>
      factory.metric(Metrics.HttpRequestDuration, { id: 'x', stat: 'p99', period: 60, dimensions: { Route: '/menu' } }),
    ).toThrow(MetricReferenceError);
    expect(() => factory.metric(Metrics.OrdersPlaced, { id: 'x', stat: 'Average', period: 60 })).toThrow(
      /statistic Average/,
    );
    expect(() => factory.metric(Metrics.OrdersPlaced, { id: 'Bad-id', stat: 'Sum', period: 60 })).toThrow(/query id/);
    expect(() => factory.prom.counterRate(Metrics.OrdersPlaced, { labels: { RouteGroup: 'x' } })).toThrow(
      /no dimension RouteGroup/,
    );
    expect(() => factory.prom.quantile(Metrics.OrdersPlaced, 0.99)).toThrow(/not a histogram/);
  });
  it('names catalog series the way the OpenTelemetry Prometheus exporter does', () => {
    expect(
      factory.prom.countRate(Metrics.HttpRequestDuration, { labels: { RouteGroup: 'menu-read' }, window: '5m' }),
    ).toBe('sum (rate(coffee_http_server_duration_count{coffee_route_group="menu-read"}[5m]))');
    expect(factory.prom.counterIncrease(Metrics.Errors, { window: '1h', by: ['ErrorCode'] })).toBe(
      'sum by (error_type) (increase(coffee_errors_total[1h]))',
    );
  });
});

describe('coffee dashboards lint --from', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-dash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a fresh build and fails, naming the problem, once a body file is edited badly', async () => {
    const io = capture();
    expect(await buildCommand({ out: dir }, io)).toBe(0);
    expect(await lintCommand({ from: dir }, capture())).toBe(0);

    const file = join(dir, 'cloudwatch', 'coffee-cloud-business.json');
    const planted = (await readFile(file, 'utf8')).replace('"OrdersPlaced"', '"OrdersPlacedd"');
    await writeFile(file, planted);
    const after = capture();
    expect(await lintCommand({ from: dir }, after)).toBe(1);
    expect(after.errLines).toContainEqual(
      expect.stringMatching(
        /^dashboard coffee-cloud-business \/ Orders per hour: CoffeeCloud has no metric OrdersPlacedd in the catalog$/,
      ),
    );
  });
});
