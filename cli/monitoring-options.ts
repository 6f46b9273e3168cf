/** The options of the commands that build or import dashboards and alarms: where the monitored things are. */
import type { Command } from 'commander';
import { parseIntOption, UsageError } from './usage-error.ts';

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
    .option(
      '--lambda-memory-mb <mb>',
      'Lambda memory size, for GB-seconds',
      parseIntOption('--lambda-memory-mb', 128, 10240),
    );
}

/** The checked flags: a `MonitoringOptions` of `dashboards/` with the region always set. */
export type MonitoringTarget = Omit<MonitoringFlags, 'region'> & { region: string };

/** Checks the flags; the region falls back to the environment (only the CLI reads it). */
export function monitoringOptions(flags: MonitoringFlags, env: NodeJS.ProcessEnv = process.env): MonitoringTarget {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(flags.prefix))
    throw new UsageError(`--prefix may only contain A-Z, a-z, 0-9, "-" and "_", got "${flags.prefix}"`);
  if (flags.accountId !== undefined && !/^\d{12}$/.test(flags.accountId))
    throw new UsageError(`--account-id must be 12 digits, got "${flags.accountId}"`);
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new UsageError(`--region "${region}" is not an AWS region name`);
  const options: MonitoringTarget = { prefix: flags.prefix, region };
  if (flags.serviceName) options.serviceName = flags.serviceName;
  if (flags.functionName) options.functionName = flags.functionName;
  if (flags.tableName) options.tableName = flags.tableName;
  if (flags.apiId) options.apiId = flags.apiId;
  if (flags.accountId) options.accountId = flags.accountId;
  if (flags.lambdaMemoryMb) options.lambdaMemoryMb = flags.lambdaMemoryMb;
  return options;
}

/** A CloudWatch client for the region, created only when a command calls AWS. */
export async function cloudWatchClientFactory(region: string) {
  const { CloudWatchClient } = await import('@aws-sdk/client-cloudwatch');
  return () => new CloudWatchClient({ region, maxAttempts: 3 });
}
