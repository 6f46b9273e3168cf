/**
 * Interleaved rounds: round i runs every side of a comparison (the round function decides
 * how), in the listed order on even rounds and reversed on odd ones; the first `warmup`
 * rounds are discarded; each round's steal time is read from /proc/stat, and a round whose
 * steal is far above the others' is measured once more in its place.
 */
import { loadavg } from 'node:os';
import { stealOutliers } from './judge.ts';
import { stealPercent, stealSnapshot, type StealSnapshot } from './proc.ts';

export interface RoundsOptions {
  rounds: number;
  warmup: number;
  log: (line: string) => void;
  /** The machine's steal counters (default: /proc/stat). */
  readSteal?: () => Promise<StealSnapshot>;
}

export interface MeasuredRound<T> {
  result: T;
  stealPct: number;
  load1: number;
  repeated: boolean;
}

/** The round function: `index` counts from 0 (warm-up rounds included); `reversed` on odd rounds. */
export type RoundFn<T> = (index: number, reversed: boolean) => Promise<T>;

async function measured<T>(
  fn: RoundFn<T>,
  index: number,
  repeated: boolean,
  readSteal: () => Promise<StealSnapshot>,
): Promise<MeasuredRound<T>> {
  const before = await readSteal();
  const result = await fn(index, index % 2 === 1);
  const stealPct = stealPercent(before, await readSteal());
  return { result, stealPct, load1: loadavg()[0]!, repeated };
}

export async function runRounds<T>(label: string, options: RoundsOptions, fn: RoundFn<T>): Promise<MeasuredRound<T>[]> {
  const { readSteal = stealSnapshot } = options;
  const kept: MeasuredRound<T>[] = [];
  for (let i = 0; i < options.warmup + options.rounds; i++) {
    const round = await measured(fn, i, false, readSteal);
    const kind = i < options.warmup ? 'warm-up' : `round ${i - options.warmup + 1}/${options.rounds}`;
    options.log(`  ${label} ${kind}: steal ${round.stealPct.toFixed(1)}%, load ${round.load1.toFixed(2)}`);
    if (i >= options.warmup) kept.push(round);
  }
  for (const k of stealOutliers(kept.map((r) => r.stealPct))) {
    options.log(`  ${label} round ${k + 1}: steal ${kept[k]!.stealPct.toFixed(1)}% far above the others, again`);
    kept[k] = await measured(fn, options.warmup + k, true, readSteal);
  }
  return kept;
}
