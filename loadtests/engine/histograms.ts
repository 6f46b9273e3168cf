/**
 * Latency histograms (HdrHistogram, the same library autocannon uses): values recorded in
 * microseconds with three significant digits, so percentiles are exact to 0.1% however
 * long the tail. Node-only (the k6 engine has its own trends).
 */
import * as hdr from 'hdr-histogram-js';
import { PERCENTILE_KEYS, type LatencySummary } from '../shared/result.ts';

export type Histogram = hdr.Histogram;

/** Values are microseconds; one hour is the highest value kept exactly, longer ones are clamped. */
const HIGHEST_US = 3_600_000_000;

/**
 * A histogram starts sized for latencies up to 100 ms and grows when a longer one comes:
 * merging, encoding and reading percentiles walk the whole counts array, a third as long
 * as one sized for an hour (the engine merges a few per time bucket).
 */
const INITIAL_HIGHEST_US = 100_000;

export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: INITIAL_HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });
}

/** Records a latency given in ms. */
export function recordMs(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

export function percentileMs(histogram: Histogram, percentile: number): number | null {
  return histogram.totalCount === 0 ? null : histogram.getValueAtPercentile(percentile) / 1000;
}

export function summarize(histogram: Histogram): LatencySummary | null {
  if (histogram.totalCount === 0) return null;
  const summary: LatencySummary = {
    count: histogram.totalCount,
    min: histogram.minNonZeroValue / 1000,
    mean: histogram.mean / 1000,
    p50: 0,
    p90: 0,
    p95: 0,
    p99: 0,
    p999: 0,
    max: histogram.maxValue / 1000,
  };
  for (const [percentile, key] of PERCENTILE_KEYS) summary[key] = histogram.getValueAtPercentile(percentile) / 1000;
  return summary;
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}
