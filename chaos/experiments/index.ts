/** The shipped experiments, by name. */
import type { ExperimentDefinition } from '../experiment.ts';
import dynamodbConnectionResets from './dynamodb-connection-resets.ts';
import dynamodbLatency from './dynamodb-latency.ts';
import dynamodbOutage from './dynamodb-outage.ts';
import dynamodbThrottling from './dynamodb-throttling.ts';
import routeErrors from './route-errors.ts';
import serviceCrashRestart from './service-crash-restart.ts';

export const EXPERIMENTS: readonly ExperimentDefinition[] = [
  dynamodbThrottling,
  dynamodbLatency,
  dynamodbOutage,
  dynamodbConnectionResets,
  serviceCrashRestart,
  routeErrors,
];

export function experimentByName(name: string): ExperimentDefinition | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}
