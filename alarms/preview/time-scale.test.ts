import { describe, expect, it } from 'vitest';
import { describePeriod, scaledPeriodMs, timeScaleFor } from './time-scale.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');

describe('period scaling', () => {
  it('draws the base period of 300 s as about a thirtieth of the run, rounded to a readable bucket', () => {
    const scale = timeScaleFor({ startMs: t0, endMs: t0 + 60_000 });
    expect(scale.bucketMs).toBe(2_000);
    expect(scale.factor).toBe(150);
    expect(scaledPeriodMs(scale, 300)).toBe(2_000);
    expect(scaledPeriodMs(scale, 3_600)).toBe(24_000);
    expect(describePeriod(scale, 300)).toBe('period 300 s drawn as 2 s buckets of a 60 s run (time ×150)');
  });

  it('keeps the ratios between periods, clamps to the run and never goes below one EMF interval', () => {
    const scale = timeScaleFor({ startMs: t0, endMs: t0 + 600_000, emfIntervalMs: 5_000 });
    expect(scaledPeriodMs(scale, 3_600) / scaledPeriodMs(scale, 300)).toBe(12);
    expect(scaledPeriodMs(scale, 2_592_000)).toBe(600_000);
    expect(describePeriod(scale, 86_400)).toMatch(/drawn as the whole 600 s run/);
    const short = timeScaleFor({ startMs: t0, endMs: t0 + 5_000, emfIntervalMs: 1_000 });
    expect(short.bucketMs).toBe(1_000);
    expect(scaledPeriodMs(short, 60)).toBe(1_000);
  });

  it('never speeds a long run up beyond real time', () => {
    const day = timeScaleFor({ startMs: t0, endMs: t0 + 86_400_000 });
    expect(day.factor).toBe(1);
    expect(scaledPeriodMs(day, 300)).toBe(300_000);
  });

  it('refuses an empty span', () => {
    expect(() => timeScaleFor({ startMs: t0, endMs: t0 })).toThrow(/empty/);
  });
});
