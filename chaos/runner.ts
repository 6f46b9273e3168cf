/**
 * Runs one experiment end to end, one method per phase (as chaostoolkit's `Runner`):
 *
 * 1. prepare the target (embedded stack behind the fault proxy, a child process, or a URL);
 * 2. steady-state probes before (a failing system is not experimented on);
 * 3. the load (the load-test engine, when given) and the audited order workload, with the
 *    fault schedule applied and the abort conditions checked every second;
 * 4. the experiment's declared rollbacks (whatever happened), a settle pause, probes after;
 * 5. invariants against the store, recovery time, the alarm timeline;
 * 6. the verdict, `DIR/journal.json` and `DIR/report.html`.
 *
 * The verdict is `passed` only when the probes held before and after, every invariant
 * held, nothing interrupted the run and every rollback succeeded; `aborted` when an abort
 * condition tripped (see verdict.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateAbort, type AbortTrip, type ActivePeriod } from './abort.ts';
import { buildAlarmTimeline, unavailableTimeline, type AlarmTimeline, type HistoryChoice } from './alarm-timeline.ts';
import type { Order } from '../service/catalog/index.ts';
import {
  ROLLBACK_OF_LAYER,
  type ExperimentDefinition,
  type FaultAction,
  type FaultWindow,
  type LoadSpec,
} from './experiment.ts';
import { runFaultWindows, sleep } from './fault-windows.ts';
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
import { checkAlarmsAsExpected } from './invariants-alarms.ts';
import { checkOrdersReconcile, countStoredOrders, ordersPlacedFromEmf } from './invariants-business.ts';
import {
  JOURNAL_SCHEMA,
  loadSummary,
  orderCounts,
  writeJournal,
  type Journal,
  type JournalFaultWindow,
  type JournalStep,
  type Verdict,
} from './journal.ts';
import { createOrderClient, type OrderClient, type OrderIntent } from './order-client.ts';
import {
  RunCapture,
  serviceEmfFileName,
  serviceLogFileName,
  writeCaptureFile,
  type CaptureResult,
  type Exemplar,
  type ExemplarSet,
} from '../loadtests/index.ts';
import { runProbes } from './probes.ts';
import { forkRandom } from './random.ts';
import { writeReport } from './report.ts';
import type { RecordedResponse } from './responses.ts';
import { performRollbacks } from './rollbacks.ts';
import { latencyThresholds } from './routes.ts';
import { resolveSchedule, scaledTimes } from './schedule.ts';
import type { StoreReader } from './store-reader.ts';
import { remoteTarget, startEmbeddedTarget, startProcessTarget, type Target } from './target.ts';
import { bucketise, type Bucket } from './timeline.ts';
import { decideVerdict, faultImpact, summarise, type RunOutcomes } from './verdict.ts';
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
    /** Each exemplar the engine picks (its trace is kept by the run's capture). */
    onExemplar?: (exemplar: Exemplar) => void;
  }): Promise<{ done: Promise<unknown> }>;
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
  /** With `target`: links each exemplar to the user's trace backend (`{traceId}`, `{xrayTraceId}`). */
  traceUrl?: string;
  /** The history in front of the run for the alarm predictions. Default: the run's steady state. */
  alarmHistory?: HistoryChoice;
}

export interface ExperimentRun {
  verdict: Verdict;
  journal: Journal;
  journalFile: string;
  reportFile: string;
}

/**
 * Runs the experiment and writes its journal and report; throws `ExperimentUsageError` before starting
 * anything when the options do not fit it.
 */
export async function runExperiment(
  definition: ExperimentDefinition,
  options: RunExperimentOptions,
): Promise<ExperimentRun> {
  return new ExperimentRunner(definition, options).run();
}

type LoadHandle = Awaited<ReturnType<LoadEngine['start']>>;

const MARKS: Readonly<Record<JournalStep['status'], string>> = { ok: '-', failed: '!', skipped: '~' };

/**
 * One run of one experiment: the phases in order, the run's state in fields, each phase's outcome
 * journalled as a step.
 */
class ExperimentRunner {
  private readonly seed: number;
  private readonly timeScale: number;
  private readonly runId: string;
  private readonly windows: FaultWindow[];
  private readonly times: ReturnType<typeof scaledTimes>;
  private readonly emfFile: string;
  private storedOrders: number | undefined;
  private readonly orderClient: OrderClient;
  private readonly progress: (line: string) => void;

  private readonly steps: JournalStep[] = [];
  private readonly responses: RecordedResponse[] = [];
  private readonly journalWindows: JournalFaultWindow[];
  /** The fault windows as they were on, for the abort conditions. */
  private readonly periods: ActivePeriod[] = [];
  /** Orders the load engine's journeys had acknowledged, by user and key. */
  private readonly loadAcks = new Map<string, OrderIntent>();
  private readonly invariants: InvariantResult[] = [];

  /** Set by `prepareTarget`, the first phase. */
  private target!: Target;
  private startedAt = 0;
  private loadFrom = 0;
  private loadTo = 0;
  private loadResult: unknown;
  /** The trace capture, when the run starts the stack itself. */
  private capture: RunCapture | undefined;
  private captured: CaptureResult | undefined;
  private intents: OrderIntent[] = [];
  private steadyBefore: Journal['steadyState']['before'];
  private steadyAfter: Journal['steadyState']['after'];
  private abortTrip: AbortTrip | undefined;
  /** The message of the error that interrupted the run. */
  private interruption: string | undefined;
  private rollbacks: JournalStep[] = [];

  constructor(
    private readonly definition: ExperimentDefinition,
    private readonly options: RunExperimentOptions,
  ) {
    const { seed = 1, timeScale = 1, orderRateScale = 1, onProgress = () => {} } = options;
    this.seed = seed;
    this.timeScale = timeScale;
    this.progress = onProgress;
    this.runId = `chaos-${definition.name}-${seed}-${randomBytes(3).toString('hex')}`;
    this.windows = resolveSchedule(definition.schedule, { seed, timeScale });
    this.times = scaledTimes(definition, timeScale, this.windows);
    validate(definition, options, new Set(this.windows.map((w) => w.action.layer)));
    this.emfFile = join(options.out, serviceEmfFileName);
    this.journalWindows = this.windows.map((w) => ({
      label: w.label,
      action: w.action,
      plannedStartMs: w.startMs,
      plannedEndMs: w.startMs + w.durationMs,
    }));
    const workload = { ...definition.load.orders, ...options.orders };
    this.orderClient = createOrderClient({
      baseUrl: () => this.target.url(),
      random: forkRandom(seed, 'orders'),
      runId: this.runId,
      customers: workload.customers,
      ratePerSecond: workload.ratePerSecond * orderRateScale,
      replayProbability: workload.replayProbability,
      onResponse: this.record,
    });
  }

  async run(): Promise<ExperimentRun> {
    await this.prepareTarget();
    try {
      if ((await this.steadyStateBefore()) && !this.options.signal?.aborted) await this.runLoad();
    } catch (error) {
      await this.interrupted(error);
    } finally {
      await this.rollBack();
    }
    await this.steadyStateAfter();
    const to = this.bucketsTo();
    const timeline = bucketise(this.traffic(), { from: this.loadFrom, to });
    const appliedWindows = this.journalWindows
      .filter((w) => w.startedAt !== undefined)
      .map((w) => ({ start: w.startedAt as number, end: w.endedAt ?? this.loadTo }));
    await this.checkInvariants(timeline, appliedWindows);
    const alarms = await this.stopTarget(to);
    await this.checkAfterStop(alarms, appliedWindows.length > 0);
    const outcomes = this.outcomes();
    const verdict = decideVerdict(outcomes);
    const journal = this.journal(
      verdict,
      summarise(verdict, outcomes, faultImpact(timeline, appliedWindows)),
      alarms,
      timeline,
    );
    const { out, loadEngine } = this.options;
    const journalFile = await writeJournal(journal, out);
    const reportFile = await writeReport(journal, {
      out,
      loadResult: this.loadResult,
      ...(this.captured ? { capture: this.captured } : {}),
      ...(this.target.kind !== 'remote' ? { emfFile: this.emfFile } : {}),
      ...(this.options.traceUrl ? { traceUrl: this.options.traceUrl } : {}),
    });
    return { verdict, journal, journalFile, reportFile };
  }

  /** Journals a step and reports it as a progress line. */
  private step(name: string, status: JournalStep['status'] = 'ok', detail?: string): void {
    this.steps.push({ at: Date.now(), name, status, ...(detail ? { detail } : {}) });
    this.progress(`${MARKS[status]} ${name}${detail ? `: ${detail}` : ''}`);
  }

  private readonly record = (response: RecordedResponse): void => {
    this.responses.push(response);
  };

  private readonly acknowledgeLoadOrder = ({ key, order }: { key: string; order: Order }): void => {
    const id = `${order.userId}\u0000${key}`;
    const intent = this.loadAcks.get(id) ?? {
      key,
      userId: order.userId,
      body: { items: [] },
      attempts: [],
      acknowledgedIds: [],
      outcome: 'acknowledged' as const,
      acknowledged: order,
    };
    intent.acknowledgedIds.push(order.id);
    this.loadAcks.set(id, intent);
  };

  private async prepareTarget(): Promise<void> {
    const { out } = this.options;
    await mkdir(out, { recursive: true });
    this.startedAt = Date.now();
    await rm(this.emfFile, { force: true });
    if (!this.options.target) this.capture = await RunCapture.start();
    const capture = this.capture ? { capture: this.capture } : {};
    this.target = await this.startTarget(capture).catch(async (error: unknown) => {
      await this.capture?.finish().catch(() => undefined);
      throw error;
    });
    this.step(`target started (${this.target.kind}) at ${this.target.url()}`);
    this.loadFrom = Date.now();
    this.loadTo = this.loadFrom;
  }

  private async startTarget(capture: { capture?: RunCapture }): Promise<Target> {
    const { out, unsafe } = this.options;
    return this.options.target
      ? remoteTarget(this.options.target)
      : this.definition.target === 'process'
        ? await startProcessTarget({ logFile: join(out, serviceLogFileName), emfFile: this.emfFile, ...capture })
        : await startEmbeddedTarget({
            seed: this.seed,
            ...(unsafe ? { unsafe } : {}),
            emfFile: this.emfFile,
            logFile: join(out, serviceLogFileName),
            ...capture,
          });
  }

  /** Whether the steady state held before any fault. */
  private async steadyStateBefore(): Promise<boolean> {
    const { steadyState } = this.definition;
    // Warm up (cache, connections) so the probes see the steady state, not a cold start.
    await runProbes(
      steadyState.map((p) => ({ ...p, samples: Math.min(3, p.samples) })),
      { baseUrl: this.target.url(), runId: this.runId },
    );
    this.steadyBefore = await runProbes(steadyState, {
      baseUrl: this.target.url(),
      runId: this.runId,
      onResponse: this.record,
    });
    this.step('steady state before', this.steadyBefore.holds ? 'ok' : 'failed', probeDetail(this.steadyBefore.results));
    return this.steadyBefore.holds;
  }

  /**
   * The load with the fault schedule and the abort monitor; ends with the load, an abort condition or
   * the run's signal.
   */
  private async runLoad(): Promise<void> {
    await this.orderClient.setup();
    this.step(`${this.orderClient.customers.length} customers registered for the audited order workload`);
    const loadAbort = new AbortController();
    const stopAll = () => loadAbort.abort();
    const { signal } = this.options;
    signal?.addEventListener('abort', stopAll, { once: true });
    let faultsDone: Promise<void> = Promise.resolve();
    let stopMonitor = () => {};
    try {
      this.loadFrom = Date.now();
      const load = await this.startLoad(loadAbort.signal);
      faultsDone = this.startFaultSchedule(loadAbort.signal);
      stopMonitor = this.monitorAbort(loadAbort);
      await this.awaitLoadEnd(load, loadAbort.signal);
    } finally {
      stopMonitor();
      loadAbort.abort();
      await faultsDone;
      signal?.removeEventListener('abort', stopAll);
    }
    this.loadTo = Date.now();
    this.step(`load ended; the audited workload placed ${this.intents.length} orders`);
  }

  private async startLoad(signal: AbortSignal): Promise<LoadHandle | undefined> {
    const { loadEngine } = this.options;
    const { load } = this.definition;
    const started = loadEngine
      ? await loadEngine.start({
          baseUrl: this.target.url(),
          profile: load.profile,
          durationMs: this.times.loadMs,
          ...(load.journeysPerSecond !== undefined ? { journeysPerSecond: load.journeysPerSecond } : {}),
          ...(this.timeScale < 1 ? { thinkTimeScale: this.timeScale } : {}),
          seed: this.seed,
          runId: this.runId,
          signal,
          onResponse: this.record,
          onOrderAcknowledged: this.acknowledgeLoadOrder,
          ...(this.capture ? { onExemplar: this.capture.keep } : {}),
        })
      : undefined;
    this.orderClient.start();
    this.step(
      `load started: ${loadEngine ? `${loadEngine.name} profile ${load.profile}` : 'audited order workload only'} for ${this.times.loadMs} ms`,
    );
    return started;
  }

  private startFaultSchedule(signal: AbortSignal): Promise<void> {
    return runFaultWindows({
      windows: this.windows,
      journal: this.journalWindows,
      periods: this.periods,
      target: this.target,
      loadFrom: this.loadFrom,
      signal,
      step: (name, status, detail) => this.step(name, status, detail),
    });
  }

  /** Checks the abort conditions every second; the first that trips stops the load. Returns the stop function. */
  private monitorAbort(loadAbort: AbortController): () => void {
    const monitor = setInterval(() => {
      if (this.abortTrip) return;
      this.abortTrip = evaluateAbort(this.times.abort, this.responses, { now: Date.now(), periods: this.periods });
      if (this.abortTrip) {
        this.step('abort condition tripped', 'failed', this.abortTrip.reason);
        loadAbort.abort();
      }
    }, 1_000);
    return () => clearInterval(monitor);
  }

  private async awaitLoadEnd(load: LoadHandle | undefined, signal: AbortSignal): Promise<void> {
    // New audited orders stop at the load's end; those in flight finish their retries.
    const ordersDone = sleep(this.times.loadMs, signal).then(() =>
      this.orderClient.stop(Math.max(2_000, this.times.recoveryBudgetMs)),
    );
    // The load ends on its own (its profile, then the engine's graceful stop); an abort ends it early.
    if (load) this.loadResult = await load.done;
    this.intents = await ordersDone;
  }

  private async interrupted(error: unknown): Promise<void> {
    this.interruption = (error as Error).message;
    this.step('run interrupted by an error', 'failed', this.interruption);
    await this.orderClient.stop(0).catch(() => []);
  }

  /** The experiment's declared rollbacks, whatever happened before. */
  private async rollBack(): Promise<void> {
    this.rollbacks = await performRollbacks(this.definition.rollbacks, this.target);
    for (const r of this.rollbacks)
      this.progress(`${MARKS[r.status]} rollback: ${r.name}${r.detail ? `: ${r.detail}` : ''}`);
  }

  private async steadyStateAfter(): Promise<void> {
    if (!this.steadyBefore?.holds) return;
    await sleep(this.times.settleMs);
    this.steadyAfter = await runProbes(this.definition.steadyState, {
      baseUrl: this.target.url(),
      runId: this.runId,
      onResponse: this.record,
    });
    this.step('steady state after', this.steadyAfter.holds ? 'ok' : 'failed', probeDetail(this.steadyAfter.results));
  }

  /** The workloads' responses (the probes' are judged on their own). */
  private traffic(): RecordedResponse[] {
    return this.responses.filter((r) => r.source !== 'probe');
  }

  /** The timeline's end: the load's end, or the last answer of a request still in flight then. */
  private bucketsTo(): number {
    return this.traffic().reduce((to, r) => Math.max(to, r.at + 1), this.loadTo);
  }

  private async checkInvariants(timeline: Bucket[], appliedWindows: { start: number; end: number }[]): Promise<void> {
    const reader = await this.target.openStore().catch((error: unknown) => {
      this.step('open the store for the invariants', 'failed', (error as Error).message);
      return undefined;
    });
    this.invariants.push(...(await this.orderInvariants(reader)));
    this.storedOrders = reader ? await countStoredOrders(reader).catch(() => undefined) : undefined;
    if (this.definition.indexesMatchTable) this.invariants.push(await this.indexInvariant(reader));
    this.invariants.push(checkErrorContract(this.responses, this.definition.expectedServerErrors));
    this.invariants.push(
      appliedWindows.length > 0
        ? checkRecovery({
            buckets: timeline,
            windows: appliedWindows,
            thresholds: latencyThresholds(),
            budgetMs: this.times.recoveryBudgetMs,
            stableBuckets: this.times.stableBuckets,
          })
        : skipped(
            InvariantIds.Recovery,
            'The service is back within its objectives soon after each fault',
            'no fault window was applied',
          ),
    );
    for (const inv of this.invariants)
      this.step(
        `invariant ${inv.id}`,
        inv.status === 'violated' ? 'failed' : inv.status === 'skipped' ? 'skipped' : 'ok',
        inv.summary,
      );
  }

  private async indexInvariant(reader: StoreReader | undefined): Promise<InvariantResult> {
    if (reader) return checkIndexesMatchTable(reader);
    return skipped(
      InvariantIds.IndexesMatchTable,
      'Every secondary index holds exactly the items of the table',
      'the store is not reachable from here',
    );
  }

  private async orderInvariants(reader: StoreReader | undefined): Promise<InvariantResult[]> {
    if (reader && this.intents.length > 0) {
      // The load engine's orders are checked for durability and for one id per key; the
      // per-customer count needs every key a customer sent, which only the audited workload knows.
      const intents = [...this.intents, ...this.loadAcks.values()];
      return [
        await checkAcknowledgedOrders(intents, reader),
        await checkNoDuplicateOrders(intents, this.orderClient.customers, reader),
      ];
    }
    const why = reader
      ? 'no order was placed'
      : 'the store is not reachable from here (give --dynamo-endpoint for a remote target)';
    return [
      skipped(
        InvariantIds.AcknowledgedOrdersDurable,
        'Every acknowledged order is in DynamoDB with the acknowledged content',
        why,
      ),
      skipped(InvariantIds.NoDuplicateOrders, 'No idempotency key produced two orders', why),
    ];
  }

  /** The invariants on what the stopped service flushed: its business metrics and its alarms. */
  private async checkAfterStop(alarms: AlarmTimeline, faulted: boolean): Promise<void> {
    const emf = this.target.kind === 'remote' ? undefined : await readFile(this.emfFile, 'utf8').catch(() => undefined);
    const counted = emf === undefined ? undefined : ordersPlacedFromEmf(emf.split('\n'));
    const after = [
      checkOrdersReconcile({ counted, stored: this.storedOrders, faulted }),
      checkAlarmsAsExpected(this.definition.alarmExpectations, alarms),
    ];
    this.invariants.push(...after);
    for (const inv of after)
      this.step(
        `invariant ${inv.id}`,
        inv.status === 'violated' ? 'failed' : inv.status === 'held' ? 'ok' : 'skipped',
        inv.summary,
      );
  }

  /** Stops the target, which flushes the service's last metrics, then evaluates the alarms on them. */
  private async stopTarget(to: number): Promise<AlarmTimeline> {
    await this.target
      .close()
      .catch((error: unknown) => this.step('stop the target', 'failed', (error as Error).message));
    await this.finishCapture();
    try {
      return await buildAlarmTimeline({
        emfFile: this.target.kind === 'remote' ? undefined : this.emfFile,
        from: this.loadFrom,
        to,
        windows: this.journalWindows
          .filter((w) => w.startedAt !== undefined)
          .map((w) => ({ label: w.label, start: w.startedAt!, end: w.endedAt ?? this.loadTo })),
        ...(this.options.alarmHistory ? { history: this.options.alarmHistory } : {}),
      });
    } catch (error) {
      return unavailableTimeline(`the alarm timeline could not be evaluated: ${(error as Error).message}`);
    }
  }

  /** Keeps the traces the load engine marked, with their log lines, in `traces.json`. */
  private async finishCapture(): Promise<void> {
    if (!this.capture) return;
    try {
      const exemplars = (this.loadResult as { exemplars?: ExemplarSet } | undefined)?.exemplars;
      this.captured = await this.capture.finish({
        ...(exemplars ? { exemplars } : {}),
        ...(this.target.kind === 'process' ? { logFile: join(this.options.out, serviceLogFileName) } : {}),
      });
      await writeCaptureFile(this.options.out, this.captured);
      this.step(
        'traces captured',
        'ok',
        `${this.captured.counts.tracesKept} kept, ${this.captured.counts.tracesDropped} dropped`,
      );
    } catch (error) {
      this.step('trace capture', 'failed', (error as Error).message);
    }
  }

  private outcomes(): RunOutcomes {
    return {
      ...(this.steadyBefore ? { steadyBefore: this.steadyBefore } : {}),
      ...(this.steadyAfter ? { steadyAfter: this.steadyAfter } : {}),
      invariants: this.invariants,
      ...(this.abortTrip ? { abort: this.abortTrip } : {}),
      ...(this.interruption !== undefined ? { interruption: this.interruption } : {}),
      rollbacks: this.rollbacks,
    };
  }

  private journal(verdict: Verdict, summary: string, alarms: AlarmTimeline, timeline: Bucket[]): Journal {
    const { definition, target } = this;
    const { unsafe, loadEngine } = this.options;
    const proxyStats = target.proxy?.stats();
    return {
      schema: JOURNAL_SCHEMA,
      experiment: {
        name: definition.name,
        title: definition.title,
        description: definition.description,
        hypothesis: definition.hypothesis,
        definition,
      },
      run: {
        id: this.runId,
        seed: this.seed,
        timeScale: this.timeScale,
        startedAt: this.startedAt,
        endedAt: Date.now(),
        target: { kind: target.kind, url: target.url() },
        ...(unsafe ? { unsafe } : {}),
        loadEngine: loadEngine?.name ?? 'none',
      },
      verdict,
      summary,
      steps: this.steps,
      steadyState: {
        ...(this.steadyBefore ? { before: this.steadyBefore } : {}),
        ...(this.steadyAfter ? { after: this.steadyAfter } : {}),
      },
      faultWindows: this.journalWindows,
      ...(this.abortTrip ? { abort: this.abortTrip } : {}),
      load: loadSummary(this.responses, { from: this.loadFrom, to: this.loadTo }),
      orders: orderCounts(this.intents),
      ...(proxyStats ? { proxy: proxyStats } : {}),
      invariants: this.invariants,
      alarms,
      rollbacks: this.rollbacks,
      timeline,
    };
  }
}

function validate(
  definition: ExperimentDefinition,
  options: RunExperimentOptions,
  layers: Set<FaultAction['layer']>,
): void {
  for (const layer of layers) {
    const rollback = ROLLBACK_OF_LAYER[layer];
    if (!definition.rollbacks.includes(rollback))
      throw new ExperimentUsageError(
        `${definition.name} injects ${layer} faults and does not declare their rollback "${rollback}"`,
      );
  }
  if (options.target) {
    if (layers.has('dynamodb')) {
      throw new ExperimentUsageError(
        `${definition.name} injects DynamoDB faults through the proxy in front of the embedded store: run it without --target`,
      );
    }
    if (layers.has('process'))
      throw new ExperimentUsageError(
        `${definition.name} kills and restarts the service process: run it without --target`,
      );
    if (layers.has('service') && !options.target.faultToken) {
      throw new ExperimentUsageError(
        `${definition.name} sets service fault rules: give the target's fault token (COFFEE_FAULT_TOKEN)`,
      );
    }
    if (options.unsafe)
      throw new ExperimentUsageError('a broken service variant can only be started locally (no --target)');
  }
  if (options.unsafe && definition.target === 'process')
    throw new ExperimentUsageError('a broken service variant is only available for the embedded target');
  if (!(options.timeScale === undefined || (options.timeScale > 0 && options.timeScale <= 10)))
    throw new ExperimentUsageError('timeScale must be within (0, 10]');
}

function probeDetail(results: readonly { name: string; holds: boolean; reasons: string[] }[]): string {
  const failed = results.filter((r) => !r.holds);
  return failed.length === 0
    ? `${results.length} probes held`
    : failed.map((r) => `${r.name}: ${r.reasons.join('; ')}`).join(' | ');
}
