import { describe, expect, it } from 'vitest';
import { ALL_METRICS, metricByName, NAMESPACE } from '../service/catalog/index.ts';
import { referencesInExpression } from '../dashboards/index.ts';
import { referencedSignals } from './signals.ts';

describe('referencedSignals', () => {
  const signals = referencedSignals();

  it('lists each metric and dimension set of the service namespace once, as the catalog publishes it', () => {
    const keys = signals.map((s) => `${s.metricName}|${s.dimensions.join(',')}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const s of signals) {
      expect(s.namespace).toBe(NAMESPACE);
      const def = metricByName(s.metricName)!;
      expect(def.dimensionSets.map((set) => [...set].sort().join(','))).toContain(s.dimensions.join(','));
      expect(s.usedBy.length).toBeGreaterThan(0);
    }
  });

  it('covers every catalog metric, and every dimension set the alarms need', () => {
    expect(new Set(signals.map((s) => s.metricName))).toEqual(new Set(ALL_METRICS.map((m) => m.name)));
    const http = signals.filter((s) => s.metricName === 'HttpRequestDuration');
    expect(http.map((s) => s.dimensions.join(','))).toEqual([
      'Method,Route,Service,StatusClass',
      'RouteGroup,Service',
      'RouteGroup,Service,StatusClass',
    ]);
    const byRouteGroup = http.find((s) => s.dimensions.join(',') === 'RouteGroup,Service')!;
    expect(byRouteGroup.usedBy).toContain('alarm coffee-cloud-slo-order-write-latency-burn-1h-fast');
    expect(byRouteGroup.usedBy).toContain('dashboard coffee-cloud-slo');
  });

  it('marks the Lambda-only metric, so a local run does not expect it', () => {
    expect(signals.find((s) => s.metricName === 'ColdStarts')!.runtime).toBe('lambda');
    expect(signals.find((s) => s.metricName === 'OrdersPlaced')!.runtime).toBe('all');
  });

  it('reads searches back from their expressions', () => {
    const [ref] = referencesInExpression(
      `SUM(SEARCH('{CoffeeCloud,Service,Cache} MetricName="CacheHits" Service="x"', 'Sum', 300))`,
      'w',
    );
    expect(ref).toMatchObject({
      namespace: 'CoffeeCloud',
      metricName: 'CacheHits',
      dimensions: { Service: 'x', Cache: undefined },
      stat: 'Sum',
      period: 300,
    });
  });
});
