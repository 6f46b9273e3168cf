/**
 * A recorded history from a file: EMF lines (what the service writes with
 * `COFFEE_METRICS_EXPORTER=emf`, or CloudWatch Logs exported as JSON lines) or a CloudWatch
 * `GetMetricData` export. `GetMetricData`'s answer names its results only by query id, so
 * the export is one JSON object holding the request's queries beside the answer:
 *
 * ```json
 * { "MetricDataQueries": [{ "Id": "m1", "MetricStat": { "Metric": { "Namespace": "CoffeeCloud",
 *     "MetricName": "HttpRequestDuration", "Dimensions": [{ "Name": "Service", "Value": "coffee-cloud" }] },
 *     "Period": 60, "Stat": "SampleCount" } }],
 *   "MetricDataResults": [{ "Id": "m1", "Timestamps": ["2026-01-01T00:00:00Z"], "Values": [1200] }] }
 * ```
 *
 * (`aws cloudwatch get-metric-data --metric-data-queries file://q.json ...` prints the
 * results; put `q.json`'s array beside them.) Each datapoint becomes one observation: a
 * `Sum` or an `Average` a value, a `SampleCount` that many samples at 0. A distribution is
 * not in a `GetMetricData` answer, so percentile alarms see the recorded requests as fast.
 */
import { readFile } from 'node:fs/promises';
import type { MetricSeries, Observation } from './evaluate.ts';
import { seriesFromEmf } from './emf-series.ts';
import { HistoryKinds, type History } from './history.ts';

interface ExportQuery {
  Id?: unknown;
  MetricStat?: {
    Metric?: { Namespace?: unknown; MetricName?: unknown; Dimensions?: { Name?: unknown; Value?: unknown }[] };
    Stat?: unknown;
  };
}
interface ExportResult {
  Id?: unknown;
  Timestamps?: unknown[];
  Values?: unknown[];
}

export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
}

function observationFor(stat: string, timestamp: number, value: number): Observation {
  if (stat === 'SampleCount') return { timestamp, values: [0], counts: [value] };
  return { timestamp, values: [value] };
}

/** Series from a `GetMetricData` export (see the module comment for the shape). */
export function seriesFromGetMetricData(doc: {
  MetricDataQueries?: unknown;
  MetricDataResults?: unknown;
}): MetricSeries[] {
  if (!Array.isArray(doc.MetricDataQueries) || !Array.isArray(doc.MetricDataResults))
    throw new HistoryFileError('a GetMetricData export needs "MetricDataQueries" and "MetricDataResults" arrays');
  const queries = new Map((doc.MetricDataQueries as ExportQuery[]).map((q) => [String(q.Id), q]));
  const series: MetricSeries[] = [];
  for (const result of doc.MetricDataResults as ExportResult[]) {
    const query = queries.get(String(result.Id));
    const metric = query?.MetricStat?.Metric;
    if (!query || !metric || typeof metric.Namespace !== 'string' || typeof metric.MetricName !== 'string')
      throw new HistoryFileError(
        `result ${String(result.Id)} has no MetricStat query with a namespace and metric name`,
      );
    const stat = String(query.MetricStat?.Stat ?? 'Sum');
    const dimensions = Object.fromEntries((metric.Dimensions ?? []).map((d) => [String(d.Name), String(d.Value)]));
    const timestamps = result.Timestamps ?? [];
    const values = result.Values ?? [];
    const observations = timestamps.map((t, i) => observationFor(stat, Date.parse(String(t)), Number(values[i])));
    if (observations.some((o) => !Number.isFinite(o.timestamp) || !Number.isFinite(o.values[0]) || o.values[0]! < 0))
      throw new HistoryFileError(`result ${String(result.Id)} has a timestamp or value that is not a number`);
    series.push({ namespace: metric.Namespace, metricName: metric.MetricName, dimensions, observations });
  }
  return series;
}

/** Reads a history file: a `GetMetricData` export (one JSON object) or EMF lines. */
export async function readHistoryFile(file: string): Promise<History> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new HistoryFileError(`cannot read the history file ${file}: ${(error as Error).message}`);
  }
  let series: MetricSeries[];
  const trimmed = text.trim();
  if (trimmed.startsWith('{') && trimmed.includes('"MetricDataResults"') && !trimmed.includes('"_aws"')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (error) {
      throw new HistoryFileError(`${file} is not JSON: ${(error as Error).message}`);
    }
    series = seriesFromGetMetricData(doc as Record<string, unknown>);
  } else series = seriesFromEmf(text.split('\n'));
  if (series.length === 0)
    throw new HistoryFileError(`${file} holds no EMF document and no GetMetricData export: no history in it`);
  return { kind: HistoryKinds.Recorded, source: file, series };
}
