/**
 * What the fault proxy saw: one record per finished request (the newest `maxRecords`), and
 * the counts kept as they arrive, so stats cover every request even after old records are
 * dropped.
 */
import type { ProxyRequestRecord, ProxyStats } from './dynamodb-proxy.ts';

export class ProxyLog {
  private records: ProxyRequestRecord[] = [];
  private stats = emptyStats();
  private readonly maxRecords: number;
  private readonly onRecord: ((record: ProxyRequestRecord) => void) | undefined;

  constructor(maxRecords: number, onRecord?: (record: ProxyRequestRecord) => void) {
    this.maxRecords = maxRecords;
    this.onRecord = onRecord;
  }

  add(entry: ProxyRequestRecord): void {
    this.count(entry);
    this.records.push(entry);
    if (this.records.length > this.maxRecords) this.records = this.records.slice(this.records.length - this.maxRecords);
    this.onRecord?.(entry);
  }

  list(): readonly ProxyRequestRecord[] {
    return this.records;
  }

  /** A copy: the caller may keep it while the counts move on. */
  snapshot(): ProxyStats {
    return structuredClone(this.stats);
  }

  /** Attempts seen per SDK invocation id (a call the SDK retried twice has 3). */
  attemptsByInvocation(): Map<string, number> {
    const attempts = new Map<string, number>();
    for (const r of this.records) {
      if (r.invocationId === undefined) continue;
      attempts.set(r.invocationId, Math.max(attempts.get(r.invocationId) ?? 0, r.attempt ?? 1));
    }
    return attempts;
  }

  reset(): void {
    this.records = [];
    this.stats = emptyStats();
  }

  private count(entry: ProxyRequestRecord): void {
    const { stats } = this;
    stats.requests += 1;
    if (entry.reachedUpstream) stats.forwarded += 1;
    stats.byOutcome[entry.outcome] += 1;
    stats.byOperation[entry.operation] = (stats.byOperation[entry.operation] ?? 0) + 1;
    if (entry.ruleId) stats.injectedByRule[entry.ruleId] = (stats.injectedByRule[entry.ruleId] ?? 0) + 1;
    if (entry.attempt !== undefined) stats.maxAttemptSeen = Math.max(stats.maxAttemptSeen, entry.attempt);
  }
}

function emptyStats(): ProxyStats {
  return {
    requests: 0,
    forwarded: 0,
    byOutcome: { forwarded: 0, error: 0, hang: 0, 'connection-reset': 0, 'upstream-error': 0, 'client-gone': 0 },
    byOperation: {},
    injectedByRule: {},
    maxAttemptSeen: 0,
  };
}
