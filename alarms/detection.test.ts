import { describe, expect, it } from 'vitest';
import { NAMESPACE, SLOS } from '../service/catalog/index.ts';
import { budgetOf } from '../dashboards/index.ts';
import { buildAlarmDefinitions } from './definitions.ts';
import { earliest, formatDuration, predictDetections } from './detection.ts';
import { seriesFromEmf } from './emf-series.ts';
import { longestWindowMs, withSteadyHistory } from './history.ts';

const slo = SLOS.find((s) => s.kind === 'availability' && s.routeGroup === 'order-write')!;
const alarms = buildAlarmDefinitions().alarms.filter((a) => a.name.includes(`-slo-${slo.id}-`));
const T0 = Date.UTC(2026, 0, 1, 12, 0, 10);

/** One EMF document per second: `perSecond` order writes, `errorShare(t)` of them 5xx. */
function emf(seconds: number, perSecond: number, errorShare: (second: number) => number): string[] {
  const lines: string[] = [];
  for (let s = 0; s < seconds; s++) {
    const bad = Math.round(perSecond * errorShare(s));
    for (const [statusClass, count] of [
      ['2xx', perSecond - bad],
      ['5xx', bad],
    ] as const) {
      if (count === 0) continue;
      lines.push(
        JSON.stringify({
          _aws: {
            Timestamp: T0 + s * 1000,
            CloudWatchMetrics: [
              {
                Namespace: NAMESPACE,
                Dimensions: [
                  ['Service', 'RouteGroup'],
                  ['Service', 'RouteGroup', 'StatusClass'],
                ],
                Metrics: [{ Name: 'HttpRequestDuration', Unit: 'Milliseconds' }],
              },
            ],
          },
          Service: 'coffee-cloud',
          RouteGroup: 'order-write',
          StatusClass: statusClass,
          HttpRequestDuration: { Values: [20], Counts: [count], Sum: 20 * count, Count: count, Min: 20, Max: 20 },
        }),
      );
    }
  }
  return lines;
}

function predict(errorShare: (second: number) => number, window: { start: number; end: number }, history: boolean) {
  const run = seriesFromEmf(emf(60, 20, errorShare));
  const steady = { from: T0, to: T0 + window.start * 1000 };
  const series = history
    ? withSteadyHistory(run, {
        steadyFrom: steady.from,
        steadyTo: steady.to,
        runStart: T0,
        lengthMs: longestWindowMs(alarms),
      })
    : run;
  const [prediction] = predictDetections({
    alarms,
    series,
    windows: [{ label: 'fault', start: T0 + window.start * 1000, end: T0 + window.end * 1000 }],
    steady,
    runEnd: T0 + 60_000,
  });
  return prediction!;
}

describe('detection times', () => {
  it('a sustained total outage pages within the SRE workbook detection time of the 14.4x tier', () => {
    const prediction = predict((s) => (s >= 15 ? 1 : 0), { start: 15, end: 60 }, true);
    const page = earliest(prediction.alarms, 'page', 'sustainedMs');
    // The workbook: 14.4 × budget × 1 h at a 100% error rate (52 s), plus at most one evaluation minute.
    const workbook = 14.4 * budgetOf(slo) * 3_600_000;
    expect(page?.sustainedMs).toBeGreaterThanOrEqual(workbook);
    expect(page?.sustainedMs).toBeLessThanOrEqual(workbook + 60_000);
    // The page resets once the 5-minute window drops below 14.4x and the 30-minute one below 6x.
    expect(page?.resetMs).toBeGreaterThan(0);
  });

  it('a 15 s blip at 32% errors pages nobody with a history, and pages on a cold start', () => {
    const blip = (s: number) => (s >= 15 && s < 30 ? 0.32 : 0);
    const withHistory = predict(blip, { start: 15, end: 30 }, true);
    expect(earliest(withHistory.alarms, 'page', 'inRunMs')).toBeUndefined();
    expect(earliest(withHistory.alarms, 'ticket', 'inRunMs')).toBeUndefined();
    // Sustained at 32%, the 1-hour window crosses 14.4x after 14.4 × 0.1% / 32% of an hour (2 min 42 s).
    const sustained = earliest(withHistory.alarms, 'page', 'sustainedMs')!.sustainedMs!;
    expect(sustained).toBeGreaterThanOrEqual(162_000);
    expect(sustained).toBeLessThanOrEqual(162_000 + 60_000);

    const cold = predict(blip, { start: 15, end: 30 }, false);
    expect(earliest(cold.alarms, 'page', 'inRunMs')).toBeDefined();
  });

  it('gives a series first seen after the first fault a history from outside the fault windows', () => {
    const [late] = seriesFromEmf(emf(60, 20, () => 0)).map((s) => ({
      ...s,
      observations: s.observations.filter((o) => o.timestamp >= T0 + 20_000),
    }));
    const options = { steadyFrom: T0, steadyTo: T0 + 15_000, runStart: T0, lengthMs: 3_600_000 };
    const [without] = withSteadyHistory([late!], options);
    expect(without!.observations.filter((o) => o.timestamp < T0)).toHaveLength(0);
    const [withFallback] = withSteadyHistory([late!], {
      ...options,
      fallback: [{ from: T0 + 40_000, to: T0 + 60_000 }],
    });
    const history = withFallback!.observations.filter((o) => o.timestamp < T0);
    expect(history).toHaveLength(60);
    // 20 requests a second, one minute per observation.
    expect(history[0]!.statistics?.count).toBeCloseTo(1200, 6);
  });

  it('formats durations as a reader says them', () => {
    expect([15_000, 130_000, 2_460_000, 3_900_000, 7_200_000].map(formatDuration)).toEqual([
      '15 s',
      '2 min 10 s',
      '41 min',
      '1 h 5 min',
      '2 h',
    ]);
  });
});
