/**
 * SLO signals from the catalog's objectives: the share of bad events and the burn rate over
 * a window, as CloudWatch metric math and as PromQL. The SLO dashboard, the burn-rate
 * alarms and the Prometheus rules all use these, so the three agree on what "bad" means:
 * - availability: a request of the route group answered with a 5xx;
 * - latency: a request of the route group served in more than `thresholdMs` (counted from
 *   the histogram: CloudWatch's percentile rank `PR(:threshold)`, Prometheus's `le` bucket,
 *   both exact because every threshold is a bucket boundary of the catalog).
 */
import { errorBudget, Metrics, type SloDefinition } from '../service/catalog/index.ts';
import type { MetricFactory, PromFactory } from './metric-factory.ts';
import type { Query } from './model.ts';

/** Labels of the SLO queries (the budget as a plain decimal: 1 - 0.999 is not 0.001 in floats). */
export function budgetOf(slo: SloDefinition): number {
  return Number(errorBudget(slo).toPrecision(6));
}

/** `5m`, `1h`, `3d`: a Prometheus duration for a window in seconds. */
export function promDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** A regex matcher for a bucket boundary: Prometheus 3 writes `le="300.0"` where 2.x kept `300`. */
export function leMatcher(boundary: number): string {
  return `le=~"${String(boundary).replace('.', '\\\\.')}(\\\\.0+)?"`;
}

export interface SloQueries {
  /** Every query needed; the last one (`id`) is the result. */
  readonly queries: readonly Query[];
  readonly id: string;
}

/**
 * The share of bad events of `slo` over `periodSeconds` (0..1), as CloudWatch queries whose
 * last expression (`id`) is the ratio, or the burn rate when `burn` is set.
 *
 * Metric budget: 2 metrics, well under an alarm's 10.
 */
export function sloRatioQueries(
  factory: MetricFactory,
  slo: SloDefinition,
  { id, periodSeconds, burn = false, label }: { id: string; periodSeconds: number; burn?: boolean; label?: string },
): SloQueries {
  const divisor = burn ? ` / ${budgetOf(slo)}` : '';
  const common = { period: periodSeconds, visible: false } as const;
  if (slo.kind === 'availability') {
    const total = factory.metric(Metrics.HttpRequestDuration, {
      ...common,
      id: `${id}_total`,
      stat: 'SampleCount',
      dimensions: { RouteGroup: slo.routeGroup },
    });
    const bad = factory.metric(Metrics.HttpRequestDuration, {
      ...common,
      id: `${id}_bad`,
      stat: 'SampleCount',
      dimensions: { RouteGroup: slo.routeGroup, StatusClass: '5xx' },
    });
    // No 5xx datapoint means no 5xx: FILL makes the ratio 0 rather than missing.
    const ratio = factory.expression(id, `FILL(${bad.id}, 0) / ${total.id}${divisor}`, label ? { label } : {});
    return { queries: [total, bad, ratio], id };
  }
  if (slo.thresholdMs === undefined) throw new Error(`latency SLO ${slo.id} has no thresholdMs`);
  const good = factory.metric(Metrics.HttpRequestDuration, {
    ...common,
    id: `${id}_good`,
    stat: `PR(:${slo.thresholdMs})`,
    dimensions: { RouteGroup: slo.routeGroup },
  });
  const ratio = factory.expression(id, `(100 - ${good.id}) / 100${divisor}`, label ? { label } : {});
  return { queries: [good, ratio], id };
}

/** The same ratio in PromQL over a window such as `5m` (0 when nothing bad happened). */
export function sloRatioPromql(prom: PromFactory, slo: SloDefinition, window: string): string {
  const def = Metrics.HttpRequestDuration;
  const group = { RouteGroup: slo.routeGroup } as const;
  const total = `sum(rate(${prom.series(def, 'count')}${prom.matchers(def, group)}[${window}]))`;
  if (slo.kind === 'availability') {
    const bad = `sum(rate(${prom.series(def, 'count')}${prom.matchers(def, { ...group, StatusClass: '5xx' })}[${window}]))`;
    return `(${bad} or vector(0)) / ${total}`;
  }
  if (slo.thresholdMs === undefined) throw new Error(`latency SLO ${slo.id} has no thresholdMs`);
  const matchers = prom.matchers(def, group).slice(0, -1) + `,${leMatcher(slo.thresholdMs)}}`;
  const good = `sum(rate(${prom.series(def, 'bucket')}${matchers}[${window}]))`;
  return `1 - (${good} / ${total})`;
}
