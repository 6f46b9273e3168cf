/**
 * The server's span: plain data recorded as cheaply as the API allows. Its public fields
 * are the record the export thread receives (`encodeSpan` pushes them into the batch).
 * Attribute values are checked when they are set, as the SDK's `Span` checks them: a value
 * the structured clone cannot carry (a function, a symbol) would fail the whole batch.
 * Span limits, truncation and the hrtime conversion are left to the export thread
 * (span-export-worker.mjs), which applies them as the SDK's `Span` does.
 */
import { isAttributeValue, sanitizeAttributes } from '@opentelemetry/core';
import {
  diag,
  SpanStatusCode,
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';

/** Epoch milliseconds, or an HrTime a caller gave. */
export type SpanTime = number | HrTime;

export interface EventRecord {
  name: string;
  attributes: Attributes | undefined;
  time: SpanTime;
}

export interface LinkRecord {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote: boolean | undefined;
  traceState: string | undefined;
  attributes: Attributes | undefined;
}

/** Where an ended span goes (the hand-off to the export thread). */
export interface SpanSink {
  onEnd(span: LeanSpan): void;
}

/** The clock spans read: epoch ms of performance.now()'s zero, refreshed by the hand-off once per batch. */
export class SpanClock {
  origin = Date.now() - performance.now();

  resync(): void {
    this.origin = Date.now() - performance.now();
  }

  /** An API TimeInput as epoch ms (or the HrTime it is), as the SDK's Span reads it. */
  toTime(input: TimeInput): SpanTime {
    if (typeof input === 'number') return input <= performance.now() ? this.origin + input : input;
    if (input instanceof Date) return input.getTime();
    return input;
  }
}

/** What the tracer gives a new span. */
export interface LeanSpanInit {
  name: string;
  kind: SpanKind;
  context: SpanContext;
  parentSpanId: string | undefined;
  parentIsRemote: boolean | undefined;
  attributes: Attributes;
  links: LinkRecord[] | undefined;
  startTime: TimeInput | undefined;
  /** The tracer's resource and scope, as the hand-off numbered them. */
  scope: number;
}

const EXCEPTION_EVENT = 'exception';
const ATTR_EXCEPTION_TYPE = 'exception.type';
const ATTR_EXCEPTION_MESSAGE = 'exception.message';
const ATTR_EXCEPTION_STACKTRACE = 'exception.stacktrace';

export class LeanSpan implements Span {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  traceFlags: number;
  /** Serialised when the span ends (rarely present: only when a caller sent `tracestate`). */
  traceState: string | undefined = undefined;
  parentSpanId: string | undefined;
  parentIsRemote: boolean | undefined;
  startTime: SpanTime;
  endTime: SpanTime = 0;
  attributes: Attributes;
  events: EventRecord[] | undefined = undefined;
  statusCode: SpanStatusCode = SpanStatusCode.UNSET;
  statusMessage: string | undefined = undefined;
  links: LinkRecord[] | undefined;
  scope: number;
  readonly #context: SpanContext;
  readonly #sink: SpanSink;
  readonly #clock: SpanClock;
  /** performance.now() at the start, or -1 when the caller gave the start time. */
  readonly #t0: number;
  #ended = false;

  constructor(init: LeanSpanInit, sink: SpanSink, clock: SpanClock) {
    const context = init.context;
    this.name = init.name;
    this.kind = init.kind;
    this.traceId = context.traceId;
    this.spanId = context.spanId;
    this.traceFlags = context.traceFlags;
    this.parentSpanId = init.parentSpanId;
    this.parentIsRemote = init.parentIsRemote;
    this.attributes = init.attributes;
    this.links = init.links;
    this.scope = init.scope;
    this.#context = context;
    this.#sink = sink;
    this.#clock = clock;
    if (init.startTime === undefined) {
      this.#t0 = performance.now();
      this.startTime = clock.origin + this.#t0;
    } else {
      this.#t0 = -1;
      this.startTime = clock.toTime(init.startTime);
    }
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (!this.#ended && validAttribute(key, value)) this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (!this.#ended)
      for (const key in attributes) {
        const value = attributes[key];
        if (Object.prototype.hasOwnProperty.call(attributes, key) && validAttribute(key, value))
          this.attributes[key] = value;
      }
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.#ended) return this;
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) time ??= attributesOrTime;
    else attributes = attributesOrTime;
    (this.events ??= []).push({
      name,
      attributes: attributes && sanitizeAttributes(attributes),
      time: this.#time(time),
    });
    return this;
  }

  addLink(link: Link): this {
    if (!this.#ended) (this.links ??= []).push(linkRecord(link));
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.#ended || status.code === SpanStatusCode.UNSET || this.statusCode === SpanStatusCode.OK) return this;
    this.statusCode = status.code;
    this.statusMessage = undefined;
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') this.statusMessage = status.message;
      else if (status.message != null) diag.warn(`Dropping invalid status.message of type '${typeof status.message}'`);
    }
    return this;
  }

  updateName(name: string): this {
    if (!this.#ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.#ended) {
      diag.error(`${this.name} ${this.traceId}-${this.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this.#time(endTime);
    this.#ended = true;
    const state = this.#context.traceState;
    if (state) this.traceState = state.serialize();
    this.#sink.onEnd(this);
  }

  isRecording(): boolean {
    return !this.#ended;
  }

  /** As the SDK's Span: an `exception` event with type, message and stack. */
  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    else if (exception) {
      if (exception.code) attributes[ATTR_EXCEPTION_TYPE] = exception.code.toString();
      else if (exception.name) attributes[ATTR_EXCEPTION_TYPE] = exception.name;
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] || attributes[ATTR_EXCEPTION_MESSAGE])
      this.addEvent(EXCEPTION_EVENT, attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  /** An event's or the end's time: given, or the start plus the monotonic clock's advance (as the SDK). */
  #time(input: TimeInput | undefined): SpanTime {
    if (input !== undefined) return this.#clock.toTime(input);
    if (this.#t0 < 0) return Date.now();
    return (this.startTime as number) + (performance.now() - this.#t0);
  }
}

/** Values per span in a posted batch, in the order `encodeSpan` pushes them and the export thread reads them. */
export const SPAN_FIELDS = 16;

/** A span's record as SPAN_FIELDS plain values (span-export-worker.mjs reads them by position). */
export function encodeSpan(s: LeanSpan, data: unknown[]): void {
  data.push(
    s.name,
    s.kind,
    s.traceId,
    s.spanId,
    s.traceFlags,
    s.traceState,
    s.parentSpanId,
    s.parentIsRemote,
    s.startTime,
    s.endTime,
    s.attributes,
    s.events,
    s.statusCode,
    s.statusMessage,
    s.links,
    s.scope,
  );
}

/** A link as plain data, its trace state serialised. */
export function linkRecord(link: Link): LinkRecord {
  const { traceId, spanId, traceFlags, isRemote, traceState } = link.context;
  const attributes = link.attributes && sanitizeAttributes(link.attributes);
  return { traceId, spanId, traceFlags, isRemote, traceState: traceState?.serialize(), attributes };
}

/** What the SDK's `Span.setAttribute` accepts: a non-empty key, a primitive or a homogeneous array of them. */
function validAttribute(key: string, value: unknown): value is AttributeValue {
  if (value == null || key.length === 0) return false;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (isAttributeValue(value)) return true;
  diag.warn(`Invalid attribute value set for key: ${key}`);
  return false;
}

function isTimeInput(value: unknown): value is TimeInput {
  return (
    typeof value === 'number' ||
    value instanceof Date ||
    (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number')
  );
}
