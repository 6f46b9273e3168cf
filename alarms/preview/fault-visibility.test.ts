/**
 * A fault shows where an SRE would look for it: 5xx on order writes in the middle of a run
 * raise the technical dashboard's 5xx rate and the SLO dashboard's burn rate inside the
 * window, and leave them at zero before it.
 */
import { describe, expect, it } from 'vitest';
import type { MetricSeries } from '../evaluate.ts';
import { dashboardsPreview } from './dashboards-preview.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const SECONDS = 40;
const inFault = (s: number) => s > 15 && s <= 25;

function series(): MetricSeries[] {
  const dims = (extra: Record<string, string> = {}) => ({
    Service: 'coffee-cloud',
    RouteGroup: 'order-write',
    ...extra,
  });
  const at = (s: number) => t0 + s * 1000;
  const seconds = Array.from({ length: SECONDS }, (_, i) => i + 1);
  return [
    {
      namespace: 'CoffeeCloud',
      metricName: 'HttpRequestDuration',
      dimensions: dims(),
      observations: seconds.map((s) => ({
        timestamp: at(s),
        values: [20, 900],
        counts: inFault(s) ? [5, 5] : [10, 0],
      })),
    },
    {
      namespace: 'CoffeeCloud',
      metricName: 'HttpRequestDuration',
      dimensions: dims({ StatusClass: '5xx' }),
      observations: seconds.filter(inFault).map((s) => ({ timestamp: at(s), values: [900], counts: [5] })),
    },
  ];
}

describe('a fault on the dashboards', () => {
  const preview = dashboardsPreview({ series: series(), span: { startMs: t0, endMs: t0 + SECONDS * 1000 } });
  const chart = (title: string) => {
    const found = preview.sections.flatMap((s) => s.charts ?? []).find((c) => c.title === title);
    if (!found) throw new Error(`no chart "${title}"`);
    return found;
  };
  const split = (title: string, label: string) => {
    const c = chart(title);
    const values = c.series.find((s) => s.label === label)!.values;
    const pick = (when: (x: number) => boolean) =>
      c.xs.flatMap((x, i) => (when(x) && values[i] !== null ? [values[i] as number] : []));
    return { before: pick((x) => x <= 15), during: pick(inFault) };
  };

  it('raises the 5xx rate on the technical-health dashboard inside the window only', () => {
    const { before, during } = split('5xx rate by route group (%)', 'order-write');
    expect(Math.max(...before)).toBe(0);
    expect(Math.max(...during)).toBe(50);
  });

  it('raises the short-window burn rate on the SLO dashboard inside the window only', () => {
    const { before, during } = split(
      'order-write-availability: burn rate (1x spends the budget in exactly 30d)',
      'over 5m',
    );
    expect(Math.max(...before)).toBe(0);
    // Half the writes fail against a 0.1% budget: 500 times the sustainable rate.
    expect(Math.max(...during)).toBe(500);
  });
});
