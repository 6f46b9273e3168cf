/** `coffee dashboards build|lint|diff|import`. */
import type { Command } from 'commander';
import {
  addMonitoringOptions,
  cloudWatchClientFactory,
  monitoringOptions,
  stdio,
  type MonitoringFlags,
} from '../cli/index.ts';

/** Registers `coffee dashboards ...` and returns the command, so folders above may add subcommands to it. */
export function registerDashboardsCommands(program: Command): Command {
  const dashboards = program
    .command('dashboards')
    .description('CloudWatch and Grafana dashboards built from the metrics catalog: build, lint, diff, import');

  addMonitoringOptions(
    dashboards
      .command('build')
      .description(
        'Write CloudWatch dashboard bodies (DIR/cloudwatch/*.json) and Grafana dashboards (DIR/grafana/*.json)',
      ),
  )
    .option('--out <dir>', 'output directory', 'out/dashboards')
    .action(async (flags: MonitoringFlags & { out: string }) => {
      const { buildCommand } = await import('./commands.ts');
      process.exitCode = await buildCommand({ ...monitoringOptions(flags), out: flags.out }, stdio);
    });

  addMonitoringOptions(
    dashboards
      .command('lint')
      .description('Check catalog references, statistics, dimensions and CloudWatch limits; exit 1 on a problem'),
  )
    .option('--from <dir>', 'lint the files of an earlier build in DIR instead of building')
    .action(async (flags: MonitoringFlags & { from?: string }) => {
      const { lintCommand } = await import('./commands.ts');
      process.exitCode = await lintCommand(
        { ...monitoringOptions(flags), ...(flags.from ? { from: flags.from } : {}) },
        stdio,
      );
    });

  addMonitoringOptions(
    dashboards
      .command('diff')
      .description('Compare with the deployed dashboards (GetDashboard); exit 1 when they differ'),
  ).action(async (flags: MonitoringFlags) => {
    const { diffCommand } = await import('./commands.ts');
    const options = monitoringOptions(flags);
    process.exitCode = await diffCommand(options, stdio, await cloudWatchClientFactory(options.region));
  });

  addMonitoringOptions(
    dashboards
      .command('import')
      .description("Put the dashboards into the account (PutDashboard), showing CloudWatch's validation messages"),
  )
    .option('--dry-run', 'say what would be put, call nothing', false)
    .action(async (flags: MonitoringFlags & { dryRun: boolean }) => {
      const { importCommand } = await import('./commands.ts');
      const options = monitoringOptions(flags);
      process.exitCode = await importCommand(
        { ...options, dryRun: flags.dryRun },
        stdio,
        await cloudWatchClientFactory(options.region),
      );
    });
  return dashboards;
}
