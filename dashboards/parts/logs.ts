/**
 * Logs Insights widgets over the service's structured JSON logs (CloudWatch only).
 */
import type { LogsWidget } from '../model.ts';
import type { PartContext, PartOutput } from './context.ts';

/**
 * The JSON log fields the queries read: those of the service's access line (one JSON object
 * per request, `service/telemetry/telemetry.ts`), which Logs Insights discovers by itself.
 * Named once here so a rename is one edit.
 */
export const LOG_FIELDS = {
  code: 'error_code',
  status: 'status',
  durationMs: 'duration_ms',
  route: 'route',
  method: 'method',
  requestId: 'request_id',
  traceId: 'trace_id',
} as const;

const F = LOG_FIELDS;

export const LOG_QUERIES = {
  errorsByCode: [
    `filter ispresent(${F.code})`,
    `stats count(*) as errors by ${F.code}, ${F.status}`,
    'sort errors desc',
    'limit 50',
  ].join(' | '),
  slowestRequests: [
    `filter ispresent(${F.durationMs})`,
    `fields @timestamp, ${F.method}, ${F.route}, ${F.status}, ${F.durationMs}, ${F.requestId}, ${F.traceId}`,
    `sort ${F.durationMs} desc`,
    'limit 20',
  ].join(' | '),
} as const;

export function logsMonitoring({ options }: PartContext): PartOutput {
  const logGroupNames = [options.logGroupName];
  const errors: LogsWidget = {
    type: 'logs',
    title: 'Errors by code (Logs Insights)',
    logGroupNames,
    query: LOG_QUERIES.errorsByCode,
    view: 'table',
  };
  const slowest: LogsWidget = {
    type: 'logs',
    title: 'Slowest requests (Logs Insights)',
    logGroupNames,
    query: LOG_QUERIES.slowestRequests,
    view: 'table',
  };
  return { rows: [{ title: 'Logs', widgets: [errors, slowest] }], alarms: [] };
}
