/**
 * `coffee alarms build|lint|diff|import`: the command implementations, with their output
 * and the CloudWatch client passed in.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ExitCodes, reportProblems, type CommandIo } from '../cli/index.ts';
import { type MonitoringOptions, resolveOptions } from '../dashboards/index.ts';
import { compareAlarms, describeAlarms, pruneAlarms, putAlarms } from './aws.ts';
import { buildAlarmDefinitions } from './definitions.ts';
import { lintAlarmDefinitions, lintAlarmInputs } from './lint.ts';
import { buildPrometheusRules, renderPrometheusRules } from './prometheus.ts';
import { renderAlarmInputs, type CloudWatchAlarmInput, type TopicArns } from './render-cloudwatch.ts';

export interface AlarmCommandOptions extends MonitoringOptions {
  topicArns?: TopicArns;
}

function prepare(options: AlarmCommandOptions) {
  const resolved = resolveOptions(options);
  const definitions = buildAlarmDefinitions(options);
  const inputs = renderAlarmInputs(definitions, { topicArns: options.topicArns ?? {} });
  const problems = [
    ...lintAlarmDefinitions(definitions),
    ...lintAlarmInputs(inputs, { serviceName: resolved.serviceName }),
  ];
  return { resolved, definitions, inputs, problems };
}

function summary(inputs: readonly CloudWatchAlarmInput[]): string {
  const composite = inputs.filter((i) => i.kind === 'composite').length;
  return `${inputs.length - composite} metric alarms and ${composite} composite alarms`;
}

/**
 * Writes `out/cloudwatch/alarms.json` (the Put inputs, in creation order) and `out/prometheus/coffee-
 * slo.rules.yml`.
 */
export async function buildCommand(options: AlarmCommandOptions & { out: string }, io: CommandIo): Promise<number> {
  const { inputs, problems } = prepare(options);
  if (problems.length) {
    io.err('not writing alarms that fail the lint:');
    return reportProblems(problems, io);
  }
  await mkdir(join(options.out, 'cloudwatch'), { recursive: true });
  await mkdir(join(options.out, 'prometheus'), { recursive: true });
  const alarmsFile = join(options.out, 'cloudwatch', 'alarms.json');
  await writeFile(alarmsFile, `${JSON.stringify(inputs, null, 2)}\n`);
  io.out(alarmsFile);
  const rulesFile = join(options.out, 'prometheus', 'coffee-slo.rules.yml');
  await writeFile(rulesFile, renderPrometheusRules(buildPrometheusRules()));
  io.out(rulesFile);
  io.err(
    `${summary(inputs)}${options.topicArns?.page || options.topicArns?.ticket ? '' : '; no SNS topics given (--page-topic-arn, --ticket-topic-arn): the alarms notify nobody'}`,
  );
  return ExitCodes.Ok;
}

export async function lintCommand(options: AlarmCommandOptions, io: CommandIo): Promise<number> {
  const { inputs, problems } = prepare(options);
  const code = reportProblems(problems, io);
  io.out(problems.length ? `${problems.length} problem(s) in ${summary(inputs)}` : `${summary(inputs)}: no problems`);
  return code;
}

/** Shows what differs from the deployed alarms under the prefix; exit 1 when anything does. */
export async function diffCommand(
  options: AlarmCommandOptions,
  io: CommandIo,
  client: () => CloudWatchClient,
): Promise<number> {
  const { resolved, inputs } = prepare(options);
  io.err(`reading alarms ${resolved.prefix}-* in ${resolved.region}...`);
  const deployed = await describeAlarms(client(), `${resolved.prefix}-`, resolved.region);
  const diffs = compareAlarms(inputs, deployed);
  for (const d of diffs) {
    if (d.status === 'missing') io.out(`+ ${d.name} (not deployed)`);
    else if (d.status === 'extra') io.out(`- ${d.name} (deployed, no longer defined; --prune deletes it)`);
    else if (d.status === 'changed') io.out(`~ ${d.name}: ${d.fields.join(', ')}`);
  }
  const same = diffs.filter((d) => d.status === 'unchanged').length;
  io.out(`${same} of ${inputs.length} alarms unchanged`);
  return diffs.every((d) => d.status === 'unchanged') ? ExitCodes.Ok : ExitCodes.Failed;
}

/**
 * Puts every alarm (children before composites); with `prune`, deletes deployed alarms
 * under the prefix that are no longer defined; with `dryRun`, calls nothing and says what
 * it would put (and, for `prune`, reads what it would delete).
 */
export async function importCommand(
  options: AlarmCommandOptions & { dryRun?: boolean; prune?: boolean },
  io: CommandIo,
  client: () => CloudWatchClient,
): Promise<number> {
  const { resolved, inputs, problems } = prepare(options);
  if (problems.length) {
    io.err('not importing alarms that fail the lint:');
    return reportProblems(problems, io);
  }
  const prefix = `${resolved.prefix}-`;
  if (options.dryRun) {
    for (const { kind, input } of inputs)
      io.out(`would put ${kind === 'composite' ? 'composite' : 'metric'} alarm ${input.AlarmName}`);
    if (options.prune) {
      const deployed = await describeAlarms(client(), prefix, resolved.region);
      for (const d of compareAlarms(inputs, deployed)) if (d.status === 'extra') io.out(`would delete ${d.name}`);
    }
    return ExitCodes.Ok;
  }
  const cw = client();
  io.err(`putting ${summary(inputs)} in ${resolved.region}...`);
  await putAlarms(cw, inputs, resolved.region, (done, total) => {
    if (done % 20 === 0 || done === total) io.err(`  ${done}/${total}`);
  });
  io.out(`put ${inputs.length} alarms`);
  if (options.prune) {
    const deployed = await describeAlarms(cw, prefix, resolved.region);
    const deleted = await pruneAlarms(
      cw,
      deployed,
      new Set(inputs.map((i) => i.input.AlarmName ?? '')),
      resolved.region,
    );
    for (const name of deleted) io.out(`deleted ${name}`);
    io.out(`pruned ${deleted.length} alarms`);
  }
  return ExitCodes.Ok;
}
