/**
 * Load profiles as stages of arrival rate (an open model: journeys start on a schedule,
 * whether or not earlier ones have answered), shared by the Node engine and k6's
 * `ramping-arrival-rate` / `constant-arrival-rate` executors. Pure: no Node or k6 APIs.
 */

export const ProfileNames = {
  Smoke: 'smoke',
  Average: 'average',
  Stress: 'stress',
  Spike: 'spike',
  Soak: 'soak',
  Breakpoint: 'breakpoint',
} as const;
export type ProfileName = (typeof ProfileNames)[keyof typeof ProfileNames];
export const PROFILE_NAMES = Object.values(ProfileNames) as readonly ProfileName[];

/** A stage: the arrival rate moves linearly to `target` (journeys per second) over `durationS`. */
export interface Stage {
  durationS: number;
  target: number;
  /** Shown on the report's charts. */
  phase: string;
}

export interface Profile {
  name: ProfileName;
  description: string;
  /** Arrival rate at the start, journeys per second. */
  startRate: number;
  stages: readonly Stage[];
  /** Virtual users made ready before the start (k6 `preAllocatedVUs`). */
  preAllocatedVUs: number;
  /** At most this many journeys at once; an arrival that finds none free is dropped and counted (k6 `maxVUs`). */
  maxVUs: number;
  /** Multiplies the journeys' think times (short profiles shorten them). */
  thinkTimeScale: number;
  /** How long journeys still running at the end may take to finish before they are interrupted. */
  gracefulStopS: number;
  /** Stop the run as soon as a threshold fails (finds the breaking point instead of running on). */
  abortOnFail: boolean;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  smoke: {
    name: 'smoke',
    description: 'A few journeys per second for a short while: does everything work at all?',
    startRate: 2,
    stages: [{ durationS: 30, target: 2, phase: 'steady' }],
    preAllocatedVUs: 5,
    maxVUs: 50,
    thinkTimeScale: 0.1,
    gracefulStopS: 5,
    abortOnFail: false,
  },
  average: {
    name: 'average',
    description: 'A normal busy morning: ramp up, hold, ramp down',
    startRate: 0,
    stages: [
      { durationS: 60, target: 10, phase: 'ramp-up' },
      { durationS: 180, target: 10, phase: 'steady' },
      { durationS: 30, target: 0, phase: 'ramp-down' },
    ],
    preAllocatedVUs: 20,
    maxVUs: 300,
    thinkTimeScale: 1,
    gracefulStopS: 15,
    abortOnFail: false,
  },
  stress: {
    name: 'stress',
    description: 'Three times the average load, held: does it degrade gracefully?',
    startRate: 0,
    stages: [
      { durationS: 60, target: 10, phase: 'ramp-up' },
      { durationS: 60, target: 30, phase: 'ramp-up-stress' },
      { durationS: 180, target: 30, phase: 'stress' },
      { durationS: 60, target: 0, phase: 'ramp-down' },
    ],
    preAllocatedVUs: 50,
    maxVUs: 800,
    thinkTimeScale: 1,
    gracefulStopS: 15,
    abortOnFail: false,
  },
  spike: {
    name: 'spike',
    description: 'A sudden rush (a train arrives): baseline, spike to twelve times, recovery',
    startRate: 5,
    stages: [
      { durationS: 30, target: 5, phase: 'baseline' },
      { durationS: 10, target: 60, phase: 'spike' },
      { durationS: 60, target: 60, phase: 'spike-hold' },
      { durationS: 10, target: 5, phase: 'drop' },
      { durationS: 60, target: 5, phase: 'recovery' },
    ],
    preAllocatedVUs: 50,
    maxVUs: 1_000,
    thinkTimeScale: 1,
    gracefulStopS: 15,
    abortOnFail: false,
  },
  soak: {
    name: 'soak',
    description: 'The average load for an hour: leaks, drift and slow degradation',
    startRate: 0,
    stages: [
      { durationS: 120, target: 10, phase: 'ramp-up' },
      { durationS: 3_600, target: 10, phase: 'soak' },
      { durationS: 120, target: 0, phase: 'ramp-down' },
    ],
    preAllocatedVUs: 20,
    maxVUs: 300,
    thinkTimeScale: 1,
    gracefulStopS: 30,
    abortOnFail: false,
  },
  breakpoint: {
    name: 'breakpoint',
    description: 'A steady climb until a threshold fails: where does it break?',
    startRate: 1,
    stages: [{ durationS: 600, target: 200, phase: 'climb' }],
    preAllocatedVUs: 50,
    maxVUs: 3_000,
    thinkTimeScale: 1,
    gracefulStopS: 10,
    abortOnFail: true,
  },
};

/** The profile settings a result records; the same for both engines. */
export function profileConfig(profile: Profile) {
  return {
    startRate: profile.startRate,
    stages: profile.stages.map((s) => ({ ...s })),
    preAllocatedVUs: profile.preAllocatedVUs,
    maxVUs: profile.maxVUs,
    thinkTimeScale: profile.thinkTimeScale,
    gracefulStopS: profile.gracefulStopS,
  };
}

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** Total scheduled time in seconds (without the graceful stop). */
export function profileDurationS(profile: Pick<Profile, 'stages'>): number {
  return profile.stages.reduce((sum, stage) => sum + stage.durationS, 0);
}

/** The highest arrival rate the profile reaches. */
export function peakRate(profile: Pick<Profile, 'startRate' | 'stages'>): number {
  return profile.stages.reduce((max, stage) => Math.max(max, stage.target), profile.startRate);
}

/**
 * Scales a profile: `durationS` stretches or shrinks every stage so the total is that long;
 * `rate` scales every rate so the peak is that many journeys per second. VU limits scale
 * with the rate.
 */
export function scaleProfile(profile: Profile, scale: { durationS?: number; rate?: number }): Profile {
  const total = profileDurationS(profile);
  const timeFactor = scale.durationS !== undefined && total > 0 ? scale.durationS / total : 1;
  const peak = peakRate(profile);
  const rateFactor = scale.rate !== undefined && peak > 0 ? scale.rate / peak : 1;
  return {
    ...profile,
    startRate: profile.startRate * rateFactor,
    stages: profile.stages.map((stage) => ({
      ...stage,
      durationS: stage.durationS * timeFactor,
      target: stage.target * rateFactor,
    })),
    preAllocatedVUs: Math.max(1, Math.ceil(profile.preAllocatedVUs * Math.min(rateFactor, 10))),
    maxVUs: Math.max(1, Math.ceil(profile.maxVUs * Math.max(rateFactor, 1))),
  };
}

/** A phase as charted: a stage placed on the run's time axis. */
export interface Phase {
  name: string;
  startMs: number;
  endMs: number;
  fromRate: number;
  toRate: number;
}

export function phasesOf(profile: Pick<Profile, 'startRate' | 'stages'>): Phase[] {
  const phases: Phase[] = [];
  let start = 0;
  let rate = profile.startRate;
  for (const stage of profile.stages) {
    const end = start + stage.durationS * 1000;
    phases.push({ name: stage.phase, startMs: start, endMs: end, fromRate: rate, toRate: stage.target });
    start = end;
    rate = stage.target;
  }
  return phases;
}

/** The target arrival rate (journeys per second) at `tMs` after the start. */
export function rateAt(profile: Pick<Profile, 'startRate' | 'stages'>, tMs: number): number {
  for (const phase of phasesOf(profile)) {
    if (tMs < phase.endMs) {
      const span = phase.endMs - phase.startMs;
      return span > 0
        ? phase.fromRate + ((phase.toRate - phase.fromRate) * (tMs - phase.startMs)) / span
        : phase.toRate;
    }
  }
  return 0;
}

/**
 * The intended start times (ms from the run's start) of the arrivals, in order: the k-th
 * arrival (k = 1, 2, ...) happens when the integral of the rate reaches k. Within a linear
 * stage the integral is quadratic, so each time is exact rather than sampled, whatever the
 * engine's timer resolution. Returns a function that gives the next time on each call, and
 * `undefined` after the last stage. (A closure, not a generator, to stay within the
 * syntax every k6 version runs.)
 */
export function arrivalClock(profile: Pick<Profile, 'startRate' | 'stages'>): () => number | undefined {
  const phases = phasesOf(profile);
  let index = 0;
  let before = 0; // arrivals due before the current phase
  let k = 1;
  return () => {
    while (index < phases.length) {
      const phase = phases[index] as Phase;
      const seconds = (phase.endMs - phase.startMs) / 1000;
      const r0 = phase.fromRate;
      const r1 = phase.toRate;
      const inPhase = (seconds * (r0 + r1)) / 2;
      if (k <= before + inPhase + 1e-9) {
        const n = k - before;
        const a = seconds > 0 ? (r1 - r0) / (2 * seconds) : 0;
        const t = Math.abs(a) < 1e-12 ? n / r0 : (-r0 + Math.sqrt(Math.max(0, r0 * r0 + 4 * a * n))) / (2 * a);
        k++;
        return phase.startMs + Math.min(seconds, Math.max(0, t)) * 1000;
      }
      before += inPhase;
      index++;
    }
    return undefined;
  };
}
