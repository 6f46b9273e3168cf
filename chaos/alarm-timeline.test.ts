import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE } from '../service/catalog/index.ts';
import { buildAlarmTimeline, resolveHistory } from './alarm-timeline.ts';
import { DEMO_EXPERIMENT } from './demo.ts';
import { checkAlarmsAsExpected } from './invariants-alarms.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 10);
const WINDOW = { label: 'DynamoDB throttling', start: T0 + 15_000, end: T0 + 30_000 };

/** 45 s of the service's EMF: 20 order writes a second, 32% answered 503 during the window. */
function demoLikeEmf(): string {
  const lines: string[] = [];
  for (let s = 0; s < 45; s++) {
    const at = T0 + s * 1000;
    const bad = at >= WINDOW.start && at < WINDOW.end ? 6 : 0;
    for (const [statusClass, count] of [
      ['2xx', 20 - bad],
      ['5xx', bad],
    ] as const) {
      if (count === 0) continue;
      lines.push(
        JSON.stringify({
          _aws: {
            Timestamp: at,
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
  return `${lines.join('\n')}\n`;
}

let dir: string;
let emfFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffee-alarm-timeline-'));
  emfFile = join(dir, 'service-metrics.emf.jsonl');
  await writeFile(emfFile, demoLikeEmf());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const timeline = async (history: string) =>
  buildAlarmTimeline({ emfFile, from: T0, to: T0 + 45_000, windows: [WINDOW], history: await resolveHistory(history) });

describe('the alarm timeline of a 15 s throttling blip', () => {
  it('with the steady history: no page, no ticket in the window; the page if it went on; expectations met', async () => {
    const result = await timeline('steady');
    expect(result.history?.kind).toBe('steady');
    expect(result.history?.label).toMatch(/steady state .* first 15 s.* 24 h/);
    expect(result.predictions).toHaveLength(1);
    const [prediction] = result.predictions!;
    expect(prediction!.severity).toBe('order-write requests failing at 30%');
    expect(prediction!.line).toMatch(
      /^DynamoDB throttling, order-write requests failing at 30%: page after \d+ min( \d+ s)? \([a-z0-9-]+-page\), ticket after .+; this 15 s window: no page, no ticket$/,
    );
    expect(result.alarms.filter((a) => a.firedAt !== undefined && a.severity)).toEqual([]);
    const invariant = checkAlarmsAsExpected(DEMO_EXPERIMENT.alarmExpectations, result);
    expect(invariant.status).toBe('held');
  });

  it('on a cold start (--history none): the page fires in the run, labelled, and the expectations are not checked', async () => {
    const result = await timeline('none');
    expect(result.history?.label).toMatch(/cold start/);
    expect(result.predictions![0]!.line).toMatch(/this 15 s window: page after/);
    expect(checkAlarmsAsExpected(DEMO_EXPERIMENT.alarmExpectations, result).status).toBe('skipped');
  });

  it('an expectation the prediction contradicts is a violated invariant', async () => {
    const result = await timeline('steady');
    const invariant = checkAlarmsAsExpected(
      [{ severity: 'page', duringRun: 'fires', sustainedWithinMs: 'never', reason: 'a wrong expectation' }],
      result,
    );
    expect(invariant.status).toBe('violated');
    expect(invariant.violations[0]).toMatch(/expected fires during the run; never fires if sustained; predicted quiet/);
  });
});
