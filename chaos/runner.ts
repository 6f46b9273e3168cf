/**
 * Runs one experiment end to end:
 *
 * 1. start the target (embedded stack behind the fault proxy, a child process, or a URL);
 * 2. steady-state probes before (a failing system is not experimented on);
 * 3. the load (the load-test engine, when given) and the audited order workload, with the
 *    fault schedule applied and the abort conditions checked every second;
 * 4. rollbacks (every kill switch, whatever happened), a settle pause, probes after;
 * 5. invariants against the store, recovery time, the alarm timeline;
 * 6. `DIR/journal.json` and `DIR/report.html`.
 *
 * The verdict is `passed` only when the probes held before and after and every invariant
 * held; `aborted` when an abort condition tripped.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateAbort, type AbortTrip, type ActivePeriod } from './abort.ts';
import { buildAlarmTimeline, unavailableTimeline, type AlarmTimeline } from './alarm-timeline.ts';
import type { Order } from '../service/domain/types.ts';
import type { ExperimentDefinition, FaultAction, FaultWindow, LoadSpec } from './experiment.ts';
import {
  checkAcknowledgedOrders,
  checkErrorContract,
  checkIndexesMatchTable,
  checkNoDuplicateOrders,
  checkRecovery,
  InvariantIds,
  skipped,
  type InvariantResult,
} from './invariants.ts';
import { JOURNAL_SCHEMA, writeJournal, type Journal, type JournalFaultWindow, type JournalStep, type Verdict } from './journal.ts';
import { createOrderClient, type OrderIntent } from './order-client.ts';
import { runProbes } from './probes.ts';
import { forkRandom } from './random.ts';
import { writeReport, type LoadReportHook } from './report.ts';
import type { RecordedResponse } from './responses.ts';
import { latencyThresholds } from './routes.ts';
import { resolveSchedule, scaledTimes } from './schedule.ts';
import { remoteTarget, startEmbeddedTarget, startProcessTarget, type Target } from './target.ts';
import { bucketise, type Bucket } from './timeline.ts';

/** The load-test engine, as the runner drives it (see load-engine.ts for the adapter). */
export interface LoadEngine {
  name: string;
  start(options: {
    baseUrl: string;
    profile: LoadSpec['profile'];
    durationMs: number;
    journeysPerSecond?: number;
    /** Multiplies the journeys' think times (shortened runs shorten them too). */
    thinkTimeScale?: number;
    seed: number;
    runId: string;
    /** Stops the load early (abort condition, Ctrl-C); without it the load ends on its own. */
    signal: AbortSignal;
    onResponse: (response: RecordedResponse) => void;
    /** A 2xx to `POST /orders`, with the key it was sent with. */
    onOrderAcknowledged: (ack: { key: string; order: Order }) => void;
  }): Promise<{ done: Promise<unknown> }>;
  /** Writes the load report with extra sections; the runner's own report is used without it. */
  report?: LoadReportHook;
}

export class ExperimentUsageError extends Error {
  override readonly name = 'ExperimentUsageError';
}

export interface RunExperimentOptions {
  /** Seeds the fault decisions, the random schedule and the workloads. Default 1. */
  seed?: number;
  /** Where journal.json and report.html go. */
  out: string;
  /** Multiplies every duration of the definition (0.1 = a tenth). Default 1. */
  timeScale?: number;
  /** Run against a service already running here instead of starting one. */
  target?: { url: string; faultToken?: string; dynamoEndpoint?: string; tableName?: string; region?: string };
  /** A deliberately broken service variant (embedded target only). */
  unsafe?: { idempotency?: boolean };
  /** The load-test engine; without it only the audited order workload and probes send traffic. */
  loadEngine?: LoadEngine;
  /** Scales the audited order workload's rate (e.g. 0.5 on a busy machine). Default 1. */
  orderRateScale?: number;
  /** Overrides the definition's audited workload (e.g. more resends to provoke duplicates). */
  orders?: Partial<LoadSpec['orders']>;
  /** Progress lines (stderr in the CLI). */
  onProgress?: (line: string) => void;
  /** Stops the run early (Ctrl-C): rollbacks and the journal still happen. */
  signal?: AbortSignal;
}

export interface ExperimentRun {
  verdict: Verdict;
  journal: Journal;
  journalFile: string;
  reportFile: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

export async function runExperiment(definition: ExperimentDefinition, options: RunExperimentOptions): Promise<ExperimentRun> {
  const { seed = 1, out, timeScale = 1, unsafe, loadEngine, orderRateScale = 1, onProgress = () => {}, signal } = options;
  const runId = `chaos-${definition.name}-${seed}-${randomBytes(3).toString('hex')}`;
  const windows = resolveSchedule(definition.schedule, { seed, timeScale });
  const times = scaledTimes(definition, timeScale, windows);
  const layers = new Set(windows.map((w) => w.action.layer));
  validate(definition, options, layers);
  await mkdir(out, { recursive: true });

  const steps: JournalStep[] = [];
  const step = (name: string, status: JournalStep['status'] = 'ok', detail?: string) => {
    steps.push({ at: Date.now(), name, status, ...(detail ? { detail } : {}) });
    onProgress(`${status === 'ok' ? '-' : status === 'failed' ? '!' : '~'} ${name}${detail ? `: ${detail}` : ''}`);
  };
  const startedAt = Date.now();
  const responses: RecordedResponse[] = [];
  const record = (r: RecordedResponse) => responses.push(r);
  const emfFile = join(out, 'service-metrics.emf.jsonl');
  await rm(emfFile, { force: true });

  const target: Target = options.target
    ? remoteTarget(options.target)
    : definition.target === 'process'
      ? await startProcessTarget({ logFile: join(out, 'service.log'), emfFile })
      : await startEmbeddedTarget({ seed, ...(unsafe ? { unsafe } : {}), emfFile });
  step(`target started (${target.kind}) at ${target.url()}`);

  const journalWindows: JournalFaultWindow[] = windows.map((w) => ({ label: w.label, action: w.action, plannedStartMs: w.startMs, plannedEndMs: w.startMs + w.durationMs }));
  const periods: ActivePeriod[] = [];
  const rollbacks: JournalStep[] = [];
  let abortTrip: AbortTrip | undefined;
  let intents: OrderIntent[] = [];
  let loadFrom = Date.now();
  let loadTo = loadFrom;
  let loadResult: unknown;
  let steadyBefore: Journal['steadyState']['before'];
  let steadyAfter: Journal['steadyState']['after'];
  const invariants: InvariantResult[] = [];
  // Orders the load engine's journeys had acknowledged, by user and key.
  const loadAcks = new Map<string, OrderIntent>();
  const acknowledge = ({ key, order }: { key: string; order: Order }) => {
    const id = `${order.userId}\u0000${key}`;
    const intent = loadAcks.get(id) ?? { key, userId: order.userId, body: { items: [] }, attempts: [], acknowledgedIds: [], outcome: 'acknowledged' as const, acknowledged: order };
    intent.acknowledgedIds.push(order.id);
    loadAcks.set(id, intent);
  };
  const workload = { ...definition.load.orders, ...options.orders };
  const orderClient = createOrderClient({
    baseUrl: () => target.url(),
    random: forkRandom(seed, 'orders'),
    runId,
    customers: workload.customers,
    ratePerSecond: workload.ratePerSecond * orderRateScale,
    replayProbability: workload.replayProbability,
    onResponse: record,
  });

  async function rollbackAll(): Promise<void> {
    const attempt = async (name: string, fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
        rollbacks.push({ at: Date.now(), name, status: 'ok' });
      } catch (error) {
        rollbacks.push({ at: Date.now(), name, status: 'failed', detail: (error as Error).message });
      }
    };
    if (target.proxy) await attempt('clear the DynamoDB fault rules (kill switch)', () => target.proxy?.clearRules());
    if (target.process && !target.process.running) await attempt('restart the killed service', () => target.process?.restart());
    if (target.serviceFaults && layers.has('service')) await attempt('DELETE /_chaos/faults (kill switch)', () => target.serviceFaults?.clear());
  }

  try {
    // Warm up (cache, connections) so the probes see the steady state, not a cold start.
    await runProbes(definition.steadyState.map((p) => ({ ...p, samples: Math.min(3, p.samples) })), { baseUrl: target.url(), runId });
    steadyBefore = await runProbes(definition.steadyState, { baseUrl: target.url(), runId, onResponse: record });
    step('steady state before', steadyBefore.holds ? 'ok' : 'failed', probeDetail(steadyBefore.results));

    if (steadyBefore.holds && !signal?.aborted) {
      await orderClient.setup();
      step(`${orderClient.customers.length} customers registered for the audited order workload`);
      const loadAbort = new AbortController();
      const stopAll = () => loadAbort.abort();
      signal?.addEventListener('abort', stopAll, { once: true });
      loadFrom = Date.now();
      const load = loadEngine
        ? await loadEngine.start({
            baseUrl: target.url(),
            profile: definition.load.profile,
            durationMs: times.loadMs,
            ...(definition.load.journeysPerSecond !== undefined ? { journeysPerSecond: definition.load.journeysPerSecond } : {}),
            ...(timeScale < 1 ? { thinkTimeScale: timeScale } : {}),
            seed,
            runId,
            signal: loadAbort.signal,
            onResponse: record,
            onOrderAcknowledged: acknowledge,
          })
        : undefined;
      orderClient.start();
      step(`load started: ${loadEngine ? `${loadEngine.name} profile ${definition.load.profile}` : 'audited order workload only'} for ${times.loadMs} ms`);

      const faultsDone = runSchedule(windows, journalWindows, periods, target, loadFrom, loadAbort.signal, step);
      const monitor = setInterval(() => {
        if (abortTrip) return;
        abortTrip = evaluateAbort(times.abort, responses, { now: Date.now(), periods });
        if (abortTrip) {
          step('abort condition tripped', 'failed', abortTrip.reason);
          loadAbort.abort();
        }
      }, 1_000);
      // New audited orders stop at the load's end; those in flight finish their retries.
      const ordersDone = sleep(times.loadMs, loadAbort.signal).then(() => orderClient.stop(Math.max(2_000, times.recoveryBudgetMs)));
      // The load ends on its own (its profile, then the engine's graceful stop); an abort ends it early.
      if (load) loadResult = await load.done;
      intents = await ordersDone;
      clearInterval(monitor);
      loadAbort.abort();
      await faultsDone;
      loadTo = Date.now();
      step(`load ended; the audited workload placed ${intents.length} orders`);
      signal?.removeEventListener('abort', stopAll);
    }
  } catch (error) {
    step('run interrupted by an error', 'failed', (error as Error).message);
    await orderClient.stop(0).catch(() => []);
  } finally {
    await rollbackAll();
    for (const r of rollbacks) onProgress(`${r.status === 'ok' ? '-' : '!'} rollback: ${r.name}${r.detail ? `: ${r.detail}` : ''}`);
  }

  if (steadyBefore?.holds) {
    await sleep(times.settleMs);
    steadyAfter = await runProbes(definition.steadyState, { baseUrl: target.url(), runId, onResponse: record });
    step('steady state after', steadyAfter.holds ? 'ok' : 'failed', probeDetail(steadyAfter.results));
  }

  const bucketsTo = Math.max(loadTo, ...responses.filter((r) => r.source !== 'probe').map((r) => r.at + 1));
  const timeline = bucketise(
    responses.filter((r) => r.source !== 'probe'),
    { from: loadFrom, to: bucketsTo },
  );
  const appliedWindows = journalWindows.filter((w) => w.startedAt !== undefined).map((w) => ({ start: w.startedAt as number, end: w.endedAt ?? loadTo }));

  // Invariants.
  const reader = await target.openStore().catch((error: unknown) => {
    step('open the store for the invariants', 'failed', (error as Error).message);
    return undefined;
  });
  const customers = orderClient.customers;
  if (reader && intents.length > 0) {
    // The load engine's orders are checked for durability and for one id per key; the
    // per-customer count needs every key a customer sent, which only the audited workload knows.
    invariants.push(await checkAcknowledgedOrders([...intents, ...loadAcks.values()], reader));
    invariants.push(await checkNoDuplicateOrders([...intents, ...loadAcks.values()], customers, reader));
  } else {
    const why = reader ? 'no order was placed' : 'the store is not reachable from here (give --dynamo-endpoint for a remote target)';
    invariants.push(skipped(InvariantIds.AcknowledgedOrdersDurable, 'Every acknowledged order is in DynamoDB with the acknowledged content', why));
    invariants.push(skipped(InvariantIds.NoDuplicateOrders, 'No idempotency key produced two orders', why));
  }
  if (definition.indexesMatchTable) {
    invariants.push(reader ? await checkIndexesMatchTable(reader) : skipped(InvariantIds.IndexesMatchTable, 'Every secondary index holds exactly the items of the table', 'the store is not reachable from here'));
  }
  invariants.push(checkErrorContract(responses, definition.expectedServerErrors));
  invariants.push(
    appliedWindows.length > 0
      ? checkRecovery({ buckets: timeline, windows: appliedWindows, thresholds: latencyThresholds(), budgetMs: times.recoveryBudgetMs, stableBuckets: times.stableBuckets })
      : skipped(InvariantIds.Recovery, 'The service is back within its objectives soon after each fault', 'no fault window was applied'),
  );
  for (const inv of invariants) step(`invariant ${inv.id}`, inv.status === 'violated' ? 'failed' : inv.status === 'skipped' ? 'skipped' : 'ok', inv.summary);

  // Stopping the target flushes the service's last metrics; the alarms are evaluated after.
  await target.close().catch((error: unknown) => step('stop the target', 'failed', (error as Error).message));
  let alarms: AlarmTimeline;
  try {
    alarms = await buildAlarmTimeline({ emfFile: target.kind === 'remote' ? undefined : emfFile, from: loadFrom, to: bucketsTo });
  } catch (error) {
    alarms = unavailableTimeline(`the alarm timeline could not be evaluated: ${(error as Error).message}`);
  }

  const proxyStats = target.proxy?.stats();

  const hypothesisHeld = Boolean(steadyBefore?.holds && steadyAfter?.holds);
  const invariantsHeld = invariants.every((i) => i.status !== 'violated');
  const verdict: Verdict = abortTrip ? 'aborted' : hypothesisHeld && invariantsHeld && !steps.some((s) => s.name === 'run interrupted by an error') ? 'passed' : 'failed';
  const journal: Journal = {
    schema: JOURNAL_SCHEMA,
    experiment: { name: definition.name, title: definition.title, description: definition.description, hypothesis: definition.hypothesis, definition },
    run: {
      id: runId,
      seed,
      timeScale,
      startedAt,
      endedAt: Date.now(),
      target: { kind: target.kind, url: target.url() },
      ...(unsafe ? { unsafe } : {}),
      loadEngine: loadEngine?.name ?? 'none',
    },
    verdict,
    summary: summarise(verdict, invariants, steadyBefore?.holds, steadyAfter?.holds, abortTrip, impact(timeline, appliedWindows)),
    steps,
    steadyState: { ...(steadyBefore ? { before: steadyBefore } : {}), ...(steadyAfter ? { after: steadyAfter } : {}) },
    faultWindows: journalWindows,
    ...(abortTrip ? { abort: abortTrip } : {}),
    load: {
      from: loadFrom,
      to: loadTo,
      responses: responses.length,
      bySource: countBy(responses, (r) => r.source),
      errors: countBy(
        responses.filter((r) => r.status === undefined || r.status >= 400),
        (r) => `${r.route} ${r.status ?? r.networkError ?? 'no response'}${r.body ? ` ${problemCode(r.body)}` : ''}`,
      ),
    },
    orders: {
      intents: intents.length,
      acknowledged: intents.filter((i) => i.outcome === 'acknowledged').length,
      rejected: intents.filter((i) => i.outcome === 'rejected').length,
      gaveUp: intents.filter((i) => i.outcome === 'gave-up' || i.outcome === 'pending').length,
      attempts: intents.reduce((n, i) => n + i.attempts.filter((a) => !a.replay).length, 0),
      replays: intents.reduce((n, i) => n + i.attempts.filter((a) => a.replay).length, 0),
    },
    ...(proxyStats ? { proxy: proxyStats } : {}),
    invariants,
    alarms,
    rollbacks,
    timeline,
  };
  const journalFile = await writeJournal(journal, out);
  const reportFile = await writeReport(journal, { out, loadResult, ...(loadEngine?.report ? { loadReport: loadEngine.report } : {}) });
  return { verdict, journal, journalFile, reportFile };
}

function validate(definition: ExperimentDefinition, options: RunExperimentOptions, layers: Set<FaultAction['layer']>): void {
  if (options.target) {
    if (layers.has('dynamodb')) {
      throw new ExperimentUsageError(`${definition.name} injects DynamoDB faults through the proxy in front of the embedded store: run it without --target`);
    }
    if (layers.has('process')) throw new ExperimentUsageError(`${definition.name} kills and restarts the service process: run it without --target`);
    if (layers.has('service') && !options.target.faultToken) {
      throw new ExperimentUsageError(`${definition.name} sets service fault rules: give the target's fault token (COFFEE_FAULT_TOKEN)`);
    }
    if (options.unsafe) throw new ExperimentUsageError('a broken service variant can only be started locally (no --target)');
  }
  if (options.unsafe && definition.target === 'process') throw new ExperimentUsageError('a broken service variant is only available for the embedded target');
  if (!(options.timeScale === undefined || (options.timeScale > 0 && options.timeScale <= 10))) throw new ExperimentUsageError('timeScale must be within (0, 10]');
}

/** Applies each window at its time and reverts it at its end; resolves when all are done or the run stops. */
async function runSchedule(
  windows: readonly FaultWindow[],
  journal: JournalFaultWindow[],
  periods: ActivePeriod[],
  target: Target,
  loadFrom: number,
  signal: AbortSignal,
  step: (name: string, status?: JournalStep['status'], detail?: string) => void,
): Promise<void> {
  for (const [i, window] of windows.entries()) {
    const entry = journal[i] as JournalFaultWindow;
    await sleep(loadFrom + window.startMs - Date.now(), signal);
    if (signal.aborted) return;
    const period: ActivePeriod = { start: Date.now() };
    periods.push(period);
    entry.startedAt = period.start;
    const before = target.proxy?.stats().injectedByRule;
    try {
      step(`fault on: ${window.label}`);
      await apply(window.action, target, window, signal);
      if (window.action.layer !== 'process') await sleep(loadFrom + window.startMs + window.durationMs - Date.now(), signal);
    } catch (error) {
      entry.error = (error as Error).message;
      step(`fault ${window.label}`, 'failed', entry.error);
    } finally {
      await revert(window.action, target).catch((error: unknown) => {
        entry.error = (error as Error).message;
      });
      period.end = Date.now();
      entry.endedAt = period.end;
      if (target.proxy && before) entry.injected = diff(target.proxy.stats().injectedByRule, before);
      step(`fault off: ${window.label}`, entry.error ? 'failed' : 'ok', entry.injected ? injectedDetail(entry.injected) : undefined);
    }
  }
}

async function apply(action: FaultAction, target: Target, window: FaultWindow, signal: AbortSignal): Promise<void> {
  switch (action.layer) {
    case 'dynamodb':
      if (!target.proxy) throw new Error('no DynamoDB fault proxy in this target');
      target.proxy.setRules(action.rules);
      return;
    case 'service':
      if (!target.serviceFaults) throw new Error('the service fault endpoint is not available');
      await target.serviceFaults.set(action.rules);
      return;
    case 'process': {
      const proc = target.process;
      if (!proc) throw new Error('no service process in this target');
      await proc.kill();
      await sleep(window.durationMs, signal);
      await proc.restart();
      return;
    }
  }
}

async function revert(action: FaultAction, target: Target): Promise<void> {
  if (action.layer === 'dynamodb') target.proxy?.clearRules();
  else if (action.layer === 'service') await target.serviceFaults?.clear();
  else if (target.process && !target.process.running) await target.process.restart();
}

function diff(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, n] of Object.entries(now)) if (n - (before[id] ?? 0) > 0) out[id] = n - (before[id] ?? 0);
  return out;
}

function injectedDetail(injected: Record<string, number>): string | undefined {
  const parts = Object.entries(injected).map(([id, n]) => `${id} ${n}x`);
  return parts.length ? `injected ${parts.join(', ')}` : undefined;
}

function probeDetail(results: readonly { name: string; holds: boolean; reasons: string[] }[]): string {
  const failed = results.filter((r) => !r.holds);
  return failed.length === 0 ? `${results.length} probes held` : failed.map((r) => `${r.name}: ${r.reasons.join('; ')}`).join(' | ');
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

/** What the faults did to the clients: failed requests and the worst p99 per route group inside the windows. */
function impact(timeline: readonly Bucket[], windows: readonly { start: number; end: number }[]): string {
  const inside = timeline.filter((b) => windows.some((w) => b.start + 1_000 > w.start && b.start < w.end));
  if (inside.length === 0) return '';
  const requests = inside.reduce((n, b) => n + b.all.requests, 0);
  const failed = inside.reduce((n, b) => n + b.all.serverErrors, 0);
  const worst = new Map<string, number>();
  for (const b of inside) for (const [group, stats] of Object.entries(b.groups)) worst.set(group, Math.max(worst.get(group) ?? 0, stats?.p99Ms ?? 0));
  const p99 = [...worst.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([g, ms]) => `${g} ${Math.round(ms)} ms`).join(', ');
  return `During the faults ${failed} of ${requests} requests failed (5xx or no answer); worst p99 per second: ${p99}.`;
}

function summarise(verdict: Verdict, invariants: readonly InvariantResult[], before?: boolean, after?: boolean, abort?: AbortTrip, faultImpact = ''): string {
  if (before === false) return 'The steady state did not hold before the faults: the experiment was not run.';
  const broken = invariants.filter((i) => i.status === 'violated').map((i) => i.id);
  const held = invariants.filter((i) => i.status === 'held').map((i) => i.id);
  const recovery = invariants.find((i) => i.id === InvariantIds.Recovery);
  const times = recovery?.measured ? Object.entries(recovery.measured).filter(([k, v]) => k.endsWith('RecoveryMs') && v !== null).map(([, v]) => v as number) : [];
  const recoveredIn =
    recovery?.status === 'violated' && times.length === 0
      ? 'It did not recover within the run.'
      : times.length
        ? `Recovered ${Math.max(...times)} ms after the fault ended.`
        : '';
  const parts = [
    abort ? `Aborted: ${abort.reason}.` : '',
    faultImpact,
    broken.length ? `Broken invariants: ${broken.join(', ')}.` : 'No invariant broke.',
    held.length ? `Held: ${held.join(', ')}.` : '',
    after === false ? 'The steady state did not hold afterwards.' : '',
    recoveredIn,
  ];
  return `${verdict.toUpperCase()}. ${parts.filter(Boolean).join(' ')}`;
}
