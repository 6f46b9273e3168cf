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
import { DisplayUnits, type GraphWidget, type Signal } from '../model.ts';
import { signal, type PartContext, type PartOutput } from './context.ts';

const HOUR = 3600;

/** The statuses an order reaches after PLACED, in funnel order. */
const FUNNEL = [OrderStatuses.Preparing, OrderStatuses.Ready, OrderStatuses.PickedUp, OrderStatuses.Cancelled] as const;

export interface BusinessThresholds {
  /** Width of the anomaly band, in standard deviations. Default 2. */
  readonly orderRateBandWidth?: number;
}

export function businessMonitoring({ options, factory }: PartContext, thresholds: BusinessThresholds = {}): PartOutput {
  const { prom } = factory;
  const { orderRateBandWidth = 2 } = thresholds;

  const orders: GraphWidget = {
    type: 'graph',
    title: 'Orders per hour',
    unit: DisplayUnits.Count,
    signals: [
      signal(
        'Orders placed',
        [factory.metric(Metrics.OrdersPlaced, { id: 'orders', stat: 'Sum', period: HOUR, label: 'Orders placed' })],
        prom.counterIncrease(Metrics.OrdersPlaced, { window: '1h' }),
      ),
    ],
  };
  const revenue: GraphWidget = {
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
        `${prom.histogramIncrease(Metrics.OrderValue, 'sum', { window: '1h' })} / 100`,
      ),
    ],
  };
  const averageValue: GraphWidget = {
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
  const registrations: GraphWidget = {
    type: 'graph',
    title: 'Registrations per hour',
    unit: DisplayUnits.Count,
    signals: [
      signal(
        'Registrations',
        [
          factory.metric(Metrics.Registrations, {
            id: 'registrations',
            stat: 'Sum',
            period: HOUR,
            label: 'Registrations',
          }),
        ],
        prom.counterIncrease(Metrics.Registrations, { window: '1h' }),
      ),
    ],
  };

  const funnelSignals: Signal[] = [
    signal(
      OrderStatuses.Placed,
      [factory.metric(Metrics.OrdersPlaced, { id: 'placed', stat: 'Sum', period: HOUR, label: OrderStatuses.Placed })],
      prom.counterIncrease(Metrics.OrdersPlaced, { window: '$__range' }),
      OrderStatuses.Placed,
    ),
    ...FUNNEL.map((status) =>
      signal(
        status,
        [
          factory.metric(Metrics.OrderStatusTransitions, {
            id: `to_${status.toLowerCase()}`,
            stat: 'Sum',
            period: HOUR,
            dimensions: { ToStatus: status },
            label: status,
          }),
        ],
        prom.counterIncrease(Metrics.OrderStatusTransitions, { window: '$__range', labels: { ToStatus: status } }),
        status,
      ),
    ),
  ];
  const funnel: GraphWidget = {
    type: 'graph',
    title: 'Status funnel (time range)',
    view: 'bar',
    setPeriodToTimeRange: true,
    unit: DisplayUnits.Count,
    signals: funnelSignals,
  };
  const preparation: GraphWidget = {
    type: 'graph',
    title: 'Preparation time, PLACED to READY (ms)',
    unit: DisplayUnits.Milliseconds,
    signals: (['p50', 'p90'] as const).map((stat) =>
      signal(
        stat,
        [factory.metric(Metrics.OrderPreparationTime, { id: `prep_${stat}`, stat, period: HOUR, label: stat })],
        prom.quantile(Metrics.OrderPreparationTime, Number(stat.slice(1)) / 100, { window: '1h' }),
        stat,
      ),
    ),
  };

  // The anomaly alarm watches orders per 5 minutes; FILL turns a quiet period into 0 so
  // the band is learnt from (and compared with) real zeros rather than gaps.
  const rateQueries = [
    factory.metric(Metrics.OrdersPlaced, { id: 'orders_raw', stat: 'Sum', period: 300, visible: false }),
    factory.expression('orders5m', 'FILL(orders_raw, 0)', { label: 'Orders per 5 min' }),
  ];
  const band = factory.expression('band', `ANOMALY_DETECTION_BAND(orders5m, ${orderRateBandWidth})`, {
    label: 'Expected',
  });
  const anomalyWidget: GraphWidget = {
    type: 'graph',
    title: 'Orders per 5 min and the expected band',
    unit: DisplayUnits.Count,
    width: 24,
    signals: [
      signal('Orders per 5 min', rateQueries, prom.counterIncrease(Metrics.OrdersPlaced, { window: '5m' })),
      signal('Expected band', [band]),
    ],
  };
  const orderRateDrop: AnomalyAlarmDefinition = {
    kind: 'anomaly',
    id: 'order-rate-drop-ticket',
    name: `${options.prefix}-order-rate-drop-ticket`,
    description: `Orders per 5 minutes fell below the anomaly detection band (${orderRateBandWidth} standard deviations) for 15 minutes: checkout may be broken for customers even if the API answers.`,
    severity: Severities.Ticket,
    queries: rateQueries,
    returnId: 'orders5m',
    period: 300,
    bandWidth: orderRateBandWidth,
    comparison: AnomalyComparisonOperators.LessThanLowerThreshold,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: TreatMissingData.NotBreaching,
    treatMissingDataReason:
      'With FILL every period has a value while the service reports at all; a period with no datapoint at all means no metrics were written (for instance a Lambda with no invocation), which a business alarm should not page on: availability alarms own that case.',
  };

  return {
    rows: [
      { title: 'Orders and revenue', widgets: [orders, revenue, averageValue, registrations] },
      { title: 'Fulfilment', widgets: [funnel, preparation] },
      { title: 'Order rate anomaly', widgets: [anomalyWidget] },
    ],
    alarms: [orderRateDrop],
  };
}
