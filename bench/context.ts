/**
 * What a figure module gets: the run's options, its round runner, target starters whose
 * processes are stopped at the end of the run, the OTLP sink and a scratch directory.
 *
 * A figure module is `(ctx: BenchContext) => Promise<FigureInput | FigureInput[]>`; it
 * joins the bench with one line in `FIGURES` (run.ts).
 */
import type { FigureInput } from './figure.ts';
import type { MeasuredRound, RoundFn } from './rounds.ts';
import type { BenchTarget, RawTargetKind, ServiceKind } from './start-targets.ts';

export interface BenchOptions {
  /** Seconds of each side's measurement in a round. */
  durationS: number;
  /** Kept rounds per comparison (after the warm-up). */
  rounds: number;
  /** Rounds discarded at the start of each comparison. */
  warmup: number;
  /** Seconds of each side's run flat out in the throughput (saturation) rounds. */
  saturationS: number;
  /** Rounds of the throughput figures (information), after one warm-up round. */
  saturationRounds: number;
  /** The fixed arrival rate as a share of the slower side's saturation rate. */
  loadShare: number;
  /**
   * Fixed arrival rates by comparison (`menu`, `orders`, `load-engine`), in requests per
   * second, instead of the share of the throughput measured in this run: pin them to
   * compare two runs at the same rate.
   */
  rates?: Record<string, number>;
  /** Sockets of the load generators. */
  connections: number;
  log: (line: string) => void;
}

export interface BenchContext {
  readonly options: BenchOptions;
  /** The OTLP/HTTP sink traced services export to. */
  readonly otlp: string;
  /** A scratch directory, removed after the run. */
  readonly work: string;
  /** Interleaved rounds with the run's warm-up, count and steal rule (rounds.ts). */
  rounds<T>(label: string, fn: RoundFn<T>, counts?: { rounds: number; warmup: number }): Promise<MeasuredRound<T>[]>;
  startRaw(kind: RawTargetKind, options?: StartOptions): Promise<BenchTarget>;
  startService(kind: ServiceKind, options?: StartOptions): Promise<BenchTarget>;
}

export interface StartOptions {
  /**
   * The target on a store process of its own rather than its embedded one (start-targets.ts,
   * `withStoreApart`): its measured process then holds the service's work alone.
   */
  storeApart?: boolean;
}

export type FigureModule = (ctx: BenchContext) => Promise<FigureInput | FigureInput[]>;

export interface FigureSource {
  /** For `coffee bench --only ID`. */
  id: string;
  measure: FigureModule;
}
