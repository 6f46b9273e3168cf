/**
 * The SLO view: per objective, the error budget left over its compliance window and the
 * burn rate over the alarm windows; the state of every SLO alarm. The burn-rate alarms
 * themselves are built in `alarms/slo-alarms.ts` from the same queries.
 */
import { SLOS, type SloDefinition } from '../../service/catalog/index.ts';
import { allSloAlarms, BURN_RATE_TIERS, sloAlarmName } from '../slo-alarms.ts';
import { SEVERITIES } from '../alarm-model.ts';
import { DisplayUnits, type AlarmStatusWidget, type GraphWidget, type Row, type TextWidget } from '../model.ts';
import { budgetOf, promDuration, sloRatioPromql, sloRatioQueries } from '../slo-queries.ts';
import { signal, type PartContext, type PartOutput } from './context.ts';

/** The windows the burn-rate graph shows (the alarm windows CloudWatch can evaluate). */
const BURN_WINDOWS = [300, 3600, 21_600, 86_400] as const;

function sloRow({ factory }: PartContext, slo: SloDefinition, index: number): Row {
  const { prom } = factory;
  const windowSeconds = slo.windowDays * 86_400;
  const windowText = `${slo.windowDays}d`;
  const budget = budgetOf(slo);
  const prefix = `s${index}`;

  const spent = sloRatioQueries(factory, slo, { id: `${prefix}_spent`, periodSeconds: windowSeconds, burn: true });
  const remainingQueries = [
    ...spent.queries.map((q) => ({ ...q, visible: false })),
    factory.expression(`${prefix}_left`, `100 * (1 - ${spent.id})`, { label: 'Error budget left (%)' }),
  ];
  const remaining: GraphWidget = {
    type: 'graph',
    title: `${slo.id}: error budget left over ${windowText} (%)`,
    view: 'singleValue',
    setPeriodToTimeRange: true,
    start: `-P${slo.windowDays}D`,
    unit: DisplayUnits.Percent,
    width: 6,
    signals: [
      signal(
        'Error budget left',
        remainingQueries,
        `100 * (1 - (${sloRatioPromql(prom, slo, promDuration(windowSeconds))}) / ${budget})`,
      ),
    ],
  };

  const burn: GraphWidget = {
    type: 'graph',
    title: `${slo.id}: burn rate (1x spends the budget in exactly ${windowText})`,
    unit: DisplayUnits.Ratio,
    width: 12,
    yMin: 0,
    annotations: BURN_RATE_TIERS.map((tier) => ({
      value: tier.burnRate,
      label: `${tier.burnRate}x ${tier.severity} (${tier.id})`,
      color: tier.severity === 'page' ? '#d62728' : '#ff7f0e',
    })),
    signals: BURN_WINDOWS.map((seconds) => {
      const window = promDuration(seconds);
      const q = sloRatioQueries(factory, slo, {
        id: `${prefix}_burn_${window}`,
        periodSeconds: seconds,
        burn: true,
        label: `over ${window}`,
      });
      return signal(
        `over ${window}`,
        q.queries,
        `(${sloRatioPromql(prom, slo, window)}) / ${budget}`,
        `over ${window}`,
      );
    }),
  };

  const about: TextWidget = {
    type: 'text',
    width: 6,
    markdown: [
      `### ${slo.id}`,
      slo.description,
      '',
      `Objective **${slo.objective * 100}%** over ${slo.windowDays} days (budget ${budget * 100}% of requests), route group \`${slo.routeGroup}\`${slo.thresholdMs === undefined ? '' : `, threshold ${slo.thresholdMs} ms`}.`,
    ].join('\n'),
  };
  return { title: slo.id, widgets: [about, remaining, burn] };
}

export function sloMonitoring(context: PartContext, slos: readonly SloDefinition[] = SLOS): PartOutput {
  const { options, factory } = context;
  const status: AlarmStatusWidget = {
    type: 'alarms',
    title: 'SLO alarms',
    width: 24,
    height: 3,
    alarmNames: slos.flatMap((slo) => SEVERITIES.map((severity) => sloAlarmName(options.prefix, slo, severity))),
  };
  return {
    rows: [{ title: 'Alarm status', widgets: [status] }, ...slos.map((slo, i) => sloRow(context, slo, i))],
    alarms: allSloAlarms(factory, options.prefix, slos),
  };
}
