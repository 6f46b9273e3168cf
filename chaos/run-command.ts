/** The `coffee chaos run` action: checks the arguments, runs, prints the outcome, returns the exit code. */
import { join } from 'node:path';
import { UsageError } from '../cli/index.ts';
import { EXPERIMENTS, experimentByName } from './experiments/index.ts';
import { HistoryFileError, resolveHistory } from './alarm-timeline.ts';
import type { Journal } from './journal.ts';
import { ExperimentUsageError, runExperiment } from './runner.ts';

export interface RunCommandOptions {
  seed: number;
  out?: string;
  target?: string;
  timeScale: number;
  faultToken?: string | undefined;
  dynamoEndpoint?: string;
  table?: string;
  traceUrl?: string;
  load: boolean;
  unsafeNoIdempotency: boolean;
  json: boolean;
  /** `steady` (default), `none` or a history file (see alarm-timeline.ts). */
  history?: string;
}

/** The verdict line and the invariant table, as the terminal shows them. */
export function outcomeText(journal: Journal, files: { journalFile: string; reportFile: string }): string {
  const mark = { held: 'held    ', violated: 'VIOLATED', skipped: 'skipped ' } as const;
  const lines = [
    '',
    `${journal.experiment.title}: ${journal.verdict.toUpperCase()}`,
    journal.summary,
    '',
    `steady state before: ${journal.steadyState.before ? (journal.steadyState.before.holds ? 'held' : 'DID NOT HOLD') : 'not probed'}; after: ${journal.steadyState.after ? (journal.steadyState.after.holds ? 'held' : 'DID NOT HOLD') : 'not probed'}`,
    'invariants:',
    ...journal.invariants.flatMap((i) => [
      `  ${mark[i.status]}  ${i.title}: ${i.summary}`,
      ...i.violations.slice(0, 3).map((v) => `            - ${v}`),
    ]),
  ];
  // Only alarms with a severity notify; the SLO window alarms are children of a composite.
  const firedAll = journal.alarms.alarms.filter((a) => a.firedAt !== undefined);
  const fired = firedAll.filter((a) => a.severity !== undefined);
  const children = firedAll.length - fired.length;
  const firedText = fired
    .slice(0, 6)
    .map((a) => `${a.name} (${a.severity}) at ${Math.round(((a.firedAt as number) - journal.load.from) / 1000)} s`)
    .join('; ');
  const childText = children
    ? ` (${children} burn-rate window alarms crossed their threshold alone, notifying nobody)`
    : '';
  lines.push(
    `alarms: ${journal.alarms.status === 'evaluated' ? (fired.length ? `${fired.length} would have notified: ${firedText}${fired.length > 6 ? `; and ${fired.length - 6} more (see the report)` : ''}` : 'none would have notified') + childText : journal.alarms.note}`,
    ...(journal.alarms.history ? [`alarm history: ${journal.alarms.history.label}`] : []),
    ...(journal.alarms.predictions ?? []).map((p) => `prediction: ${p.line}`),
    '',
    `journal: ${files.journalFile}`,
    `report:  ${files.reportFile}`,
    '',
  );
  return lines.join('\n');
}

async function reachable(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(5_000) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function runExperimentCommand(name: string, options: RunCommandOptions): Promise<number> {
  const definition = experimentByName(name);
  if (!definition)
    throw new UsageError(`unknown experiment "${name}"; one of: ${EXPERIMENTS.map((e) => e.name).join(', ')}`);
  if ((options.dynamoEndpoint || options.table) && !options.target)
    throw new UsageError('--dynamo-endpoint and --table go with --target');
  if (options.traceUrl !== undefined && !options.target)
    throw new UsageError('--trace-url goes with --target: without it the run captures its traces itself');
  if (options.traceUrl !== undefined && !/\{(traceId|xrayTraceId)\}/.test(options.traceUrl))
    throw new UsageError(`--trace-url must contain {traceId} or {xrayTraceId}, got "${options.traceUrl}"`);
  if (options.target && !(await reachable(options.target)))
    throw new UsageError(`the target ${options.target} does not answer GET /health`);
  const alarmHistory = await resolveHistory(options.history).catch((error: unknown) => {
    throw error instanceof HistoryFileError ? new UsageError(error.message) : error;
  });
  const out = options.out ?? join('out', 'chaos', name);
  const controller = new AbortController();
  const interrupt = () => {
    process.stderr.write('interrupted: rolling back and writing the journal (Ctrl-C again to quit at once)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  try {
    const run = await runExperiment(definition, {
      seed: options.seed,
      out,
      timeScale: options.timeScale,
      ...(options.target
        ? {
            target: {
              url: options.target,
              ...(options.faultToken ? { faultToken: options.faultToken } : {}),
              ...(options.dynamoEndpoint ? { dynamoEndpoint: options.dynamoEndpoint } : {}),
              ...(options.table ? { tableName: options.table } : {}),
            },
          }
        : {}),
      ...(options.unsafeNoIdempotency ? { unsafe: { idempotency: false } } : {}),
      ...(options.traceUrl ? { traceUrl: options.traceUrl } : {}),
      ...(options.load ? { loadEngine: await (await import('./load-engine.ts')).createLoadEngine() } : {}),
      onProgress: (line) => process.stderr.write(`${line}\n`),
      signal: controller.signal,
      alarmHistory,
    });
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ verdict: run.verdict, summary: run.journal.summary, invariants: run.journal.invariants, journal: run.journalFile, report: run.reportFile }, null, 2)}\n`
        : outcomeText(run.journal, run),
    );
    return run.verdict === 'passed' ? 0 : 1;
  } catch (error) {
    if (error instanceof ExperimentUsageError) throw new UsageError(error.message);
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
  }
}
