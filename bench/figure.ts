/** One benchmark figure: a ratio (or a size) measured in one run, with its budget. */
export interface BenchFigure {
  /** What was compared, e.g. "GET /menu: service vs raw node:http". */
  name: string;
  value: number;
  /** Absent for a figure reported for information only (it cannot fail the run). */
  budget?: number;
  /** `>=` when bigger is better (throughput ratios), `<=` when smaller is (memory, ms). */
  comparator: '>=' | '<=';
  /** Unit of value and budget: 'ratio', 'MB', 'ms'. */
  unit: string;
  /** The raw measurements behind the figure, for the note (e.g. both request rates). */
  details?: Record<string, number | string>;
}

export function withinBudget(figure: BenchFigure): boolean {
  if (figure.budget === undefined) return true;
  return figure.comparator === '>=' ? figure.value >= figure.budget : figure.value <= figure.budget;
}

/**
 * A throughput ratio, bigger is better: `measured[over] / measured[under]`, with every
 * measured rate (rounded) in the details. Without a budget it is for information.
 */
export function ratioFigure(
  name: string,
  measured: Record<string, number>,
  [over, under]: [string, string],
  budget?: number,
  extra: Record<string, number | string> = {},
): BenchFigure {
  const details = {
    ...Object.fromEntries(Object.entries(measured).map(([key, rate]) => [key, Math.round(rate)])),
    ...extra,
  };
  return {
    name,
    value: measured[over]! / measured[under]!,
    ...(budget === undefined ? {} : { budget }),
    comparator: '>=',
    unit: 'ratio',
    details,
  };
}
