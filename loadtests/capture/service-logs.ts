/**
 * The service's own log lines (pino JSON, one per line, with `trace_id` and `span_id` on the
 * lines of a traced request) turned into captured log records, from a live stream (the
 * in-process service's log destination) or from its log file after the run.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CapturedLog } from './types.ts';

/** The fields of the service's log lines that the capture reads (service/telemetry/logger.ts). */
export const SERVICE_LOG_FIELDS = {
  traceId: 'trace_id',
  spanId: 'span_id',
  time: 'time',
  level: 'level',
  message: 'message',
  runId: 'load_run_id',
} as const;

const F = SERVICE_LOG_FIELDS;

/** The record of one line when it is a JSON object with a trace id; undefined otherwise. */
export function parseServiceLogLine(line: string): CapturedLog | undefined {
  if (!line.includes(F.traceId)) return undefined;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const traceId = fields[F.traceId];
  if (typeof traceId !== 'string' || !/^[0-9a-f]{32}$/.test(traceId)) return undefined;
  const time = fields[F.time];
  const spanId = fields[F.spanId];
  return {
    traceId,
    ...(typeof spanId === 'string' ? { spanId } : {}),
    time: typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) || 0 : 0,
    ...(typeof fields[F.level] === 'string' ? { level: fields[F.level] as string } : {}),
    ...(typeof fields[F.message] === 'string' ? { message: fields[F.message] as string } : {}),
    fields,
  };
}

/** The traced lines of a log file, in batches (`each` takes each batch). A missing file has none. */
export async function readServiceLogFile(file: string, each: (logs: CapturedLog[]) => void): Promise<void> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let batch: CapturedLog[] = [];
  try {
    for await (const line of lines) {
      const log = parseServiceLogLine(line);
      if (log) batch.push(log);
      if (batch.length >= 500) {
        each(batch);
        batch = [];
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (batch.length) each(batch);
}
