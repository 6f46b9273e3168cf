/**
 * `coffee dashboards build|lint|diff|import`: the command implementations, with their
 * output and the CloudWatch client passed in (the CLI wires stdout/stderr and a real client).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ExitCodes, reportProblems, type CommandIo } from '../cli/index.ts';
import { diffDashboards, putDashboards } from './aws.ts';
import { buildCloudWatchDashboards, buildGrafanaDashboards } from './build.ts';
import { lintDashboard, type LintProblem } from './lint.ts';
import { lintGrafanaDashboard } from './lint-grafana.ts';
import type { MonitoringOptions } from './model.ts';
import { resolveOptions } from './options.ts';
import type { CloudWatchDashboard } from './render-cloudwatch.ts';
import type { GrafanaDashboardJson } from './render-grafana.ts';

function lintAll(
  cloudwatch: readonly CloudWatchDashboard[],
  grafana: readonly { name: string; json: GrafanaDashboardJson }[],
  serviceName: string,
): LintProblem[] {
  return [
    ...cloudwatch.flatMap((d) => lintDashboard(d.name, d.body, { serviceName })),
    ...grafana.flatMap((g) => lintGrafanaDashboard(g.name, g.json)),
  ];
}

/** Writes `out/cloudwatch/<name>.json` (dashboard bodies) and `out/grafana/<name>.json`. */
export async function buildCommand(options: MonitoringOptions & { out: string }, io: CommandIo): Promise<number> {
  const cloudwatch = buildCloudWatchDashboards(options);
  const grafana = buildGrafanaDashboards(options);
  const problems = lintAll(cloudwatch, grafana, resolveOptions(options).serviceName);
  if (problems.length) {
    io.err('not writing dashboards that fail the lint:');
    return reportProblems(problems, io);
  }
  await mkdir(join(options.out, 'cloudwatch'), { recursive: true });
  await mkdir(join(options.out, 'grafana'), { recursive: true });
  for (const { name, body } of cloudwatch) {
    const file = join(options.out, 'cloudwatch', `${name}.json`);
    await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
    io.out(file);
  }
  for (const { name, json } of grafana) {
    const file = join(options.out, 'grafana', `${name}.json`);
    await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
    io.out(file);
  }
  if (!options.accountId)
    io.err('note: without --account-id the alarm status widgets are notes (alarm widgets need ARNs)');
  return ExitCodes.Ok;
}

/**
 * Lints the dashboards built from the options, or the files of an earlier build (`from`),
 * which is how a hand-edited body is checked before it is pasted.
 */
export async function lintCommand(options: MonitoringOptions & { from?: string }, io: CommandIo): Promise<number> {
  const serviceName = resolveOptions(options).serviceName;
  let problems: LintProblem[];
  let count: number;
  if (options.from) {
    problems = [];
    count = 0;
    for (const kind of ['cloudwatch', 'grafana'] as const) {
      const dir = join(options.from, kind);
      const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
      for (const file of files) {
        const text = await readFile(join(dir, file), 'utf8');
        const name = file.replace(/\.json$/, '');
        count++;
        if (kind === 'cloudwatch') problems.push(...lintDashboard(name, text, { serviceName }));
        else {
          try {
            problems.push(...lintGrafanaDashboard(name, JSON.parse(text) as GrafanaDashboardJson));
          } catch (error) {
            problems.push({ where: `grafana ${name}`, message: `not JSON: ${(error as Error).message}` });
          }
        }
      }
    }
    if (count === 0)
      problems.push({ where: options.from, message: 'no dashboard files (cloudwatch/*.json, grafana/*.json) found' });
  } else {
    const cloudwatch = buildCloudWatchDashboards(options);
    const grafana = buildGrafanaDashboards(options);
    count = cloudwatch.length + grafana.length;
    problems = lintAll(cloudwatch, grafana, serviceName);
  }
  const code = reportProblems(problems, io);
  io.out(problems.length ? `${problems.length} problem(s) in ${count} dashboards` : `${count} dashboards: no problems`);
  return code;
}

/** Shows what differs from the deployed dashboards; exit 1 when anything does. */
export async function diffCommand(
  options: MonitoringOptions,
  io: CommandIo,
  client: () => CloudWatchClient,
): Promise<number> {
  const { region } = resolveOptions(options);
  const dashboards = buildCloudWatchDashboards(options);
  io.err(`comparing ${dashboards.length} dashboards with ${region}...`);
  const diffs = await diffDashboards(client(), dashboards, region);
  for (const d of diffs) {
    if (d.status === 'missing') io.out(`+ ${d.name} (not deployed)`);
    else if (d.status === 'unchanged') io.out(`= ${d.name}`);
    else {
      io.out(`~ ${d.name}: ${d.paths.length} difference(s)`);
      for (const path of d.paths.slice(0, 20)) io.out(`    ${path}`);
      if (d.paths.length > 20) io.out(`    ... and ${d.paths.length - 20} more`);
    }
  }
  return diffs.every((d) => d.status === 'unchanged') ? ExitCodes.Ok : ExitCodes.Failed;
}

/** Puts every dashboard (after the lint); with `dryRun`, says what it would put and calls nothing. */
export async function importCommand(
  options: MonitoringOptions & { dryRun?: boolean },
  io: CommandIo,
  client: () => CloudWatchClient,
): Promise<number> {
  const resolved = resolveOptions(options);
  const dashboards = buildCloudWatchDashboards(options);
  const problems = dashboards.flatMap((d) => lintDashboard(d.name, d.body, { serviceName: resolved.serviceName }));
  if (problems.length) {
    io.err('not importing dashboards that fail the lint:');
    return reportProblems(problems, io);
  }
  if (options.dryRun) {
    for (const { name, body } of dashboards) {
      io.out(
        `would put ${name} (${body.widgets.length} widgets, ${Buffer.byteLength(JSON.stringify(body))} bytes) in ${resolved.region}`,
      );
    }
    return ExitCodes.Ok;
  }
  io.err(`putting ${dashboards.length} dashboards in ${resolved.region}...`);
  const results = await putDashboards(client(), dashboards, resolved.region);
  let failed = false;
  for (const r of results) {
    io.out(`${r.ok ? 'put' : 'rejected'} ${r.name}`);
    for (const m of r.messages) io.err(`  ${r.name}: ${m.DataPath ? `${m.DataPath}: ` : ''}${m.Message ?? ''}`);
    if (!r.ok) failed = true;
  }
  return failed ? ExitCodes.Failed : ExitCodes.Ok;
}
