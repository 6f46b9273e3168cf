import { describe, expect, it } from 'vitest';
import { percentileMs } from './histograms.ts';
import { Recorder, type BucketReport } from './recorder.ts';

describe('the recorder', () => {
  it("builds each route group's latencies from its routes' (recorded once per answer), per bucket", () => {
    const reports: {
      groups: Record<string, { requests: number; failures: number; count: number; max: number | null }>;
      routes: Record<string, number>;
    }[] = [];
    // The sink sees the report synchronously (the recorder reuses the histograms afterwards).
    const recorder = new Recorder(0, 1_000, (report: BucketReport) =>
      reports.push({
        groups: Object.fromEntries(
          Object.entries(report.routeGroups).map(([g, d]) => [
            g,
            {
              requests: d.requests,
              failures: d.failures,
              count: d.histogram.totalCount,
              max: percentileMs(d.histogram, 100),
            },
          ]),
        ),
        routes: Object.fromEntries(Object.entries(report.routes).map(([r, d]) => [r, d.histogram.totalCount])),
      }),
    );
    recorder.response(10, 'menu-read', 'GET /menu', 200, 5);
    recorder.response(20, 'menu-read', 'GET /menu/:productId', 200, 40);
    recorder.response(30, 'menu-read', 'GET /menu/:productId', 0, 10_000); // a network error: counted, no latency
    recorder.response(40, 'order-write', 'POST /orders', 503, 80);
    recorder.response(1_500, 'menu-read', 'GET /menu', 200, 7);
    recorder.flush();

    expect(reports).toHaveLength(2);
    const [first, second] = reports;
    expect(first!.routes).toEqual({ 'GET /menu': 1, 'GET /menu/:productId': 1, 'POST /orders': 1 });
    expect(first!.groups['menu-read']).toMatchObject({ requests: 3, failures: 1, count: 2 });
    expect(first!.groups['menu-read']!.max).toBeCloseTo(40, 0);
    expect(first!.groups['order-write']).toMatchObject({ requests: 1, failures: 1, count: 1 });
    // The next bucket starts from empty histograms, though they are reused.
    expect(second!.groups).toEqual({ 'menu-read': { requests: 1, failures: 0, count: 1, max: expect.closeTo(7, 0) } });
  });
});
