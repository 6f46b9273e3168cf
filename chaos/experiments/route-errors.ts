/**
 * The service's own fault rules: 503s on order placement, 500s (thrown exceptions) on the
 * order history, slow menu reads, then a window of event-loop blocks. Every injected
 * error must still follow the contract (problem+json, Retry-After on 503, no internals
 * in a 500), clients retrying order placement must not double an order, and the routes
 * must be back to normal once the rules are cleared.
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
  name: 'route-errors',
  title: 'Route errors, latency and event-loop blocks',
  description:
    'Window 1 (18 s): POST /orders answers 503 (20%), GET /users/me/orders throws (20%), GET /menu waits 150 ms (30%). Window 2 (8 s): 3% of requests block the event loop for 100 ms.',
  hypothesis:
    'Injected errors follow the error contract and carry no internals, retried orders are not doubled, blocking the event loop slows every route but fails none, and the objectives hold again within 10 s of each window.',
  target: 'embedded',
  load: { profile: 'average', durationMs: 60_000, orders: STANDARD_ORDERS },
  steadyState: STANDARD_PROBES,
  schedule: {
    kind: 'fixed',
    windows: [
      {
        label: 'route errors and latency',
        startMs: 10_000,
        durationMs: 18_000,
        action: {
          layer: 'service',
          rules: [
            { route: 'POST /orders', probability: 0.2, status: 503 },
            { route: 'GET /users/me/orders', probability: 0.2, exception: true },
            { route: 'GET /menu', probability: 0.3, latencyMs: 150 },
          ],
        },
      },
      {
        label: 'event-loop blocks (100 ms)',
        startMs: 34_000,
        durationMs: 8_000,
        action: { layer: 'service', rules: [{ route: '*', probability: 0.03, blockMs: 100 }] },
      },
    ],
  },
  abort: [{ kind: 'error-rate', above: 0.5, windowMs: 10_000, minRequests: 20 }, ABORT_IF_NOT_RECOVERING],
  expectedServerErrors: [
    { status: 503, code: 'injected_fault' },
    { status: 500, code: 'internal' },
    { status: 503, code: 'dependency_unavailable' },
  ],
  recoveryBudgetMs: 10_000,
  rollbacks: [RollbackKinds.ClearServiceFaults],
  alarmExpectations: SHORT_FAULT_PAGES_NOBODY,
});
