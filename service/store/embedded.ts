/**
 * The embedded DynamoDB: dynalite (the real DynamoDB wire protocol over HTTP) on an
 * ephemeral port, in memory or on disk. Never bundled into the Lambda.
 *
 * It runs in a worker thread of its own, as DynamoDB runs apart from the service in AWS:
 * the store's CPU (most of an order's) does not delay the service's event loop, the
 * event-loop delay metric and CPU profiles show the service's own work. The SDK reaches it
 * over HTTP either way.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { repairIndexes, type IndexRepair } from './embedded-repair.ts';

export interface EmbeddedDynamo {
  endpoint: string;
  /** What opening an on-disk store repaired in its indexes (none after a clean stop). */
  repairs: readonly IndexRepair[];
  stop(): Promise<void>;
}

export interface EmbeddedDynamoOptions {
  /** LevelDB directory, so data survives a restart; in memory when absent. */
  dataDir?: string;
  /**
   * Repair an on-disk store's indexes against its items before serving (default true);
   * false serves the files as they are, for an audit of what the last process left.
   */
  repair?: boolean;
  port?: number;
  host?: string;
}

type WorkerMessage =
  { type: 'ready'; port: number } | { type: 'error'; message: string; code?: string } | { type: 'stopped' };

const WORKER = new URL('./embedded-worker.mjs', import.meta.url);
/**
 * The store thread's young generation (V8's default is 48 MB, three 16 MB semi-spaces).
 * What the store allocates per request dies young or is an item kept for good, so a small
 * nursery collects as well. Measured on `coffee serve` with all telemetry on, 16 s of POST
 * /orders, interleaved: peak resident memory 265 MB with 32, 244 MB with 16, 239 MB with 8,
 * at the same order rate (1183, 1138 and 1174 req/s, within the noise).
 */
const YOUNG_GENERATION_MB = 8;
/** dynalite gives pending LevelDB work this long to finish on close; a normal stop takes milliseconds. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Written into the data directory once dynalite has closed its LevelDB cleanly, removed when
 * a store opens it: a store that opens without it was killed, and its indexes are repaired.
 */
export const CLEAN_STOP_FILE = 'coffee-clean-stop';

/**
 * Readies an on-disk store for dynalite: a kill between dynalite's index and item writes
 * leaves indexes that disagree with the items (see embedded-repair.ts); after anything but
 * a clean stop they are made equal again before anyone reads.
 */
async function openDataDir(dataDir: string, repair: boolean): Promise<IndexRepair[]> {
  await mkdir(dataDir, { recursive: true });
  const stoppedCleanly = await rm(join(dataDir, CLEAN_STOP_FILE)).then(
    () => true,
    () => false,
  );
  if (!repair || stoppedCleanly) return [];
  const repairs = await repairIndexes(dataDir);
  if (repairs.length > 0) {
    const what = repairs.map((r) => `${r.table}/${r.index}: ${r.removed} removed, ${r.written} written`).join('; ');
    process.emitWarning(
      `the embedded DynamoDB in ${dataDir} was not stopped cleanly; its indexes were repaired (${what})`,
    );
  }
  return repairs;
}

/** The port the thread's dynalite listens on, once it says so; its own listeners removed after. */
function listening(worker: Worker, address: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const settle = (outcome: () => void) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      outcome();
    };
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'ready') settle(() => resolve(message.port));
      else if (message.type === 'error')
        settle(() =>
          reject(
            Object.assign(new Error(`the embedded DynamoDB could not listen on ${address}: ${message.message}`), {
              code: message.code,
            }),
          ),
        );
    };
    const onError = (error: Error) => settle(() => reject(error));
    const onExit = (code: number) =>
      settle(() => reject(new Error(`the embedded DynamoDB thread exited (code ${code}) before it was ready`)));
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

export async function startEmbeddedDynamo({
  dataDir,
  repair = true,
  port = 0,
  host = '127.0.0.1',
}: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamo> {
  const repairs = dataDir ? await openDataDir(dataDir, repair) : [];
  // No TypeScript loader in the thread (embedded-worker.mjs is JavaScript), and none of
  // the parent's flags such as --cpu-prof. A young generation of YOUNG_GENERATION_MB.
  const worker = new Worker(WORKER, {
    workerData: { dataDir, port, host },
    execArgv: [],
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  const bound = await listening(worker, `${host}:${port}`).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  // A thread that dies later (out of memory, a bug in dynalite) turns into refused
  // connections, which the service answers with 503; say why once.
  worker.once('error', (error) => process.emitWarning(`the embedded DynamoDB thread failed: ${error.message}`));
  let exited = false;
  worker.once('exit', () => (exited = true));
  const hostPart = host.includes(':') ? `[${host}]` : host;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${hostPart}:${bound}`,
    repairs,
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        let closed = false;
        const stopped = new Promise<void>((resolve) => {
          worker.on('message', (message: WorkerMessage) => message.type === 'stopped' && resolve(void (closed = true)));
          worker.once('exit', () => resolve());
        });
        worker.postMessage('stop');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
        clearTimeout(timer);
        await worker.terminate();
        if (dataDir && closed) await writeFile(join(dataDir, CLEAN_STOP_FILE), '');
      })();
      return stopping;
    },
  };
}
