import { describe, expect, it } from 'vitest';
import {
  arrivalClock,
  phasesOf,
  PROFILE_NAMES,
  PROFILES,
  peakRate,
  profileDurationS,
  rateAt,
  scaleProfile,
  type Profile,
} from './profiles.ts';

function allArrivals(profile: Pick<Profile, 'startRate' | 'stages'>): number[] {
  const next = arrivalClock(profile);
  const times: number[] = [];
  for (let t = next(); t !== undefined; t = next()) times.push(t);
  return times;
}

describe('profiles', () => {
  it('schedules exactly the integral of the rate, in order, within the stages', () => {
    const profile = {
      startRate: 0,
      stages: [
        { durationS: 10, target: 10, phase: 'up' },
        { durationS: 5, target: 10, phase: 'hold' },
        { durationS: 10, target: 0, phase: 'down' },
      ],
    };
    const times = allArrivals(profile);
    // 0->10 over 10 s: 50; 10 for 5 s: 50; 10->0 over 10 s: 50.
    expect(times).toHaveLength(150);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times.at(-1)!).toBeLessThanOrEqual(25_000);
    // On a linear ramp from 0 the k-th arrival is at sqrt(2k/a): the 50th at the end of the ramp.
    expect(times[49]).toBeCloseTo(10_000, 3);
    expect(times[0]).toBeCloseTo(Math.sqrt(2 / 1) * 1000, 3);
    // A constant stage spaces arrivals evenly.
    expect(times[60]! - times[59]!).toBeCloseTo(100, 6);
  });

  it('gives a constant profile evenly spaced arrivals', () => {
    const times = allArrivals({ startRate: 4, stages: [{ durationS: 2, target: 4, phase: 'steady' }] });
    expect(times).toEqual([250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
  });

  it('scales duration and rate while keeping the shape', () => {
    const scaled = scaleProfile(PROFILES.average, { durationS: 27, rate: 50 });
    expect(profileDurationS(scaled)).toBeCloseTo(27, 9);
    expect(peakRate(scaled)).toBeCloseTo(50, 9);
    expect(scaled.stages.map((s) => s.phase)).toEqual(PROFILES.average.stages.map((s) => s.phase));
    expect(scaled.maxVUs).toBeGreaterThanOrEqual(PROFILES.average.maxVUs);
  });

  it('interpolates the rate linearly and places phases end to end', () => {
    const profile = PROFILES.spike;
    const phases = phasesOf(profile);
    expect(phases[0]!.startMs).toBe(0);
    for (let i = 1; i < phases.length; i++) expect(phases[i]!.startMs).toBe(phases[i - 1]!.endMs);
    const spike = phases.find((p) => p.name === 'spike')!;
    expect(rateAt(profile, (spike.startMs + spike.endMs) / 2)).toBeCloseTo((spike.fromRate + spike.toRate) / 2, 9);
    expect(rateAt(profile, phases.at(-1)!.endMs + 1)).toBe(0);
  });

  it('defines every profile of the design (smoke, average, stress, spike, soak, breakpoint), with arrival-rate stages', () => {
    expect(PROFILE_NAMES).toEqual(['smoke', 'average', 'stress', 'spike', 'soak', 'breakpoint']);
    for (const name of PROFILE_NAMES) {
      const p = PROFILES[name];
      expect(p.name).toBe(name);
      expect(p.stages.length).toBeGreaterThan(0);
      expect(p.maxVUs).toBeGreaterThanOrEqual(p.preAllocatedVUs);
      expect(peakRate(p)).toBeGreaterThan(0);
    }
    expect(PROFILES.breakpoint.abortOnFail).toBe(true);
  });
});
