/**
 * DynamoDB throttles writes and index queries for 25 s under average load. The SDK's
 * throttling back-off should absorb most of it; what it cannot absorb must reach clients
 * as 503 `dependency_unavailable` with `Retry-After`, and no order may be lost or doubled
 * while clients retry.
 */
import {
  defineExperiment,
  ABORT_IF_NOT_RECOVERING,
  STANDARD_PROBES,
  RollbackKinds,
  SHORT_FAULT_PAGES_NOBODY,
} from '../experiment.ts';

export default defineExperiment({
  name: 'dynamodb-throttling',
  title: 'DynamoDB throttling',
  description:
    'Half of the PutItem and UpdateItem calls answer ProvisionedThroughputExceededException and 30% of the index queries ThrottlingException, for 25 s.',
  hypothesis:
    'Throttling is retried by the SDK and otherwise answered with 503 and Retry-After; no acknowledged order is lost, no key produces two orders, and the objectives hold again within 10 s.',
  target: 'embedded',
  load: { profile: 'average', durationMs: 60_000, orders: { ratePerSecond: 5, customers: 8, replayProbability: 0.15 } },
  steadyState: STANDARD_PROBES,
  schedule: {
    kind: 'fixed',
    windows: [
      {
        label: 'writes and index queries throttled',
        startMs: 15_000,
        durationMs: 25_000,
        action: {
          layer: 'dynamodb',
          rules: [
            {
              id: 'throttle-writes',
              match: { operations: ['PutItem', 'UpdateItem'] },
              probability: 0.5,
              fault: { kind: 'error', error: 'ProvisionedThroughputExceededException' },
            },
            {
              id: 'throttle-indexes',
              match: { operations: ['Query'], indexes: ['byUser', 'byStatus'] },
              probability: 0.3,
              fault: { kind: 'error', error: 'ThrottlingException' },
            },
          ],
        },
      },
    ],
  },
  abort: [{ kind: 'error-rate', above: 0.6, windowMs: 10_000, minRequests: 20 }, ABORT_IF_NOT_RECOVERING],
  expectedServerErrors: [{ status: 503, code: 'dependency_unavailable' }],
  recoveryBudgetMs: 10_000,
  rollbacks: [RollbackKinds.ClearDynamoDbFaults],
  alarmExpectations: SHORT_FAULT_PAGES_NOBODY,
});
