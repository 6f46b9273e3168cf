/**
 * Business monitoring: orders, revenue, registrations, the status funnel, preparation time,
 * and the order-rate anomaly alarm.
 */
import { Metrics } from '../../service/catalog/index.ts';
import { OrderStatuses } from '../../service/catalog/index.ts';
import {
  AnomalyComparisonOperators,
  Severities,
  TreatMissingData,
  type AnomalyAlarmDefinition,
} from '../alarm-model.ts';
import { DisplayUnits, type GraphWidget, type Query } from '../model.ts';
import { counterSignal, percentileSignals, signal, type PartContext, type PartOutput } from './context.ts';

const HOUR = 3600;

/** The statuses an order reaches after PLACED, in funnel order. */
const FUNNEL = [OrderStatuses.Preparing, OrderStatuses.Ready, OrderStatuses.PickedUp, OrderStatuses.Cancelled] as const;

export interface BusinessThresholds {
  /** Width of the anomaly band, in standard deviations. Default 2. */
  readonly orderRateBandWidth?: number;
}

export function businessMonitoring(context: PartContext, thresholds: BusinessThresholds = {}): PartOutput {
  const { orderRateBandWidth = 2 } = thresholds;
  return {
    rows: [
      {
        title: 'Orders and revenue',
        widgets: [orders(context), revenue(context), averageValue(context), registrations(context)],
      },
      { title: 'Fulfilment', widgets: [funnel(context), preparation(context)] },
      { title: 'Order rate anomaly', widgets: [orderRateWidget(context, orderRateBandWidth)] },
    ],
    alarms: [orderRateDrop(context, orderRateBandWidth)],
  };
}

function orders({ factory }: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'Orders per hour',
    unit: DisplayUnits.Count,
    signals: [
      counterSignal(factory, Metrics.OrdersPlaced, {
        id: 'orders',
        label: 'Orders placed',
        period: HOUR,
        window: '1h',
      }),
    ],
  };
}

function revenue({ factory }: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'Revenue per hour (EUR)',
    unit: DisplayUnits.Euro,
    signals: [
      signal(
        'Revenue',
        [
          factory.metric(Metrics.OrderValue, { id: 'cents', stat: 'Sum', period: HOUR, visible: false }),
          factory.expression('revenue', 'cents / 100', { label: 'Revenue (EUR)' }),
        ],
        `${factory.prom.histogramIncrease(Metrics.OrderValue, 'sum', { window: '1h' })} / 100`,
      ),
    ],
  };
}

function averageValue({ factory }: PartContext): GraphWidget {
  const { prom } = factory;
  return {
    type: 'graph',
    title: 'Average order value (EUR)',
    unit: DisplayUnits.Euro,
    signals: [
      signal(
        'Average order value',
        [
          factory.metric(Metrics.OrderValue, { id: 'avg_cents', stat: 'Average', period: HOUR, visible: false }),
          factory.expression('aov', 'avg_cents / 100', { label: 'Average order value (EUR)' }),
        ],
        `${prom.histogramIncrease(Metrics.OrderValue, 'sum', { window: '1h' })} / ${prom.histogramIncrease(Metrics.OrderValue, 'count', { window: '1h' })} / 100`,
      ),
    ],
  };
}

function registrations({ factory }: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'Registrations per hour',
    unit: DisplayUnits.Count,
    signals: [
      counterSignal(factory, Metrics.Registrations, {
        id: 'registrations',
        label: 'Registrations',
        period: HOUR,
        window: '1h',
      }),
    ],
  };
}

/** Orders placed, then how many reached each later status, over the dashboard's time range. */
function funnel({ factory }: PartContext): GraphWidget {
  const overRange = { period: HOUR, window: '$__range' };
  return {
    type: 'graph',
    title: 'Status funnel (time range)',
    view: 'bar',
    setPeriodToTimeRange: true,
    unit: DisplayUnits.Count,
    signals: [
      counterSignal(factory, Metrics.OrdersPlaced, {
        id: 'placed',
        label: OrderStatuses.Placed,
        legend: OrderStatuses.Placed,
        ...overRange,
      }),
      ...FUNNEL.map((status) =>
        counterSignal(factory, Metrics.OrderStatusTransitions, {
          id: `to_${status.toLowerCase()}`,
          label: status,
          legend: status,
          dimensions: { ToStatus: status },
          ...overRange,
        }),
      ),
    ],
  };
}

function preparation({ factory }: PartContext): GraphWidget {
  return {
    type: 'graph',
    title: 'Preparation time, PLACED to READY (ms)',
    unit: DisplayUnits.Milliseconds,
    signals: percentileSignals(factory, Metrics.OrderPreparationTime, ['p50', 'p90'], {
      idPrefix: 'prep',
      period: HOUR,
      window: '1h',
    }),
  };
}

/**
 * Orders per 5 minutes, as the anomaly alarm watches them: FILL turns a quiet period into 0
 * so the band is learnt from (and compared with) real zeros rather than gaps.
 */
function orderRateQueries({ factory }: PartContext): Query[] {
  return [
    factory.metric(Metrics.OrdersPlaced, { id: 'orders_raw', stat: 'Sum', period: 300, visible: false }),
    factory.expression('orders5m', 'FILL(orders_raw, 0)', { label: 'Orders per 5 min' }),
  ];
}

function orderRateWidget(context: PartContext, bandWidth: number): GraphWidget {
  const { factory } = context;
  const band = factory.expression('band', `ANOMALY_DETECTION_BAND(orders5m, ${bandWidth})`, { label: 'Expected' });
  return {
    type: 'graph',
    title: 'Orders per 5 min and the expected band',
    unit: DisplayUnits.Count,
    width: 24,
    signals: [
      signal(
        'Orders per 5 min',
        orderRateQueries(context),
        factory.prom.counterIncrease(Metrics.OrdersPlaced, { window: '5m' }),
      ),
      signal('Expected band', [band]),
    ],
  };
}

function orderRateDrop(context: PartContext, bandWidth: number): AnomalyAlarmDefinition {
  return {
    kind: 'anomaly',
    id: 'order-rate-drop-ticket',
    name: `${context.options.prefix}-order-rate-drop-ticket`,
    description: `Orders per 5 minutes fell below the anomaly detection band (${bandWidth} standard deviations) for 15 minutes: checkout may be broken for customers even if the API answers.`,
    severity: Severities.Ticket,
    queries: orderRateQueries(context),
    returnId: 'orders5m',
    period: 300,
    bandWidth,
    comparison: AnomalyComparisonOperators.LessThanLowerThreshold,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: TreatMissingData.NotBreaching,
    treatMissingDataReason:
      'With FILL every period has a value while the service reports at all; a period with no datapoint at all means no metrics were written (for instance a Lambda with no invocation), which a business alarm should not page on: availability alarms own that case.',
  };
}
