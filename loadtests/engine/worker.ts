/**
 * An engine worker thread: runs `runEngine` on its share of the arrivals and posts its
 * bucket reports (histograms encoded) and, when asked, the responses back to the main
 * thread. The main thread posts `stop` to end it early.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runEngine, type EngineOptions, type ResponseEvent } from './engine.ts';
import { encodeReport } from './recorder.ts';
import type { ExemplarBatch } from '../shared/exemplars.ts';

export type WorkerInput = Omit<EngineOptions, 'sink' | 'signal' | 'journeys' | 't0'> & {
  wantResponses: boolean;
  wantExemplars: boolean;
};

export type WorkerMessage =
  | { type: 'bucket'; report: ReturnType<typeof encodeReport> }
  | { type: 'responses'; events: ResponseEvent[] }
  | { type: 'exemplars'; batch: ExemplarBatch }
  | { type: 'done'; aborted: boolean; eventLoopUtilization: number; activeMs: number }
  | { type: 'error'; message: string }
  | { type: 'ready' };

const port = parentPort!;
const input = workerData as WorkerInput;
const controller = new AbortController();
// The main thread sends the common start time once every worker has loaded, so no worker
// starts behind the schedule because it was slower to boot.
const t0 = new Promise<number>((resolve) => {
  port.on('message', (message: { type: string; delayMs?: number }) => {
    if (message.type === 'stop') controller.abort();
    if (message.type === 'start') resolve(performance.timeOrigin + performance.now() + (message.delayMs ?? 0));
  });
});
port.postMessage({ type: 'ready' } satisfies WorkerMessage);

// Responses go over in batches: one message per response would cost more than the request.
let batch: ResponseEvent[] = [];
const flushResponses = () => {
  if (batch.length === 0) return;
  port.postMessage({ type: 'responses', events: batch } satisfies WorkerMessage);
  batch = [];
};
const flusher = setInterval(flushResponses, 50);

try {
  const { wantResponses, wantExemplars, ...options } = input;
  const start = await t0;
  const elu = performance.eventLoopUtilization();
  const outcome = await runEngine({
    ...options,
    t0: start,
    signal: controller.signal,
    sink: {
      bucket: (report) => port.postMessage({ type: 'bucket', report: encodeReport(report) } satisfies WorkerMessage),
      ...(wantResponses ? { response: (event: ResponseEvent) => void batch.push(event) } : {}),
      ...(wantExemplars
        ? { exemplars: (b: ExemplarBatch) => port.postMessage({ type: 'exemplars', batch: b } satisfies WorkerMessage) }
        : {}),
    },
  });
  clearInterval(flusher);
  flushResponses();
  const used = performance.eventLoopUtilization(elu);
  port.postMessage({
    type: 'done',
    aborted: outcome.aborted,
    eventLoopUtilization: used.utilization,
    activeMs: used.active,
  } satisfies WorkerMessage);
} catch (error) {
  clearInterval(flusher);
  port.postMessage({
    type: 'error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  } satisfies WorkerMessage);
}
