/**
 * Reads CloudWatch Embedded Metric Format documents (what the service's EMF exporter
 * writes) into the metric series `evaluateAlarms` takes: one series per namespace, metric
 * name and dimension set, as CloudWatch itself would extract them.
 */
import type { MetricSeries, Observation } from './evaluate.ts';

interface Directive {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

type EmfValue =
  | number
  | number[]
  | { Values?: number[]; Counts?: number[]; Sum?: number; Count?: number; Min?: number; Max?: number };

function toObservation(timestamp: number, value: EmfValue): Observation | undefined {
  if (typeof value === 'number') return { timestamp, values: [value] };
  if (Array.isArray(value)) return value.every((v) => typeof v === 'number') ? { timestamp, values: value } : undefined;
  if (value && typeof value === 'object' && Array.isArray(value.Values)) {
    const statistics =
      typeof value.Sum === 'number' &&
      typeof value.Count === 'number' &&
      typeof value.Min === 'number' &&
      typeof value.Max === 'number'
        ? { sum: value.Sum, count: value.Count, min: value.Min, max: value.Max }
        : undefined;
    return {
      timestamp,
      values: value.Values,
      ...(value.Counts ? { counts: value.Counts } : {}),
      ...(statistics ? { statistics } : {}),
    };
  }
  return undefined;
}

/**
 * Series from EMF documents (objects or JSON lines; lines that are not EMF are skipped).
 *
 * @example seriesFromEmf(readFileSync('emf.log', 'utf8').split('\n'))
 */
export function seriesFromEmf(documents: Iterable<string | Record<string, unknown>>): MetricSeries[] {
  const byKey = new Map<
    string,
    { namespace: string; metricName: string; dimensions: Record<string, string>; observations: Observation[] }
  >();
  for (const item of documents) {
    let doc: Record<string, unknown>;
    if (typeof item === 'string') {
      if (!item.trim().startsWith('{')) continue;
      try {
        doc = JSON.parse(item) as Record<string, unknown>;
      } catch {
        continue;
      }
    } else doc = item;
    const aws = doc._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
    if (!aws || typeof aws.Timestamp !== 'number' || !Array.isArray(aws.CloudWatchMetrics)) continue;
    for (const directive of aws.CloudWatchMetrics as Directive[]) {
      if (
        typeof directive.Namespace !== 'string' ||
        !Array.isArray(directive.Dimensions) ||
        !Array.isArray(directive.Metrics)
      )
        continue;
      for (const set of directive.Dimensions as unknown[]) {
        if (!Array.isArray(set)) continue;
        const dimensions: Record<string, string> = {};
        let complete = true;
        for (const name of set) {
          const value = doc[String(name)];
          if (typeof value !== 'string') complete = false;
          else dimensions[String(name)] = value;
        }
        if (!complete) continue;
        for (const metric of directive.Metrics as { Name?: unknown }[]) {
          if (typeof metric.Name !== 'string') continue;
          const observation = toObservation(aws.Timestamp, doc[metric.Name] as EmfValue);
          if (!observation) continue;
          const key = JSON.stringify([directive.Namespace, metric.Name, Object.entries(dimensions).sort()]);
          const entry = byKey.get(key) ?? {
            namespace: directive.Namespace,
            metricName: metric.Name,
            dimensions,
            observations: [],
          };
          entry.observations.push(observation);
          byKey.set(key, entry);
        }
      }
    }
  }
  return [...byKey.values()];
}
