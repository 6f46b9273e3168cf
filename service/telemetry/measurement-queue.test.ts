import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { MeasurementQueue } from './measurement-queue.ts';

/** A real SDK pipeline whose collection drains the queue, as telemetry.ts wires it. */
function pipeline(limit: number) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('test');
  const queue = new MeasurementQueue(limit, (error) => {
    throw error;
  });
  const latency = queue.histogram(
    meter.createHistogram('latency', { advice: { explicitBucketBoundaries: [10, 100] } }),
  );
  const orders = queue.counter(meter.createCounter('orders'));
  const gauge = meter.createObservableGauge('level');
  gauge.addCallback((result) => result.observe(1));
  meter.addBatchObservableCallback(() => queue.drain(), [gauge]);
  const collect = async () => {
    await reader.forceFlush();
    const metrics = exporter.getMetrics().at(-1)?.scopeMetrics[0]?.metrics ?? [];
    const find = (name: string) => metrics.find((m) => m.descriptor.name === name);
    return {
      latency: find('latency') as HistogramMetricData | undefined,
      orders: find('orders') as SumMetricData | undefined,
    };
  };
  return { provider, queue, latency, orders, collect };
}

describe('MeasurementQueue', () => {
  let provider: MeterProvider | undefined;
  afterEach(async () => provider?.shutdown());

  it('holds measurements until a collection, which hands every one over with its attributes', async () => {
    const p = pipeline(1_000);
    provider = p.provider;
    const get = { route: '/menu' };
    const post = { route: '/orders' };
    for (let i = 0; i < 7; i++) p.latency.record(5, get);
    p.latency.record(50, post);
    p.latency.record(500, post);
    p.orders.add(2, post);
    p.orders.add(3, post);
    expect(p.queue.size).toBe(11);

    const { latency, orders } = await p.collect();
    expect(p.queue.size).toBe(0);
    const byRoute = new Map(latency!.dataPoints.map((d) => [d.attributes.route, d.value]));
    expect(byRoute.get('/menu')).toMatchObject({
      count: 7,
      sum: 35,
      buckets: { boundaries: [10, 100], counts: [7, 0, 0] },
    });
    expect(byRoute.get('/orders')).toMatchObject({ count: 2, sum: 550, buckets: { counts: [0, 1, 1] } });
    expect(orders!.dataPoints).toEqual([expect.objectContaining({ attributes: post, value: 5 })]);
  });

  it('hands a full queue over at once, so it stays bounded between collections', async () => {
    const p = pipeline(64);
    provider = p.provider;
    for (let i = 0; i < 1_000; i++) {
      p.orders.add(1);
      expect(p.queue.size).toBeLessThan(64);
    }
    expect(p.queue.size).toBe(1_000 % 64);
    const { orders } = await p.collect();
    expect(orders!.dataPoints[0]!.value).toBe(1_000);
  });

  it('keeps the rest of a batch when the SDK throws on one measurement, and says so once per batch', async () => {
    const errors: unknown[] = [];
    const queue = new MeasurementQueue(1_000, (error) => errors.push(error));
    const seen: number[] = [];
    const failing = queue.counter({
      add: (value: number): void => {
        if (value === 2) throw new Error('refused');
        seen.push(value);
      },
    });
    for (const v of [1, 2, 3, 2, 4]) failing.add(v);
    queue.drain();
    expect(seen).toEqual([1, 3, 4]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('refused');
    expect(queue.size).toBe(0);
  });
});
