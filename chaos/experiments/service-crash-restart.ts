/**
 * The service process (with its embedded DynamoDB) is killed with SIGKILL twice under
 * load and started again on the same data directory. Clients see refused connections
 * while it is down; every order acknowledged before a kill must be there after the
 * restart, retries across the restart must not double an order, and the store's indexes
 * must hold exactly its items (a kill can land between an index write and an item write).
 */
import {
  defineExperiment,
  STANDARD_ORDERS,
  STANDARD_PROBES,
  RollbackKinds,
  SHORT_FAULT_PAGES_NOBODY,
} from '../experiment.ts';

export default defineExperiment({
  name: 'service-crash-restart',
  title: 'Service crash and restart',
  description:
    '`coffee serve --data-dir DIR` runs as a child process; it is SIGKILLed at 12 s and 30 s, down for 2 s each time, then restarted on the same data directory and port.',
  hypothesis:
    'A crash loses no acknowledged order (the store is on disk), retries across the restart create no duplicate, the indexes come back equal to the table, and the objectives hold again within 10 s of each restart.',
  target: 'process',
  load: { profile: 'average', durationMs: 60_000, orders: STANDARD_ORDERS },
  steadyState: STANDARD_PROBES,
  schedule: {
    kind: 'fixed',
    windows: [
      {
        label: 'SIGKILL, down 2 s, restart',
        startMs: 12_000,
        durationMs: 2_000,
        action: { layer: 'process', fault: { kind: 'kill-restart' } },
      },
      {
        label: 'SIGKILL, down 2 s, restart',
        startMs: 30_000,
        durationMs: 2_000,
        action: { layer: 'process', fault: { kind: 'kill-restart' } },
      },
    ],
  },
  abort: [
    { kind: 'error-rate', above: 0.05, windowMs: 5_000, minRequests: 20, scope: 'outside-faults', graceMs: 12_000 },
  ],
  expectedServerErrors: [{ status: 503, code: 'dependency_unavailable' }],
  recoveryBudgetMs: 10_000,
  indexesMatchTable: true,
  rollbacks: [RollbackKinds.RestartService],
  alarmExpectations: SHORT_FAULT_PAGES_NOBODY,
});
