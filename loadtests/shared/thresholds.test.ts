import { describe, expect, it } from 'vitest';
import { SLOS } from '../../service/catalog/index.ts';
import { evaluateThresholds, k6Threshold, thresholdsFromSlos, type Observations } from './thresholds.ts';

const observations = (over: Partial<Observations> = {}): Observations => ({
  latencyPercentile: () => 10,
  errorRate: () => 0,
  checkRate: () => 1,
  ...over,
});

describe('thresholds', () => {
  it('derives one threshold per SLO from the catalog, plus the check rate', () => {
    const thresholds = thresholdsFromSlos();
    expect(thresholds.map((t) => t.id)).toEqual([...SLOS.map((s) => s.id), 'checks']);
    for (const slo of SLOS) {
      const t = thresholds.find((d) => d.id === slo.id)!;
      expect(t.routeGroup).toBe(slo.routeGroup);
      expect(t.source).toBe(`slo:${slo.id}`);
      if (slo.kind === 'latency') {
        expect(t.percentile).toBe(slo.objective * 100);
        expect(t.limit).toBe(slo.thresholdMs);
        expect(k6Threshold(t)).toEqual({
          metric: `http_req_duration{route_group:${slo.routeGroup}}`,
          expression: `p(${slo.objective * 100})<=${slo.thresholdMs}`,
        });
      } else {
        expect(t.limit).toBeCloseTo(1 - slo.objective, 12);
        expect(k6Threshold(t).metric).toBe(`http_req_failed{route_group:${slo.routeGroup}}`);
      }
    }
  });

  it('applies overrides by id and refuses unknown ids', () => {
    const [latency] = thresholdsFromSlos({ overrides: { 'order-write-latency': 5 } }).filter(
      (t) => t.id === 'order-write-latency',
    );
    expect(latency!.limit).toBe(5);
    expect(() => thresholdsFromSlos({ overrides: { 'no-such-slo': 1 } })).toThrow(/unknown threshold "no-such-slo"/);
  });

  it('fails a threshold whose observation crosses the limit and passes when nothing was measured', () => {
    const definitions = thresholdsFromSlos();
    const slow = evaluateThresholds(
      definitions,
      observations({ latencyPercentile: (group) => (group === 'menu-read' ? 101 : 1) }),
    );
    expect(slow.filter((t) => !t.pass).map((t) => t.id)).toEqual(['menu-read-latency']);
    const failing = evaluateThresholds(
      definitions,
      observations({ errorRate: (group) => (group === 'order-write' ? 0.002 : 0), checkRate: () => 0.5 }),
    );
    expect(failing.filter((t) => !t.pass).map((t) => t.id)).toEqual(['order-write-availability', 'checks']);
    const idle = evaluateThresholds(definitions, {
      latencyPercentile: () => null,
      errorRate: () => null,
      checkRate: () => null,
    });
    expect(idle.every((t) => t.pass && t.observed === null)).toBe(true);
  });
});
