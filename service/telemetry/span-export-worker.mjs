// The span export thread of span-handoff.ts: turns each posted batch back into the
// ReadableSpan shape the OTLP transformer reads and sends it with the SDK's OTLP/HTTP
// exporter, which reads the standard OTEL_EXPORTER_OTLP_* variables of this process.
// JavaScript, not TypeScript: no loader runs in this thread, compiled or under tsx.
import { parentPort, workerData } from 'node:worker_threads';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

/** Values per span; the order of SpanHandOff's #encode. */
const SPAN_FIELDS = 18;
const UNSET_STATUS = Object.freeze({ code: 0 });
const NONE = Object.freeze([]);

const exporter = new OTLPTraceExporter(workerData?.url ? { url: workerData.url } : {});
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

function link(plain) {
  const { traceState: state, ...context } = plain.context;
  return { ...plain, context: { ...context, traceState: traceState(state) } };
}

function decode({ count, data }) {
  const spans = new Array(count);
  for (let i = 0, o = 0; i < count; i++, o += SPAN_FIELDS) {
    const context = {
      traceId: data[o + 2],
      spanId: data[o + 3],
      traceFlags: data[o + 4],
      traceState: traceState(data[o + 5]),
    };
    const parentId = data[o + 6];
    const refs = data[o + 17];
    spans[i] = {
      name: data[o],
      kind: data[o + 1],
      spanContext: () => context,
      parentSpanContext:
        parentId === undefined
          ? undefined
          : {
              traceId: context.traceId,
              spanId: parentId,
              traceFlags: context.traceFlags,
              isRemote: data[o + 7] ?? undefined,
            },
      startTime: data[o + 8],
      endTime: data[o + 9],
      attributes: data[o + 10],
      droppedAttributesCount: data[o + 11],
      events: data[o + 12] ?? NONE,
      droppedEventsCount: data[o + 13],
      status: data[o + 14] ?? UNSET_STATUS,
      links: data[o + 15]?.map(link) ?? NONE,
      droppedLinksCount: data[o + 16],
      resource: resources.get(Math.floor(refs / 65536)),
      instrumentationScope: scopes.get(refs % 65536),
      ended: true,
      duration: [0, 0],
    };
  }
  return spans;
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
