/**
 * Lambda and process health: invocations, errors, throttles, duration, concurrency and
 * cold starts (AWS/Lambda plus the service's own cold-start counter), the product cache,
 * event-loop delay and in-flight requests; alarms on Lambda errors and throttles.
 */
import { Metrics } from '../../service/catalog/index.ts';
import { mathAlarms, metricAlarms, type SeverityThresholds } from '../alarm-builders.ts';
import { ComparisonOperators, TreatMissingData } from '../alarm-model.ts';
import { AwsMetrics } from '../aws-metrics.ts';
import { DisplayUnits, type GraphWidget } from '../model.ts';
import { signal, type PartContext, type PartOutput } from './context.ts';

const PERIOD = 300;

export interface LambdaThresholds {
  /** Function errors in percent of invocations, per minute. */
  readonly errorRatePercent?: SeverityThresholds;
  /** Invocations below which the error rate counts as 0. */
  readonly minInvocationsPerMinute?: number;
  /** Throttled invocations per minute. */
  readonly throttles?: SeverityThresholds;
}

const DEFAULT_THRESHOLDS = {
  errorRatePercent: {
    page: { threshold: 5, evaluationPeriods: 3, datapointsToAlarm: 3 },
    ticket: { threshold: 1, evaluationPeriods: 10, datapointsToAlarm: 8 },
  },
  minInvocationsPerMinute: 10,
  throttles: {
    page: { threshold: 20, evaluationPeriods: 3, datapointsToAlarm: 3 },
    ticket: { threshold: 1, evaluationPeriods: 5, datapointsToAlarm: 3 },
  },
} as const satisfies Required<LambdaThresholds>;

export function lambdaMonitoring({ options, factory }: PartContext, thresholds: LambdaThresholds = {}): PartOutput {
  const { prom } = factory;
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const fn = { FunctionName: options.functionName };
  const aws = (
    def: (typeof AwsMetrics)[keyof typeof AwsMetrics],
    id: string,
    stat: 'Sum' | 'Maximum' | 'p50' | 'p99',
    label: string,
    period = PERIOD,
  ) => factory.aws(def, { id, stat, period, dimensions: fn, label });

  const invocations: GraphWidget = {
    type: 'graph',
    title: 'Lambda invocations, errors and throttles (per 5 min)',
    unit: DisplayUnits.Count,
    signals: [
      signal('Invocations', [aws(AwsMetrics.LambdaInvocations, 'invocations', 'Sum', 'Invocations')]),
      signal('Errors', [aws(AwsMetrics.LambdaErrors, 'errors', 'Sum', 'Errors')]),
      signal('Throttles', [aws(AwsMetrics.LambdaThrottles, 'throttles', 'Sum', 'Throttles')]),
    ],
  };
  const duration: GraphWidget = {
    type: 'graph',
    title: 'Lambda duration (ms)',
    unit: DisplayUnits.Milliseconds,
    signals: [
      signal('p50', [aws(AwsMetrics.LambdaDuration, 'dur_p50', 'p50', 'p50')]),
      signal('p99', [aws(AwsMetrics.LambdaDuration, 'dur_p99', 'p99', 'p99')]),
      signal('Maximum', [aws(AwsMetrics.LambdaDuration, 'dur_max', 'Maximum', 'Maximum')]),
    ],
  };
  const concurrency: GraphWidget = {
    type: 'graph',
    title: 'Concurrency and cold starts',
    unit: DisplayUnits.Count,
    signals: [
      signal('Concurrent executions (max)', [
        aws(AwsMetrics.LambdaConcurrentExecutions, 'concurrency', 'Maximum', 'Concurrent executions (max)'),
      ]),
      signal(
        'Cold starts',
        [factory.metric(Metrics.ColdStarts, { id: 'cold_starts', stat: 'Sum', period: PERIOD, label: 'Cold starts' })],
        prom.counterIncrease(Metrics.ColdStarts, { window: '5m' }),
      ),
    ],
  };

  // Every cache the service names: the searches sum over the `Cache` dimension's values.
  const hits = factory.search(Metrics.CacheHits, {
    id: 'hits',
    stat: 'Sum',
    period: PERIOD,
    dimensionNames: ['Cache'],
    aggregate: 'SUM',
    visible: false,
  });
  const misses = factory.search(Metrics.CacheMisses, {
    id: 'misses',
    stat: 'Sum',
    period: PERIOD,
    dimensionNames: ['Cache'],
    aggregate: 'SUM',
    visible: false,
  });
  const cache: GraphWidget = {
    type: 'graph',
    title: 'Cache hit ratio (%)',
    unit: DisplayUnits.Percent,
    yMin: 0,
    yMax: 100,
    signals: [
      signal(
        'Hit ratio',
        [hits, misses, factory.expression('hit_ratio', '100 * hits / (hits + misses)', { label: 'Hit ratio' })],
        `100 * ${prom.counterRate(Metrics.CacheHits, { by: ['Cache'] })} / (${prom.counterRate(Metrics.CacheHits, { by: ['Cache'] })} + ${prom.counterRate(Metrics.CacheMisses, { by: ['Cache'] })})`,
        '{{coffee_cache_name}}',
      ),
    ],
  };
  const eventLoop: GraphWidget = {
    type: 'graph',
    title: 'Event-loop delay p99 (ms) and in-flight requests',
    unit: DisplayUnits.Milliseconds,
    signals: [
      signal(
        'Event-loop delay p99',
        [
          factory.metric(Metrics.EventLoopDelay, {
            id: 'elu',
            stat: 'Maximum',
            period: PERIOD,
            label: 'Event-loop delay p99 (ms)',
          }),
        ],
        prom.gauge(Metrics.EventLoopDelay, 'max'),
      ),
      signal(
        'In-flight requests',
        [
          factory.metric(Metrics.InFlightRequests, {
            id: 'inflight',
            stat: 'Maximum',
            period: PERIOD,
            label: 'In-flight requests (max)',
          }),
        ],
        prom.gauge(Metrics.InFlightRequests, 'sum'),
      ),
    ],
  };

  const alarms = [
    ...mathAlarms(
      {
        prefix: options.prefix,
        id: 'lambda-error-rate',
        description: `Function errors of ${options.functionName} (uncaught exceptions, timeouts, crashes) in percent of invocations, per minute.`,
        queries: [
          factory.aws(AwsMetrics.LambdaInvocations, {
            id: 'invocations',
            stat: 'Sum',
            period: 60,
            dimensions: fn,
            visible: false,
          }),
          factory.aws(AwsMetrics.LambdaErrors, {
            id: 'errors',
            stat: 'Sum',
            period: 60,
            dimensions: fn,
            visible: false,
          }),
          factory.expression(
            'rate',
            `IF(invocations >= ${t.minInvocationsPerMinute}, 100 * FILL(errors, 0) / invocations, 0)`,
            {
              label: 'Error %',
            },
          ),
        ],
        returnId: 'rate',
        period: 60,
        comparison: ComparisonOperators.GreaterThanOrEqualToThreshold,
        treatMissingData: TreatMissingData.NotBreaching,
        treatMissingDataReason: 'A minute without invocations has no failed invocation.',
      },
      t.errorRatePercent,
    ),
    ...metricAlarms(
      {
        prefix: options.prefix,
        id: 'lambda-throttles',
        description: `Throttled invocations of ${options.functionName} per minute: requests refused for lack of concurrency (API Gateway answers 429/503).`,
        metric: factory.aws(AwsMetrics.LambdaThrottles, { id: 'throttles', stat: 'Sum', period: 60, dimensions: fn }),
        comparison: ComparisonOperators.GreaterThanOrEqualToThreshold,
        treatMissingData: TreatMissingData.NotBreaching,
        treatMissingDataReason:
          'Lambda publishes no Throttles datapoint for a minute without invocation attempts: nothing was throttled.',
      },
      t.throttles,
    ),
  ];

  return {
    rows: [
      { title: 'Lambda', widgets: [invocations, duration, concurrency] },
      { title: 'Process', widgets: [cache, eventLoop] },
    ],
    alarms,
  };
}
