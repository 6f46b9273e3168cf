/**
 * The capture's memory during a 10-minute `average` run, compressed in time: the receiver
 * takes the spans and traced log lines such a run sends, over HTTP as OTLP JSON in the
 * exporter's batch size, while the clock it holds traces by advances one second per
 * simulated second; the client marks its exemplars at their bounds (3 per route group per
 * second, failures up to 500). The figure is the most the capture retains: heap and array
 * buffers above the level before the receiver started, after a full collection, every 10
 * simulated seconds. The peak before collection (garbage included, the generator's too) is
 * in the details, for information.
 *
 * Deterministic, so two runs agree: the stream runs in a fresh child process started with
 * `--expose-gc` (nothing of the bench's own heap, nothing compiled or collected before), its
 * ids come from a seeded generator and its clock from a fixed epoch, and the posts go over
 * `node:http` (loaded before the baseline is read, unlike fetch's lazily loaded client).
 */
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
/** The simulated run's start (a fixed epoch, so every run's timestamps have the same digits). */
const EPOCH_MS = 1_767_225_600_000;
const SEED = 0x9e3779b9;
const CHILD_FLAG = '--capture-child';

/** Seeded hex ids (xorshift32): the same stream in every run. */
class HexIds {
  #state = SEED;

  next(bytes: number): string {
    let hex = '';
    while (hex.length < bytes * 2) {
      let x = this.#state;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.#state = x >>> 0;
      hex += this.#state.toString(16).padStart(8, '0');
    }
    return hex.slice(0, bytes * 2);
  }
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the capture bench needs node --expose-gc (captureMemoryFigure starts it so)');
  // Twice: the first collection's finalizers can free more.
  gc();
  gc();
}

const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** One OTLP JSON span, shaped like the service's (server span or DynamoDB call, with attributes and an event). */
function spanJson(ids: HexIds, traceId: string, index: number, atNs: bigint): string {
  const spanId = ids.next(8);
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
      { key: 'aws.request_id', value: { stringValue: ids.next(16) } },
      { key: 'coffee.dynamodb.attempts', value: { intValue: '1' } },
    ],
    events: index === 2 ? [{ timeUnixNano: String(atNs), name: 'dynamodb.throttled', attributes: [] }] : [],
    status: { code: 0 },
  });
}

function post(receiver: OtlpReceiver, agent: Agent, spans: string[]): Promise<void> {
  const body = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"coffee-cloud"}}]},"scopeSpans":[{"scope":{"name":"coffee"},"spans":[${spans.join(',')}]}]}]}`;
  return new Promise((resolve, reject) => {
    const req = request(`${receiver.url}/v1/traces`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`the receiver answered ${res.statusCode}: ${text}`)),
      );
    });
    req.end(body);
  });
}

/** Runs the simulated stream in this process (started with --expose-gc) and returns the figure. */
async function measureInThisProcess({
  durationS = 600,
  requestsPerSecond = 50,
  spansPerRequest = 3,
  routeGroups = 4,
}: CaptureBenchOptions): Promise<FigureInput> {
  let now = EPOCH_MS;
  const ids = new HexIds();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
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
      const traceIds = Array.from({ length: requestsPerSecond }, () => ids.next(16));
      const spans = traceIds.flatMap((id) =>
        Array.from({ length: spansPerRequest }, (_, i) => spanJson(ids, id, i, atNs)),
      );
      for (let i = 0; i < spans.length; i += BATCH) await post(receiver, agent, spans.slice(i, i + BATCH));
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
  agent.destroy();
  await receiver.close();
  return {
    name: 'trace capture (toolkit side) during a 10-minute average run',
    kind: 'primary',
    measure:
      'retained heap and array buffers after a full collection, MB, simulated 10-minute span stream, in a fresh process',
    value: Math.round((retained / 1024 / 1024) * 100) / 100,
    budget: BUDGET_MB,
    comparator: '<=',
    unit: 'MB',
    details: {
      simulatedSeconds: durationS,
      spansReceived: counts.spansReceived,
      tracesKept: kept,
      tracesDropped: counts.tracesDropped,
      spansEvicted: counts.spansEvicted,
      retainedKiB: Math.round(retained / 1024),
      peakWithGarbageMB: Math.round(peak / 1024 / 1024),
    },
  };
}

const runFile = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);

/**
 * Fresh processes the figure is the median of. The stream is the same in each (seeded ids,
 * a fixed clock), but what a process retains is not to the KiB: its code, caches and
 * where its collections fall. Four single runs ranged from 7,006 to 7,258 KiB, 3.5%,
 * which alone could move a figure measured once by more than two runs may differ.
 */
export const CAPTURE_PROCESSES = 5;

/** Runs the simulated stream in a fresh child process. */
async function captureInChild(options: CaptureBenchOptions): Promise<FigureInput> {
  const { stdout } = await runFile(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', SELF, CHILD_FLAG, JSON.stringify(options)],
    { maxBuffer: 1024 * 1024, cwd: fileURLToPath(new URL('..', import.meta.url)) },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as FigureInput;
}

/**
 * The figure (MB, budget 64): the simulated stream in `processes` fresh child processes one
 * after the other, each a round; the details are the median round's.
 */
export async function captureMemoryFigure(
  options: CaptureBenchOptions = {},
  processes = CAPTURE_PROCESSES,
): Promise<FigureInput> {
  const runs: FigureInput[] = [];
  for (let i = 0; i < processes; i++) runs.push(await captureInChild(options));
  const kib = (run: FigureInput) => Number(run.details?.retainedKiB);
  const sorted = [...runs].sort((a, b) => kib(a) - kib(b));
  const middle = sorted[(sorted.length - 1) >> 1]!;
  const { value: _, ...figure } = middle;
  return {
    ...figure,
    rounds: runs.map((run) => ({
      value: run.value!,
      sides: { capture: { retainedKiB: kib(run) } },
    })),
    details: { ...middle.details, processes },
  };
}

if (process.argv[1] === SELF && process.argv[2] === CHILD_FLAG) {
  const figure = await measureInThisProcess(JSON.parse(process.argv[3] ?? '{}') as CaptureBenchOptions);
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}
