/** `coffee dashboards build|lint|diff|import`. */
import type { Command } from 'commander';
import { parseIntOption, UsageError } from '../cli/usage-error.ts';
import type { MonitoringOptions } from './model.ts';

/** The options every dashboards and alarms command shares (where the monitored things are). */
export interface MonitoringFlags {
  prefix: string;
  region?: string;
  serviceName?: string;
  functionName?: string;
  tableName?: string;
  apiId?: string;
  accountId?: string;
  lambdaMemoryMb?: number;
}

export function addMonitoringOptions(command: Command): Command {
  return command
    .option('--prefix <prefix>', 'prefix of every dashboard and alarm name', 'coffee-cloud')
    .option('--region <region>', 'AWS region of the widgets and API calls (default: AWS_REGION, else us-east-1)')
    .option('--service-name <name>', 'value of the Service dimension (OTEL_SERVICE_NAME of the service)')
    .option('--function-name <name>', 'the Lambda function (default coffee-cloud-api)')
    .option('--table-name <name>', 'the DynamoDB table (default coffee-cloud)')
    .option('--api-id <id>', 'the HTTP API id (without it API Gateway widgets sum every HTTP API of the region)')
    .option('--account-id <id>', 'AWS account id, for the ARNs of alarm status widgets')
    .option('--lambda-memory-mb <mb>', 'Lambda memory size, for GB-seconds', parseIntOption('--lambda-memory-mb', 128, 10240));
}

/** Flags to `MonitoringOptions`; the region falls back to the environment (only the CLI reads it). */
export function monitoringOptions(flags: MonitoringFlags, env: NodeJS.ProcessEnv = process.env): MonitoringOptions & { region: string } {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(flags.prefix)) throw new UsageError(`--prefix may only contain A-Z, a-z, 0-9, "-" and "_", got "${flags.prefix}"`);
  if (flags.accountId !== undefined && !/^\d{12}$/.test(flags.accountId)) throw new UsageError(`--account-id must be 12 digits, got "${flags.accountId}"`);
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new UsageError(`--region "${region}" is not an AWS region name`);
  const options: MonitoringOptions & { region: string } = { prefix: flags.prefix, region };
  if (flags.serviceName) options.serviceName = flags.serviceName;
  if (flags.functionName) options.functionName = flags.functionName;
  if (flags.tableName) options.tableName = flags.tableName;
  if (flags.apiId) options.apiId = flags.apiId;
  if (flags.accountId) options.accountId = flags.accountId;
  if (flags.lambdaMemoryMb) options.lambdaMemoryMb = flags.lambdaMemoryMb;
  return options;
}

export const stdio = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

/** A CloudWatch client for the region, created only when a command calls AWS. */
export async function cloudWatchClientFactory(region: string) {
  const { CloudWatchClient } = await import('@aws-sdk/client-cloudwatch');
  return () => new CloudWatchClient({ region, maxAttempts: 3 });
}

export function registerDashboardsCommands(program: Command): void {
  const dashboards = program
    .command('dashboards')
    .description('CloudWatch and Grafana dashboards built from the metrics catalog: build, lint, diff, import');

  addMonitoringOptions(dashboards.command('build').description('Write CloudWatch dashboard bodies (DIR/cloudwatch/*.json) and Grafana dashboards (DIR/grafana/*.json)'))
    .option('--out <dir>', 'output directory', 'out/dashboards')
    .action(async (flags: MonitoringFlags & { out: string }) => {
      const { buildCommand } = await import('./commands.ts');
      process.exitCode = await buildCommand({ ...monitoringOptions(flags), out: flags.out }, stdio);
    });

  addMonitoringOptions(dashboards.command('lint').description('Check catalog references, statistics, dimensions and CloudWatch limits; exit 1 on a problem'))
    .option('--from <dir>', 'lint the files of an earlier build in DIR instead of building')
    .action(async (flags: MonitoringFlags & { from?: string }) => {
      const { lintCommand } = await import('./commands.ts');
      process.exitCode = await lintCommand({ ...monitoringOptions(flags), ...(flags.from ? { from: flags.from } : {}) }, stdio);
    });

  addMonitoringOptions(dashboards.command('diff').description('Compare with the deployed dashboards (GetDashboard); exit 1 when they differ'))
    .action(async (flags: MonitoringFlags) => {
      const { diffCommand } = await import('./commands.ts');
      const options = monitoringOptions(flags);
      process.exitCode = await diffCommand(options, stdio, await cloudWatchClientFactory(options.region));
    });

  addMonitoringOptions(dashboards.command('import').description('Put the dashboards into the account (PutDashboard), showing CloudWatch\'s validation messages'))
    .option('--dry-run', 'say what would be put, call nothing', false)
    .action(async (flags: MonitoringFlags & { dryRun: boolean }) => {
      const { importCommand } = await import('./commands.ts');
      const options = monitoringOptions(flags);
      process.exitCode = await importCommand({ ...options, dryRun: flags.dryRun }, stdio, await cloudWatchClientFactory(options.region));
    });
}
