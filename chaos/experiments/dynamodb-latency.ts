/**
 * Every DynamoDB call gets 50 to 2,500 ms of extra latency (lognormal, median 120 ms)
 * for 25 s. Order writes should slow down and miss their latency objective while it
 * lasts, fail only as 503 when a call outlives the SDK timeout, and recover at once.
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
  name: 'dynamodb-latency',
  title: 'DynamoDB latency',
  description:
    'Every DynamoDB call is delayed by a lognormal latency (median 120 ms, sigma 0.7, at most 2.5 s) for 25 s.',
  hypothesis:
    'Slow DynamoDB makes requests slow, not wrong: errors are at most 503 with Retry-After, every acknowledged order is stored once, and the objectives hold again within 10 s.',
  target: 'embedded',
  load: { profile: 'average', durationMs: 60_000, orders: STANDARD_ORDERS },
  steadyState: STANDARD_PROBES,
  schedule: {
    kind: 'fixed',
    windows: [
      {
        label: 'DynamoDB slow (lognormal, median 120 ms)',
        startMs: 15_000,
        durationMs: 25_000,
        action: {
          layer: 'dynamodb',
          rules: [
            {
              id: 'slow-dynamodb',
              fault: { kind: 'latency', latency: { type: 'lognormal', medianMs: 120, sigma: 0.7, maxMs: 2_500 } },
            },
          ],
        },
      },
    ],
  },
  abort: [{ kind: 'p99-latency', aboveMs: 10_000, windowMs: 10_000, minRequests: 20 }, ABORT_IF_NOT_RECOVERING],
  expectedServerErrors: [{ status: 503, code: 'dependency_unavailable' }],
  recoveryBudgetMs: 10_000,
  rollbacks: [RollbackKinds.ClearDynamoDbFaults],
  alarmExpectations: SHORT_FAULT_PAGES_NOBODY,
});
