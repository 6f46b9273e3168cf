/**
 * The load-test engine (loadtests/) as an experiment drives it: `runLoad` with the
 * experiment's profile stretched to the load duration, every response turned into a
 * `RecordedResponse` (error bodies kept for the contract check), every acknowledged order
 * handed over for the durability and duplicate checks. Its result (`LoadResult`) is what
 * the run's report shows as the load test's view.
 */
import { runLoad, type ResponseEvent } from '../loadtests/index.ts';
import type { Order } from '../service/catalog/index.ts';
import { MAX_KEPT_BODY, type RecordedResponse } from './responses.ts';
import type { LoadEngine } from './runner.ts';

export interface LoadEngineOptions {
  /** Engine worker threads: 1 keeps the generator off the service's event loop (default); 0 runs in this thread. */
  workers?: number;
}

/** A response event of the engine as the experiment records it. */
export function toRecordedResponse(event: ResponseEvent): RecordedResponse {
  const record: RecordedResponse = {
    source: 'load',
    method: event.method,
    route: event.route,
    at: event.startedAt,
    latencyMs: event.latencyMs,
  };
  if (event.status === 0) {
    record.networkError = event.error ?? 'network error';
    return record;
  }
  record.status = event.status;
  const contentType = event.headers['content-type'];
  const retryAfter = event.headers['retry-after'];
  if (contentType !== undefined) record.contentType = contentType;
  if (retryAfter !== undefined) record.retryAfter = retryAfter;
  if (event.status >= 400) record.body = event.body.slice(0, MAX_KEPT_BODY);
  return record;
}

export async function createLoadEngine({ workers = 1 }: LoadEngineOptions = {}): Promise<LoadEngine> {
  return {
    name: `loadtests Node engine (${workers === 0 ? 'in-thread' : `${workers} worker thread${workers > 1 ? 's' : ''}`})`,
    async start({
      baseUrl,
      profile,
      durationMs,
      journeysPerSecond,
      thinkTimeScale,
      seed,
      runId,
      signal,
      onResponse,
      onOrderAcknowledged,
      onExemplar,
    }) {
      const done = runLoad({
        target: baseUrl,
        profile,
        durationS: durationMs / 1000,
        ...(journeysPerSecond !== undefined ? { rate: journeysPerSecond } : {}),
        ...(thinkTimeScale !== undefined ? { thinkTimeScale } : {}),
        seed,
        runId,
        signal,
        workers,
        ...(onExemplar ? { onExemplar } : {}),
        onResponse: (event) => {
          onResponse(toRecordedResponse(event));
          if (event.route === 'POST /orders' && event.status >= 200 && event.status < 300 && event.idempotencyKey) {
            try {
              const { order } = JSON.parse(event.body) as { order?: Order };
              if (order?.id) onOrderAcknowledged({ key: event.idempotencyKey, order });
            } catch {
              // A 2xx without an order body is the error contract's business, not ours.
            }
          }
        },
      });
      return { done };
    },
  };
}
