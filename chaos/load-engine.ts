/**
 * The load-test engine (loadtests/) as an experiment drives it: `runLoad` with the
 * experiment's profile stretched to the load duration, every response turned into a
 * `RecordedResponse` (error bodies kept for the contract check), every acknowledged order
 * handed over for the durability and duplicate checks, and the load report (`renderReport`)
 * with the fault windows marked, the experiment's verdict first and its sections added.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReport, runLoad, type LoadResult, type ResponseEvent } from '../loadtests/index.ts';
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
    async report(loadResult, { out, faultWindows, headline, extraSections }) {
      const result = loadResult as LoadResult;
      const t0 = Date.parse(result.startedAt);
      const html = await renderReport(result, {
        faultWindows: faultWindows.map((w) => ({ label: w.label, startMs: w.start - t0, endMs: w.end - t0 })),
        extraSections,
      });
      // The experiment's verdict leads; the load report's own verdict (its thresholds, which
      // a fault window is expected to break) follows as the load test's view of the run.
      const at = html.indexOf('<h1');
      const page = at < 0 ? html : `${html.slice(0, at)}${headline}\n${html.slice(at)}`;
      await mkdir(out, { recursive: true });
      const file = join(out, 'report.html');
      await writeFile(file, page);
      return file;
    },
  };
}
