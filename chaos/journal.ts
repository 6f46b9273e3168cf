/**
 * The journal of one experiment run (`DIR/journal.json`): every step with its time and
 * result, the fault windows as planned and as applied, the probes, the abort (if any),
 * the workloads, the invariants, the recovery, the alarm timeline and the rollbacks.
 * It is the machine-readable record; report.html is rendered from it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AbortTrip } from './abort.ts';
import type { AlarmTimeline } from './alarm-timeline.ts';
import type { ProxyStats } from './dynamodb-proxy.ts';
import type { ExperimentDefinition, FaultAction } from './experiment.ts';
import type { InvariantResult } from './invariants.ts';
import type { OrderIntent } from './order-client.ts';
import type { ProbeResult } from './probes.ts';
import type { RecordedResponse } from './responses.ts';
import type { Bucket } from './timeline.ts';

export const JOURNAL_SCHEMA = 'coffee-chaos-journal/v1';

/** passed: the hypothesis and every invariant held; failed: one did not; aborted: an abort condition tripped. */
export type Verdict = 'passed' | 'failed' | 'aborted';

export interface JournalStep {
  /** Epoch ms. */
  at: number;
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  detail?: string;
}

export interface JournalFaultWindow {
  label: string;
  action: FaultAction;
  /** Planned, from the load start (ms, scaled). */
  plannedStartMs: number;
  plannedEndMs: number;
  /** Applied, epoch ms (absent when the window never started). */
  startedAt?: number;
  endedAt?: number;
  /** What the proxy injected while it was on, by rule id (DynamoDB windows). */
  injected?: Record<string, number>;
  error?: string;
}

export interface Journal {
  schema: typeof JOURNAL_SCHEMA;
  experiment: Pick<ExperimentDefinition, 'name' | 'title' | 'description' | 'hypothesis'> & {
    definition: ExperimentDefinition;
  };
  run: {
    id: string;
    seed: number;
    timeScale: number;
    startedAt: number;
    endedAt: number;
    target: { kind: string; url: string };
    /** Deliberately broken service variant, when one was asked for. */
    unsafe?: Record<string, unknown>;
    loadEngine: string;
  };
  verdict: Verdict;
  /** One line: what broke, what held, how fast it recovered. */
  summary: string;
  steps: JournalStep[];
  steadyState: {
    before?: { holds: boolean; results: ProbeResult[] };
    after?: { holds: boolean; results: ProbeResult[] };
  };
  faultWindows: JournalFaultWindow[];
  abort?: AbortTrip;
  load: {
    from: number;
    to: number;
    responses: number;
    bySource: Record<string, number>;
    /** Error responses and unanswered requests by `route status code`. */
    errors: Record<string, number>;
  };
  orders: {
    intents: number;
    acknowledged: number;
    rejected: number;
    gaveUp: number;
    attempts: number;
    replays: number;
  };
  proxy?: ProxyStats;
  invariants: InvariantResult[];
  alarms: AlarmTimeline;
  rollbacks: JournalStep[];
  /** Per-second buckets over the load. */
  timeline: Bucket[];
}

/**
 * The journal's `load` section: every recorded response counted by source, the errors by route, status
 * and problem code.
 */
export function loadSummary(
  responses: readonly RecordedResponse[],
  { from, to }: { from: number; to: number },
): Journal['load'] {
  return {
    from,
    to,
    responses: responses.length,
    bySource: countBy(responses, (r) => r.source),
    errors: countBy(
      responses.filter((r) => r.status === undefined || r.status >= 400),
      (r) => `${r.route} ${r.status ?? r.networkError ?? 'no response'}${r.body ? ` ${problemCode(r.body)}` : ''}`,
    ),
  };
}

/** The journal's `orders` section: the audited workload's orders by outcome, first sends and resends. */
export function orderCounts(intents: readonly OrderIntent[]): Journal['orders'] {
  return {
    intents: intents.length,
    acknowledged: intents.filter((i) => i.outcome === 'acknowledged').length,
    rejected: intents.filter((i) => i.outcome === 'rejected').length,
    gaveUp: intents.filter((i) => i.outcome === 'gave-up' || i.outcome === 'pending').length,
    attempts: intents.reduce((n, i) => n + i.attempts.filter((a) => !a.replay).length, 0),
    replays: intents.reduce((n, i) => n + i.attempts.filter((a) => a.replay).length, 0),
  };
}

function problemCode(body: string): string {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === 'string' ? code : '';
  } catch {
    return '';
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

export async function writeJournal(journal: Journal, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, 'journal.json');
  await writeFile(file, `${JSON.stringify(journal, null, 2)}\n`);
  return file;
}
