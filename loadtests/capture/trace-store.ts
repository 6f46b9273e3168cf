/**
 * Tail selection: spans and log lines of a trace are held for a while, and the trace is kept
 * only when the client marks its id (`keep`, fed by the engine's exemplars); a trace that
 * stays unmarked for the hold time is dropped and counted. Held spans are capped: past the
 * cap the oldest held traces go first (counted), so memory stays bounded whatever the rate.
 * Kept traces are capped too: past it the least slow of the "slowest" exemplars goes.
 */
import type { CaptureCounts, CapturedLog, CapturedSpan, CapturedTrace, Exemplar } from './types.ts';

export interface TraceStoreOptions {
  /** How long an unmarked trace is held, waiting for its mark. Default 10 s. */
  holdMs?: number;
  /** Spans and log lines held, over all unmarked traces. Default 20 000. */
  maxHeldItems?: number;
  /** Traces kept. Default 2 000 (failed exemplars are kept before slow ones). */
  maxKeptTraces?: number;
  /** The clock (tests). Default `Date.now`. */
  now?: () => number;
}

interface Held {
  since: number;
  spans: CapturedSpan[];
  logs: CapturedLog[];
}

/** A mark without an exemplar (a test, a caller that only knows the id) ranks above any slow one. */
const rank = (t: CapturedTrace): number =>
  t.exemplar === undefined || t.exemplar.reason === 'failed' ? Infinity : t.exemplar.latencyMs;

export class TraceStore {
  readonly counts: CaptureCounts = {
    requests: 0,
    badPayloads: 0,
    spansReceived: 0,
    logsReceived: 0,
    tracesKept: 0,
    tracesDropped: 0,
    spansEvicted: 0,
  };
  readonly #holdMs: number;
  readonly #maxHeld: number;
  readonly #maxKept: number;
  readonly #now: () => number;
  /** In arrival order, so the oldest is first. */
  readonly #held = new Map<string, Held>();
  #heldItems = 0;
  readonly #marks = new Map<string, Exemplar | undefined>();
  readonly #kept = new Map<string, CapturedTrace>();

  constructor({
    holdMs = 10_000,
    maxHeldItems = 20_000,
    maxKeptTraces = 2_000,
    now = Date.now,
  }: TraceStoreOptions = {}) {
    this.#holdMs = holdMs;
    this.#maxHeld = maxHeldItems;
    this.#maxKept = maxKeptTraces;
    this.#now = now;
  }

  /** Marks a trace to keep, with the client's view of its request when known. */
  keep(traceId: string, exemplar?: Exemplar): void {
    const id = traceId.toLowerCase();
    this.#marks.set(id, exemplar);
    const kept = this.#kept.get(id);
    if (kept) {
      if (exemplar) kept.exemplar = exemplar;
      return;
    }
    const held = this.#held.get(id);
    if (held) {
      this.#held.delete(id);
      this.#heldItems -= held.spans.length + held.logs.length;
      this.#admit(id, held.spans, held.logs);
    }
  }

  addSpans(spans: readonly CapturedSpan[]): void {
    this.counts.spansReceived += spans.length;
    for (const span of spans) this.#add(span.traceId, span, undefined);
    this.#evict();
  }

  addLogs(logs: readonly CapturedLog[]): void {
    this.counts.logsReceived += logs.length;
    for (const log of logs) this.#add(log.traceId, undefined, log);
    this.#evict();
  }

  /** Drops the traces held longer than the hold time. */
  sweep(now = this.#now()): void {
    for (const [id, held] of this.#held) {
      if (now - held.since < this.#holdMs) break;
      this.#drop(id, held);
    }
  }

  /** Drops everything still held; the kept traces, in the order they were kept. */
  finish(): CapturedTrace[] {
    for (const [id, held] of this.#held) this.#drop(id, held);
    for (const trace of this.#kept.values()) {
      trace.spans.sort((a, b) => a.start - b.start);
      trace.logs.sort((a, b) => a.time - b.time);
    }
    return [...this.#kept.values()];
  }

  /** Spans and log lines held now (for the bench and the tests). */
  get heldItems(): number {
    return this.#heldItems;
  }

  /** Whether the trace is kept (log lines read after the run go only to kept traces). */
  isKept(traceId: string): boolean {
    return this.#kept.has(traceId);
  }

  get keptTraces(): number {
    return this.#kept.size;
  }

  #add(traceId: string, span: CapturedSpan | undefined, log: CapturedLog | undefined): void {
    const kept = this.#kept.get(traceId);
    if (kept) {
      if (span) kept.spans.push(span);
      if (log) kept.logs.push(log);
      return;
    }
    if (this.#marks.has(traceId)) {
      this.#admit(traceId, span ? [span] : [], log ? [log] : []);
      return;
    }
    let held = this.#held.get(traceId);
    if (!held) {
      held = { since: this.#now(), spans: [], logs: [] };
      this.#held.set(traceId, held);
    }
    if (span) held.spans.push(span);
    if (log) held.logs.push(log);
    this.#heldItems++;
  }

  #admit(traceId: string, spans: CapturedSpan[], logs: CapturedLog[]): void {
    const exemplar = this.#marks.get(traceId);
    const trace: CapturedTrace = { traceId, spans, logs, ...(exemplar ? { exemplar } : {}) };
    if (this.#kept.size >= this.#maxKept) {
      let weakest: CapturedTrace | undefined;
      for (const t of this.#kept.values()) if (!weakest || rank(t) < rank(weakest)) weakest = t;
      if (!weakest || rank(weakest) >= rank(trace)) {
        this.counts.tracesDropped++;
        return;
      }
      this.#kept.delete(weakest.traceId);
      this.counts.tracesKept--;
      this.counts.tracesDropped++;
    }
    this.#kept.set(traceId, trace);
    this.counts.tracesKept++;
  }

  #drop(id: string, held: Held): void {
    this.#held.delete(id);
    this.#heldItems -= held.spans.length + held.logs.length;
    this.counts.tracesDropped++;
  }

  #evict(): void {
    for (const [id, held] of this.#held) {
      if (this.#heldItems <= this.#maxHeld) break;
      this.counts.spansEvicted += held.spans.length + held.logs.length;
      this.#drop(id, held);
    }
  }
}
