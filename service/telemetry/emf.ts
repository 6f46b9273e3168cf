/**
 * An OpenTelemetry metric exporter that writes CloudWatch Embedded Metric Format.
 *
 * Why hand-written: `aws-embedded-metrics` writes a document per call (one line per
 * request, not aggregated) and knows nothing of OpenTelemetry; the collector's
 * awsemfexporter is Go. This exporter takes what the SDK aggregated over one export
 * interval (delta temporality) and writes, per catalog metric and dimension set, one value:
 * a sum for counters, the last value for gauges, and `{Values, Counts, Max, Min, Count,
 * Sum}` for histograms (one value per non-empty bucket, at most 100). Documents hold at
 * most 100 metrics and 30 dimensions, as the specification requires; the metric names,
 * units and dimension sets come from the catalog, never from here.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  InstrumentType,
  type DataPoint,
  type Histogram,
  type MetricData,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ALL_METRICS, Dimensions, NAMESPACE, type DimensionName, type MetricDefinition } from '../catalog/metrics.ts';

/** Limits from the EMF specification and CloudWatch. */
export const EmfLimits = {
  metricsPerDocument: 100,
  valuesPerMetric: 100,
  dimensionsPerSet: 30,
} as const;

export type EmfValue =
  number | { Values: number[]; Counts: number[]; Max: number; Min: number; Count: number; Sum: number };

export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [member: string]: unknown;
}

const BY_OTEL_NAME = new Map(ALL_METRICS.map((m) => [m.otelName, m]));

function dimensionValue(
  name: DimensionName,
  point: DataPoint<unknown>,
  resource: Record<string, unknown>,
): string | undefined {
  const { attribute, source } = Dimensions[name];
  const value = source === 'resource' ? resource[attribute] : point.attributes[attribute];
  return value === undefined || value === null ? undefined : String(value);
}

/** The representative value of a bucket: its middle, kept within the observed min and max. */
function bucketValues(h: Histogram, boundaries: number[]): { values: number[]; counts: number[] } {
  const values: number[] = [];
  const counts: number[] = [];
  const min = h.min ?? 0;
  const max = h.max ?? boundaries.at(-1) ?? 0;
  h.buckets.counts.forEach((count, i) => {
    if (count === 0) return;
    const low = i === 0 ? min : (boundaries[i - 1] ?? min);
    const high = i < boundaries.length ? (boundaries[i] ?? max) : max;
    const mid = (Math.max(low, min) + Math.min(high, max)) / 2;
    values.push(Math.round(mid * 1000) / 1000);
    counts.push(count);
  });
  return { values, counts };
}

interface Group {
  definition: MetricDefinition;
  dimensions: DimensionName[];
  key: Record<string, string>;
  value: EmfValue;
}

function mergeHistograms(points: DataPoint<Histogram>[]): { merged: Histogram; boundaries: number[] } {
  const boundaries = points[0]?.value.buckets.boundaries ?? [];
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  let sum = 0;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const { value } of points) {
    value.buckets.counts.forEach((c, i) => (counts[i] = (counts[i] ?? 0) + c));
    sum += value.sum ?? 0;
    count += value.count;
    if (value.min !== undefined) min = Math.min(min, value.min);
    if (value.max !== undefined) max = Math.max(max, value.max);
  }
  return { merged: { buckets: { boundaries, counts }, sum, count, min, max }, boundaries };
}

/** Groups one metric's points per catalog dimension set and aggregates each group. */
function groups(definition: MetricDefinition, metric: MetricData, resource: Record<string, unknown>): Group[] {
  const out: Group[] = [];
  for (const set of definition.dimensionSets) {
    const dims = set.slice(0, EmfLimits.dimensionsPerSet) as DimensionName[];
    const buckets = new Map<string, { key: Record<string, string>; points: DataPoint<unknown>[] }>();
    for (const point of metric.dataPoints as DataPoint<unknown>[]) {
      const key: Record<string, string> = {};
      let complete = true;
      for (const d of dims) {
        const v = dimensionValue(d, point, resource);
        if (v === undefined) complete = false;
        else key[d] = v;
      }
      if (!complete) continue;
      const id = dims.map((d) => key[d]).join('\u0000');
      const entry = buckets.get(id) ?? { key, points: [] };
      entry.points.push(point);
      buckets.set(id, entry);
    }
    for (const { key, points } of buckets.values()) {
      let value: EmfValue | undefined;
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        const { merged, boundaries } = mergeHistograms(points as DataPoint<Histogram>[]);
        if (merged.count === 0) continue;
        const { values, counts } = bucketValues(merged, boundaries);
        value = {
          Values: values.slice(0, EmfLimits.valuesPerMetric),
          Counts: counts.slice(0, EmfLimits.valuesPerMetric),
          Max: merged.max ?? 0,
          Min: merged.min ?? 0,
          Count: merged.count,
          Sum: Math.round((merged.sum ?? 0) * 1000) / 1000,
        };
      } else if (metric.dataPointType === DataPointType.GAUGE) {
        value = (points.at(-1)?.value as number | undefined) ?? 0;
      } else {
        // Sums: counters are deltas (summed); up-down counters are cumulative levels, and
        // the level of a dimension group is the sum of its series' levels.
        value = points.reduce((s, p) => s + (p.value as number), 0);
      }
      out.push({ definition, dimensions: dims, key, value });
    }
  }
  return out;
}

/** Turns one collection into EMF documents (pure; exported for tests and the chaos tooling). */
export function toEmfDocuments(metrics: ResourceMetrics, timestamp = Date.now()): EmfDocument[] {
  const resource = metrics.resource.attributes as Record<string, unknown>;
  const all: Group[] = [];
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const definition = BY_OTEL_NAME.get(metric.descriptor.name);
      if (!definition) continue; // only catalog metrics leave the process
      all.push(...groups(definition, metric, resource));
    }
  }
  // One document per distinct dimension key; its directives list each metric once per
  // dimension set, and a document holds at most 100 metrics.
  const byKey = new Map<string, Group[]>();
  for (const g of all) {
    const id = JSON.stringify([g.dimensions, g.key]);
    const list = byKey.get(id);
    if (list) list.push(g);
    else byKey.set(id, [g]);
  }
  const documents: EmfDocument[] = [];
  for (const list of byKey.values()) {
    for (let i = 0; i < list.length; i += EmfLimits.metricsPerDocument) {
      const chunk = list.slice(i, i + EmfLimits.metricsPerDocument);
      const first = chunk[0]!;
      const doc: EmfDocument = {
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            {
              Namespace: NAMESPACE,
              Dimensions: [first.dimensions],
              Metrics: chunk.map((g) => ({ Name: g.definition.name, Unit: g.definition.unit })),
            },
          ],
        },
        ...first.key,
      };
      for (const g of chunk) doc[g.definition.name] = g.value;
      documents.push(doc);
    }
  }
  return documents;
}

export interface EmfExporterOptions {
  /** Receives one JSON line per document (stdout in Lambda, a file locally). */
  write: (line: string) => void;
  now?: () => number;
}

export class EmfExporter implements PushMetricExporter {
  readonly #write: (line: string) => void;
  readonly #now: () => number;
  #stopped = false;

  constructor({ write, now = Date.now }: EmfExporterOptions) {
    this.#write = write;
    this.#now = now;
  }

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    if (this.#stopped) return done({ code: ExportResultCode.FAILED });
    try {
      for (const doc of toEmfDocuments(metrics, this.#now())) this.#write(`${JSON.stringify(doc)}\n`);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  /** Deltas for counters and histograms (one interval each); levels for up-down counters. */
  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return type === InstrumentType.UP_DOWN_COUNTER || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
      ? AggregationTemporality.CUMULATIVE
      : AggregationTemporality.DELTA;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.#stopped = true;
  }
}
