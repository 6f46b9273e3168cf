import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { Dimensions, Metrics } from '../catalog/metrics.ts';
import { CatalogMetrics } from './catalog-metrics.ts';
import { MeasurementQueue } from './measurement-queue.ts';

const attr = (key: keyof typeof Dimensions) => Dimensions[key].attribute;

describe('CatalogMetrics request series', () => {
  let provider: MeterProvider | undefined;
  let metrics: CatalogMetrics | undefined;
  afterEach(async () => {
    metrics?.stop();
    await provider?.shutdown();
  });

  it('records each request in the series of its route, method and status class', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    provider = new MeterProvider({ readers: [reader] });
    metrics = new CatalogMetrics(provider, new MeasurementQueue(1_000, (error) => expect.fail(String(error))));

    metrics.requestEnded('GET', '/menu', 200, 1, undefined);
    metrics.requestEnded('GET', '/menu', 204, 2, undefined);
    metrics.requestEnded('GET', '/menu', 404, 3, 'NOT_FOUND');
    metrics.requestEnded('POST', '/menu', 201, 4, undefined);
    metrics.requestEnded('GET', '/orders/:orderId', 200, 5, undefined);
    metrics.requestEnded('GET', '/menu', 503, 6, 'UNAVAILABLE');
    await reader.forceFlush();

    const duration = exporter
      .getMetrics()
      .at(-1)
      ?.scopeMetrics.flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === Metrics.HttpRequestDuration.otelName) as HistogramMetricData;
    const series = duration.dataPoints
      .map((p) => ({
        route: p.attributes[attr('Route')],
        method: p.attributes[attr('Method')],
        status: p.attributes[attr('StatusClass')],
        count: p.value.count,
        sum: p.value.sum,
      }))
      .sort((a, b) => `${a.route}${a.method}${a.status}`.localeCompare(`${b.route}${b.method}${b.status}`));
    expect(series).toEqual([
      { route: '/menu', method: 'GET', status: '2xx', count: 2, sum: 3 },
      { route: '/menu', method: 'GET', status: '4xx', count: 1, sum: 3 },
      { route: '/menu', method: 'GET', status: '5xx', count: 1, sum: 6 },
      { route: '/menu', method: 'POST', status: '2xx', count: 1, sum: 4 },
      { route: '/orders/:orderId', method: 'GET', status: '2xx', count: 1, sum: 5 },
    ]);
    expect(duration.dataPoints.every((p) => typeof p.attributes[attr('RouteGroup')] === 'string')).toBe(true);
  });
});
