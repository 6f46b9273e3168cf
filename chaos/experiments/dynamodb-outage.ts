/**
 * DynamoDB answers every call with 503 ServiceUnavailable for 30 s. The service cannot
 * do its work, so it must say so cleanly (503 `dependency_unavailable`, `Retry-After`,
 * readiness failing), keep serving what its cache holds, and be whole again within 10 s
 * of DynamoDB's return, with no acknowledged order lost.
 */
import {
  defineExperiment,
  ABORT_IF_NOT_RECOVERING,
  STANDARD_ORDERS,
  STANDARD_PROBES,
  SHORT_FAULT_PAGES_NOBODY,
  RollbackKinds,
} from '../experiment.ts';

export default defineExperiment({
  name: 'dynamodb-outage',
  title: 'DynamoDB outage (30 s)',
  description: 'Every DynamoDB call answers HTTP 503 ServiceUnavailable for 30 s.',
  hypothesis:
    'During an outage every failure is a clean 503 with Retry-After (never a 500 or a hung request); afterwards every acknowledged order is intact, none is doubled by the retries, and the objectives hold again within 10 s.',
  target: 'embedded',
  load: { profile: 'average', durationMs: 75_000, orders: STANDARD_ORDERS },
  steadyState: STANDARD_PROBES,
  schedule: {
    kind: 'fixed',
    windows: [
      {
        label: 'DynamoDB unavailable (503)',
        startMs: 15_000,
        durationMs: 30_000,
        action: { layer: 'dynamodb', rules: [{ id: 'outage', fault: { kind: 'error', error: 'ServiceUnavailable' } }] },
      },
    ],
  },
  // An outage fails nearly everything by design: only a service that stays broken after it aborts.
  abort: [ABORT_IF_NOT_RECOVERING],
  expectedServerErrors: [{ status: 503, code: 'dependency_unavailable' }],
  recoveryBudgetMs: 10_000,
  rollbacks: [RollbackKinds.ClearDynamoDbFaults],
  alarmExpectations: [
    ...SHORT_FAULT_PAGES_NOBODY,
    {
      severity: 'page',
      sustainedWithinMs: 300_000,
      reason:
        'DynamoDB down means every write fails: sustained, that burns the budget at hundreds of times the rate and must page within 5 minutes.',
    },
  ],
});
