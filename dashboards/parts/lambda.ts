/**
 * Lambda and process health: invocations, errors, throttles, duration, concurrency and
 * cold starts (AWS/Lambda plus the service's own cold-start counter), the product cache,
 * event-loop delay and in-flight requests; alarms on Lambda errors and throttles.
 */
import { Metrics } from '../../service/catalog/index.ts';
import { metricAlarms, type SeverityThresholds } from '../alarm-builders.ts';
import { ComparisonOperators, TreatMissingData, type AlarmDefinition } from '../alarm-model.ts';
import { AwsMetrics, type AwsMetricDefinition } from '../aws-metrics.ts';
import { DisplayUnits, type GraphWidget, type MetricQuery } from '../model.ts';
import { counterSignal, signal, type PartContext, type PartOutput } from './context.ts';
import { ERROR_RATE_PERCENT, errorRateAlarms, MIN_CALLS_PER_MINUTE } from './error-rate.ts';

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
  errorRatePercent: ERROR_RATE_PERCENT,
  minInvocationsPerMinute: MIN_CALLS_PER_MINUTE,
  throttles: {
    page: { threshold: 20, evaluationPeriods: 3, datapointsToAlarm: 3 },
    ticket: { threshold: 1, evaluationPeriods: 5, datapointsToAlarm: 3 },
  },
} as const satisfies Required<LambdaThresholds>;

export function lambdaMonitoring(context: PartContext, thresholds: LambdaThresholds = {}): PartOutput {
  return {
    rows: [
      { title: 'Lambda', widgets: [invocations(context), duration(context), concurrency(context)] },
      { title: 'Process', widgets: [cacheHitRatio(context), eventLoop(context)] },
    ],
    alarms: lambdaAlarms(context, { ...DEFAULT_THRESHOLDS, ...thresholds }),
  };
}

/** An AWS/Lambda metric of the function, per 5 minutes unless told. */
function lambdaMetric(
  { options, factory }: PartContext,
  def: AwsMetricDefinition,
  spec: { id: string; stat: 'Sum' | 'Maximum' | 'p50' | 'p99'; label?: string; period?: number; visible?: boolean },
): MetricQuery {
  const { period = PERIOD, ...rest } = spec;
  return factory.aws(def, { ...rest, period, dimensions: { FunctionName: options.functionName } });
}

/** A signal of one AWS/Lambda metric, labelled as its query. */
function lambdaSignal(
  context: PartContext,
  def: AwsMetricDefinition,
  id: string,
  stat: 'Sum' | 'Maximum' | 'p50' | 'p99',
  label: string,
) {
  return signal(label, [lambdaMetric(context, def, { id, stat, label })]);
}

function invocations(context: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'Lambda invocations, errors and throttles (per 5 min)',
    unit: DisplayUnits.Count,
    signals: [
      lambdaSignal(context, AwsMetrics.LambdaInvocations, 'invocations', 'Sum', 'Invocations'),
      lambdaSignal(context, AwsMetrics.LambdaErrors, 'errors', 'Sum', 'Errors'),
      lambdaSignal(context, AwsMetrics.LambdaThrottles, 'throttles', 'Sum', 'Throttles'),
    ],
  };
}

function duration(context: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'Lambda duration (ms)',
    unit: DisplayUnits.Milliseconds,
    signals: [
      lambdaSignal(context, AwsMetrics.LambdaDuration, 'dur_p50', 'p50', 'p50'),
      lambdaSignal(context, AwsMetrics.LambdaDuration, 'dur_p99', 'p99', 'p99'),
      lambdaSignal(context, AwsMetrics.LambdaDuration, 'dur_max', 'Maximum', 'Maximum'),
    ],
  };
}

function concurrency(context: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'Concurrency and cold starts',
    unit: DisplayUnits.Count,
    signals: [
      lambdaSignal(
        context,
        AwsMetrics.LambdaConcurrentExecutions,
        'concurrency',
        'Maximum',
        'Concurrent executions (max)',
      ),
      counterSignal(context.factory, Metrics.ColdStarts, {
        id: 'cold_starts',
        label: 'Cold starts',
        period: PERIOD,
        window: '5m',
      }),
    ],
  };
}

/**
 * Every cache the service names: the searches sum over the `Cache` dimension's values. A
 * period with hits and no misses has no misses at all (the service reports a counter only
 * in the intervals it counted in), hence the FILLs.
 */
function cacheHitRatio({ factory }: PartContext): GraphWidget {
  const { prom } = factory;
  const total = (def: typeof Metrics.CacheHits | typeof Metrics.CacheMisses, id: string) =>
    factory.search(def, {
      id,
      stat: 'Sum',
      period: PERIOD,
      dimensionNames: ['Cache'],
      aggregate: 'SUM',
      visible: false,
    });
  const hits = total(Metrics.CacheHits, 'hits');
  const misses = total(Metrics.CacheMisses, 'misses');
  return {
    type: 'graph',
    title: 'Cache hit ratio (%)',
    unit: DisplayUnits.Percent,
    yMin: 0,
    yMax: 100,
    signals: [
      signal(
        'Hit ratio',
        [
          hits,
          misses,
          factory.expression('hit_ratio', '100 * FILL(hits, 0) / (FILL(hits, 0) + FILL(misses, 0))', {
            label: 'Hit ratio',
          }),
        ],
        `100 * ${prom.counterRate(Metrics.CacheHits, { by: ['Cache'] })} / (${prom.counterRate(Metrics.CacheHits, { by: ['Cache'] })} + ${prom.counterRate(Metrics.CacheMisses, { by: ['Cache'] })})`,
        '{{coffee_cache_name}}',
      ),
    ],
  };
}

function eventLoop({ factory }: PartContext): GraphWidget {
  return {
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
        factory.prom.gauge(Metrics.EventLoopDelay, 'max'),
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
        factory.prom.gauge(Metrics.InFlightRequests, 'sum'),
      ),
    ],
  };
}

/** Function errors in percent of invocations, and throttled invocations, per minute. */
function lambdaAlarms(context: PartContext, t: Required<LambdaThresholds>): AlarmDefinition[] {
  const { options } = context;
  const perMinute = { period: 60, visible: false } as const;
  return [
    ...errorRateAlarms(
      context,
      {
        id: 'lambda-error-rate',
        description: `Function errors of ${options.functionName} (uncaught exceptions, timeouts, crashes) in percent of invocations, per minute.`,
        calls: lambdaMetric(context, AwsMetrics.LambdaInvocations, { id: 'invocations', stat: 'Sum', ...perMinute }),
        errors: lambdaMetric(context, AwsMetrics.LambdaErrors, { id: 'errors', stat: 'Sum', ...perMinute }),
        minCallsPerMinute: t.minInvocationsPerMinute,
        label: 'Error %',
        treatMissingDataReason: 'A minute without invocations has no failed invocation.',
      },
      t.errorRatePercent,
    ),
    ...metricAlarms(
      {
        prefix: options.prefix,
        id: 'lambda-throttles',
        description: `Throttled invocations of ${options.functionName} per minute: requests refused for lack of concurrency (API Gateway answers 429/503).`,
        metric: lambdaMetric(context, AwsMetrics.LambdaThrottles, { id: 'throttles', stat: 'Sum', period: 60 }),
        comparison: ComparisonOperators.GreaterThanOrEqualToThreshold,
        treatMissingData: TreatMissingData.NotBreaching,
        treatMissingDataReason:
          'Lambda publishes no Throttles datapoint for a minute without invocation attempts: nothing was throttled.',
      },
      t.throttles,
    ),
  ];
}
