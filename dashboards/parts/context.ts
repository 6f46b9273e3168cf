import type { AlarmDefinition } from '../alarm-model.ts';
import type { MetricFactory } from '../metric-factory.ts';
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
