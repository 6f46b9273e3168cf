/**
 * Prometheus remote write 1.0 as protobuf bytes: `prometheus.WriteRequest` with its
 * `TimeSeries`, `Label`, `Sample`, `Histogram` and `BucketSpan`, field numbers as in
 * Prometheus's prompb/types.proto and remote.proto. Hand-written rather than protobufjs: five
 * messages, encode only, no schema to load or generate, and no allocation per field.
 */

/** Field numbers of prompb (types.proto, remote.proto). */
export const Fields = {
  WriteRequest: { timeseries: 1 },
  TimeSeries: { labels: 1, samples: 2, histograms: 4 },
  Label: { name: 1, value: 2 },
  Sample: { value: 1, timestamp: 2 },
  Histogram: {
    countInt: 1,
    sum: 3,
    schema: 4,
    zeroThreshold: 5,
    zeroCountInt: 6,
    positiveSpans: 11,
    positiveDeltas: 12,
    resetHint: 14,
    timestamp: 15,
  },
  BucketSpan: { offset: 1, length: 2 },
} as const;

const WireTypes = { Varint: 0, Fixed64: 1, LengthDelimited: 2 } as const;

export interface Label {
  name: string;
  value: string;
}

export interface Sample {
  value: number;
  /** Epoch ms. */
  timestamp: number;
}

export interface BucketSpan {
  offset: number;
  length: number;
}

/** A native histogram sample with integer counts (absolute, cumulative since the series began). */
export interface HistogramSample {
  count: number;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  positiveSpans: readonly BucketSpan[];
  /** The first bucket's count, then each bucket's difference to the one before. */
  positiveDeltas: readonly number[];
  timestamp: number;
}

export interface TimeSeries {
  labels: readonly Label[];
  samples?: readonly Sample[];
  histograms?: readonly HistogramSample[];
}

const utf8 = new TextEncoder();

/** A growable byte buffer with protobuf's primitive encodings. */
class Writer {
  private buffer = new Uint8Array(1024);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const bigger = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    bigger.set(this.buffer.subarray(0, this.length));
    this.buffer = bigger;
    this.view = new DataView(bigger.buffer);
  }

  /** An unsigned varint; exact up to 2^53 (epoch ms and counts fit). */
  varint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }

  /** sint32/sint64: zigzag, so small negative numbers stay short. */
  zigzag(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  double(field: number, value: number): void {
    this.tag(field, WireTypes.Fixed64);
    this.ensure(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  uint(field: number, value: number): void {
    this.tag(field, WireTypes.Varint);
    this.varint(value);
  }

  sint(field: number, value: number): void {
    this.tag(field, WireTypes.Varint);
    this.zigzag(value);
  }

  bytes(field: number, bytes: Uint8Array): void {
    this.tag(field, WireTypes.LengthDelimited);
    this.varint(bytes.length);
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  string(field: number, value: string): void {
    this.bytes(field, utf8.encode(value));
  }

  /** A nested message: written into its own buffer, then length-prefixed. */
  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

function writeHistogram(w: Writer, h: HistogramSample): void {
  const f = Fields.Histogram;
  w.uint(f.countInt, h.count);
  w.double(f.sum, h.sum);
  w.sint(f.schema, h.schema);
  w.double(f.zeroThreshold, h.zeroThreshold);
  w.uint(f.zeroCountInt, h.zeroCount);
  for (const span of h.positiveSpans) {
    w.message(f.positiveSpans, (s) => {
      s.sint(Fields.BucketSpan.offset, span.offset);
      s.uint(Fields.BucketSpan.length, span.length);
    });
  }
  if (h.positiveDeltas.length > 0) {
    // Packed repeated sint64.
    const packed = new Writer();
    for (const delta of h.positiveDeltas) packed.zigzag(delta);
    w.bytes(f.positiveDeltas, packed.finish());
  }
  w.uint(f.timestamp, h.timestamp);
}

function writeSeries(w: Writer, series: TimeSeries): void {
  const f = Fields.TimeSeries;
  for (const label of series.labels) {
    w.message(f.labels, (l) => {
      l.string(Fields.Label.name, label.name);
      l.string(Fields.Label.value, label.value);
    });
  }
  for (const sample of series.samples ?? []) {
    w.message(f.samples, (s) => {
      s.double(Fields.Sample.value, sample.value);
      s.uint(Fields.Sample.timestamp, sample.timestamp);
    });
  }
  for (const histogram of series.histograms ?? []) w.message(f.histograms, (h) => writeHistogram(h, histogram));
}

/** A `prometheus.WriteRequest` (uncompressed). */
export function encodeWriteRequest(series: readonly TimeSeries[]): Uint8Array {
  const w = new Writer();
  for (const s of series) w.message(Fields.WriteRequest.timeseries, (inner) => writeSeries(inner, s));
  return w.finish();
}
