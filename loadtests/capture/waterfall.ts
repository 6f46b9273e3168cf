/**
 * One captured trace as HTML: a waterfall of the client's view (intended send, sent,
 * answered), the server span and each DynamoDB call with its attempts (an attempt ends at
 * its throttle event; the gap to the next is the SDK's backoff and the next attempt), the
 * throttle and error events, the status; then the trace's log lines. Positions are
 * percentages of the trace's time span, so it needs no script.
 */
import { escapeHtml } from '../../cli/index.ts';
import { EventAttributes, SpanAttributes, SpanEvents } from './span-names.ts';
import { SpanKinds, StatusCodes, type CapturedSpan, type CapturedTrace, type SpanEvent } from './types.ts';

/** The id of a trace's element in the page, for links and chart clicks. */
export const traceElementId = (traceId: string): string => `trace-${traceId}`;

interface Axis {
  from: number;
  to: number;
}

const ms = (n: number): string => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
const pct = (axis: Axis, t: number): number =>
  Math.max(0, Math.min(100, ((t - axis.from) / Math.max(1e-3, axis.to - axis.from)) * 100));

function bar(axis: Axis, from: number, to: number, cls: string, title: string, inner = ''): string {
  const left = pct(axis, from);
  const width = Math.max(0.4, pct(axis, to) - left);
  return `<div class="wf-bar ${cls}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%" title="${escapeHtml(title)}">${inner}</div>`;
}

function row(label: string, track: string, cls = ''): string {
  return `<div class="wf-row ${cls}"><div class="wf-label">${label}</div><div class="wf-track">${track}</div></div>`;
}

function eventMark(axis: Axis, e: SpanEvent): string {
  const throttle = e.name === SpanEvents.Throttled;
  const what = throttle
    ? 'throttled'
    : String(e.attributes[EventAttributes.ExceptionType] ?? e.attributes[EventAttributes.ExceptionMessage] ?? e.name);
  return `<span class="wf-event ${throttle ? 'throttle' : 'error'}" style="left:${pct(axis, e.time).toFixed(2)}%" title="${escapeHtml(`${e.name}: ${what}`)}"></span>`;
}

/** The attempts of a DynamoDB call: each throttled one ends at its event, the last at the span's end. */
function attemptRows(axis: Axis, span: CapturedSpan, depth: number): string[] {
  const attempts = Number(span.attributes[SpanAttributes.DynamoAttempts] ?? 1);
  const throttles = span.events.filter((e) => e.name === SpanEvents.Throttled).sort((a, b) => a.time - b.time);
  if (attempts <= 1 && throttles.length === 0) return [];
  const rows: string[] = [];
  let from = span.start;
  for (let i = 0; i < attempts; i++) {
    const throttle = throttles[i];
    const last = i === attempts - 1;
    const to = throttle && !last ? throttle.time : span.end;
    const failed = throttle !== undefined || (last && span.status.code === StatusCodes.Error);
    const outcome = throttle ? 'throttled' : last ? (span.status.message ?? 'ok') : 'retried';
    const gap = i > 0 ? ` (${ms(from - (throttles[i - 1]?.time ?? from))} after the previous one failed)` : '';
    rows.push(
      row(
        `<span style="padding-left:${(depth + 1) * 14}px">attempt ${i + 1}: ${escapeHtml(outcome)}</span>`,
        bar(axis, from, to, `attempt${failed ? ' failed' : ''}`, `attempt ${i + 1}: ${outcome}${gap}`) +
          (throttle ? eventMark(axis, throttle) : ''),
        'wf-attempt',
      ),
    );
    from = to;
  }
  return rows;
}

function spanRows(axis: Axis, span: CapturedSpan, depth: number): string[] {
  const duration = span.end - span.start;
  const dynamo = span.attributes[SpanAttributes.RpcService] === 'DynamoDB';
  const status = span.attributes[SpanAttributes.HttpStatus];
  const errorType = span.attributes[SpanAttributes.ErrorType];
  const failed = span.status.code === StatusCodes.Error || (typeof status === 'number' && status >= 500);
  const facts = [
    ms(duration),
    ...(typeof status === 'number' ? [`status ${status}`] : []),
    ...(dynamo ? [`${span.attributes[SpanAttributes.DynamoAttempts] ?? 1} attempt(s)`] : []),
    ...(errorType !== undefined ? [String(errorType)] : []),
  ];
  const kind = span.kind === SpanKinds.Server ? 'server' : dynamo ? 'dynamodb' : 'internal';
  const label = `<span style="padding-left:${depth * 14}px">${escapeHtml(span.name)}</span> <span class="wf-facts">${escapeHtml(facts.join(', '))}</span>`;
  const track =
    bar(axis, span.start, span.end, `${kind}${failed ? ' failed' : ''}`, `${span.name}: ${facts.join(', ')}`) +
    span.events.map((e) => eventMark(axis, e)).join('');
  return [row(label, track, `wf-span ${kind}`), ...(dynamo ? attemptRows(axis, span, depth) : [])];
}

/** The spans in tree order (parents before children, siblings by start), each with its depth. */
function treeOrder(spans: readonly CapturedSpan[]): { span: CapturedSpan; depth: number }[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, CapturedSpan[]>();
  for (const s of spans) {
    const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: { span: CapturedSpan; depth: number }[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => a.start - b.start)) {
      out.push({ span: s, depth });
      visit(s.spanId, depth + 1);
    }
  };
  visit(undefined, 0);
  return out;
}

function clientRows(axis: Axis, trace: CapturedTrace): string[] {
  const e = trace.exemplar;
  if (!e) return [];
  const lag = e.sentAt - e.intendedAt;
  return [
    row(
      `client ${escapeHtml(`${e.method} ${e.path}`)} <span class="wf-facts">${escapeHtml(`${ms(e.latencyMs)}, ${e.status === 0 ? 'no response' : `status ${e.status}`}${lag > 0.5 ? `, sent ${ms(lag)} late` : ''}`)}</span>`,
      (lag > 0.5 ? bar(axis, e.intendedAt, e.sentAt, 'queued', `waited ${ms(lag)} to be sent`) : '') +
        bar(
          axis,
          e.sentAt,
          e.answeredAt,
          `client${e.status === 0 || e.status >= 500 ? ' failed' : ''}`,
          `sent to answered: ${ms(e.answeredAt - e.sentAt)}`,
        ),
      'wf-client',
    ),
  ];
}

/** A log line's fields as shown (a stack can run long; `traces.json` has it whole). */
const clip = (text: string, max = 600) => (text.length > max ? `${text.slice(0, max)}…` : text);

function logRows(trace: CapturedTrace, origin: number): string {
  if (trace.logs.length === 0) return '<p class="note">No log line carries this trace id.</p>';
  const rows = trace.logs.map((l) => {
    const { time: _t, level: _l, message: _m, service: _s, trace_id: _tr, ...rest } = l.fields;
    return `<tr><td>${escapeHtml(`+${ms(l.time - origin)}`)}</td><td>${escapeHtml(l.level ?? '')}</td><td>${escapeHtml(l.message ?? '')}</td><td><code>${escapeHtml(clip(JSON.stringify(rest)))}</code></td></tr>`;
  });
  return `<table class="wf-logs"><tr><th>time</th><th>level</th><th>message</th><th>fields</th></tr>${rows.join('')}</table>`;
}

/** The waterfall and the log lines of one trace (the inside of its `<details>`). */
export function waterfallHtml(trace: CapturedTrace): string {
  const e = trace.exemplar;
  const times = [
    ...trace.spans.flatMap((s) => [s.start, s.end]),
    ...(e ? [e.intendedAt, e.sentAt, e.answeredAt] : []),
  ].filter((t) => t > 0);
  const axis: Axis = { from: Math.min(...times), to: Math.max(...times) };
  const rows = [
    ...clientRows(axis, trace),
    ...treeOrder(trace.spans).flatMap(({ span, depth }) => spanRows(axis, span, depth)),
  ];
  const spans = trace.spans.length
    ? ''
    : '<p class="note">No span of this trace reached the receiver (the service did not trace the request, or its spans came after the hold time).</p>';
  return `<div class="waterfall" data-trace-id="${escapeHtml(trace.traceId)}"><div class="wf-scale"><span>0</span><span>${escapeHtml(ms(axis.to - axis.from))}</span></div>${rows.join('')}</div>${spans}<h4>Log lines</h4>${logRows(trace, axis.from)}`;
}

/** The waterfall's styles, once per page. */
export const WATERFALL_STYLE = `<style>
.waterfall { margin: 6px 0; font-size: 12px; }
.wf-scale { display: flex; justify-content: space-between; margin-left: 34%; color: #64748b; font-size: 11px; }
.wf-row { display: flex; align-items: center; min-height: 20px; border-bottom: 1px solid #f1f5f9; }
.wf-label { width: 34%; flex: none; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wf-facts { color: #64748b; }
.wf-track { position: relative; flex: 1; height: 14px; background: #f8fafc; }
.wf-bar { position: absolute; top: 2px; height: 10px; border-radius: 2px; background: #60a5fa; }
.wf-bar.server { background: #2563eb; } .wf-bar.dynamodb { background: #9333ea; } .wf-bar.attempt { background: #c4b5fd; }
.wf-bar.client { background: #16a34a; } .wf-bar.queued { background: #fde68a; } .wf-bar.failed { background: #dc2626; }
.wf-event { position: absolute; top: -1px; width: 3px; height: 16px; margin-left: -1px; background: #0f172a; }
.wf-event.throttle { background: #ea580c; }
details.trace { border: 1px solid #e2e8f0; border-radius: 4px; margin: 4px 0; padding: 2px 8px; }
details.trace[open] { background: #fff; box-shadow: 0 1px 4px rgba(15,23,42,0.12); }
details.trace summary { cursor: pointer; font-variant-numeric: tabular-nums; }
table.wf-logs td { font-size: 12px; }
</style>`;
