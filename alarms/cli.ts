/** `coffee alarms build|lint|diff|import`. */
import type { Command } from 'commander';
import {
  addMonitoringOptions,
  cloudWatchClientFactory,
  monitoringOptions,
  stdio,
  UsageError,
  type MonitoringFlags,
} from '../cli/index.ts';

interface AlarmFlags extends MonitoringFlags {
  pageTopicArn?: string;
  ticketTopicArn?: string;
}

function topicArns(flags: AlarmFlags) {
  const arns: { page?: string; ticket?: string } = {};
  for (const [key, value] of [
    ['page', flags.pageTopicArn],
    ['ticket', flags.ticketTopicArn],
  ] as const) {
    if (value === undefined) continue;
    if (!/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(value))
      throw new UsageError(`--${key}-topic-arn is not an SNS topic ARN: "${value}"`);
    arns[key] = value;
  }
  return arns;
}

function withAlarmOptions(command: Command): Command {
  return addMonitoringOptions(command)
    .option('--page-topic-arn <arn>', 'SNS topic for page-severity alarms')
    .option('--ticket-topic-arn <arn>', 'SNS topic for ticket-severity alarms');
}

export function registerAlarmsCommands(program: Command): void {
  const alarms = program
    .command('alarms')
    .description(
      'CloudWatch alarms and Prometheus rules built from the metrics catalog and SLOs: build, lint, diff, import',
    );

  withAlarmOptions(
    alarms
      .command('build')
      .description(
        'Write the CloudWatch alarm inputs (DIR/cloudwatch/alarms.json) and Prometheus rules (DIR/prometheus/*.yml)',
      ),
  )
    .option('--out <dir>', 'output directory', 'out/alarms')
    .action(async (flags: AlarmFlags & { out: string }) => {
      const { buildCommand } = await import('./commands.ts');
      process.exitCode = await buildCommand(
        { ...monitoringOptions(flags), topicArns: topicArns(flags), out: flags.out },
        stdio,
      );
    });

  withAlarmOptions(
    alarms
      .command('lint')
      .description('Check catalog references, statistics, periods and CloudWatch alarm limits; exit 1 on a problem'),
  ).action(async (flags: AlarmFlags) => {
    const { lintCommand } = await import('./commands.ts');
    process.exitCode = await lintCommand({ ...monitoringOptions(flags), topicArns: topicArns(flags) }, stdio);
  });

  withAlarmOptions(
    alarms
      .command('diff')
      .description('Compare with the deployed alarms under the prefix (DescribeAlarms); exit 1 when they differ'),
  ).action(async (flags: AlarmFlags) => {
    const { diffCommand } = await import('./commands.ts');
    const options = monitoringOptions(flags);
    process.exitCode = await diffCommand(
      { ...options, topicArns: topicArns(flags) },
      stdio,
      await cloudWatchClientFactory(options.region),
    );
  });

  withAlarmOptions(
    alarms.command('import').description('Put the alarms (PutMetricAlarm, then PutCompositeAlarm children first)'),
  )
    .option('--dry-run', 'say what would be put (and, with --prune, deleted); put and delete nothing', false)
    .option('--prune', 'delete alarms under the prefix that are no longer defined', false)
    .action(async (flags: AlarmFlags & { dryRun: boolean; prune: boolean }) => {
      const { importCommand } = await import('./commands.ts');
      const options = monitoringOptions(flags);
      process.exitCode = await importCommand(
        { ...options, topicArns: topicArns(flags), dryRun: flags.dryRun, prune: flags.prune },
        stdio,
        await cloudWatchClientFactory(options.region),
      );
    });
}

/** Adds `preview` to `coffee dashboards`: the dashboards drawn from a captured run's EMF (and logs). */
export function registerDashboardsPreviewCommand(dashboards: Command): void {
  dashboards
    .command('preview')
    .description(
      "Draw every CloudWatch dashboard from a run's captured EMF (and log lines) into DIR/report.html, offline; exit 2 on an unreadable or empty EMF file",
    )
    .requiredOption('--emf <file>', "the service's EMF output (JSON lines), e.g. out/demo/service-metrics.emf.jsonl")
    .option('--logs <file>', "the service's JSON log lines, for the Logs Insights widgets")
    .option('--out <dir>', 'output directory', 'out/dashboards-preview')
    .action(async (flags: { emf: string; logs?: string; out: string }) => {
      const { previewCommand } = await import('./preview/preview-command.ts');
      process.exitCode = await previewCommand(flags, stdio);
    });
}
