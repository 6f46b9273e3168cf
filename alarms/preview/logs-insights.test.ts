import { describe, expect, it } from 'vitest';
import { LOG_QUERIES } from '../../dashboards/index.ts';
import { logRecord, runLogsQuery, UnsupportedQueryError } from './logs-insights.ts';

const line = (fields: Record<string, unknown>) => JSON.stringify({ level: 'info', message: 'request', ...fields });
const lines = [
  line({ time: '2026-01-01T00:00:01.000Z', route: '/menu', status: 200, duration_ms: 12 }),
  line({
    time: '2026-01-01T00:00:02.000Z',
    route: '/orders',
    status: 503,
    duration_ms: 310,
    error_code: 'dependency_unavailable',
  }),
  line({
    time: '2026-01-01T00:00:03.000Z',
    route: '/orders',
    status: 503,
    duration_ms: 250,
    error_code: 'dependency_unavailable',
  }),
  line({
    time: '2026-01-01T00:00:04.500Z',
    route: '/orders/:orderId',
    status: 409,
    duration_ms: 40,
    error_code: 'version_mismatch',
  }),
  'not json: a stray line',
  line({ time: '2026-01-01T00:00:05.000Z', route: '/menu', status: 200, duration_ms: 8 }),
];
const records = lines.map(logRecord).filter((r) => r !== undefined);

describe('the Logs Insights subset', () => {
  it('reads JSON lines with @timestamp from the time field and skips the rest', () => {
    expect(records).toHaveLength(5);
    expect(records[0]!['@timestamp']).toBe(Date.parse('2026-01-01T00:00:01.000Z'));
  });

  it("runs the dashboards' errors-by-code query: filter ispresent, stats count by two fields, sort, limit", () => {
    const result = runLogsQuery(`SOURCE '/aws/lambda/x' | ${LOG_QUERIES.errorsByCode}`, records);
    expect(result.columns).toEqual(['error_code', 'status', 'errors']);
    expect(result.rows).toEqual([
      ['dependency_unavailable', 503, 2],
      ['version_mismatch', 409, 1],
    ]);
  });

  it("runs the dashboards' slowest-requests query: fields, sort desc, limit", () => {
    const result = runLogsQuery(`${LOG_QUERIES.slowestRequests.replace('limit 20', 'limit 2')}`, records);
    expect(result.columns[0]).toBe('@timestamp');
    expect(result.rows.map((r) => r[result.columns.indexOf('duration_ms')])).toEqual([310, 250]);
  });

  it('filters with =, !=, comparisons, like, not, and, or', () => {
    const count = (filter: string) => runLogsQuery(`filter ${filter} | stats count(*) as n`, records).rows[0]?.[0] ?? 0;
    expect(count("route = '/menu'")).toBe(2);
    expect(count("route != '/menu'")).toBe(3);
    expect(count('status >= 500')).toBe(2);
    expect(count("route like '/orders'")).toBe(3);
    expect(count('route like /^\\/orders$/')).toBe(2);
    expect(count('not ispresent(error_code)')).toBe(2);
    expect(count("status = 503 and duration_ms > 300 or route = '/menu'")).toBe(3);
  });

  it('computes avg, pct, min, max by bin() and sorts ascending by default', () => {
    const result = runLogsQuery(
      'stats avg(duration_ms) as avg, pct(duration_ms, 50) as p50, max(duration_ms) as worst by bin(2s) as t | sort t',
      records,
    );
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    expect(result.rows).toEqual([
      [t0, 12, 12, 12],
      [t0 + 2000, 280, 250, 310],
      [t0 + 4000, 24, 8, 40],
    ]);
  });

  it('refuses what it does not implement, so the widget can say "in CloudWatch only"', () => {
    expect(() => runLogsQuery('parse @message "* *" as a, b', records)).toThrow(UnsupportedQueryError);
    expect(() => runLogsQuery('stats count_distinct(route)', records)).toThrow(/count_distinct/);
    expect(() => runLogsQuery('filter strlen(route) > 3', records)).toThrow(UnsupportedQueryError);
  });
});
