/**
 * What the capture keeps of a run: spans as plain data (times in epoch ms), the service's
 * log lines that carry a trace id, and the client's exemplars that say which traces to keep.
 */

import type { Exemplar } from '../shared/exemplars.ts';

export type { Exemplar, ExemplarSet } from '../shared/exemplars.ts';

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface SpanEvent {
  name: string;
  /** Epoch ms. */
  time: number;
  attributes: Attributes;
}

/** OTLP span kinds and status codes, as numbers on the wire. */
export const SpanKinds = { Unspecified: 0, Internal: 1, Server: 2, Client: 3, Producer: 4, Consumer: 5 } as const;
export const StatusCodes = { Unset: 0, Ok: 1, Error: 2 } as const;

export interface CapturedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  /** Epoch ms (fractional). */
  start: number;
  end: number;
  attributes: Attributes;
  events: SpanEvent[];
  status: { code: number; message?: string };
  /** The resource's `service.name`. */
  service?: string;
}

/** A log line of the service (its JSON as written), with the ids it carries. */
export interface CapturedLog {
  traceId: string;
  spanId?: string;
  /** Epoch ms. */
  time: number;
  level?: string;
  message?: string;
  /** The whole line, parsed. */
  fields: Record<string, unknown>;
}

/** A kept trace: its spans, its log lines, and the client's view when the client marked it. */
export interface CapturedTrace {
  traceId: string;
  spans: CapturedSpan[];
  logs: CapturedLog[];
  exemplar?: Exemplar;
}

/** How much the capture received, kept and dropped (each drop has its reason). */
export interface CaptureCounts {
  requests: number;
  badPayloads: number;
  spansReceived: number;
  logsReceived: number;
  tracesKept: number;
  /** Held for the whole hold time without being marked. */
  tracesDropped: number;
  /** Dropped before their time because the held spans reached the cap. */
  spansEvicted: number;
  /** The last bad payload's message. */
  lastError?: string;
}
