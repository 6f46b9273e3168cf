/**
 * Runs the engine in this thread (`workers: 0`) or in worker threads, each taking an equal
 * share of the arrivals and of the sockets. Worker threads keep the generator's event loop
 * apart from the main thread's (progress rendering, an embedded service), so timers fire
 * on time; more than one helps only when one thread cannot keep up with the schedule.
 */
import { Worker } from 'node:worker_threads';
import { runEngine, type EngineOptions, type ResponseEvent } from './engine.ts';
import type { BucketReport, EncodedBucketReport } from './recorder.ts';
import type { WorkerInput, WorkerMessage } from './worker.ts';
import type { ExemplarBatch } from '../shared/exemplars.ts';

export interface EngineRunOptions extends Omit<EngineOptions, 'sink' | 'workerIndex' | 'workerCount' | 't0'> {
  workers: number;
  /** Called with the run's start (epoch ms) once the engines are ready to go. */
  onStart?: (t0: number) => void;
  onBucket(report: BucketReport | EncodedBucketReport): void;
  onResponse?: (event: ResponseEvent) => void;
  /** This process's share of the arrivals when several processes split one run (instance `index` of `count`). */
  share?: { index: number; count: number };
  /** A batch of exemplars from engine thread `source` (0 when in-thread). */
  onExemplars?: (source: number, batch: ExemplarBatch) => void;
}

export interface EngineRunOutcome {
  aborted: boolean;
  /** CPU the generator threads used, in seconds, when they ran in workers (event-loop active time). */
  generatorActiveSeconds?: number;
}

const now = (): number => performance.timeOrigin + performance.now();

export async function runEngines(options: EngineRunOptions): Promise<EngineRunOutcome> {
  const {
    workers,
    onBucket,
    onResponse,
    onExemplars,
    onStart,
    signal,
    journeys,
    share = { index: 0, count: 1 },
    ...engine
  } = options;
  if (workers <= 0) {
    const t0 = now();
    onStart?.(t0);
    const outcome = await runEngine({
      ...engine,
      t0,
      workerIndex: share.index,
      workerCount: share.count,
      ...(journeys ? { journeys } : {}),
      ...(signal ? { signal } : {}),
      sink: {
        bucket: onBucket,
        ...(onResponse ? { response: onResponse } : {}),
        ...(onExemplars ? { exemplars: (batch: ExemplarBatch) => onExemplars(0, batch) } : {}),
      },
    });
    return { aborted: outcome.aborted };
  }
  if (journeys)
    throw new Error('custom journeys run only in-thread (workers: 0): functions cannot cross into a worker');
  let ready = 0;
  let announceReady!: () => void;
  const allReady = new Promise<void>((resolve) => (announceReady = resolve));
  const started: Worker[] = [];
  void allReady.then(() => {
    // Each thread has its own performance.timeOrigin, and the epoch times derived from
    // them can disagree by more than a millisecond: send a delay, not a moment, so every
    // thread measures from a start in its own clock (message transit is microseconds).
    const delayMs = 20;
    onStart?.(now() + delayMs);
    for (const worker of started) worker.postMessage({ type: 'start', delayMs });
  });
  const running = Promise.all(
    Array.from({ length: workers }, (_, workerIndex) => {
      const input: WorkerInput = {
        ...engine,
        // Instance i of n takes arrivals i, i+n, ...; its worker w takes every workers-th of those.
        workerIndex: share.index + share.count * workerIndex,
        workerCount: share.count * workers,
        wantResponses: onResponse !== undefined,
        wantExemplars: onExemplars !== undefined,
      };
      const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: input });
      started.push(worker);
      const stop = () => worker.postMessage({ type: 'stop' });
      signal?.addEventListener('abort', stop, { once: true });
      return new Promise<{ aborted: boolean; activeMs: number }>((resolve, reject) => {
        let settled = false;
        worker.on('message', (message: WorkerMessage) => {
          if (message.type === 'ready') {
            if (++ready === workers) announceReady();
          } else if (message.type === 'bucket') onBucket(message.report);
          else if (message.type === 'responses') for (const event of message.events) onResponse?.(event);
          else if (message.type === 'exemplars') onExemplars?.(workerIndex, message.batch);
          else if (message.type === 'done') {
            settled = true;
            resolve({ aborted: message.aborted, activeMs: message.activeMs });
          } else if (message.type === 'error') {
            settled = true;
            reject(new Error(`load engine worker ${workerIndex} failed: ${message.message}`));
          }
        });
        worker.on('error', (error) => {
          settled = true;
          reject(error);
        });
        worker.on('exit', (code) => {
          signal?.removeEventListener('abort', stop);
          if (!settled)
            reject(new Error(`load engine worker ${workerIndex} exited with code ${code} before finishing`));
        });
      }).finally(() => void worker.terminate());
    }),
  );
  let outcomes: { aborted: boolean; activeMs: number }[];
  try {
    outcomes = await running;
  } catch (error) {
    // One worker failed: the others may still wait for the start, end them too.
    await Promise.all(started.map((worker) => worker.terminate()));
    throw error;
  }
  return {
    aborted: outcomes.some((o) => o.aborted),
    generatorActiveSeconds: outcomes.reduce((sum, o) => sum + o.activeMs, 0) / 1000,
  };
}
