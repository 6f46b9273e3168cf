import { describe, expect, it } from 'vitest';
import { captureMemoryFigure } from './capture.ts';

describe('the capture memory figure', () => {
  it('reads about the same retained memory in two runs: a fresh child, seeded ids, forced collections', async () => {
    const options = { durationS: 40, requestsPerSecond: 20 };
    const [first, second] = [await captureMemoryFigure(options), await captureMemoryFigure(options)];
    expect(first.details?.spansReceived).toBe(40 * 20 * 3);
    expect(first.details?.tracesKept).toBe(second.details?.tracesKept);
    const kib = (f: typeof first) => Number(f.details?.retainedKiB);
    // The kept traces stay; what varies between runs is a few hundred KiB of code and caches, not MBs of garbage.
    expect(kib(first)).toBeGreaterThan(1024);
    expect(Math.abs(kib(first) - kib(second))).toBeLessThan(512);
  });
});
