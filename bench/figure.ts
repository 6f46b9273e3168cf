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
