/**
 * The capture's memory during a 10-minute `average` run, compressed in time: the receiver
 * (in this process) takes the spans and traced log lines such a run sends, over HTTP as
 * OTLP JSON in the exporter's batch size, while the clock it holds traces by advances one
 * second per simulated second; the client marks its exemplars at their bounds (3 per route
 * group per second, failures up to 500). The figure is the most the capture retains: heap
 * and array buffers above the level before the receiver started, after a full collection,
 * every 10 simulated seconds. The peak before collection (garbage included, the generator's
 * too) is in the details, for information.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startOtlpReceiver, type OtlpReceiver } from '../loadtests/index.ts';
import type { FigureInput } from './figure.ts';

export interface CaptureBenchOptions {
  /** Simulated run length. Default 600 s (10 minutes). */
  durationS?: number;
  /** Requests per second the service answers (the average profile's 10 journeys/s, about 4 requests each, and more). */
  requestsPerSecond?: number;
  /** Spans per request (the server span and its DynamoDB calls). Default 3. */
  spansPerRequest?: number;
  /** Route groups the exemplars are spread over. Default 4. */
  routeGroups?: number;
}

/** The exporter's batch (BatchSpanProcessor's maxExportBatchSize). */
const BATCH = 512;
const BUDGET_MB = 64;

function collectGarbage(): void {
  setFlagsFromString('--expose_gc');
  (runInNewContext('gc') as () => void)();
}

const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** One OTLP JSON span, shaped like the service's (server span or DynamoDB call, with attributes and an event). */
function spanJson(traceId: string, index: number, atNs: bigint): string {
  const spanId = randomBytes(8).toString('hex');
  const name = index === 0 ? 'POST /orders' : 'DynamoDB.PutItem';
  return JSON.stringify({
    traceId,
    spanId,
    ...(index ? { parentSpanId: 'a'.repeat(16) } : {}),
    name,
    kind: index === 0 ? 2 : 3,
    startTimeUnixNano: String(atNs),
    endTimeUnixNano: String(atNs + 4_000_000n),
    attributes: [
      { key: 'http.route', value: { stringValue: '/orders' } },
      { key: 'http.request.method', value: { stringValue: 'POST' } },
      { key: 'db.operation.name', value: { stringValue: 'PutItem' } },
      { key: 'aws.request_id', value: { stringValue: randomBytes(16).toString('hex') } },
      { key: 'coffee.dynamodb.attempts', value: { intValue: '1' } },
    ],
    events: index === 2 ? [{ timeUnixNano: String(atNs), name: 'dynamodb.throttled', attributes: [] }] : [],
    status: { code: 0 },
  });
}

async function post(receiver: OtlpReceiver, spans: string[]): Promise<void> {
  const body = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"coffee-cloud"}}]},"scopeSpans":[{"scope":{"name":"coffee"},"spans":[${spans.join(',')}]}]}]}`;
  const res = await fetch(`${receiver.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 200) throw new Error(`the receiver answered ${res.status}: ${await res.text()}`);
}

/** Runs the simulated stream and returns the figure (MB, budget 64). */
export async function captureMemoryFigure({
  durationS = 600,
  requestsPerSecond = 50,
  spansPerRequest = 3,
  routeGroups = 4,
}: CaptureBenchOptions = {}): Promise<FigureInput> {
  let now = Date.now();
  collectGarbage();
  const before = used();
  const receiver = await startOtlpReceiver({ now: () => now, sweepIntervalMs: 60_000 });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, used() - before)), 50);
  let failuresMarked = 0;
  let retained = 0;
  try {
    for (let second = 0; second < durationS; second++) {
      const atNs = BigInt(now) * 1_000_000n;
      const traceIds = Array.from({ length: requestsPerSecond }, () => randomBytes(16).toString('hex'));
      const spans = traceIds.flatMap((id) => Array.from({ length: spansPerRequest }, (_, i) => spanJson(id, i, atNs)));
      for (let i = 0; i < spans.length; i += BATCH) await post(receiver, spans.slice(i, i + BATCH));
      receiver.store.addLogs(
        traceIds.map((traceId) => ({
          traceId,
          time: now,
          level: 'info',
          message: 'request',
          fields: { route: '/orders', status: 201, duration_ms: 4, request_id: traceId.slice(0, 12) },
        })),
      );
      // The client's marks: the slowest 3 per route group, and a failure now and then up to the run's bound.
      for (const id of traceIds.slice(0, 3 * routeGroups)) receiver.store.keep(id);
      if (failuresMarked < 500 && second % 2 === 0) {
        receiver.store.keep(traceIds[traceIds.length - 1] as string);
        failuresMarked++;
      }
      now += 1_000;
      receiver.store.sweep();
      if (second % 10 === 9) {
        collectGarbage();
        retained = Math.max(retained, used() - before);
      }
    }
  } finally {
    clearInterval(sampler);
  }
  const counts = { ...receiver.store.counts };
  const kept = receiver.store.keptTraces;
  await receiver.close();
  return {
    name: 'trace capture (toolkit side) during a 10-minute average run',
    kind: 'primary',
    measure: 'retained heap after a full collection, MB, simulated 10-minute span stream',
    value: Math.round((retained / 1024 / 1024) * 10) / 10,
    budget: BUDGET_MB,
    comparator: '<=',
    unit: 'MB',
    details: {
      simulatedSeconds: durationS,
      spansReceived: counts.spansReceived,
      tracesKept: kept,
      tracesDropped: counts.tracesDropped,
      spansEvicted: counts.spansEvicted,
      peakWithGarbageMB: Math.round(peak / 1024 / 1024),
    },
  };
}
