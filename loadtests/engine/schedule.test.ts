import { describe, expect, it } from 'vitest';
import { ArrivalSchedule, gridPoint, SCHEDULE_TICK_MS } from './schedule.ts';

const now = (): number => performance.timeOrigin + performance.now();

/** Runs a schedule of `rate` arrivals per second for `durationS`, recording every start. */
async function record(rate: number, durationS: number, accept = () => true) {
  const starts: { arrival: number; intendedAt: number; startedAt: number }[] = [];
  let dropped = 0;
  // Starts within one synchronous run of the schedule are one wake-up of the event loop.
  let wakeUps = 0;
  let awake = false;
  const t0 = now();
  const schedule = new ArrivalSchedule(
    {
      profile: { startRate: rate, stages: [{ durationS, target: rate, phase: 'steady' }] },
      t0,
      workerIndex: 0,
      workerCount: 1,
      now,
    },
    {
      start: (arrival, intendedAt) => {
        starts.push({ arrival, intendedAt, startedAt: now() });
        if (!awake) {
          wakeUps++;
          awake = true;
          queueMicrotask(() => (awake = false));
        }
        return accept();
      },
      dropped: (_, count) => void (dropped += count),
      stopping: () => false,
    },
  );
  await schedule.run();
  return { t0, starts, dropped, wakeUps };
}

describe('the arrival schedule', () => {
  it('puts an arrival on the first grid point at or after its exact time', () => {
    expect(gridPoint(0)).toBe(0);
    expect(gridPoint(0.2)).toBe(SCHEDULE_TICK_MS);
    expect(gridPoint(3)).toBe(3);
    // 0.1 + 0.2 lands a hair past 0.3; 10 arrivals of 0.1 ms a hair past 1 ms: both on their own grid point.
    expect(gridPoint(10 * 0.1)).toBe(1);
    expect(gridPoint(1.0000000001)).toBe(1);
  });

  it('starts every arrival of the profile once, each intended at its grid point (or its start, when a tick came a hair early), the arrivals of one tick together', async () => {
    // 5000 per second: five arrivals per millisecond, exact times 0.2 ms apart.
    const { t0, starts, dropped, wakeUps } = await record(5000, 0.2);
    expect(dropped).toBe(0);
    expect(starts.map((s) => s.arrival)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (const { intendedAt, startedAt } of starts) {
      const offset = intendedAt - t0;
      const onGrid = Math.abs(offset - Math.round(offset)) < 1e-6;
      // Early by less than a quarter of a millisecond: intended when it left, before its grid point.
      const earlyStart = intendedAt <= startedAt && Math.ceil(offset) - offset < 0.25;
      expect(onGrid || earlyStart).toBe(true);
    }
    // The arrivals of one tick start in one wake-up: at most one per grid point, not one per arrival.
    expect(wakeUps).toBeLessThanOrEqual(200);
    // Never intended after it left: the schedule's lag is never negative.
    expect(starts.every((s) => s.startedAt >= s.intendedAt)).toBe(true);
  });

  it('counts an arrival that finds no free virtual user as dropped', async () => {
    let calls = 0;
    const { starts, dropped } = await record(1000, 0.05, () => ++calls % 2 === 0);
    expect(starts).toHaveLength(50);
    expect(dropped).toBe(25);
  });
});
