/**
 * A Prometheus native histogram (exponential buckets), cumulative since the run began, filled
 * from the engine's HdrHistograms. Schema 3: bucket i holds (2^((i-1)/8), 2^(i/8)] seconds,
 * each bucket 2^(1/8) ≈ 1.0905 times wider than the one below, so a `histogram_quantile`
 * lies in the same bucket as the exact value: within 9.05% of it (plus HDR's 0.1%).
 */
import type { Histogram } from '../engine/histograms.ts';
import type { BucketSpan, HistogramSample } from './protobuf.ts';

export const NATIVE_SCHEMA = 3;
/** Upper bound of one bucket over its lower bound: 2^(2^-schema). */
export const BUCKET_GROWTH = 2 ** (2 ** -NATIVE_SCHEMA);
/**
 * How far a quantile from Prometheus may be from the HDR one over the same requests, as a
 * relative error: one native bucket, plus HDR's three significant digits.
 */
export const QUANTILE_RELATIVE_ERROR = BUCKET_GROWTH * 1.001 - 1;

/** The bucket index of a positive value at schema 3. */
export function bucketIndex(value: number): number {
  return Math.ceil(Math.log2(value) * 2 ** NATIVE_SCHEMA);
}

interface HdrInternals {
  recordedValuesIterator: {
    reset(): void;
    hasNext(): boolean;
    next(): { valueIteratedTo: number; countAtValueIteratedTo: number };
  };
}

export class NativeHistogram {
  private readonly buckets = new Map<number, number>();
  count = 0;
  sum = 0;

  /** Adds `count` observations of `seconds`. */
  observe(seconds: number, count = 1): void {
    const index = bucketIndex(seconds);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + count);
    this.count += count;
    this.sum += seconds * count;
  }

  /**
   * Adds every value of an HdrHistogram in microseconds, each at its HDR bucket's highest
   * equivalent value (what HDR reports as a percentile), so both land in the same native bucket.
   */
  addHdr(histogram: Histogram): void {
    if (histogram.totalCount === 0) return;
    const iterator = (histogram as unknown as HdrInternals).recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const step = iterator.next();
      this.observe(step.valueIteratedTo / 1e6, step.countAtValueIteratedTo);
    }
  }

  /** The sample as remote write carries it: spans of consecutive buckets and count deltas. */
  sample(timestamp: number): HistogramSample {
    const indexes = [...this.buckets.keys()].sort((a, b) => a - b);
    const spans: BucketSpan[] = [];
    const deltas: number[] = [];
    let previousIndex: number | undefined;
    let previousCount = 0;
    for (const index of indexes) {
      if (previousIndex === undefined) spans.push({ offset: index, length: 1 });
      else if (index === previousIndex + 1) (spans.at(-1) as BucketSpan).length++;
      else spans.push({ offset: index - previousIndex - 1, length: 1 });
      const count = this.buckets.get(index) as number;
      deltas.push(count - previousCount);
      previousCount = count;
      previousIndex = index;
    }
    return {
      count: this.count,
      sum: this.sum,
      schema: NATIVE_SCHEMA,
      zeroThreshold: 0,
      zeroCount: 0,
      positiveSpans: spans,
      positiveDeltas: deltas,
      timestamp,
    };
  }
}
