/**
 * Exemplars: the requests a run keeps by trace id, so their traces can be kept and shown.
 * Per route group and per second (by answer time, as the timeline's buckets), the slowest
 * few answered requests that did not fail; and every failed request, up to a cap per run.
 * A request is at most one exemplar: a failure is listed as failed, never also as slowest.
 *
 * Two stages, so worker threads and the k6 output reader share them: an `ExemplarPicker`
 * per engine thread sees every answer (a cheap `wants` first, so most answers cost a
 * comparison) and hands batches over; one `ExemplarCollector` merges the threads' batches,
 * keeps the bounds over the whole run, and announces each exemplar once it is final
 * (a failure at once, the slowest of a second once every thread has closed that second).
 * Pure: no Node or k6 APIs.
 */

export interface Exemplar {
  /** 32 lower-case hex digits, as sent in `traceparent`. */
  traceId: string;
  /** The client's span id sent in `traceparent` (16 hex; a retry has its own). */
  spanId: string;
  /** The catalog's route group. */
  routeGroup: string;
  /** Route template, e.g. `POST /orders`. */
  route: string;
  method: string;
  path: string;
  /** 0 = no response (network error or timeout). */
  status: number;
  /** From the intended send time (the engine's latency). */
  latencyMs: number;
  /** Epoch ms the request was due. */
  intendedAt: number;
  /** Epoch ms it went out. */
  sentAt: number;
  /** Epoch ms the answer (or the error) came. */
  answeredAt: number;
  /** Whole seconds from the run's start, by answer time. */
  second: number;
  reason: 'slowest' | 'failed';
}

export const ExemplarReasons = { Slowest: 'slowest', Failed: 'failed' } as const;

export const EXEMPLAR_BOUNDS = { slowestPerGroupPerSecond: 3, failuresPerRun: 500 } as const;
export type ExemplarBounds = typeof EXEMPLAR_BOUNDS;

export interface ExemplarSet {
  bounds: ExemplarBounds;
  /** Failures past `failuresPerRun`, counted but not kept. */
  droppedFailures: number;
  /** Ordered by second, route group, reason, then slowest first. */
  items: Exemplar[];
}

/** What a picker hands over: its new exemplars, and the last second it will send no more slowest for. */
export interface ExemplarBatch {
  items: Exemplar[];
  /** -1 before the first second closed; Infinity once the picker is flushed. */
  closedThrough: number;
  /** Failures this picker dropped since its last batch. */
  droppedFailures: number;
}

/**
 * Whether an answer failed, for exemplars: no response, a 5xx, or a 4xx its step did not
 * expect (a 409 a journey expects is the contract's answer, not a failure).
 */
export function isFailedAnswer(status: number, expected: readonly number[]): boolean {
  return status === 0 || status >= 500 || (status >= 400 && !expected.includes(status));
}

/** Keeps `top` (slowest first) to `limit` entries with `e` offered; ties keep the earlier one. */
function offer(top: Exemplar[], e: Exemplar, limit: number): void {
  let at = top.length;
  while (at > 0 && e.latencyMs > (top[at - 1] as Exemplar).latencyMs) at--;
  if (at >= limit) return;
  top.splice(at, 0, e);
  if (top.length > limit) top.pop();
}

/** One engine thread's (or one k6 output's) choice, from answers in answer-time order. */
export class ExemplarPicker {
  /** The second the slowest lists are for; answers from earlier seconds came too late. */
  private open = 0;
  private readonly slowest = new Map<string, Exemplar[]>();
  private failures = 0;
  private dropped = 0;
  private pending: Exemplar[] = [];
  private closedThrough = -1;
  /** The `closedThrough` of the last batch. */
  private reported = -1;
  private flushed = false;
  /** Epoch ms of the run's start. */
  private readonly t0: number;
  private readonly bounds: ExemplarBounds;

  constructor(t0: number, bounds: ExemplarBounds = EXEMPLAR_BOUNDS) {
    this.t0 = t0;
    this.bounds = bounds;
  }

  secondOf(epochMs: number): number {
    return Math.max(0, Math.floor((epochMs - this.t0) / 1000));
  }

  /** Whether an answer would become an exemplar; call `add` with it only then. */
  wants(routeGroup: string, answeredAt: number, latencyMs: number, failed: boolean): boolean {
    if (failed) return true;
    const second = this.secondOf(answeredAt);
    if (second > this.open) this.closeBefore(second);
    else if (second < this.open) return false;
    const top = this.slowest.get(routeGroup);
    return (
      top === undefined ||
      top.length < this.bounds.slowestPerGroupPerSecond ||
      latencyMs > (top[top.length - 1] as Exemplar).latencyMs
    );
  }

  add(e: Exemplar): void {
    if (e.reason === ExemplarReasons.Failed) {
      if (this.failures >= this.bounds.failuresPerRun) this.dropped++;
      else {
        this.failures++;
        this.pending.push(e);
      }
      return;
    }
    let top = this.slowest.get(e.routeGroup);
    if (!top) {
      top = [];
      this.slowest.set(e.routeGroup, top);
    }
    offer(top, e, this.bounds.slowestPerGroupPerSecond);
  }

  /** Closes the seconds before `now`'s (call periodically, so quiet seconds close too). */
  tick(now: number): void {
    const second = this.secondOf(now);
    if (second > this.open) this.closeBefore(second);
  }

  /** Closes every second (at the end of the run). */
  flush(): void {
    this.closeBefore(this.open + 1);
    this.flushed = true;
  }

  /** The exemplars chosen since the last call, or undefined when nothing changed. */
  drain(): ExemplarBatch | undefined {
    const closedThrough = this.flushed ? Infinity : this.closedThrough;
    if (this.pending.length === 0 && this.dropped === 0 && closedThrough === this.reported) return undefined;
    const batch = { items: this.pending, closedThrough, droppedFailures: this.dropped };
    this.pending = [];
    this.dropped = 0;
    this.reported = closedThrough;
    return batch;
  }

  private closeBefore(second: number): void {
    for (const top of this.slowest.values()) for (const e of top) this.pending.push(e);
    this.slowest.clear();
    this.open = second;
    this.closedThrough = second - 1;
  }
}

/** Orders a set's items: by second, route group, reason (failed first), slowest first, then trace id. */
export function compareExemplars(a: Exemplar, b: Exemplar): number {
  return (
    a.second - b.second ||
    (a.routeGroup < b.routeGroup ? -1 : a.routeGroup > b.routeGroup ? 1 : 0) ||
    (a.reason === b.reason ? 0 : a.reason === ExemplarReasons.Failed ? -1 : 1) ||
    b.latencyMs - a.latencyMs ||
    (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0) ||
    (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0)
  );
}

/** Merges the pickers' batches of one run into its `ExemplarSet`, announcing each exemplar once final. */
export class ExemplarCollector {
  private readonly items: Exemplar[] = [];
  private readonly closed: number[];
  /** Slowest candidates per second and route group, until every source has closed the second. */
  private readonly open = new Map<number, Map<string, Exemplar[]>>();
  private failures = 0;
  private droppedFailures = 0;
  private readonly announce: ((e: Exemplar) => void) | undefined;
  private readonly bounds: ExemplarBounds;

  /** `sources`: how many pickers send batches (engine threads). */
  constructor(sources: number, announce?: (e: Exemplar) => void, bounds: ExemplarBounds = EXEMPLAR_BOUNDS) {
    this.announce = announce;
    this.bounds = bounds;
    this.closed = Array.from({ length: Math.max(1, sources) }, () => -1);
  }

  add(source: number, batch: ExemplarBatch): void {
    this.droppedFailures += batch.droppedFailures;
    for (const e of batch.items) {
      if (e.reason === ExemplarReasons.Failed) this.failed(e);
      else {
        let groups = this.open.get(e.second);
        if (!groups) {
          groups = new Map();
          this.open.set(e.second, groups);
        }
        let top = groups.get(e.routeGroup);
        if (!top) {
          top = [];
          groups.set(e.routeGroup, top);
        }
        offer(top, e, this.bounds.slowestPerGroupPerSecond);
      }
    }
    this.closed[source] = Math.max(this.closed[source] ?? -1, batch.closedThrough);
    this.settle(Math.min(...this.closed));
  }

  /** Every exemplar of the run (call after the last batch). */
  finish(): ExemplarSet {
    this.settle(Infinity);
    return {
      bounds: this.bounds,
      droppedFailures: this.droppedFailures,
      items: [...this.items].sort(compareExemplars),
    };
  }

  private failed(e: Exemplar): void {
    if (this.failures >= this.bounds.failuresPerRun) {
      this.droppedFailures++;
      return;
    }
    this.failures++;
    this.keep(e);
  }

  private settle(through: number): void {
    for (const second of [...this.open.keys()].sort((a, b) => a - b)) {
      if (second > through) break;
      for (const top of (this.open.get(second) as Map<string, Exemplar[]>).values()) for (const e of top) this.keep(e);
      this.open.delete(second);
    }
  }

  private keep(e: Exemplar): void {
    this.items.push(e);
    this.announce?.(e);
  }
}
