import type { AlarmDefinition } from '../alarm-model.ts';
import type { MetricDefinition } from '../../service/catalog/index.ts';
import type { MetricFactory, PromLabels } from '../metric-factory.ts';
import type { Query, ResolvedOptions, Row, Signal } from '../model.ts';

/** What every monitoring part gets: the resolved options and the metric factory. */
export interface PartContext {
  readonly options: ResolvedOptions;
  readonly factory: MetricFactory;
}

/** What a monitoring part gives back: dashboard rows and the alarms on the same signals. */
export interface PartOutput {
  readonly rows: readonly Row[];
  readonly alarms: readonly AlarmDefinition[];
}

/** A signal from its queries, its PromQL (when Prometheus has it) and a Grafana legend. */
export function signal(label: string, queries: readonly Query[], promql?: string, legend?: string): Signal {
  return { label, queries, ...(promql === undefined ? {} : { promql }), ...(legend === undefined ? {} : { legend }) };
}

/** Query ids from free text (route groups have dashes; ids may not). */
export function idPart(text: string): string {
  return text
    .replace(/[^a-zA-Z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .toLowerCase();
}

/** A counter as its sum per period (CloudWatch) and its increase over `window` (Prometheus). */
export function counterSignal(
  factory: MetricFactory,
  def: MetricDefinition,
  spec: { id: string; label: string; period: number; window: string; dimensions?: PromLabels; legend?: string },
): Signal {
  const { id, label, period, window, dimensions, legend } = spec;
  return signal(
    label,
    [factory.metric(def, { id, stat: 'Sum', period, dimensions, label })],
    factory.prom.counterIncrease(def, { window, labels: dimensions }),
    legend,
  );
}

/** One signal per percentile of a histogram, ids `${idPrefix}_${stat}`, each labelled by its statistic. */
export function percentileSignals(
  factory: MetricFactory,
  def: MetricDefinition,
  stats: readonly ('p50' | 'p90' | 'p99')[],
  spec: { idPrefix: string; period: number; dimensions?: PromLabels; window?: string },
): Signal[] {
  const { idPrefix, period, dimensions, window } = spec;
  return stats.map((stat) =>
    signal(
      stat,
      [factory.metric(def, { id: `${idPrefix}_${stat}`, stat, period, dimensions, label: stat })],
      factory.prom.quantile(def, Number(stat.slice(1)) / 100, { labels: dimensions, window }),
      stat,
    ),
  );
}
