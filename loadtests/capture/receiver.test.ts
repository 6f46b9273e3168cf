import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { OTLPTraceExporter as HttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from './receiver.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

/** Sends one server span with one DynamoDB child (two attempts, a throttle event) through `exporter`. */
async function sendTrace(exporter: SpanExporter, traceId = TRACE_ID): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'coffee-cloud' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('test');
  const parent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId: CLIENT_SPAN,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const server = tracer.startSpan(
    'POST /orders',
    { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 503 } },
    parent,
  );
  const dynamo = tracer.startSpan(
    'DynamoDB.PutItem',
    { kind: SpanKind.CLIENT, attributes: { 'coffee.dynamodb.attempts': 2, 'aws.dynamodb.table_names': ['coffee'] } },
    trace.setSpan(parent, server),
  );
  dynamo.addEvent('dynamodb.throttled', { 'db.operation.name': 'PutItem' });
  dynamo.setStatus({ code: SpanStatusCode.ERROR, message: 'ProvisionedThroughputExceededException' });
  dynamo.end();
  server.end();
  await provider.forceFlush();
  await provider.shutdown();
}

describe('the OTLP/HTTP receiver', () => {
  let receiver: OtlpReceiver;
  afterEach(() => receiver?.close());

  for (const [encoding, makeExporter] of [
    ['JSON (exporter-trace-otlp-http)', (url: string) => new HttpExporter({ url })],
    [
      'protobuf, gzipped (exporter-trace-otlp-proto)',
      (url: string) => new ProtoExporter({ url, compression: 'gzip' as never }),
    ],
  ] as const) {
    it(`decodes what the OpenTelemetry exporter sends in ${encoding}`, async () => {
      receiver = await startOtlpReceiver();
      receiver.store.keep(TRACE_ID);
      await sendTrace(makeExporter(`${receiver.url}/v1/traces`));
      const [kept] = receiver.store.finish();
      expect(receiver.store.counts.badPayloads).toBe(0);
      expect(kept?.traceId).toBe(TRACE_ID);
      const server = kept?.spans.find((s) => s.name === 'POST /orders');
      const dynamo = kept?.spans.find((s) => s.name === 'DynamoDB.PutItem');
      expect(server).toMatchObject({ parentSpanId: CLIENT_SPAN, kind: 2, service: 'coffee-cloud' });
      expect(server?.attributes['http.response.status_code']).toBe(503);
      expect(dynamo).toMatchObject({
        parentSpanId: server?.spanId,
        kind: 3,
        status: { code: 2, message: 'ProvisionedThroughputExceededException' },
        attributes: { 'coffee.dynamodb.attempts': 2, 'aws.dynamodb.table_names': ['coffee'] },
      });
      expect(dynamo?.events.map((e) => e.name)).toEqual(['dynamodb.throttled']);
      expect(dynamo!.end).toBeGreaterThanOrEqual(dynamo!.start);
      expect(Math.abs(dynamo!.start - Date.now())).toBeLessThan(60_000);
    });
  }

  it('answers a malformed body with 400 and a message, counts it, and goes on receiving', async () => {
    receiver = await startOtlpReceiver();
    const post = (body: Buffer | string, type: string, extra: Record<string, string> = {}) =>
      fetch(`${receiver.url}/v1/traces`, { method: 'POST', headers: { 'content-type': type, ...extra }, body });
    const badJson = await post('{"resourceSpans": [', 'application/json');
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { message: string }).message).toMatch(/not JSON/);
    const badProto = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff]), 'application/x-protobuf');
    expect(badProto.status).toBe(400);
    const badGzip = await post('plain', 'application/json', { 'content-encoding': 'gzip' });
    expect(badGzip.status).toBe(400);
    expect((await post('{}', 'text/plain')).status).toBe(415);
    expect(receiver.store.counts.badPayloads).toBe(4);

    const good = await post(gzipSync('{"resourceSpans":[]}'), 'application/json', { 'content-encoding': 'gzip' });
    expect(good.status).toBe(200);
    receiver.store.keep(TRACE_ID);
    await sendTrace(new HttpExporter({ url: `${receiver.url}/v1/traces` }));
    expect(receiver.store.finish().map((t) => t.traceId)).toEqual([TRACE_ID]);
  });

  it('accepts OTLP logs and keeps those of a marked trace with it', async () => {
    receiver = await startOtlpReceiver();
    receiver.store.keep(TRACE_ID);
    const body = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: '1700000000000000000',
                  severityText: 'warn',
                  body: { stringValue: 'throttled' },
                  traceId: TRACE_ID,
                  spanId: CLIENT_SPAN,
                },
                { timeUnixNano: '1700000000000000000', body: { stringValue: 'no trace' } },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${receiver.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const [kept] = receiver.store.finish();
    expect(kept?.logs).toMatchObject([
      { traceId: TRACE_ID, level: 'warn', message: 'throttled', time: 1_700_000_000_000 },
    ]);
  });
});
