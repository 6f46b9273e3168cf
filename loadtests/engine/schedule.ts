/**
 * The engine's arrival schedule on a millisecond grid: one timer, and each time it fires
 * every arrival due since the last time starts together.
 *
 * Why a grid rather than a wake-up per arrival or per answer: on a virtual machine a wake-up
 * of an idle event loop costs tens of microseconds of CPU, as much as a whole request, so a
 * generator that wakes for every arrival pays twice per request at a fixed rate. An arrival
 * is intended at the first grid point at or after its exact time (the schedule's
 * granularity: `SCHEDULE_TICK_MS`), and latency and schedule lag count from there, so the
 * timer's own lateness past the grid point still counts (no coordinated omission). Below
 * 1000 arrivals per second each arrival keeps a wake-up of its own; above, the arrivals of
 * one tick go out together, as k6-like engines do at high rates. The arrivals per second
 * are exactly the profile's.
 */
import { arrivalClock, type Profile } from '../shared/profiles.ts';

/** The schedule's granularity: an arrival is intended at the next multiple of this many ms from t0. */
export const SCHEDULE_TICK_MS = 1;

/** The longest the timer sleeps at once: a long pause between arrivals is slept in steps. */
const MAX_SLEEP_MS = 50;

/** Arrival times are sums of floats: one a hair past a grid point belongs to it. */
const GRID_EPSILON_MS = 1e-6;

/** A timer may fire a fraction of a millisecond early: a grid point this close goes now, intended at the real send. */
const EARLY_MS = 0.25;

/** The grid point (ms from t0) an arrival due at `dueMs` is intended at. */
export function gridPoint(dueMs: number): number {
  return Math.max(0, Math.ceil((dueMs - GRID_EPSILON_MS) / SCHEDULE_TICK_MS) * SCHEDULE_TICK_MS);
}

export interface ScheduleHooks {
  /** Starts arrival `arrival` intended at `intendedAt` (epoch ms); false when no virtual user is free. */
  start(arrival: number, intendedAt: number): boolean;
  /** `count` arrivals found no free virtual user at `at` (epoch ms). */
  dropped(at: number, count: number): void;
  stopping(): boolean;
}

export interface ScheduleOptions {
  profile: Pick<Profile, 'startRate' | 'stages'>;
  /** Epoch ms of the run's start. */
  t0: number;
  /** This thread takes every `workerCount`-th arrival, starting at `workerIndex`. */
  workerIndex: number;
  workerCount: number;
  now: () => number;
}

export class ArrivalSchedule {
  readonly #options: ScheduleOptions;
  readonly #hooks: ScheduleHooks;
  readonly #next: () => number | undefined;
  #arrival = 0;
  #due: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #finished!: () => void;
  readonly #done = new Promise<void>((resolve) => (this.#finished = resolve));

  constructor(options: ScheduleOptions, hooks: ScheduleHooks) {
    this.#options = options;
    this.#hooks = hooks;
    this.#next = arrivalClock(options.profile);
    this.#due = this.#next();
  }

  /** Runs the schedule; resolves once every arrival has started (or was dropped), or on `stop()`. */
  run(): Promise<void> {
    this.#tick();
    return this.#done;
  }

  /** Ends the schedule now: no further arrival starts. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#finished();
  }

  /** Starts every arrival whose grid point has passed, then sleeps until the next one's. */
  readonly #tick = (): void => {
    this.#timer = undefined;
    const time = this.#options.now();
    if (this.#hooks.stopping() || this.#due === undefined) return this.stop();
    const elapsed = time - this.#options.t0;
    const dropped = this.#startDue(elapsed);
    if (dropped > 0) this.#hooks.dropped(time, dropped);
    if (this.#due === undefined) return this.stop();
    const wait = gridPoint(this.#due) - elapsed;
    this.#timer = setTimeout(this.#tick, Math.min(MAX_SLEEP_MS, Math.max(SCHEDULE_TICK_MS, wait)));
  };

  /** Starts this thread's arrivals whose grid point has come by `elapsed` (ms from t0); returns the dropped. */
  #startDue(elapsed: number): number {
    const { t0, workerIndex, workerCount } = this.#options;
    let dropped = 0;
    while (this.#due !== undefined && gridPoint(this.#due) <= elapsed + EARLY_MS) {
      const arrival = this.#arrival++;
      // An arrival started a hair before its grid point is intended when it really left.
      const intendedAt = Math.min(t0 + gridPoint(this.#due), t0 + elapsed);
      if (arrival % workerCount === workerIndex && !this.#hooks.start(arrival, intendedAt)) dropped++;
      this.#due = this.#next();
    }
    return dropped;
  }
}
