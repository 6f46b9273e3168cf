/**
 * How the bench judges a figure from its rounds: the median against the budget, the range's
 * worse end against the budget less a stated margin, and which rounds to repeat because the
 * machine's steal time during them was far above the others'. Pure: made-up rounds test it.
 */

export const Verdicts = { Met: 'met', Inconclusive: 'inconclusive', Missed: 'missed', Info: 'info' } as const;
export type Verdict = (typeof Verdicts)[keyof typeof Verdicts];

export type Comparator = '>=' | '<=';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** `value` meets `budget` in the comparator's direction. */
function meets(value: number, budget: number, comparator: Comparator): boolean {
  return comparator === '>=' ? value >= budget : value <= budget;
}

/**
 * - met: the median meets the budget and the range's worse end is within `margin` of it;
 * - missed: the median misses and so does the range's better end (every round misses);
 * - inconclusive: anything else (the range straddles the budget, or its worse end is too
 *   far below the budget to vouch for the median);
 * - info: no budget.
 */
export function verdictOf(range: Spread, budget: number | undefined, comparator: Comparator, margin = 0): Verdict {
  if (budget === undefined) return Verdicts.Info;
  const [worse, better] = comparator === '>=' ? [range.min, range.max] : [range.max, range.min];
  const slack = comparator === '>=' ? budget - margin : budget + margin;
  if (meets(range.median, budget, comparator) && meets(worse, slack, comparator)) return Verdicts.Met;
  if (!meets(range.median, budget, comparator) && !meets(better, budget, comparator)) return Verdicts.Missed;
  return Verdicts.Inconclusive;
}

/** What makes a round's steal "far above the others": both a factor and a floor in points. */
export interface StealRule {
  /** The round's steal is above this many times the others' median... */
  factor: number;
  /** ...and above the others' median by at least this many percentage points. */
  minPoints: number;
}

export const DEFAULT_STEAL_RULE: StealRule = { factor: 2, minPoints: 2 };

/**
 * The indices of rounds whose steal time (percent of the machine's CPU time) is far above
 * the median of the other rounds; those rounds are measured again.
 */
export function stealOutliers(stealPct: readonly number[], rule: StealRule = DEFAULT_STEAL_RULE): number[] {
  if (stealPct.length < 3) return [];
  return stealPct.flatMap((steal, i) => {
    const others = median(stealPct.filter((_, j) => j !== i));
    return steal > others * rule.factor && steal - others >= rule.minPoints ? [i] : [];
  });
}
