import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterEach, describe, expect, it } from 'vitest';
import { Dimensions, Metrics } from '../catalog/metrics.ts';
import { CatalogMetrics, LOOP_DELAY_RESOLUTION_MS, MAX_CACHED_SERIES, TRACER_NAME } from './catalog-metrics.ts';
import { DirectMetrics } from './direct-metrics.ts';

const attr = (key: keyof typeof Dimensions) => Dimensions[key].attribute;

/** Catalog metrics read by one cumulative in-memory reader, as telemetry.ts wires them. */
function start(cardinalityLimits?: { histogram: number }) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const resource = resourceFromAttributes({ 'service.name': 'catalog-metrics-test' });
  const direct = new DirectMetrics(resource, TRACER_NAME);
  const reader = direct.reader(
    (metricProducers) =>
      new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: 3_600_000,
        metricProducers,
        ...(cardinalityLimits ? { cardinalityLimits } : {}),
      }),
  );
  const provider = new MeterProvider({ resource, readers: [reader] });
  const metrics = new CatalogMetrics(direct);
  const duration = async () => {
    await reader.forceFlush();
    return exporter
      .getMetrics()
      .at(-1)
      ?.scopeMetrics.flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === Metrics.HttpRequestDuration.otelName) as HistogramMetricData;
  };
  const gauge = async (name: string) => {
    await reader.forceFlush();
    const metric = exporter
      .getMetrics()
      .at(-1)
      ?.scopeMetrics.flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === name);
    return metric?.dataPoints[0]?.value as number | undefined;
  };
  return { provider, metrics, duration, gauge };
}

describe('CatalogMetrics request series', () => {
  let provider: MeterProvider | undefined;
  let metrics: CatalogMetrics | undefined;
  afterEach(async () => {
    metrics?.stop();
    await provider?.shutdown();
  });

  it('records each request in the series of its route, method and status class', async () => {
    const started = start();
    ({ provider, metrics } = started);

    metrics.requestEnded('GET', '/menu', 200, 1, undefined);
    metrics.requestEnded('GET', '/menu', 204, 2, undefined);
    metrics.requestEnded('GET', '/menu', 404, 3, 'NOT_FOUND');
    metrics.requestEnded('POST', '/menu', 201, 4, undefined);
    metrics.requestEnded('GET', '/orders/:orderId', 200, 5, undefined);
    metrics.requestEnded('GET', '/menu', 503, 6, 'UNAVAILABLE');
    const duration = await started.duration();
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

  it('counts requests in their series past the series whose recorders it keeps', async () => {
    // A limit above the series here: the SDK's default (2,000 per interval) would fold
    // the last ones into its overflow series, which direct-metrics.test.ts covers.
    const started = start({ histogram: 10_000 });
    ({ provider, metrics } = started);
    const routes = MAX_CACHED_SERIES + 50;

    for (let i = 0; i < routes; i++) metrics.requestEnded('GET', `/r/${i}`, 200, 1, undefined);
    // Past the cap, each record is a new attribute object: still one series per route.
    for (const i of [0, MAX_CACHED_SERIES - 1, MAX_CACHED_SERIES, routes - 1]) {
      metrics.requestEnded('GET', `/r/${i}`, 200, 2, undefined);
      metrics.requestEnded('GET', `/r/${i}`, 201, 3, undefined);
    }
    const duration = await started.duration();

    expect(duration.dataPoints).toHaveLength(routes);
    const byRoute = new Map(duration.dataPoints.map((p) => [p.attributes[attr('Route')], p.value]));
    for (const i of [0, MAX_CACHED_SERIES - 1, MAX_CACHED_SERIES, routes - 1]) {
      expect(byRoute.get(`/r/${i}`), `/r/${i}`).toMatchObject({ count: 3, sum: 6, min: 1, max: 3 });
    }
    expect(byRoute.get('/r/1')).toMatchObject({ count: 1, sum: 1 });
    expect(duration.dataPoints.reduce((n, p) => n + p.value.count, 0)).toBe(routes + 8);
    expect(duration.dataPoints.every((p) => typeof p.attributes[attr('RouteGroup')] === 'string')).toBe(true);
  });
});

describe('CatalogMetrics event-loop delay', () => {
  it('reports the delay beyond the monitor resolution: an idle loop reads less than it', async () => {
    const started = start();
    try {
      // An idle loop: each sample comes about one resolution after the last.
      await new Promise((resolve) => setTimeout(resolve, 10 * LOOP_DELAY_RESOLUTION_MS));
      const p99 = await started.gauge(Metrics.EventLoopDelay.otelName);
      expect(p99).toBeGreaterThanOrEqual(0);
      expect(p99).toBeLessThan(LOOP_DELAY_RESOLUTION_MS);
    } finally {
      started.metrics.stop();
      await started.provider.shutdown();
    }
  });

  it('reports a stall longer than the monitor resolution as the p99 delay', async () => {
    const started = start();
    const stallMs = 4 * LOOP_DELAY_RESOLUTION_MS;
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      // The monitor measures from its first sample on.
      await wait(2 * LOOP_DELAY_RESOLUTION_MS);
      const until = performance.now() + stallMs;
      while (performance.now() < until) {
        // the event loop is blocked
      }
      await wait(2 * LOOP_DELAY_RESOLUTION_MS);

      const p99 = await started.gauge(Metrics.EventLoopDelay.otelName);

      expect(p99).toBeGreaterThanOrEqual(stallMs - LOOP_DELAY_RESOLUTION_MS);
    } finally {
      started.metrics.stop();
      await started.provider.shutdown();
    }
  });
});
