import { describe, expect, it } from 'vitest';
import { NAMESPACE } from '../service/catalog/index.ts';
import { buildCloudWatchDashboards } from './build.ts';
import { lintDashboard } from './lint.ts';
import type { CloudWatchWidget } from './render-cloudwatch.ts';

const ACCOUNT = '123456789012';
const dashboards = buildCloudWatchDashboards({ region: 'eu-west-1', accountId: ACCOUNT, prefix: 'coffee-test' });

/** Rectangles of two widgets overlap. */
function overlap(a: CloudWatchWidget, b: CloudWatchWidget): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('CloudWatch dashboard bodies', () => {
  it('are the four dashboards the design names', () => {
    expect(dashboards.map((d) => d.name)).toEqual([
      'coffee-test-business',
      'coffee-test-technical-health',
      'coffee-test-cost',
      'coffee-test-slo',
    ]);
  });

  it('follow the dashboard body structure: typed widgets on the 24-column grid, without overlaps', () => {
    for (const { body } of dashboards) {
      expect(Object.keys(body).sort()).toEqual(['periodOverride', 'start', 'widgets']);
      expect(body.start).toMatch(/^-P(T\d+H|\d+D)$/);
      expect(body.widgets.length).toBeGreaterThan(0);
      for (const w of body.widgets) {
        expect(['metric', 'text', 'log', 'alarm']).toContain(w.type);
        expect(Object.keys(w).sort()).toEqual(['height', 'properties', 'type', 'width', 'x', 'y']);
        for (const n of [w.x, w.y, w.width, w.height]) expect(Number.isInteger(n) && n >= 0).toBe(true);
        expect(w.width).toBeGreaterThanOrEqual(1);
        expect(w.x + w.width).toBeLessThanOrEqual(24);
      }
      for (let i = 0; i < body.widgets.length; i++) {
        for (let j = i + 1; j < body.widgets.length; j++)
          expect(overlap(body.widgets[i]!, body.widgets[j]!)).toBe(false);
      }
    }
  });

  it('write metric widgets in the metrics-array format', () => {
    const widgets = dashboards.flatMap((d) => d.body.widgets).filter((w) => w.type === 'metric');
    expect(widgets.length).toBeGreaterThan(30);
    for (const w of widgets) {
      expect(w.properties.region).toBe('eu-west-1');
      expect(typeof w.properties.title).toBe('string');
      expect(['timeSeries', 'singleValue', 'bar', 'pie', 'gauge']).toContain(w.properties.view);
      const metrics = w.properties.metrics as unknown[][];
      expect(Array.isArray(metrics) && metrics.length > 0).toBe(true);
      for (const entry of metrics) {
        const rendering = entry.at(-1) as Record<string, unknown>;
        expect(typeof rendering.id).toBe('string');
        if (typeof entry[0] === 'string') {
          // [namespace, metricName, dimName, dimValue, ..., {id, stat, period}]
          expect(entry.length % 2).toBe(1);
          for (const item of entry.slice(0, -1)) expect(typeof item).toBe('string');
          expect(typeof rendering.stat).toBe('string');
          expect(Number.isInteger(rendering.period)).toBe(true);
        } else {
          expect(entry).toHaveLength(1);
          expect(typeof rendering.expression).toBe('string');
        }
      }
    }
  });

  it('write log widgets as Logs Insights queries over the function log group', () => {
    const logs = dashboards.flatMap((d) => d.body.widgets).filter((w) => w.type === 'log');
    expect(logs).toHaveLength(2);
    for (const w of logs) {
      expect(w.properties.query).toMatch(/^SOURCE '\/aws\/lambda\/coffee-cloud-api' \| /);
      expect(w.properties.region).toBe('eu-west-1');
    }
  });

  it('list alarms by ARN in alarm widgets, or explain why not without an account id', () => {
    const alarmWidgets = dashboards.flatMap((d) => d.body.widgets).filter((w) => w.type === 'alarm');
    // Technical alarms and security alarms on the technical-health dashboard, SLO alarms on the SLO one.
    expect(alarmWidgets).toHaveLength(3);
    for (const w of alarmWidgets) {
      for (const arn of w.properties.alarms as string[])
        expect(arn).toMatch(/^arn:aws:cloudwatch:eu-west-1:123456789012:alarm:coffee-test-/);
    }
    const withoutAccount = buildCloudWatchDashboards({ prefix: 'coffee-test' });
    expect(withoutAccount.flatMap((d) => d.body.widgets).filter((w) => w.type === 'alarm')).toHaveLength(0);
    expect(JSON.stringify(withoutAccount)).toContain('--account-id');
  });

  it('show every technical signal of the design: latency, errors, availability, DynamoDB, Lambda, cache', () => {
    const text = JSON.stringify(dashboards.find((d) => d.name.endsWith('technical-health'))!.body);
    for (const metric of [
      'HttpRequestDuration',
      'DynamoDbDuration',
      'DynamoDbRetries',
      'DynamoDbThrottles',
      'CacheHits',
      'EventLoopDelay',
      'ColdStarts',
      'Errors',
    ]) {
      expect(text).toContain(metric);
    }
    for (const aws of [
      '"AWS/Lambda","Duration"',
      '"AWS/Lambda","Throttles"',
      '"AWS/Lambda","ConcurrentExecutions"',
      '"AWS/DynamoDB","ReadThrottleEvents"',
    ]) {
      expect(text).toContain(aws);
    }
    for (const p of ['"p50"', '"p90"', '"p99"']) expect(text).toContain(p);
  });

  it('use the catalog namespace and the Service dimension for the service metrics', () => {
    const own = dashboards
      .flatMap((d) => d.body.widgets)
      .flatMap((w) => (w.properties.metrics ?? []) as unknown[][])
      .filter((e) => e[0] === NAMESPACE);
    expect(own.length).toBeGreaterThan(50);
    for (const entry of own) expect(entry.slice(2, 4)).toEqual(['Service', 'coffee-cloud']);
  });

  it('pass their own lint and stay far below CloudWatch limits', () => {
    for (const { name, body } of dashboards) {
      expect(lintDashboard(name, body, { serviceName: 'coffee-cloud' })).toEqual([]);
      expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(100_000);
    }
  });

  it('are deterministic', () => {
    expect(buildCloudWatchDashboards({ region: 'eu-west-1', accountId: ACCOUNT, prefix: 'coffee-test' })).toEqual(
      dashboards,
    );
  });
});
