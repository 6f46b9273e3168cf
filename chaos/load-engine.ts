/**
 * The load-test engine (loadtests/) as an experiment drives it: `runLoad` with the
 * experiment's profile stretched to the load duration, every response turned into a
 * `RecordedResponse` (error bodies kept for the contract check), every acknowledged order
 * handed over for the durability and duplicate checks, and `writeReport` for the one
 * report with the fault windows marked and the chaos sections added.
 */
import { runLoad } from '../loadtests/run-load.ts';
import { writeReport } from '../loadtests/report/html.ts';
import type { LoadResult } from '../loadtests/shared/result.ts';
import type { ResponseEvent } from '../loadtests/engine/engine.ts';
import type { Order } from '../service/domain/types.ts';
import { MAX_KEPT_BODY, type RecordedResponse } from './responses.ts';
import type { LoadEngine } from './runner.ts';

export interface LoadEngineOptions {
  /** Engine worker threads: 1 keeps the generator off the service's event loop (default); 0 runs in this thread. */
  workers?: number;
}

/** A response event of the engine as the experiment records it. */
export function toRecordedResponse(event: ResponseEvent): RecordedResponse {
  const record: RecordedResponse = { source: 'load', method: event.method, route: event.route, at: event.startedAt, latencyMs: event.latencyMs };
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
    async start({ baseUrl, profile, durationMs, journeysPerSecond, thinkTimeScale, seed, runId, signal, onResponse, onOrderAcknowledged }) {
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
    report: (loadResult, { out, faultWindows, extraSections }) => {
      const result = loadResult as LoadResult;
      const t0 = Date.parse(result.startedAt);
      return writeReport(result, {
        out,
        faultWindows: faultWindows.map((w) => ({ label: w.label, startMs: w.start - t0, endMs: w.end - t0 })),
        extraSections,
      });
    },
  };
}
