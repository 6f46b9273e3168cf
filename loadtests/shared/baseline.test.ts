import { describe, expect, it } from 'vitest';
import { compareWithBaseline, parseTolerance } from './baseline.ts';
import { toJunitXml } from './junit.ts';
import { finishStats, type LoadResult, type RequestStats } from './result.ts';
import { formatSummary } from './summary-text.ts';
import { evaluateThresholds, thresholdsFromSlos } from './thresholds.ts';

function stats(requests: number, p95: number, durationMs = 10_000): RequestStats {
  return finishStats(
    {
      requests,
      failures: 0,
      statusCodes: { 200: requests },
      latencyMs: {
        count: requests,
        min: 1,
        mean: p95 / 2,
        p50: p95 / 2,
        p90: p95 * 0.9,
        p95,
        p99: p95 * 1.2,
        p999: p95 * 1.5,
        max: p95 * 2,
      },
    },
    durationMs,
  );
}

function result(runId: string, menuP95: number, menuRequests: number, latencyObserved = 10): LoadResult {
  const menu = stats(menuRequests, menuP95);
  return {
    schemaVersion: 1,
    runId,
    engine: 'autocannon',
    profile: 'smoke',
    seed: 1,
    target: 'http://127.0.0.1:1',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:10.000Z',
    durationMs: 10_000,
    config: { startRate: 1, stages: [], preAllocatedVUs: 1, maxVUs: 1, thinkTimeScale: 1, gracefulStopS: 1 },
    phases: [],
    totals: {
      ...menu,
      iterations: { started: 1, completed: 1, failed: 0, interrupted: 0, dropped: 0 },
      checks: { passes: 1, fails: 0, rate: 1 },
      retries: 0,
    },
    routeGroups: { 'menu-read': menu },
    journeys: {},
    checks: [],
    timeline: { bucketMs: 1000, buckets: [] },
    thresholds: evaluateThresholds(thresholdsFromSlos(), {
      latencyPercentile: () => latencyObserved,
      errorRate: () => 0,
      checkRate: () => 1,
    }),
    verdict: 'pass',
    notes: [],
  };
}

describe('baseline comparison', () => {
  it('flags a p95 regression beyond the tolerance and a throughput drop', () => {
    const comparison = compareWithBaseline(result('now', 30, 500), result('before', 20, 1000), {
      p95: 0.2,
      throughput: 0.1,
    });
    expect(comparison.pass).toBe(false);
    const regressions = comparison.findings.filter((f) => f.regression).map((f) => `${f.scope} ${f.metric}`);
    expect(regressions).toEqual(['total p95', 'total throughput', 'menu-read p95', 'menu-read throughput']);
  });

  it('accepts changes within the tolerance', () => {
    const comparison = compareWithBaseline(result('now', 21, 950), result('before', 20, 1000), {
      p95: 0.1,
      throughput: 0.1,
    });
    expect(comparison.pass).toBe(true);
  });

  it('parses tolerances as one fraction, a percentage or per metric', () => {
    expect(parseTolerance('0.2')).toEqual({ p95: 0.2, throughput: 0.2 });
    expect(parseTolerance('15%')).toEqual({ p95: 0.15, throughput: 0.15 });
    expect(parseTolerance('p95=0.3,throughput=0.05')).toEqual({ p95: 0.3, throughput: 0.05 });
    expect(() => parseTolerance('latency=1')).toThrow(/p95=/);
    expect(() => parseTolerance('-1')).toThrow(/non-negative/);
  });
});

describe('junit and summary', () => {
  it('writes one test case per threshold, failures marked, and escapes text', () => {
    const failing = result('r<1>', 20, 100, 500);
    const xml = toJunitXml(failing);
    expect(xml.match(/<testcase /g)).toHaveLength(failing.thresholds.length);
    const failed = failing.thresholds.filter((t) => !t.pass).length;
    expect(failed).toBeGreaterThan(0);
    expect(xml.match(/<failure /g)).toHaveLength(failed);
    expect(xml).toContain(`failures="${failed}"`);
    expect(xml).toContain('r&lt;1&gt;');
    expect(xml).not.toContain('r<1>');
  });

  it('summarises groups, thresholds and the verdict as text', () => {
    const text = formatSummary({ ...result('r1', 20, 100, 500), verdict: 'fail' });
    expect(text).toContain('menu-read');
    expect(text).toMatch(/FAIL order-write-latency/);
    expect(text).toMatch(/verdict: FAIL/);
  });
});
