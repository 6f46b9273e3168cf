/**
 * Against a deployed stack the service exports to the user's own trace backend: the report
 * links each exemplar there with a `--trace-url` template, and gives a Logs Insights query
 * for the run's log lines.
 *
 * Templates (`{traceId}` is the W3C id, 32 hex digits; `{xrayTraceId}` the X-Ray form):
 * - Jaeger: `http://localhost:16686/trace/{traceId}`
 * - Grafana Tempo (Explore): `https://grafana.example.com/explore?left={"queries":[{"queryType":"traceql","query":"{traceId}"}]}`
 * - AWS X-Ray: `https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#xray:traces/{xrayTraceId}`
 */
import { LOG_FIELDS } from '../../dashboards/index.ts';
import { SERVICE_LOG_FIELDS } from './service-logs.ts';

/** X-Ray's form of a W3C trace id: `1-<first 8 hex>-<remaining 24 hex>` (the first 8 are the epoch seconds). */
export function xrayTraceId(traceId: string): string {
  return `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
}

/** The link for one trace; throws when the template names neither placeholder. */
export function traceLink(template: string, traceId: string): string {
  if (!template.includes('{traceId}') && !template.includes('{xrayTraceId}'))
    throw new Error(`--trace-url must contain {traceId} or {xrayTraceId}, got "${template}"`);
  return template.replaceAll('{traceId}', traceId).replaceAll('{xrayTraceId}', xrayTraceId(traceId));
}

/** A CloudWatch Logs Insights query for every log line of a run, slowest first. */
export function runLogsQuery(runId: string): string {
  const F = LOG_FIELDS;
  return [
    `filter ${SERVICE_LOG_FIELDS.runId} = "${runId.replace(/"/g, '')}"`,
    `fields @timestamp, ${F.method}, ${F.route}, ${F.status}, ${F.durationMs}, ${F.code}, ${F.traceId}, ${F.requestId}`,
    `sort ${F.durationMs} desc`,
    'limit 200',
  ].join(' | ');
}
