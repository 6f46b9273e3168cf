// The span export thread of span-handoff.ts: turns each posted batch of LeanSpan records
// into the ReadableSpan shape the OTLP transformer reads, applying the SDK Span's limits
// and attribute checks on the way, and sends it with the SDK's OTLP/HTTP exporter, which
// reads the standard OTEL_EXPORTER_OTLP_* variables of this process.
// JavaScript, not TypeScript: no loader runs in this thread, compiled or under tsx.
import { parentPort, workerData } from 'node:worker_threads';
import { hrTimeDuration, isAttributeValue, millisToHrTime } from '@opentelemetry/core';

const { url, protocol, spanLimits = {} } = workerData ?? {};
// Protobuf by default: the OTLP default, and the cheaper encoding per span on this thread
// (docs/performance.md, "Where the cost goes"). http/json when the variables ask for it.
const { OTLPTraceExporter } =
  protocol === 'http/json'
    ? await import('@opentelemetry/exporter-trace-otlp-http')
    : await import('@opentelemetry/exporter-trace-otlp-proto');

/** The SDK TracerProvider's defaults for what the environment leaves unset. */
const LIMITS = {
  attributeCount: spanLimits.attributeCountLimit ?? 128,
  valueLength: spanLimits.attributeValueLengthLimit ?? Infinity,
  eventCount: spanLimits.eventCountLimit ?? 128,
  linkCount: spanLimits.linkCountLimit ?? 128,
  perEvent: spanLimits.attributePerEventCountLimit ?? 128,
  perLink: spanLimits.attributePerLinkCountLimit ?? 128,
};
const UNSET_STATUS = Object.freeze({ code: 0 });
const NONE = Object.freeze([]);

const exporter = new OTLPTraceExporter(url ? { url } : {});
const resources = new Map();
const scopes = new Map();
/** Batches waiting for an export slot, exports under way, and flushes waiting for both to be done. */
const MAX_EXPORTS = 2;
const queue = [];
let running = 0;
const idle = [];

/** A W3C trace state already serialised on the main thread. */
function traceState(serialised) {
  return serialised == null ? undefined : { serialize: () => serialised };
}

const hrTime = (time) => (typeof time === 'number' ? millisToHrTime(time) : time);

/** As SpanImpl's _truncateToSize: strings, and the strings of an array, cut to the value length limit. */
function truncate(value) {
  const limit = LIMITS.valueLength;
  // As the SDK: a limit of zero or less cuts nothing.
  if (!(limit > 0)) return value;
  if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
  if (Array.isArray(value))
    return value.map((v) => (typeof v === 'string' && v.length > limit ? v.substring(0, limit) : v));
  return value;
}

/**
 * The attributes the SDK's Span would hold: invalid keys and values left out uncounted,
 * the first `limit` valid ones kept (truncated), the rest counted as dropped.
 */
function limited(attributes, limit) {
  const out = {};
  let kept = 0;
  let dropped = 0;
  for (const key in attributes) {
    const value = attributes[key];
    if (key.length === 0 || value == null || !isAttributeValue(value)) continue;
    if (kept >= limit) dropped++;
    else {
      out[key] = truncate(value);
      kept++;
    }
  }
  return { attributes: out, dropped };
}

/** The last `limit` items, as the SDK's Span keeps them, and how many went. */
function lastOf(items, limit) {
  if (!items) return { items: NONE, dropped: 0 };
  return items.length <= limit
    ? { items, dropped: 0 }
    : { items: items.slice(items.length - limit), dropped: items.length - limit };
}

function event({ name, attributes, time }) {
  const { attributes: kept, dropped } = limited(attributes, LIMITS.perEvent);
  return { name, attributes: kept, time: hrTime(time), droppedAttributesCount: dropped };
}

function link(record) {
  const { attributes, dropped } = limited(record.attributes, LIMITS.perLink);
  const out = {
    context: {
      traceId: record.traceId,
      spanId: record.spanId,
      traceFlags: record.traceFlags,
      isRemote: record.isRemote,
      traceState: traceState(record.traceState),
    },
  };
  if (Object.keys(attributes).length > 0) out.attributes = attributes;
  if (dropped > 0) out.droppedAttributesCount = dropped;
  return out;
}

/** Values per span; the order of lean-span.ts's encodeSpan. */
const SPAN_FIELDS = 16;

/** The record at `o` in a batch's flat data, by the names of LeanSpan's fields. */
function record(data, o) {
  return {
    name: data[o],
    kind: data[o + 1],
    traceId: data[o + 2],
    spanId: data[o + 3],
    traceFlags: data[o + 4],
    traceState: data[o + 5],
    parentSpanId: data[o + 6],
    parentIsRemote: data[o + 7],
    startTime: data[o + 8],
    endTime: data[o + 9],
    attributes: data[o + 10],
    events: data[o + 11],
    statusCode: data[o + 12],
    statusMessage: data[o + 13],
    links: data[o + 14],
    scope: data[o + 15],
  };
}

function decode({ count, data }) {
  const spans = new Array(count);
  for (let i = 0; i < count; i++) spans[i] = readable(record(data, i * SPAN_FIELDS));
  return spans;
}

function readable(s) {
  const context = {
    traceId: s.traceId,
    spanId: s.spanId,
    traceFlags: s.traceFlags,
    traceState: traceState(s.traceState),
  };
  const { attributes, dropped } = limited(s.attributes, LIMITS.attributeCount);
  const events = lastOf(s.events, LIMITS.eventCount);
  const links = lastOf(s.links, LIMITS.linkCount);
  const startTime = hrTime(s.startTime);
  let endTime = hrTime(s.endTime);
  let duration = hrTimeDuration(startTime, endTime);
  if (duration[0] < 0) {
    endTime = startTime.slice();
    duration = [0, 0];
  }
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => context,
    parentSpanContext:
      s.parentSpanId === undefined
        ? undefined
        : { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: s.traceFlags, isRemote: s.parentIsRemote },
    startTime,
    endTime,
    duration,
    attributes,
    droppedAttributesCount: dropped,
    events: events.items === NONE ? NONE : events.items.map(event),
    droppedEventsCount: events.dropped,
    status:
      s.statusCode === 0
        ? UNSET_STATUS
        : s.statusMessage === undefined
          ? { code: s.statusCode }
          : { code: s.statusCode, message: s.statusMessage },
    links: links.items === NONE ? NONE : links.items.map(link),
    droppedLinksCount: links.dropped,
    resource: resources.get(Math.floor(s.scope / 65536)),
    instrumentationScope: scopes.get(s.scope % 65536),
    ended: true,
  };
}

function receive(message) {
  for (const [id, attributes, schemaUrl] of message.resources)
    resources.set(id, { attributes: attributes ?? {}, schemaUrl });
  for (const [id, name, version, schemaUrl] of message.scopes) scopes.set(id, { name, version, schemaUrl });
  queue.push(message);
  next();
}

/** Starts exports while fewer than MAX_EXPORTS run: the exporter refuses more than its own limit at once. */
function next() {
  while (running < MAX_EXPORTS && queue.length > 0) {
    const message = queue.shift();
    running++;
    exporter.export(decode(message), (result) => {
      running--;
      const ok = result.code === 0;
      parentPort.postMessage({
        type: 'exported',
        count: message.count,
        ok,
        ...(ok ? {} : { error: String(result.error?.message ?? result.error) }),
      });
      next();
      if (running === 0 && queue.length === 0) for (const resolve of idle.splice(0)) resolve();
    });
  }
}

async function flush(id) {
  if (running > 0 || queue.length > 0) await new Promise((resolve) => idle.push(resolve));
  await exporter.forceFlush().catch(() => {});
  parentPort.postMessage({ type: 'flushed', id });
}

parentPort.on('message', (message) => {
  if (message.type === 'spans') receive(message);
  else if (message.type === 'flush') void flush(message.id);
});
