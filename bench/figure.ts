/**
 * A benchmark figure: a value measured over interleaved rounds, its median and range, its
 * budget and verdict. A figure module returns `FigureInput`s (its rounds, or one value for
 * a figure measured once) and `judgeFigure()` completes them.
 */
import { spread, verdictOf, Verdicts, type Comparator, type Verdict } from './judge.ts';

/** One round of a figure: its value, and the machine's steal time while it ran. */
export interface Round {
  value: number;
  /** Percent of the machine's CPU time stolen by the hypervisor during the round. */
  stealPct?: number;
  /** 1-minute load average at the round's end. */
  load1?: number;
  /** Measured again because its first attempt's steal was far above the other rounds'. */
  repeated?: boolean;
  /** What each side measured in this round (CPU per request, request rate...). */
  sides?: Record<string, Record<string, number>>;
}

/** What a figure module returns: rounds (or one `value`), with the budget if it has one. */
export interface FigureInput {
  /** What was compared, e.g. "GET /menu: service vs raw node:http". */
  name: string;
  /** `primary` figures carry the budgets; `info` figures explain them (throughput at saturation...). */
  kind?: 'primary' | 'info';
  /** What the value is, e.g. "CPU per request, raw / service (whole process)". */
  measure?: string;
  /** Unit of value and budget: 'ratio', 'MB', 'ms'. */
  unit: string;
  /** `>=` when bigger is better (ratios), `<=` when smaller is (memory, ms). */
  comparator: Comparator;
  /** Absent for a figure reported for information only (it cannot fail the run). */
  budget?: number;
  /** How far the range's worse end may fall past the budget for "met"; see judge.ts. */
  margin?: number;
  rounds?: Round[];
  /** A figure measured once (rounds = [{ value }]). */
  value?: number;
  details?: Record<string, number | string>;
}

export interface BenchFigure {
  name: string;
  kind: 'primary' | 'info';
  measure: string;
  unit: string;
  comparator: Comparator;
  budget?: number;
  margin?: number;
  /** The median over the rounds. */
  value: number;
  min: number;
  max: number;
  verdict: Verdict;
  rounds: Round[];
  /** Median and highest steal over the rounds, in percent (absent when not read). */
  stealPct?: { median: number; max: number };
  details?: Record<string, number | string>;
}

/** The margin a budget gets when its figure names none: 2% of the budget. */
export function defaultMargin(budget: number): number {
  return Math.abs(budget) * 0.02;
}

export function judgeFigure(input: FigureInput): BenchFigure {
  const rounds = input.rounds ?? (input.value === undefined ? [] : [{ value: input.value }]);
  if (rounds.length === 0) throw new Error(`bench figure "${input.name}" has neither rounds nor a value`);
  const range = spread(rounds.map((r) => r.value));
  const margin = input.budget === undefined ? undefined : (input.margin ?? defaultMargin(input.budget));
  const steals = rounds.flatMap((r) => (r.stealPct === undefined ? [] : [r.stealPct]));
  const kind = input.kind ?? (input.budget === undefined ? 'info' : 'primary');
  return {
    name: input.name,
    kind,
    measure: input.measure ?? input.name,
    unit: input.unit,
    comparator: input.comparator,
    ...(input.budget === undefined ? {} : { budget: input.budget, margin }),
    value: range.median,
    min: range.min,
    max: range.max,
    verdict: kind === 'info' ? Verdicts.Info : verdictOf(range, input.budget, input.comparator, margin),
    rounds,
    ...(steals.length === 0 ? {} : { stealPct: { median: spread(steals).median, max: Math.max(...steals) } }),
    ...(input.details ? { details: input.details } : {}),
  };
}
