/**
 * The HTML of a dashboard's widgets that are not time-series charts: text (the Markdown
 * subset the dashboards use), single values, bars, alarm status, Logs Insights tables, and
 * the "in AWS only" and "in CloudWatch only" placeholders.
 */
import { badge, BadgeTones, escapeHtml } from '../../cli/index.ts';
import type { AlarmState } from '../evaluate.ts';
import { runLogsQuery, UnsupportedQueryError, type LogRecord } from './logs-insights.ts';
import type { WidgetSeries } from './metric-widget.ts';

/** Inline Markdown: **bold**, `code`, escaped. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** The Markdown of text widgets: headings, paragraphs, list items, bold and code. */
export function markdownHtml(markdown: string): string {
  return markdown
    .split(/\n{2,}/)
    .flatMap((block) => block.split('\n').map((line) => line.trim()))
    .filter((line) => line !== '')
    .map((line) => {
      const heading = /^(#{1,3})\s+(.*)$/.exec(line);
      if (heading) return `<h${heading[1]!.length + 2}>${inline(heading[2]!)}</h${heading[1]!.length + 2}>`;
      if (/^[-*]\s+/.test(line)) return `<p>• ${inline(line.replace(/^[-*]\s+/, ''))}</p>`;
      return `<p>${inline(line)}</p>`;
    })
    .join('');
}

const formatValue = (v: number) =>
  Math.abs(v) >= 1000 || Number.isInteger(v)
    ? v.toLocaleString('en-US', { maximumFractionDigits: 0 })
    : v.toPrecision(4);

/** One big number per series (CloudWatch's singleValue view). */
export function singleValuesHtml(series: readonly WidgetSeries[]): string {
  return `<div class="cw-values">${series
    .map((s) => {
      const v = s.values.at(-1);
      return `<div class="cw-value"><span class="cw-number">${v === null || v === undefined ? '–' : formatValue(v)}</span><span class="cw-label">${escapeHtml(s.label)}</span></div>`;
    })
    .join('')}</div>`;
}

/** A horizontal bar per series, its value over the whole run (CloudWatch's bar view). */
export function barsHtml(series: readonly WidgetSeries[]): string {
  const values = series.map((s) => s.values.at(-1) ?? null);
  const top = Math.max(0, ...values.filter((v): v is number => v !== null));
  return `<div class="cw-bars">${series
    .map((s, i) => {
      const v = values[i] ?? null;
      const width = v === null || top === 0 ? 0 : Math.max(1, (100 * v) / top);
      return `<div class="cw-bar-row"><span class="cw-label">${escapeHtml(s.label)}</span><span class="cw-bar" style="width:${width.toFixed(1)}%"></span><span class="cw-number-small">${v === null ? '–' : formatValue(v)}</span></div>`;
    })
    .join('')}</div>`;
}

/** An alarm's status in the run: its last state and when it first went to ALARM. */
export interface AlarmStatus {
  readonly name: string;
  readonly state: AlarmState;
  /** Seconds since the run's start of the first ALARM, when it fired. */
  readonly firedAtS?: number;
}

const STATE_TONE = { OK: BadgeTones.Ok, ALARM: BadgeTones.Bad, INSUFFICIENT_DATA: BadgeTones.Skip } as const;

/** The alarm status widget: every alarm it lists, with its state in the run. */
export function alarmsHtml(
  arns: readonly string[],
  statuses: ReadonlyMap<string, AlarmStatus>,
): {
  html: string;
  known: number;
} {
  let known = 0;
  // Firing alarms first, as the console's alarm widget sorted by state shows them.
  const rank = (arn: string) => (statuses.get(arn.replace(/^.*:alarm:/, ''))?.state === 'ALARM' ? 0 : 1);
  const items = [...arns]
    .sort((a, b) => rank(a) - rank(b))
    .map((arn) => {
      const name = arn.replace(/^.*:alarm:/, '');
      const status = statuses.get(name);
      if (status) known++;
      const state = status ? badge(status.state, STATE_TONE[status.state]) : badge('not evaluated', BadgeTones.Skip);
      const fired =
        status?.firedAtS !== undefined ? ` <span class="cw-label">fired at ${status.firedAtS.toFixed(0)} s</span>` : '';
      return `<li>${state} ${escapeHtml(name)}${fired}</li>`;
    });
  return { html: `<ul class="cw-alarms">${items.join('')}</ul>`, known };
}

const MAX_ROWS_SHOWN = 20;

function cell(value: unknown, column: string): string {
  if (value === undefined || value === null) return '';
  if (column === '@timestamp' && typeof value === 'number') return escapeHtml(new Date(value).toISOString());
  return escapeHtml(typeof value === 'number' ? Number(value.toPrecision(6)) : String(value));
}

/** A Logs Insights widget run over the captured lines, or why it cannot be. */
export function logsHtml(
  query: string,
  records: readonly LogRecord[] | undefined,
): { html: string; rows: number; cloudWatchOnly: boolean } {
  const source = `<details><summary>query</summary><code>${escapeHtml(query)}</code></details>`;
  if (!records)
    return {
      html: `<p class="cw-only">In CloudWatch only: this run captured no log lines.</p>${source}`,
      rows: 0,
      cloudWatchOnly: true,
    };
  try {
    const result = runLogsQuery(query, records);
    const head = result.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
    const body = result.rows
      .slice(0, MAX_ROWS_SHOWN)
      .map((row) => `<tr>${row.map((v, i) => `<td>${cell(v, result.columns[i]!)}</td>`).join('')}</tr>`)
      .join('');
    const more =
      result.rows.length > MAX_ROWS_SHOWN
        ? `<p class="cw-label">and ${result.rows.length - MAX_ROWS_SHOWN} more rows</p>`
        : '';
    const empty =
      result.rows.length === 0 ? `<p class="cw-label">no matching log line among ${records.length}</p>` : '';
    return {
      html: `<table class="cw-table"><tr>${head}</tr>${body}</table>${more}${empty}${source}`,
      rows: result.rows.length,
      cloudWatchOnly: false,
    };
  } catch (error) {
    if (!(error instanceof UnsupportedQueryError)) throw error;
    return {
      html: `<p class="cw-only">In CloudWatch only: ${escapeHtml(error.message)} is beyond the local Logs Insights subset.</p>${source}`,
      rows: 0,
      cloudWatchOnly: true,
    };
  }
}
