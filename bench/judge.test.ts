import { describe, expect, it } from 'vitest';
import { judgeFigure } from './figure.ts';
import { median, spread, stealOutliers, verdictOf } from './judge.ts';
import { parseProcStat, schedRuntimeMicros, statCpuMicros, stealPercent } from './proc.ts';
import { runRounds } from './rounds.ts';

describe('median and range', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([0.9, 0.7, 0.8])).toBe(0.8);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spread([0.82, 0.79, 0.85, 0.8, 0.81])).toEqual({ median: 0.81, min: 0.79, max: 0.85 });
    expect(() => median([])).toThrow(/no values/);
  });
});

describe('verdict', () => {
  const ratio = (values: number[]) => spread(values);

  it('is met when the median meets the budget and the worse end is within the margin', () => {
    expect(verdictOf(ratio([0.81, 0.82, 0.79, 0.83, 0.82]), 0.8, '>=', 0.02)).toBe('met');
  });

  it('is inconclusive when the range straddles the budget by more than the margin', () => {
    expect(verdictOf(ratio([0.81, 0.82, 0.7, 0.83, 0.82]), 0.8, '>=', 0.02)).toBe('inconclusive');
    expect(verdictOf(ratio([0.78, 0.79, 0.81, 0.77, 0.79]), 0.8, '>=', 0.02)).toBe('inconclusive');
  });

  it('is missed only when every round misses', () => {
    expect(verdictOf(ratio([0.6, 0.62, 0.65, 0.61, 0.64]), 0.8, '>=', 0.02)).toBe('missed');
  });

  it('reads "smaller is better" budgets the other way', () => {
    expect(verdictOf(ratio([12, 14, 31, 13, 15]), 30, '<=', 3)).toBe('met');
    expect(verdictOf(ratio([12, 14, 40, 13, 15]), 30, '<=', 3)).toBe('inconclusive');
    expect(verdictOf(ratio([42, 44, 40, 43, 45]), 30, '<=', 3)).toBe('missed');
  });

  it('is info without a budget, and a judged figure carries its median, range and steal', () => {
    expect(verdictOf(ratio([1, 2]), undefined, '>=')).toBe('info');
    const figure = judgeFigure({
      name: 'x vs y',
      unit: 'ratio',
      comparator: '>=',
      budget: 0.9,
      rounds: [0.95, 0.93, 0.97].map((value, i) => ({ value, stealPct: i })),
    });
    expect(figure).toMatchObject({ value: 0.95, min: 0.93, max: 0.97, verdict: 'met' });
    expect(figure.margin).toBeCloseTo(0.018, 9);
    expect(figure.stealPct).toEqual({ median: 1, max: 2 });
    expect(judgeFigure({ name: 'once', unit: 'MB', comparator: '<=', budget: 250, value: 180 }).verdict).toBe('met');
  });
});

describe('steal', () => {
  it('flags a round whose steal is far above the others, not a machine that always steals a little', () => {
    expect(stealOutliers([0.2, 0.3, 9, 0.1, 0.2])).toEqual([2]);
    expect(stealOutliers([3, 3.5, 4, 3.2, 3.8])).toEqual([]);
    expect(stealOutliers([0, 0, 1.5, 0, 0])).toEqual([]);
  });

  it('measures a round with far more steal again, in its place and in its order', async () => {
    // Steal counters the rounds advance: the third kept round (index 3 with one warm-up) steals 20%.
    let counters = { steal: 0, total: 0 };
    let stealNext = 0;
    const calls: [number, boolean][] = [];
    const rounds = await runRounds(
      'made-up',
      { rounds: 5, warmup: 1, log: () => {}, readSteal: async () => counters },
      async (index, reversed) => {
        calls.push([index, reversed]);
        stealNext = calls.length === 4 ? 20 : 0.5;
        counters = { steal: counters.steal + stealNext, total: counters.total + 100 };
        return index * 10;
      },
    );
    expect(calls).toEqual([
      [0, false],
      [1, true],
      [2, false],
      [3, true],
      [4, false],
      [5, true],
      [3, true],
    ]);
    expect(rounds.map((r) => r.result)).toEqual([10, 20, 30, 40, 50]);
    expect(rounds.map((r) => r.repeated)).toEqual([false, false, true, false, false]);
    expect(rounds.map((r) => r.stealPct)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);
  });
});

describe('/proc parsing', () => {
  it('reads user + system ticks, the scheduler runtime and steal', () => {
    const stat = '1234 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 12';
    expect(statCpuMicros(stat)).toBe(200 * 10_000);
    expect(schedRuntimeMicros('se.sum_exec_runtime    :   1234.567890\n')).toBeCloseTo(1_234_567.89, 3);
    expect(schedRuntimeMicros('nothing here')).toBeUndefined();
    const before = parseProcStat('cpu  100 0 100 700 0 0 0 100 0 0\ncpu0 1 2 3\n');
    const after = parseProcStat('cpu  200 0 200 1300 0 0 0 300 0 0\n');
    expect(before).toEqual({ steal: 100, total: 1000 });
    expect(stealPercent(before, after)).toBeCloseTo(20, 6);
  });
});
