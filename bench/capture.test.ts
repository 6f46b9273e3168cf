import { describe, expect, it } from 'vitest';
import { captureMemoryFigure } from './capture.ts';

describe('the capture memory figure', () => {
  it('reads about the same retained memory in two runs: a fresh child, seeded ids, forced collections', async () => {
    const options = { durationS: 40, requestsPerSecond: 20 };
    const [first, second] = [await captureMemoryFigure(options, 1), await captureMemoryFigure(options, 1)];
    expect(first.details?.spansReceived).toBe(40 * 20 * 3);
    expect(first.details?.tracesKept).toBe(second.details?.tracesKept);
    const kib = (f: typeof first) => Number(f.details?.retainedKiB);
    // The kept traces stay; what varies between runs is a few hundred KiB of code and caches, not MBs of garbage.
    expect(kib(first)).toBeGreaterThan(1024);
    expect(Math.abs(kib(first) - kib(second))).toBeLessThan(512);
  });

  it('is the median of its processes, each a round', async () => {
    const figure = await captureMemoryFigure({ durationS: 10, requestsPerSecond: 10 }, 3);
    const values = figure.rounds!.map((r) => r.value);
    expect(values).toHaveLength(3);
    expect(figure.details).toMatchObject({ processes: 3, spansReceived: 10 * 10 * 3 });
    // The median round's details: its retained KiB is the middle one.
    const kibs = figure.rounds!.map((r) => r.sides!.capture!.retainedKiB!).sort((a, b) => a - b);
    expect(figure.details?.retainedKiB).toBe(kibs[1]);
  });
});
