/**
 * HTTP monitoring: request rate, latency percentiles, 4xx/5xx rates and availability per
 * route group, the slowest routes and errors by code; alarms on the 5xx rate (metric math)
 * and on p99 latency per latency SLO.
 */
import { Metrics, RouteGroups, SLOS, type RouteGroup, type SloDefinition } from '../../service/catalog/index.ts';
import { mathAlarms, metricAlarms, type SeverityThresholds } from '../alarm-builders.ts';
import { ComparisonOperators, TreatMissingData, type AlarmDefinition } from '../alarm-model.ts';
import { DisplayUnits, type GraphWidget, type Query, type Widget } from '../model.ts';
import { idPart, signal, type PartContext, type PartOutput } from './context.ts';

const PERIOD = 300;
const ROUTE_GROUPS = Object.values(RouteGroups);
/** Groups whose errors are alarmed on (`ops` is health checks and unknown routes). */
const ALARMED_GROUPS = ROUTE_GROUPS.filter((g) => g !== RouteGroups.Ops);

export interface HttpThresholds {
  /** 5xx share in percent, per route group. */
  readonly errorRatePercent?: SeverityThresholds;
  /** Requests per minute below which the error rate counts as 0 (one failure in two requests is not an outage). */
  readonly minRequestsPerMinute?: number;
  /** p99 latency as a multiple of the latency SLO threshold. */
  readonly latencyP99Factor?: SeverityThresholds;
}

const DEFAULT_THRESHOLDS = {
  errorRatePercent: {
    page: { threshold: 5, evaluationPeriods: 3, datapointsToAlarm: 3 },
    ticket: { threshold: 1, evaluationPeriods: 10, datapointsToAlarm: 8 },
  },
  minRequestsPerMinute: 10,
  latencyP99Factor: {
    page: { threshold: 3, evaluationPeriods: 5, datapointsToAlarm: 5 },
    ticket: { threshold: 1, evaluationPeriods: 15, datapointsToAlarm: 12 },
  },
} as const satisfies Required<HttpThresholds>;

export function httpMonitoring({ options, factory }: PartContext, thresholds: HttpThresholds = {}): PartOutput {
  const { prom } = factory;
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const def = Metrics.HttpRequestDuration;

  const count = (group: RouteGroup, id: string, statusClass?: string, period = PERIOD): Query =>
    factory.metric(def, {
      id,
      stat: 'SampleCount',
      period,
      visible: false,
      dimensions: statusClass ? { RouteGroup: group, StatusClass: statusClass } : { RouteGroup: group },
    });

  const requestRate: GraphWidget = {
    type: 'graph',
    title: 'Requests per second by route group',
    unit: DisplayUnits.PerSecond,
    stacked: true,
    signals: ROUTE_GROUPS.map((group) => {
      const id = idPart(group);
      return signal(
        group,
        [count(group, `${id}_n`), factory.expression(`${id}_rps`, `${id}_n / PERIOD(${id}_n)`, { label: group })],
        prom.countRate(def, { labels: { RouteGroup: group } }),
        group,
      );
    }),
  };

  const classRate = (statusClass: '4xx' | '5xx'): GraphWidget => ({
    type: 'graph',
    title: `${statusClass} rate by route group (%)`,
    unit: DisplayUnits.Percent,
    yMin: 0,
    signals: ROUTE_GROUPS.map((group) => {
      const id = idPart(group);
      return signal(
        group,
        [
          count(group, `${id}_all`),
          count(group, `${id}_err`, statusClass),
          factory.expression(`${id}_rate`, `100 * FILL(${id}_err, 0) / ${id}_all`, { label: group }),
        ],
        `100 * (${prom.countRate(def, { labels: { RouteGroup: group, StatusClass: statusClass } })} or vector(0)) / ${prom.countRate(def, { labels: { RouteGroup: group } })}`,
        group,
      );
    }),
  });

  const availability: GraphWidget = {
    type: 'graph',
    title: 'Availability over the time range (% not 5xx)',
    view: 'singleValue',
    setPeriodToTimeRange: true,
    unit: DisplayUnits.Percent,
    signals: ROUTE_GROUPS.map((group) => {
      const id = idPart(group);
      return signal(
        group,
        [
          count(group, `${id}_all`),
          count(group, `${id}_5xx`, '5xx'),
          factory.expression(`${id}_avail`, `100 - 100 * FILL(${id}_5xx, 0) / ${id}_all`, { label: group }),
        ],
        `100 - 100 * (${prom.histogramIncrease(def, 'count', { window: '$__range', labels: { RouteGroup: group, StatusClass: '5xx' } })} or vector(0)) / ${prom.histogramIncrease(def, 'count', { window: '$__range', labels: { RouteGroup: group } })}`,
        group,
      );
    }),
  };

  const latencyWidgets: Widget[] = ROUTE_GROUPS.map((group) => {
    const id = idPart(group);
    const slo = (SLOS as readonly SloDefinition[]).find((s) => s.routeGroup === group && s.kind === 'latency');
    const widget: GraphWidget = {
      type: 'graph',
      title: `Latency ${group} (ms)`,
      unit: DisplayUnits.Milliseconds,
      width: 8,
      signals: (['p50', 'p90', 'p99'] as const).map((stat) =>
        signal(
          stat,
          [
            factory.metric(def, {
              id: `${id}_${stat}`,
              stat,
              period: PERIOD,
              dimensions: { RouteGroup: group },
              label: stat,
            }),
          ],
          prom.quantile(def, Number(stat.slice(1)) / 100, { labels: { RouteGroup: group } }),
          stat,
        ),
      ),
      ...(slo?.thresholdMs === undefined
        ? {}
        : {
            annotations: [
              {
                value: slo.thresholdMs,
                label: `SLO: ${slo.objective * 100}% ≤ ${slo.thresholdMs} ms`,
                color: '#d62728',
              },
            ],
          }),
    };
    return widget;
  });

  const slowestRoutes: GraphWidget = {
    type: 'graph',
    title: 'p99 latency by route, method and status class (ms)',
    unit: DisplayUnits.Milliseconds,
    signals: [
      signal(
        'p99 by route',
        [
          factory.search(def, {
            id: 'by_route',
            stat: 'p99',
            period: PERIOD,
            dimensionNames: ['Route', 'Method', 'StatusClass'],
          }),
        ],
        prom.quantile(def, 0.99, { by: ['Route', 'Method', 'StatusClass'] }),
        '{{http_request_method}} {{http_route}} {{coffee_status_class}}',
      ),
    ],
  };
  const errorsByCode: GraphWidget = {
    type: 'graph',
    title: 'Error responses by code (per 5 min)',
    unit: DisplayUnits.Count,
    stacked: true,
    signals: [
      signal(
        'errors by code',
        [factory.search(Metrics.Errors, { id: 'by_code', stat: 'Sum', period: PERIOD, dimensionNames: ['ErrorCode'] })],
        prom.counterIncrease(Metrics.Errors, { window: '5m', by: ['ErrorCode'] }),
        '{{error_type}}',
      ),
    ],
  };

  const alarms: AlarmDefinition[] = [];
  for (const group of ALARMED_GROUPS) {
    // Per minute, with a traffic floor: IF(...) makes a near-idle minute count as healthy.
    const queries = [
      count(group, 'total', undefined, 60),
      count(group, 'errors', '5xx', 60),
      factory.expression('rate', `IF(total >= ${t.minRequestsPerMinute}, 100 * FILL(errors, 0) / total, 0)`, {
        label: `5xx % (${group})`,
      }),
    ];
    alarms.push(
      ...mathAlarms(
        {
          prefix: options.prefix,
          id: `http-5xx-rate-${group}`,
          description: `Share of ${group} requests answered with a 5xx, per minute (minutes with fewer than ${t.minRequestsPerMinute} requests count as 0).`,
          queries,
          returnId: 'rate',
          period: 60,
          comparison: ComparisonOperators.GreaterThanOrEqualToThreshold,
          treatMissingData: TreatMissingData.NotBreaching,
          treatMissingDataReason: 'A minute without requests has no failed request.',
        },
        t.errorRatePercent,
      ),
    );
  }
  for (const slo of SLOS as readonly SloDefinition[]) {
    const thresholdMs = slo.thresholdMs;
    if (slo.kind !== 'latency' || thresholdMs === undefined) continue;
    const thresholdsMs = Object.fromEntries(
      Object.entries(t.latencyP99Factor).map(([severity, spec]) => [
        severity,
        { ...spec, threshold: spec.threshold * thresholdMs },
      ]),
    ) as SeverityThresholds;
    alarms.push(
      ...metricAlarms(
        {
          prefix: options.prefix,
          id: `latency-p99-${slo.routeGroup}`,
          description: `p99 latency of ${slo.routeGroup} per minute, against the SLO threshold of ${slo.thresholdMs} ms (${slo.id}).`,
          metric: factory.metric(def, {
            id: 'p99',
            stat: 'p99',
            period: 60,
            dimensions: { RouteGroup: slo.routeGroup },
          }),
          comparison: ComparisonOperators.GreaterThanThreshold,
          evaluateLowSampleCountPercentile: 'ignore',
          treatMissingData: TreatMissingData.NotBreaching,
          treatMissingDataReason:
            'A minute without requests has no slow request; low-traffic minutes keep the state (EvaluateLowSampleCountPercentile=ignore).',
        },
        thresholdsMs,
      ),
    );
  }

  return {
    rows: [
      { title: 'Requests', widgets: [requestRate, availability, classRate('5xx'), classRate('4xx')] },
      { title: 'Latency per route group', widgets: latencyWidgets },
      { title: 'Routes and errors', widgets: [slowestRoutes, errorsByCode] },
    ],
    alarms,
  };
}
