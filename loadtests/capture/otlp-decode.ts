/**
 * OTLP/HTTP request bodies (traces and logs) in both encodings a receiver must accept:
 * `application/json` (ids as hex, times as decimal strings or numbers) and
 * `application/x-protobuf` (decoded with protobufjs from `otlp-schema.json`, the OTLP .proto
 * messages written as a protobufjs JSON descriptor: the OpenTelemetry packages only encode
 * requests, they do not decode them). Both become the same plain spans and log records.
 */
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import type { AttributeValue, Attributes, CapturedLog, CapturedSpan, SpanEvent } from './types.ts';

export const OtlpEncodings = { Json: 'application/json', Protobuf: 'application/x-protobuf' } as const;
export type OtlpEncoding = (typeof OtlpEncodings)[keyof typeof OtlpEncodings];

/** A body that is not an OTLP request of the kind and encoding it claims; the message says what is wrong. */
export class OtlpPayloadError extends Error {
  override readonly name = 'OtlpPayloadError';
}

const MESSAGES = {
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
} as const;

let root: protobuf.Root | undefined;
function messageType(kind: keyof typeof MESSAGES): protobuf.Type {
  root ??= protobuf.Root.fromJSON(createRequire(import.meta.url)('./otlp-schema.json') as protobuf.INamespace);
  return root.lookupType(MESSAGES[kind]);
}

/** The encoding a Content-Type names (parameters ignored), or undefined when it is neither. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  return type === OtlpEncodings.Json || type === OtlpEncodings.Protobuf ? type : undefined;
}

type Obj = Record<string, unknown>;
const own = (o: unknown, key: string): boolean =>
  typeof o === 'object' && o !== null && Object.prototype.hasOwnProperty.call(o, key);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** Hex of an id: protobuf gives bytes, JSON gives hex already. */
function hexId(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return typeof v === 'string' ? v.toLowerCase() : '';
}

/** Epoch ms from nanoseconds given as a number, a decimal string or a protobufjs Long. */
function nanosToMs(v: unknown): number {
  if (v === undefined || v === null) return 0;
  const text = String(v);
  if (!/^\d+$/.test(text)) return 0;
  // Split so the milliseconds keep their precision past 2^53 nanoseconds.
  const ms = text.length > 6 ? Number(text.slice(0, -6)) : 0;
  return ms + Number(text.slice(-6)) / 1e6;
}

function anyValue(v: unknown): AttributeValue {
  if (typeof v !== 'object' || v === null) return null;
  if (own(v, 'stringValue')) return String((v as Obj).stringValue);
  if (own(v, 'boolValue')) return Boolean((v as Obj).boolValue);
  if (own(v, 'intValue')) return Number(String((v as Obj).intValue));
  if (own(v, 'doubleValue')) return Number((v as Obj).doubleValue);
  if (own(v, 'arrayValue')) return list(((v as Obj).arrayValue as Obj | undefined)?.values).map(anyValue);
  if (own(v, 'kvlistValue')) return attributes(((v as Obj).kvlistValue as Obj | undefined)?.values);
  if (own(v, 'bytesValue')) return hexId((v as Obj).bytesValue);
  return null;
}

function attributes(v: unknown): Attributes {
  const out: Attributes = {};
  for (const kv of list(v)) if (typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out;
}

function parseBody(kind: keyof typeof MESSAGES, body: Buffer, encoding: OtlpEncoding): Obj {
  if (encoding === OtlpEncodings.Json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new OtlpPayloadError(`the ${kind} body is not JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new OtlpPayloadError(`the ${kind} body is not a JSON object`);
    return parsed as Obj;
  }
  try {
    return messageType(kind).decode(body) as unknown as Obj;
  } catch (error) {
    throw new OtlpPayloadError(
      `the ${kind} body is not an OTLP protobuf ${MESSAGES[kind]}: ${(error as Error).message}`,
    );
  }
}

function toSpan(s: Obj, service: string | undefined): CapturedSpan {
  const traceId = hexId(s.traceId);
  const spanId = hexId(s.spanId);
  if (!/^[0-9a-f]{32}$/.test(traceId) || !/^[0-9a-f]{16}$/.test(spanId))
    throw new OtlpPayloadError(`a span has no valid traceId/spanId (got "${traceId}"/"${spanId}")`);
  const parent = hexId(s.parentSpanId);
  const status = (s.status ?? {}) as Obj;
  const events: SpanEvent[] = list(s.events).map((e) => ({
    name: String(e.name ?? ''),
    time: nanosToMs(e.timeUnixNano),
    attributes: attributes(e.attributes),
  }));
  return {
    traceId,
    spanId,
    ...(parent && !/^0+$/.test(parent) ? { parentSpanId: parent } : {}),
    name: String(s.name ?? ''),
    kind: Number(s.kind ?? 0),
    start: nanosToMs(s.startTimeUnixNano),
    end: nanosToMs(s.endTimeUnixNano),
    attributes: attributes(s.attributes),
    events,
    status: {
      code: Number(status.code ?? 0),
      ...(typeof status.message === 'string' && status.message ? { message: status.message } : {}),
    },
    ...(service ? { service } : {}),
  };
}

const serviceOf = (resource: unknown): string | undefined => {
  const name = attributes((resource as Obj | undefined)?.attributes)['service.name'];
  return typeof name === 'string' ? name : undefined;
};

/** The spans of an `ExportTraceServiceRequest`; throws `OtlpPayloadError` on anything else. */
export function decodeTraces(body: Buffer, encoding: OtlpEncoding): CapturedSpan[] {
  const request = parseBody('traces', body, encoding);
  if (request.resourceSpans !== undefined && !Array.isArray(request.resourceSpans))
    throw new OtlpPayloadError('resourceSpans must be an array');
  return list(request.resourceSpans).flatMap((rs) =>
    list(rs.scopeSpans).flatMap((ss) => list(ss.spans).map((s) => toSpan(s, serviceOf(rs.resource)))),
  );
}

/** The log records of an `ExportLogsServiceRequest` that carry a trace id. */
export function decodeLogs(body: Buffer, encoding: OtlpEncoding): CapturedLog[] {
  const request = parseBody('logs', body, encoding);
  if (request.resourceLogs !== undefined && !Array.isArray(request.resourceLogs))
    throw new OtlpPayloadError('resourceLogs must be an array');
  return list(request.resourceLogs).flatMap((rl) =>
    list(rl.scopeLogs).flatMap((sl) =>
      list(sl.logRecords).flatMap((r): CapturedLog[] => {
        const traceId = hexId(r.traceId);
        if (!/^[0-9a-f]{32}$/.test(traceId)) return [];
        const body = anyValue(r.body);
        const spanId = hexId(r.spanId);
        return [
          {
            traceId,
            ...(spanId ? { spanId } : {}),
            time: nanosToMs(r.timeUnixNano) || nanosToMs(r.observedTimeUnixNano),
            ...(typeof r.severityText === 'string' && r.severityText ? { level: r.severityText } : {}),
            ...(typeof body === 'string' ? { message: body } : {}),
            fields: { ...attributes(r.attributes), ...(body !== null && typeof body === 'object' ? body : {}) },
          },
        ];
      }),
    ),
  );
}
