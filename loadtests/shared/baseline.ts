/**
 * Comparison with an earlier run's result.json: flags a regression when a route group's
 * p95 grew, or its throughput fell, by more than the tolerance. Pure.
 */
import type { BaselineComparison, BaselineFinding, LoadResult, RequestStats } from './result.ts';

export interface Tolerance {
  /** Allowed relative growth of p95 latency (0.1 = 10%). */
  p95: number;
  /** Allowed relative drop of throughput. */
  throughput: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { p95: 0.1, throughput: 0.1 };

/** Latency differences below this many ms are noise, whatever the ratio. */
const MIN_LATENCY_DELTA_MS = 1;

function relative(current: number, baseline: number): number {
  return baseline === 0 ? (current === 0 ? 0 : Infinity) : (current - baseline) / baseline;
}

function compareScope(
  scope: string,
  current: RequestStats,
  baseline: RequestStats,
  tolerance: Tolerance,
): BaselineFinding[] {
  const findings: BaselineFinding[] = [];
  if (current.latencyMs && baseline.latencyMs) {
    const change = relative(current.latencyMs.p95, baseline.latencyMs.p95);
    findings.push({
      scope,
      metric: 'p95',
      baseline: baseline.latencyMs.p95,
      current: current.latencyMs.p95,
      change,
      regression: change > tolerance.p95 && current.latencyMs.p95 - baseline.latencyMs.p95 > MIN_LATENCY_DELTA_MS,
    });
  }
  if (baseline.throughputRps > 0) {
    const change = relative(current.throughputRps, baseline.throughputRps);
    findings.push({
      scope,
      metric: 'throughput',
      baseline: baseline.throughputRps,
      current: current.throughputRps,
      change,
      regression: change < -tolerance.throughput,
    });
  }
  return findings;
}

export function compareWithBaseline(
  current: LoadResult,
  baseline: LoadResult,
  tolerance: Tolerance = DEFAULT_TOLERANCE,
  file?: string,
): BaselineComparison {
  const notes: string[] = [];
  if (baseline.profile !== current.profile)
    notes.push(`the baseline ran profile "${baseline.profile}", this run "${current.profile}"`);
  if (baseline.engine !== current.engine)
    notes.push(`the baseline ran on ${baseline.engine}, this run on ${current.engine}`);
  const schedule = (r: LoadResult) =>
    JSON.stringify([r.config.startRate, r.config.stages.map((s) => [s.durationS, s.target])]);
  if (schedule(baseline) !== schedule(current))
    notes.push('the baseline ran a different schedule (duration or rate): throughput is not comparable');
  if (baseline.seed !== current.seed)
    notes.push(`the baseline used seed ${baseline.seed}, this run ${current.seed}: a different mix of journeys`);
  const findings: BaselineFinding[] = [...compareScope('total', current.totals, baseline.totals, tolerance)];
  for (const [group, stats] of Object.entries(current.routeGroups)) {
    const before = baseline.routeGroups[group];
    if (before && before.requests > 0 && stats.requests > 0)
      findings.push(...compareScope(group, stats, before, tolerance));
  }
  return {
    ...(file ? { file } : {}),
    baselineRunId: baseline.runId,
    tolerance,
    findings,
    pass: findings.every((f) => !f.regression),
    notes,
  };
}

/**
 * Parses `--tolerance`: one fraction for both (`0.1`), or per metric (`p95=0.2,throughput=0.05`).
 * Percentages are accepted with a `%` sign.
 */
export function parseTolerance(text: string): Tolerance {
  const fraction = (value: string): number => {
    const trimmed = value.trim();
    const n = trimmed.endsWith('%') ? Number(trimmed.slice(0, -1)) / 100 : Number(trimmed);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`tolerance must be a non-negative fraction or percentage, got "${value}"`);
    return n;
  };
  if (!text.includes('=')) {
    const n = fraction(text);
    return { p95: n, throughput: n };
  }
  const tolerance = { ...DEFAULT_TOLERANCE };
  for (const part of text.split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if ((key !== 'p95' && key !== 'throughput') || value === undefined)
      throw new Error(`tolerance takes p95=<fraction> and throughput=<fraction>, got "${part}"`);
    tolerance[key] = fraction(value);
  }
  return tolerance;
}
