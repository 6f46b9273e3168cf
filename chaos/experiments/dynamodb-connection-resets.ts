/**
 * TCP resets between the service and DynamoDB, in two windows placed by the run's seed:
 * 20% of all calls are reset before DynamoDB sees them, and 15% of the writes after
 * DynamoDB applied them (the response is lost). The SDK retries both; a retried write
 * that finds its own order must answer that order, not fail and not write a second one.
 */
import {
  defineExperiment,
  ABORT_IF_NOT_RECOVERING,
  STANDARD_ORDERS,
  STANDARD_PROBES,
  RollbackKinds,
  SHORT_FAULT_PAGES_NOBODY,
} from '../experiment.ts';

export default defineExperiment({
  name: 'dynamodb-connection-resets',
  title: 'DynamoDB connection resets',
  description:
    'Two windows of 10 to 14 s, placed by the seed: 20% of calls reset before forwarding, 15% of PutItem and UpdateItem reset after DynamoDB applied them.',
  hypothesis:
    'Resets are retried by the SDK; a write applied before its reset is answered as that one order; errors that remain are 503 with Retry-After; the objectives hold again within 10 s.',
  target: 'embedded',
  load: { profile: 'average', durationMs: 60_000, orders: STANDARD_ORDERS },
  steadyState: STANDARD_PROBES,
  schedule: {
    kind: 'random',
    count: 2,
    minDurationMs: 10_000,
    maxDurationMs: 14_000,
    earliestMs: 10_000,
    latestEndMs: 45_000,
    minGapMs: 5_000,
    label: 'connection resets',
    action: {
      layer: 'dynamodb',
      rules: [
        {
          id: 'reset-after-write',
          match: { operations: ['PutItem', 'UpdateItem'] },
          probability: 0.15,
          fault: { kind: 'connection-reset', phase: 'after' },
        },
        { id: 'reset-before', probability: 0.2, fault: { kind: 'connection-reset', phase: 'before' } },
      ],
    },
  },
  abort: [{ kind: 'error-rate', above: 0.5, windowMs: 10_000, minRequests: 20 }, ABORT_IF_NOT_RECOVERING],
  expectedServerErrors: [{ status: 503, code: 'dependency_unavailable' }],
  recoveryBudgetMs: 10_000,
  rollbacks: [RollbackKinds.ClearDynamoDbFaults],
  alarmExpectations: SHORT_FAULT_PAGES_NOBODY,
});
