/**
 * The hand-off of ended spans to the export thread: an ended `LeanSpan` joins the batch
 * by reference (one array push), and the full batch is posted to a worker thread, whose
 * structured clone copies the spans' plain fields; the worker turns them into the SDK's
 * ReadableSpans (limits, hrtimes), serialises them to OTLP and sends them with the SDK's
 * own exporter (span-export-worker.mjs). The main thread never serialises or sends a span.
 *
 * The hand-off never blocks: when `maxQueueSize` spans are waiting (the batch being
 * filled plus the batches the worker has not finished exporting), a span is dropped and
 * counted. `forceFlush` and `shutdown` go through the worker, so a graceful shutdown
 * sends every span that was handed over.
 */
import { Worker } from 'node:worker_threads';
import type { Resource } from '@opentelemetry/resources';
import { encodeSpan, SpanClock, type LeanSpan } from './lean-span.ts';
import type { InstrumentationScope, LeanSink } from './lean-tracer.ts';

const WORKER = new URL('./span-export-worker.mjs', import.meta.url);
/** The export thread's garbage dies young: 8 MB cut its CPU per span by a fifth against 4 MB; 16 MB did no better. */
const YOUNG_GENERATION_MB = 8;

/** OTLP over HTTP, as OTEL_EXPORTER_OTLP_TRACES_PROTOCOL names it. */
export const OtlpProtocols = { Json: 'http/json', Protobuf: 'http/protobuf' } as const;
export type OtlpProtocol = (typeof OtlpProtocols)[keyof typeof OtlpProtocols];

/** The SDK's span limits (OTEL_SPAN_*_LIMIT); the export thread applies them with the SDK's defaults. */
export interface SpanLimits {
  attributeCountLimit?: number;
  attributeValueLengthLimit?: number;
  eventCountLimit?: number;
  linkCountLimit?: number;
  attributePerEventCountLimit?: number;
  attributePerLinkCountLimit?: number;
}

export interface SpanHandOffOptions {
  /** Spans per posted batch (the SDK's OTEL_BSP_MAX_EXPORT_BATCH_SIZE; default 512). */
  maxExportBatchSize?: number;
  /** Spans waiting before new ones are dropped (OTEL_BSP_MAX_QUEUE_SIZE; default 2048). */
  maxQueueSize?: number;
  /** A partial batch is posted after this long (OTEL_BSP_SCHEDULE_DELAY; default 5000 ms). */
  scheduledDelayMillis?: number;
  /** How long a flush waits for the worker (OTEL_BSP_EXPORT_TIMEOUT; default 30000 ms). */
  exportTimeoutMillis?: number;
  /** The OTLP traces URL; else the worker's exporter reads the standard OTEL_EXPORTER_OTLP_* variables. */
  url?: string;
  /** The OTLP encoding (default http/protobuf: see span-export-worker.mjs). */
  protocol?: OtlpProtocol;
  spanLimits?: SpanLimits;
  /** Told about the first dropped span and the first failed export, once each. */
  onProblem?: (message: string) => void;
}

/** What the worker says back. */
type WorkerReply = { type: 'exported'; count: number; ok: boolean; error?: string } | { type: 'flushed'; id: number };

export class SpanHandOff implements LeanSink {
  /** The spans' clock, set again with every batch so that it follows the wall clock. */
  readonly clock = new SpanClock();
  readonly #batchSize: number;
  readonly #maxQueue: number;
  readonly #delay: number;
  readonly #timeout: number;
  readonly #onProblem: (message: string) => void;
  readonly #workerData: { url: string | undefined; protocol: OtlpProtocol; spanLimits: SpanLimits };
  /** Started with the first batch: a service that samples nothing never starts it. */
  #worker: Worker | undefined;
  /** Ended spans not posted yet (SPAN_FIELDS values each); resources and scopes registered since the last batch. */
  #data: unknown[] = [];
  #count = 0;
  #freshResources: unknown[] = [];
  #freshScopes: unknown[] = [];
  /** Spans posted and not yet exported by the worker. */
  #inWorker = 0;
  #timer: NodeJS.Timeout | undefined;
  #dead = false;
  #closed = false;
  #dropped = 0;
  #failed = 0;
  readonly #resources = new Map<Resource, number>();
  #scopes = 0;
  readonly #waiting = new Map<number, () => void>();
  #nextFlush = 0;
  /** Messages held, in order, while a new resource's asynchronous attributes are detected. */
  #outbox: unknown[] | undefined;

  constructor({
    maxExportBatchSize = 512,
    maxQueueSize = 2048,
    scheduledDelayMillis = 5000,
    exportTimeoutMillis = 30_000,
    url,
    protocol = OtlpProtocols.Protobuf,
    spanLimits = {},
    onProblem = (message) => process.emitWarning(message),
  }: SpanHandOffOptions = {}) {
    this.#batchSize = Math.max(1, Math.min(maxExportBatchSize, maxQueueSize));
    this.#maxQueue = maxQueueSize;
    this.#delay = scheduledDelayMillis;
    this.#timeout = exportTimeoutMillis;
    this.#onProblem = onProblem;
    this.#workerData = { url, protocol, spanLimits };
  }

  /** Spans dropped because the hand-off was full or the worker was gone. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Spans the worker could not export. */
  get failed(): number {
    return this.#failed;
  }

  /** A tracer's resource and scope, sent to the worker once with the next batch and named by number after. */
  register(resource: Resource, scope: InstrumentationScope): number {
    let resourceId = this.#resources.get(resource);
    if (resourceId === undefined) {
      resourceId = this.#resources.size;
      this.#resources.set(resource, resourceId);
      const entry: unknown[] = [resourceId, undefined, resource.schemaUrl];
      this.#freshResources.push(entry);
      if (resource.asyncAttributesPending) this.#holdFor(resource, entry);
      else entry[1] = resource.attributes;
    }
    const scopeId = this.#scopes++;
    this.#freshScopes.push([scopeId, scope.name, scope.version, scope.schemaUrl]);
    return resourceId * 65536 + scopeId;
  }

  onEnd(span: LeanSpan): void {
    if (this.#dead || this.#inWorker + this.#count >= this.#maxQueue) return this.#drop(1);
    // Copied into the batch now rather than kept: the span object then dies young, and a
    // flat array clones faster than span objects (whose field names the clone writes each time).
    encodeSpan(span, this.#data);
    if (++this.#count >= this.#batchSize) this.#post();
    else this.#timer ??= setTimeout(() => this.#post(), this.#delay).unref();
  }

  /** Posts what is waiting and resolves when the worker has exported everything handed to it. */
  forceFlush(): Promise<void> {
    this.#post();
    // Batches held for a resource's attributes are sent, then this flush, in order.
    if (this.#outbox && this.#outbox.length > 0) this.#worker ??= this.#startWorker();
    const worker = this.#worker;
    if (this.#dead || !worker) return Promise.resolve();
    const id = this.#nextFlush++;
    worker.ref();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), this.#timeout);
      const finish = () => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        if (this.#waiting.size === 0) worker.unref();
        resolve();
      };
      this.#waiting.set(id, finish);
      this.#send({ type: 'flush', id });
    });
  }

  async shutdown(): Promise<void> {
    if (this.#closed) return;
    await this.forceFlush();
    this.#closed = true;
    this.#dead = true;
    await this.#worker?.terminate();
    if (this.#dropped + this.#failed > 0)
      this.#onProblem(`spans not exported: ${this.#dropped} dropped at the hand-off, ${this.#failed} failed to send`);
  }

  #post(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const count = this.#count;
    if (count === 0 || this.#dead) return;
    const message = {
      type: 'spans',
      count,
      resources: this.#freshResources,
      scopes: this.#freshScopes,
      data: this.#data,
    };
    this.#data = [];
    this.#count = 0;
    this.#freshResources = [];
    this.#freshScopes = [];
    this.#inWorker += count;
    try {
      this.#send(message);
    } catch (error) {
      // A value the structured clone cannot carry: this batch is lost, counted, and the next goes on.
      this.#inWorker -= count;
      this.#onProblem(`a span batch could not be handed to the export thread: ${(error as Error).message}`);
      this.#dropped += count;
    }
    this.clock.resync();
  }

  #send(message: unknown): void {
    if (this.#outbox) this.#outbox.push(message);
    else (this.#worker ??= this.#startWorker()).postMessage(message);
  }

  #startWorker(): Worker {
    // No TypeScript loader and none of the parent's flags (--cpu-prof) in the thread.
    const worker = new Worker(WORKER, {
      workerData: this.#workerData,
      execArgv: [],
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    worker.once('error', (error) => this.#onWorkerGone(`the span export thread failed: ${error.message}`));
    worker.once('exit', () => this.#onWorkerGone('the span export thread exited'));
    return worker;
  }

  /** As the SDK's batch processor does, a resource is exported with its detected attributes. */
  #holdFor(resource: Resource, entry: unknown[]): void {
    this.#outbox ??= [];
    const release = () => {
      entry[1] = resource.attributes;
      const held = this.#outbox ?? [];
      this.#outbox = undefined;
      for (const message of held) if (!this.#dead) (this.#worker ??= this.#startWorker()).postMessage(message);
    };
    void resource.waitForAsyncAttributes?.().then(release, release);
  }

  #onReply(reply: WorkerReply): void {
    if (reply.type === 'exported') {
      this.#inWorker -= reply.count;
      if (!reply.ok) {
        if (this.#failed === 0)
          this.#onProblem(`span export failed (${reply.error ?? 'unknown'}); later failures are counted`);
        this.#failed += reply.count;
      }
    } else if (reply.type === 'flushed') {
      this.#waiting.get(reply.id)?.();
    }
  }

  #drop(count: number): void {
    if (this.#dropped === 0) this.#onProblem('the span hand-off queue is full: spans are dropped and counted');
    this.#dropped += count;
  }

  #onWorkerGone(message: string): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#onProblem(message);
    this.#drop(this.#count);
    this.#data = [];
    this.#count = 0;
    for (const finish of [...this.#waiting.values()]) finish();
  }
}
