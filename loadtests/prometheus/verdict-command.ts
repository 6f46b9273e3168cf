/** `coffee load verdict --prometheus URL --run-id ID [--profile P]`: one verdict over every runner. */
import path from 'node:path';
import { UsageError } from '../../cli/index.ts';
import type { LoadCommandOptions } from '../cli.ts';
import { writeOutputs } from '../run-load.ts';
import { isProfileName, PROFILE_NAMES } from '../shared/profiles.ts';
import type { LoadResult } from '../shared/result.ts';
import { formatSummary } from '../shared/summary-text.ts';
import { PrometheusProblem } from './prometheus-client.ts';
import { verdictFromPrometheus } from './verdict.ts';

export async function judgeFromPrometheus(options: {
  prometheus: string;
  runId: string;
  profile?: string;
  thresholdOverrides: Record<string, number>;
  out: string;
  /** What Prometheus does not hold, when the caller knows it (a rehearsal with --instances). */
  known?: Pick<LoadResult, 'seed' | 'target'>;
}): Promise<LoadResult> {
  if (options.profile !== undefined && !isProfileName(options.profile))
    throw new UsageError(`unknown --profile "${options.profile}"; choose one of ${PROFILE_NAMES.join(', ')}`);
  let result: LoadResult;
  try {
    result = await verdictFromPrometheus({
      prometheus: options.prometheus,
      runId: options.runId,
      ...(options.profile ? { profile: options.profile } : {}),
      thresholdOverrides: options.thresholdOverrides,
    });
  } catch (error) {
    if (error instanceof PrometheusProblem) throw new UsageError(error.message);
    throw error;
  }
  if (options.known) Object.assign(result, options.known);
  const files = await writeOutputs(result, options.out);
  process.stdout.write(`\n${formatSummary(result)}`);
  process.stdout.write(`\nwrote ${files.result}, ${files.junit}, ${files.report}\n`);
  if (result.verdict === 'fail') process.exitCode = 1;
  return result;
}

export async function verdictCommand(options: LoadCommandOptions, thresholdOverrides: Record<string, number>) {
  if (!options.prometheus)
    throw new UsageError('coffee load verdict needs --prometheus URL (e.g. http://127.0.0.1:9090)');
  if (!options.runId) throw new UsageError("coffee load verdict needs --run-id ID (the runners' testid tag)");
  process.stdout.write(`coffee load verdict: run id ${options.runId}, Prometheus ${options.prometheus}\n`);
  await judgeFromPrometheus({
    prometheus: options.prometheus,
    runId: options.runId,
    ...(options.profile ? { profile: options.profile } : {}),
    thresholdOverrides,
    out: options.out ?? path.join('out', 'load', options.runId),
  });
}
