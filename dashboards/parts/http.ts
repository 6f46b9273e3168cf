/**
 * HTTP monitoring: request rate, latency percentiles, 4xx/5xx rates and availability per
 * route group, the slowest routes and errors by code; alarms on the 5xx rate (metric math)
 * and on p99 latency per latency SLO.
 */
import { Metrics, RouteGroups, SLOS, type RouteGroup, type SloDefinition } from '../../service/catalog/index.ts';
import { metricAlarms, type SeverityThresholds } from '../alarm-builders.ts';
import { ComparisonOperators, TreatMissingData, type AlarmDefinition } from '../alarm-model.ts';
import { DisplayUnits, type GraphWidget, type MetricQuery } from '../model.ts';
import { idPart, percentileSignals, signal, type PartContext, type PartOutput } from './context.ts';
import { ERROR_RATE_PERCENT, errorRateAlarms, MIN_CALLS_PER_MINUTE } from './error-rate.ts';

const PERIOD = 300;
const DURATION = Metrics.HttpRequestDuration;
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
  errorRatePercent: ERROR_RATE_PERCENT,
  minRequestsPerMinute: MIN_CALLS_PER_MINUTE,
  latencyP99Factor: {
    page: { threshold: 3, evaluationPeriods: 5, datapointsToAlarm: 5 },
    ticket: { threshold: 1, evaluationPeriods: 15, datapointsToAlarm: 12 },
  },
} as const satisfies Required<HttpThresholds>;

export function httpMonitoring(context: PartContext, thresholds: HttpThresholds = {}): PartOutput {
  return {
    rows: [
      {
        title: 'Requests',
        widgets: [requestRate(context), availability(context), classRate(context, '5xx'), classRate(context, '4xx')],
      },
      { title: 'Latency per route group', widgets: ROUTE_GROUPS.map((group) => latency(context, group)) },
      { title: 'Routes and errors', widgets: [slowestRoutes(context), errorsByCode(context)] },
    ],
    alarms: httpAlarms(context, { ...DEFAULT_THRESHOLDS, ...thresholds }),
  };
}

/** Requests of a route group (of a status class) per period: a hidden query for metric math. */
function count(
  { factory }: PartContext,
  group: RouteGroup,
  id: string,
  statusClass?: string,
  period = PERIOD,
): MetricQuery {
  return factory.metric(DURATION, {
    id,
    stat: 'SampleCount',
    period,
    visible: false,
    dimensions: statusClass ? { RouteGroup: group, StatusClass: statusClass } : { RouteGroup: group },
  });
}

function requestRate(context: PartContext): GraphWidget {
  const { factory } = context;
  return {
    type: 'graph',
    title: 'Requests per second by route group',
    unit: DisplayUnits.PerSecond,
    stacked: true,
    signals: ROUTE_GROUPS.map((group) => {
      const id = idPart(group);
      return signal(
        group,
        [
          count(context, group, `${id}_n`),
          factory.expression(`${id}_rps`, `${id}_n / PERIOD(${id}_n)`, { label: group }),
        ],
        factory.prom.countRate(DURATION, { labels: { RouteGroup: group } }),
        group,
      );
    }),
  };
}

function classRate(context: PartContext, statusClass: '4xx' | '5xx'): GraphWidget {
  const { factory } = context;
  const { prom } = factory;
  return {
    type: 'graph',
    title: `${statusClass} rate by route group (%)`,
    unit: DisplayUnits.Percent,
    yMin: 0,
    signals: ROUTE_GROUPS.map((group) => {
      const id = idPart(group);
      return signal(
        group,
        [
          count(context, group, `${id}_all`),
          count(context, group, `${id}_err`, statusClass),
          factory.expression(`${id}_rate`, `100 * FILL(${id}_err, 0) / ${id}_all`, { label: group }),
        ],
        `100 * (${prom.countRate(DURATION, { labels: { RouteGroup: group, StatusClass: statusClass } })} or vector(0)) / ${prom.countRate(DURATION, { labels: { RouteGroup: group } })}`,
        group,
      );
    }),
  };
}

function availability(context: PartContext): GraphWidget {
  const { factory } = context;
  const { prom } = factory;
  return {
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
          count(context, group, `${id}_all`),
          count(context, group, `${id}_5xx`, '5xx'),
          factory.expression(`${id}_avail`, `100 - 100 * FILL(${id}_5xx, 0) / ${id}_all`, { label: group }),
        ],
        `100 - 100 * (${prom.histogramIncrease(DURATION, 'count', { window: '$__range', labels: { RouteGroup: group, StatusClass: '5xx' } })} or vector(0)) / ${prom.histogramIncrease(DURATION, 'count', { window: '$__range', labels: { RouteGroup: group } })}`,
        group,
      );
    }),
  };
}

/** p50/p90/p99 of one route group, with its latency SLO's threshold drawn when it has one. */
function latency({ factory }: PartContext, group: RouteGroup): GraphWidget {
  const slo = (SLOS as readonly SloDefinition[]).find((s) => s.routeGroup === group && s.kind === 'latency');
  return {
    type: 'graph',
    title: `Latency ${group} (ms)`,
    unit: DisplayUnits.Milliseconds,
    width: 8,
    signals: percentileSignals(factory, DURATION, ['p50', 'p90', 'p99'], {
      idPrefix: idPart(group),
      period: PERIOD,
      dimensions: { RouteGroup: group },
    }),
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
}

function slowestRoutes({ factory }: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'p99 latency by route, method and status class (ms)',
    unit: DisplayUnits.Milliseconds,
    signals: [
      signal(
        'p99 by route',
        [
          factory.search(DURATION, {
            id: 'by_route',
            stat: 'p99',
            period: PERIOD,
            dimensionNames: ['Route', 'Method', 'StatusClass'],
          }),
        ],
        factory.prom.quantile(DURATION, 0.99, { by: ['Route', 'Method', 'StatusClass'] }),
        '{{http_request_method}} {{http_route}} {{coffee_status_class}}',
      ),
    ],
  };
}

function errorsByCode({ factory }: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'Error responses by code (per 5 min)',
    unit: DisplayUnits.Count,
    stacked: true,
    signals: [
      signal(
        'errors by code',
        [factory.search(Metrics.Errors, { id: 'by_code', stat: 'Sum', period: PERIOD, dimensionNames: ['ErrorCode'] })],
        factory.prom.counterIncrease(Metrics.Errors, { window: '5m', by: ['ErrorCode'] }),
        '{{error_type}}',
      ),
    ],
  };
}

/** The 5xx rate of every alarmed route group, then p99 latency against every latency SLO. */
function httpAlarms(context: PartContext, t: Required<HttpThresholds>): AlarmDefinition[] {
  return [
    ...ALARMED_GROUPS.flatMap((group) => serverErrorAlarms(context, group, t)),
    ...(SLOS as readonly SloDefinition[]).flatMap((slo) => latencyAlarms(context, slo, t.latencyP99Factor)),
  ];
}

function serverErrorAlarms(context: PartContext, group: RouteGroup, t: Required<HttpThresholds>): AlarmDefinition[] {
  return errorRateAlarms(
    context,
    {
      id: `http-5xx-rate-${group}`,
      description: `Share of ${group} requests answered with a 5xx, per minute (minutes with fewer than ${t.minRequestsPerMinute} requests count as 0).`,
      calls: count(context, group, 'total', undefined, 60),
      errors: count(context, group, 'errors', '5xx', 60),
      minCallsPerMinute: t.minRequestsPerMinute,
      label: `5xx % (${group})`,
      treatMissingDataReason: 'A minute without requests has no failed request.',
    },
    t.errorRatePercent,
  );
}

/** p99 per minute of the SLO's route group, thresholds as multiples of the SLO's; none for other SLO kinds. */
function latencyAlarms({ options, factory }: PartContext, slo: SloDefinition, factor: SeverityThresholds) {
  const thresholdMs = slo.thresholdMs;
  if (slo.kind !== 'latency' || thresholdMs === undefined) return [];
  const thresholdsMs = Object.fromEntries(
    Object.entries(factor).map(([severity, spec]) => [severity, { ...spec, threshold: spec.threshold * thresholdMs }]),
  ) as SeverityThresholds;
  return metricAlarms(
    {
      prefix: options.prefix,
      id: `latency-p99-${slo.routeGroup}`,
      description: `p99 latency of ${slo.routeGroup} per minute, against the SLO threshold of ${slo.thresholdMs} ms (${slo.id}).`,
      metric: factory.metric(DURATION, {
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
  );
}
