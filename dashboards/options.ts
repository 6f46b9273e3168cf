import { DEFAULT_SERVICE_NAME } from '../service/catalog/index.ts';
import { DEFAULT_TABLE_NAME } from '../service/catalog/index.ts';
import type { MonitoringOptions, ResolvedOptions } from './model.ts';

export const DEFAULT_PREFIX = 'coffee-cloud';
export const DEFAULT_FUNCTION_NAME = 'coffee-cloud-api';
export const DEFAULT_REGION = 'us-east-1';

/** Fills in the defaults of `MonitoringOptions` (see there). */
export function resolveOptions(options: MonitoringOptions = {}): ResolvedOptions {
  const {
    prefix = DEFAULT_PREFIX,
    serviceName = DEFAULT_SERVICE_NAME,
    functionName = DEFAULT_FUNCTION_NAME,
    lambdaMemoryMb = 1024,
    lambdaArchitecture = 'arm64',
    tableName = DEFAULT_TABLE_NAME,
    apiId,
    apiStage = '$default',
    logGroupName = `/aws/lambda/${functionName}`,
    region = DEFAULT_REGION,
    accountId,
  } = options;
  const resolved: ResolvedOptions = {
    prefix,
    serviceName,
    functionName,
    lambdaMemoryMb,
    lambdaArchitecture,
    tableName,
    apiStage,
    logGroupName,
    region,
  };
  if (apiId !== undefined) resolved.apiId = apiId;
  if (accountId !== undefined) resolved.accountId = accountId;
  return resolved;
}
