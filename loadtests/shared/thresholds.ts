/**
 * Load-test thresholds, derived from the catalog's SLOs so nothing is typed twice: a
 * latency SLO (objective 0.99, 300 ms) becomes "p(99) <= 300 ms" for its route group, an
 * availability SLO (0.999) becomes "error rate <= 0.001". One more threshold, on the share
 * of passing checks, keeps journeys honest. The same definitions become k6 `thresholds`
 * and are evaluated by the Node engine. Pure: no Node or k6 APIs.
 */
import { SLOS, SloKinds, type SloDefinition } from '../../service/catalog/index.ts';
import { ThresholdMetrics, type ThresholdMetric, type ThresholdResult } from './result.ts';

export interface ThresholdDefinition {
  id: string;
  description: string;
  source: string;
  metric: ThresholdMetric;
  routeGroup?: string;
  /** For latency: which percentile (99 for p(99)). */
  percentile?: number;
  /** Latency and error rate must stay at or below the limit; the check rate at or above. */
  comparator: '<=' | '>=';
  limit: number;
}

/** Share of checks that must pass. */
export const DEFAULT_CHECK_RATE = 0.99;
export const CHECK_RATE_ID = 'checks';

/** Rounds away float noise such as 0.99 * 100 = 98.99999999999999. */
function tidy(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

function fromSlo(slo: SloDefinition): ThresholdDefinition {
  if (slo.kind === SloKinds.Latency) {
    const percentile = tidy(slo.objective * 100);
    return {
      id: slo.id,
      description: slo.description,
      source: `slo:${slo.id}`,
      metric: ThresholdMetrics.Latency,
      routeGroup: slo.routeGroup,
      percentile,
      comparator: '<=',
      limit: slo.thresholdMs ?? 0,
    };
  }
  return {
    id: slo.id,
    description: slo.description,
    source: `slo:${slo.id}`,
    metric: ThresholdMetrics.ErrorRate,
    routeGroup: slo.routeGroup,
    comparator: '<=',
    limit: tidy(1 - slo.objective),
  };
}

/**
 * The thresholds of a run. `overrides` replaces limits by threshold id (for instance a
 * stricter latency in CI, or an impossible one to prove the verdict fails); an unknown id
 * is an error so a typo cannot silently disable a check.
 */
export function thresholdsFromSlos(
  options: { slos?: readonly SloDefinition[]; checkRate?: number; overrides?: Readonly<Record<string, number>> } = {},
): ThresholdDefinition[] {
  const { slos = SLOS, checkRate = DEFAULT_CHECK_RATE, overrides = {} } = options;
  const definitions = slos.map(fromSlo);
  definitions.push({
    id: CHECK_RATE_ID,
    description: `At least ${checkRate * 100}% of the journeys' checks pass`,
    source: 'load-test',
    metric: ThresholdMetrics.CheckRate,
    comparator: '>=',
    limit: checkRate,
  });
  for (const [id, limit] of Object.entries(overrides)) {
    const definition = definitions.find((d) => d.id === id);
    if (!definition) throw new Error(`unknown threshold "${id}" (known: ${definitions.map((d) => d.id).join(', ')})`);
    definition.limit = limit;
  }
  return definitions;
}

/** The k6 form: metric name with tag filter, and the expression. */
export function k6Threshold(definition: ThresholdDefinition): { metric: string; expression: string } {
  const tag = definition.routeGroup ? `{route_group:${definition.routeGroup}}` : '';
  switch (definition.metric) {
    case ThresholdMetrics.Latency:
      return {
        metric: `http_req_duration${tag}`,
        expression: `p(${definition.percentile ?? 99})${definition.comparator}${definition.limit}`,
      };
    case ThresholdMetrics.ErrorRate:
      return { metric: `http_req_failed${tag}`, expression: `rate${definition.comparator}${definition.limit}` };
    case ThresholdMetrics.CheckRate:
      return { metric: 'checks', expression: `rate${definition.comparator}${definition.limit}` };
  }
}

/** The human form, e.g. `p(99) <= 300 ms`. */
export function thresholdExpression(definition: ThresholdDefinition): string {
  switch (definition.metric) {
    case ThresholdMetrics.Latency:
      return `p(${definition.percentile ?? 99}) ${definition.comparator} ${definition.limit} ms`;
    case ThresholdMetrics.ErrorRate:
      return `error rate ${definition.comparator} ${definition.limit}`;
    case ThresholdMetrics.CheckRate:
      return `check pass rate ${definition.comparator} ${definition.limit}`;
  }
}

/** What an engine measured, asked for by each threshold. `null`: nothing measured. */
export interface Observations {
  latencyPercentile(routeGroup: string, percentile: number): number | null;
  errorRate(routeGroup: string): number | null;
  checkRate(): number | null;
}

/** The value a threshold looks at. */
export function observe(definition: ThresholdDefinition, observations: Observations): number | null {
  switch (definition.metric) {
    case ThresholdMetrics.Latency:
      return observations.latencyPercentile(definition.routeGroup ?? '', definition.percentile ?? 99);
    case ThresholdMetrics.ErrorRate:
      return observations.errorRate(definition.routeGroup ?? '');
    case ThresholdMetrics.CheckRate:
      return observations.checkRate();
  }
}

/**
 * Evaluates thresholds. A threshold with nothing to look at (no request in its group)
 * passes, as in k6: the run did not exercise that objective.
 */
export function evaluateThresholds(
  definitions: readonly ThresholdDefinition[],
  observations: Observations,
): ThresholdResult[] {
  return definitions.map((definition) => {
    const observed = observe(definition, observations);
    const pass =
      observed === null ||
      (definition.comparator === '<=' ? observed <= definition.limit : observed >= definition.limit);
    return toResult(definition, observed, pass);
  });
}

export function toResult(definition: ThresholdDefinition, observed: number | null, pass: boolean): ThresholdResult {
  return {
    id: definition.id,
    description: definition.description,
    source: definition.source,
    metric: definition.metric,
    ...(definition.routeGroup ? { routeGroup: definition.routeGroup } : {}),
    expression: thresholdExpression(definition),
    k6: k6Threshold(definition),
    limit: definition.limit,
    observed,
    pass,
  };
}
