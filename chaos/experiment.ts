/**
 * What an experiment is, declaratively: a steady-state hypothesis (SLO probes before and
 * after), a load, a fault schedule (fixed windows or a seeded random one), abort
 * conditions, the invariants' expectations and the rollbacks. One definition file per
 * experiment lives in experiments/; the runner (runner.ts) does the rest.
 *
 * Every duration is in milliseconds at full length; `runExperiment({ timeScale })` scales
 * them all (the test suite runs each experiment at a few seconds).
 */
import type { RouteKey } from '../service/catalog/index.ts';
import type { DynamoDbFaultRule, ProcessFault, ServiceFaultRule } from './fault-catalog.ts';
import type { ExpectedServerError } from './invariants.ts';

/** What is injected during a window. */
export type FaultAction =
  | { layer: 'dynamodb'; rules: DynamoDbFaultRule[] }
  | { layer: 'service'; rules: ServiceFaultRule[] }
  | { layer: 'process'; fault: ProcessFault };

export interface FaultWindow {
  /** From the start of the load. */
  startMs: number;
  durationMs: number;
  action: FaultAction;
  /** Shown in the report and the journal. */
  label: string;
}

/**
 * The schedule: fixed windows, or `random`: `count` windows of a duration drawn from
 * [minDurationMs, maxDurationMs], placed without overlap between `earliestMs` and
 * `latestEndMs` by the run's seed (the same seed, the same schedule).
 */
export type FaultSchedule =
  | { kind: 'fixed'; windows: FaultWindow[] }
  | {
      kind: 'random';
      count: number;
      minDurationMs: number;
      maxDurationMs: number;
      earliestMs: number;
      latestEndMs: number;
      /** Gap kept between two windows, so the service can show its recovery. Default 3 s. */
      minGapMs?: number;
      action: FaultAction;
      label: string;
    };

/**
 * A steady-state probe: `samples` sequential requests; it holds when none fails with a
 * 5xx (or no response), every status is in `expectStatus`, and their p99 is within the
 * route group's latency objective (from the catalog's SLOS) when the group has one.
 */
export interface SteadyStateProbe {
  name: string;
  route: Extract<
    RouteKey,
    'GET /menu' | 'GET /menu/:productId' | 'GET /ready' | 'GET /health' | 'POST /orders' | 'GET /users/me/orders'
  >;
  samples: number;
  expectStatus: readonly number[];
}

/**
 * Abort conditions, evaluated every second on the responses of the last `windowMs`.
 * `scope: 'outside-faults'` only looks at time outside the fault windows plus
 * `graceMs` after each (a service that does not recover).
 */
export type AbortCondition =
  | {
      kind: 'error-rate';
      above: number;
      windowMs: number;
      minRequests?: number;
      scope?: 'always' | 'outside-faults';
      graceMs?: number;
    }
  | {
      kind: 'p99-latency';
      aboveMs: number;
      windowMs: number;
      minRequests?: number;
      scope?: 'always' | 'outside-faults';
      graceMs?: number;
    };

export interface LoadSpec {
  /** A load-test profile name (loadtests), e.g. `average`; stretched or shrunk to `durationMs`. */
  profile: 'smoke' | 'average' | 'stress' | 'spike';
  durationMs: number;
  /** Overrides the profile's peak arrival rate (journeys per second). */
  journeysPerSecond?: number;
  /** The audited order workload: new orders per second and customers. */
  orders: { ratePerSecond: number; customers: number; replayProbability: number };
}

/** How the service under test runs. */
export const TargetKinds = {
  /** In this process (`startLocalStack`), its DynamoDB behind the fault proxy. */
  Embedded: 'embedded',
  /** `coffee serve` as a child process on a data directory (process faults). */
  Process: 'process',
} as const;
export type TargetKind = (typeof TargetKinds)[keyof typeof TargetKinds];

/** The rollbacks an experiment can declare; the runner maps each to its action (rollbacks.ts). */
export const RollbackKinds = {
  /** Clear every DynamoDB fault rule of the proxy (its kill switch). */
  ClearDynamoDbFaults: 'clear-dynamodb-faults',
  /** `DELETE /_chaos/faults` on the service (its kill switch). */
  ClearServiceFaults: 'clear-service-faults',
  /** Start the service process again when a kill left it down. */
  RestartService: 'restart-service',
} as const;
export type RollbackKind = (typeof RollbackKinds)[keyof typeof RollbackKinds];

/** The rollback that undoes each fault layer, whatever the window left behind. */
export const ROLLBACK_OF_LAYER: Readonly<Record<FaultAction['layer'], RollbackKind>> = {
  dynamodb: RollbackKinds.ClearDynamoDbFaults,
  service: RollbackKinds.ClearServiceFaults,
  process: RollbackKinds.RestartService,
};

/**
 * What the alarms should say about every fault window of the experiment, checked by the
 * "alarms as expected" invariant against the prediction (with the history in front of the
 * run; a cold start is not checked).
 */
export interface AlarmExpectation {
  /** The notifying alarms of this severity that watch the service's own metrics. */
  severity: 'page' | 'ticket';
  /** While the run lasted: at least one of them `fires`, or none does (`quiet`). */
  duringRun?: 'fires' | 'quiet';
  /** Had the fault gone on at its observed severity: one fires within this many ms, or none within a day (`never`). */
  sustainedWithinMs?: number | 'never';
  /** Why this is the right behaviour, for the report. */
  reason: string;
}

export interface ExperimentDefinition {
  name: string;
  title: string;
  description: string;
  /** The claim the run tests, in one sentence. */
  hypothesis: string;
  target: TargetKind;
  load: LoadSpec;
  steadyState: readonly SteadyStateProbe[];
  schedule: FaultSchedule;
  abort: readonly AbortCondition[];
  /** The 5xx responses the error contract allows during this experiment. */
  expectedServerErrors: readonly ExpectedServerError[];
  /** Time from a fault's end until the objectives hold again, at most. */
  recoveryBudgetMs: number;
  /**
   * Compare every secondary index with the table after the run (full scans of both), for
   * faults that can leave them apart, such as a crash of the local store. Default false.
   */
  indexesMatchTable?: boolean;
  /** Pause after the load before the closing probes (drains retries). Default 2 s. */
  settleMs?: number;
  /**
   * What the runner undoes after the schedule, on abort and on error, whatever happened;
   * each is performed and listed in the journal with its outcome. Every fault layer the
   * schedule injects needs its rollback (`ROLLBACK_OF_LAYER`): the runner refuses a
   * definition without it.
   */
  rollbacks: readonly RollbackKind[];
  /** What the alarms should do about each fault window (see `AlarmExpectation`). */
  alarmExpectations?: readonly AlarmExpectation[];
}

/** Identity function that checks a definition's type (and keeps its literal types). */
export function defineExperiment<const T extends ExperimentDefinition>(definition: T): T {
  return definition;
}

/** The standard probes: the menu, readiness and a real order, before and after. */
export const STANDARD_PROBES: readonly SteadyStateProbe[] = [
  { name: 'menu is served within its objective', route: 'GET /menu', samples: 20, expectStatus: [200] },
  { name: 'the service is ready (DynamoDB answers)', route: 'GET /ready', samples: 3, expectStatus: [200] },
  { name: 'orders are placed within their objective', route: 'POST /orders', samples: 10, expectStatus: [201] },
];

/** Abort when the service is still failing well after a fault ended: it is not recovering. */
export const ABORT_IF_NOT_RECOVERING: AbortCondition = {
  kind: 'error-rate',
  above: 0.05,
  windowMs: 5_000,
  minRequests: 20,
  scope: 'outside-faults',
  graceMs: 10_000,
};

/** The audited order workload most experiments use: 5 orders/s from 8 customers, 10% resent. */
export const STANDARD_ORDERS: LoadSpec['orders'] = { ratePerSecond: 5, customers: 8, replayProbability: 0.1 };

/**
 * What every shipped fault window of tens of seconds should do to the alarms, with a
 * history in front of it: page nobody and file no ticket (it spends a sliver of a 30-day
 * budget), which is what the multi-window, multi-burn-rate alarms are built for.
 */
export const SHORT_FAULT_PAGES_NOBODY: readonly AlarmExpectation[] = [
  {
    severity: 'page',
    duringRun: 'quiet',
    reason: 'A fault of seconds spends a sliver of the 30-day error budget: nobody is woken up for it.',
  },
  {
    severity: 'ticket',
    duringRun: 'quiet',
    reason: 'Nor does it move any ticket window (one day and six hours) over its threshold.',
  },
];
