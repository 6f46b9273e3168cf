/**
 * `coffee demo` (`npm run demo`): the README's main job in one command. It starts the
 * embedded stack (DynamoDB behind the fault proxy, the service with its EMF metrics on),
 * runs the average load profile shortened to fit a minute with one DynamoDB throttling
 * window, prints the verdict and the invariants, writes the report, the journal and the
 * CloudWatch dashboard JSON, and stops everything it started.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCloudWatchDashboards } from '../dashboards/index.ts';
import { defineExperiment, ABORT_IF_NOT_RECOVERING, STANDARD_PROBES, RollbackKinds } from './experiment.ts';
import type { HistoryChoice } from './alarm-timeline.ts';
import { createLoadEngine } from './load-engine.ts';
import { outcomeText } from './run-command.ts';
import { runExperiment, type LoadEngine } from './runner.ts';

/** The demo: average load for 45 s, DynamoDB throttling most writes from 15 s to 30 s. */
export const DEMO_EXPERIMENT = defineExperiment({
  name: 'demo',
  title: 'Coffee Cloud demo: DynamoDB throttling under the average load',
  description:
    'The average load profile shortened to 45 s; from 15 s to 30 s DynamoDB throttles 80% of PutItem and UpdateItem calls (ProvisionedThroughputExceededException) and 30% of the index queries (ThrottlingException).',
  hypothesis:
    'The SDK retries what it can, the rest is answered with 503 and Retry-After, clients that retry lose no order and create no duplicate, and the service is back within its objectives within 10 s of the throttling ending.',
  target: 'embedded',
  load: { profile: 'average', durationMs: 45_000, orders: { ratePerSecond: 4, customers: 6, replayProbability: 0.15 } },
  steadyState: STANDARD_PROBES,
  schedule: {
    kind: 'fixed',
    windows: [
      {
        label: 'DynamoDB throttling',
        startMs: 15_000,
        durationMs: 15_000,
        action: {
          layer: 'dynamodb',
          rules: [
            {
              id: 'throttle-writes',
              match: { operations: ['PutItem', 'UpdateItem'] },
              probability: 0.8,
              fault: { kind: 'error', error: 'ProvisionedThroughputExceededException' },
            },
            {
              id: 'throttle-indexes',
              match: { operations: ['Query'], indexes: ['byUser', 'byStatus'] },
              probability: 0.3,
              fault: { kind: 'error', error: 'ThrottlingException' },
            },
          ],
        },
      },
    ],
  },
  abort: [ABORT_IF_NOT_RECOVERING],
  expectedServerErrors: [{ status: 503, code: 'dependency_unavailable' }],
  recoveryBudgetMs: 10_000,
  rollbacks: [RollbackKinds.ClearDynamoDbFaults],
  alarmExpectations: [
    {
      severity: 'page',
      duringRun: 'quiet',
      sustainedWithinMs: 300_000,
      reason:
        'A 15 s blip spends a sliver of the error budget and must page nobody; the same failure rate sustained burns the budget far beyond 14.4x and must page within 5 minutes.',
    },
    {
      severity: 'ticket',
      duringRun: 'quiet',
      reason: 'The blip leaves every ticket window below its threshold.',
    },
  ],
});

export interface DemoOptions {
  /** Default `out/demo`. */
  out?: string;
  seed?: number;
  /** Shortens the demo (tests). Default 1. */
  timeScale?: number;
  /** Default: the loadtests engine with one worker thread. */
  loadEngine?: LoadEngine;
  /** The history in front of the run for the alarm predictions. Default: the run's steady state. */
  history?: HistoryChoice;
  /** Progress lines. */
  log?: (line: string) => void;
  /** The outcome (stdout in the CLI). */
  print?: (text: string) => void;
}

export interface DemoOutcome {
  exitCode: number;
  reportFile: string;
  journalFile: string;
  dashboardFiles: string[];
}

/** Writes each CloudWatch dashboard body as `out/dashboards/<name>.json`. */
export async function writeDashboards(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const dashboard of buildCloudWatchDashboards()) {
    const file = join(dir, `${dashboard.name}.json`);
    await writeFile(file, `${JSON.stringify(dashboard.body, null, 2)}\n`);
    files.push(file);
  }
  return files;
}

export async function runDemoDetailed({
  out = 'out/demo',
  seed = 1,
  timeScale = 1,
  loadEngine,
  history,
  log = () => {},
  print = () => {},
}: DemoOptions = {}): Promise<DemoOutcome> {
  log(
    `coffee demo: embedded DynamoDB behind the fault proxy, the service, ${(DEMO_EXPERIMENT.load.durationMs * timeScale) / 1000} s of the average load, throttling from ${15 * timeScale} s to ${30 * timeScale} s`,
  );
  const run = await runExperiment(DEMO_EXPERIMENT, {
    out,
    seed,
    timeScale,
    loadEngine: loadEngine ?? (await createLoadEngine()),
    onProgress: log,
    ...(history ? { alarmHistory: history } : {}),
  });
  const dashboardFiles = await writeDashboards(join(out, 'dashboards'));
  print(outcomeText(run.journal, run));
  print(
    `dashboards: ${dashboardFiles.length} CloudWatch dashboard bodies in ${join(out, 'dashboards')} (the bodies PutDashboard takes)\n`,
  );
  return {
    exitCode: run.verdict === 'passed' ? 0 : 1,
    reportFile: run.reportFile,
    journalFile: run.journalFile,
    dashboardFiles,
  };
}

/** The CLI action: runs the demo and returns the exit code. */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  return (await runDemoDetailed(options)).exitCode;
}
