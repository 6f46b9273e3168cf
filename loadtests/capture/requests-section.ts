/**
 * The report's "Slowest and failed requests": per route group, the client's exemplars with
 * their timing and status; with a capture, each opens its trace as a waterfall with its log
 * lines, and a latency chart whose points open that second's slowest trace. Against a
 * deployed stack, each exemplar links to the user's trace backend instead, with a Logs
 * Insights query for the run.
 */
import { escapeHtml, type ReportChart, type ReportSection } from '../../cli/index.ts';
import type { CaptureResult } from './run-capture.ts';
import { runLogsQuery, traceLink, xrayTraceId } from './trace-links.ts';
import type { CapturedTrace, Exemplar, ExemplarSet } from './types.ts';
import { traceElementId, WATERFALL_STYLE, waterfallHtml } from './waterfall.ts';

export const REQUESTS_SECTION_TITLE = 'Slowest and failed requests';

export interface RequestsSectionOptions {
  runId: string;
  /** Epoch ms the chart's seconds count from (the run's start). */
  origin: number;
  /** The toolkit's capture, when it ran the stack. */
  capture?: CaptureResult;
  /** The client's exemplars (for a run without a capture). */
  exemplars?: ExemplarSet;
  /** `--trace-url` template, for a run against a deployed stack. */
  traceUrl?: string;
  /** Per route group, how many failed and how many slow traces the page shows in full. Default 10 each. */
  perGroup?: number;
}

const ms = (n: number) => `${Math.round(n)} ms`;
const UNGROUPED = 'unmarked';

function summary(e: Exemplar | undefined, traceId: string, origin: number): string {
  if (!e) return `<code>${escapeHtml(traceId)}</code> (no client view)`;
  const status = e.status === 0 ? 'no response' : String(e.status);
  return `<b class="${e.reason === 'failed' ? 'st-bad' : ''}">${escapeHtml(status)}</b> ${escapeHtml(`${e.method} ${e.path}`)} <b>${ms(e.latencyMs)}</b> at ${((e.sentAt - origin) / 1000).toFixed(1)} s · ${escapeHtml(e.reason)} · <code>${escapeHtml(e.traceId)}</code>`;
}

/** The traces the page shows: per group the failed and the slowest, and each second's slowest (the chart's links). */
function pickTraces(traces: readonly CapturedTrace[], perGroup: number, origin: number) {
  const byGroup = new Map<string, CapturedTrace[]>();
  for (const t of traces) {
    const group = t.exemplar?.routeGroup ?? UNGROUPED;
    byGroup.set(group, [...(byGroup.get(group) ?? []), t]);
  }
  const latency = (t: CapturedTrace) => t.exemplar?.latencyMs ?? 0;
  const perSecond = new Map<number, CapturedTrace>();
  for (const t of traces) {
    if (!t.exemplar) continue;
    const second = Math.floor((t.exemplar.sentAt - origin) / 1000);
    const best = perSecond.get(second);
    if (!best || latency(t) > latency(best)) perSecond.set(second, t);
  }
  const shown = new Set<CapturedTrace>(perSecond.values());
  for (const list of byGroup.values()) {
    const failed = list.filter((t) => t.exemplar?.reason === 'failed').sort((a, b) => latency(b) - latency(a));
    const slow = list.filter((t) => t.exemplar?.reason !== 'failed').sort((a, b) => latency(b) - latency(a));
    for (const t of [...failed.slice(0, perGroup), ...slow.slice(0, perGroup)]) shown.add(t);
  }
  return { byGroup, perSecond, shown };
}

function latencyChart(
  byGroup: Map<string, CapturedTrace[]>,
  perSecond: Map<number, CapturedTrace>,
  origin: number,
): ReportChart | undefined {
  const seconds = [...perSecond.keys()].sort((a, b) => a - b);
  if (seconds.length === 0) return undefined;
  const groups = [...byGroup.keys()].filter((g) => g !== UNGROUPED).sort();
  return {
    id: 'capture-slowest',
    title: 'Slowest captured request per second and route group (click a point: that second\u2019s slowest trace)',
    unit: 'ms',
    xs: seconds.map((s) => s + 0.5),
    series: groups.map((g) => ({
      label: g,
      values: seconds.map((s) => {
        const inSecond = (byGroup.get(g) ?? []).filter(
          (t) => Math.floor(((t.exemplar as Exemplar).sentAt - origin) / 1000) === s,
        );
        return inSecond.length ? Math.max(...inSecond.map((t) => (t.exemplar as Exemplar).latencyMs)) : null;
      }),
    })),
    links: seconds.map((s) => traceElementId((perSecond.get(s) as CapturedTrace).traceId)),
  };
}

function capturedHtml(capture: CaptureResult, perGroup: number, origin: number) {
  const { byGroup, perSecond, shown } = pickTraces(capture.traces, perGroup, origin);
  const c = capture.counts;
  const facts = `<p class="note">The toolkit's OTLP receiver took ${c.spansReceived} spans and ${c.logsReceived} traced log lines in ${c.requests} exports; it kept the ${c.tracesKept} traces the client marked as exemplars and dropped ${c.tracesDropped} unmarked after holding them ${capture.holdMs / 1000} s${c.spansEvicted ? ` (${c.spansEvicted} spans dropped early at the memory cap)` : ''}${c.badPayloads ? `; ${c.badPayloads} bad payloads refused (last: ${escapeHtml(c.lastError ?? '')})` : ''}. All kept traces are in <code>traces.json</code>; below, per route group, the ${perGroup} slowest failed and ${perGroup} slowest others, and each second's slowest.</p>`;
  const groups = [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, list]) => {
      const items = list
        .filter((t) => shown.has(t))
        .sort(
          (a, b) =>
            Number(b.exemplar?.reason === 'failed') - Number(a.exemplar?.reason === 'failed') ||
            (b.exemplar?.latencyMs ?? 0) - (a.exemplar?.latencyMs ?? 0),
        )
        .map(
          (t) =>
            `<details class="trace" id="${traceElementId(t.traceId)}"><summary>${summary(t.exemplar, t.traceId, origin)}</summary>${waterfallHtml(t)}</details>`,
        );
      const failed = list.filter((t) => t.exemplar?.reason === 'failed').length;
      return `<h3>${escapeHtml(group)} <span class="note">${list.length} kept, ${failed} failed</span></h3>${items.join('')}`;
    });
  return {
    html: `${WATERFALL_STYLE}${facts}${groups.join('') || '<p>No trace was kept: the client marked none, or none reached the receiver.</p>'}`,
    chart: latencyChart(byGroup, perSecond, origin),
  };
}

function linkedHtml(exemplars: ExemplarSet | undefined, options: RequestsSectionOptions): string {
  const query = `<p>CloudWatch Logs Insights, every log line of this run (run id ${escapeHtml(options.runId)}), slowest first:</p><pre><code>${escapeHtml(runLogsQuery(options.runId))}</code></pre>`;
  const items = exemplars?.items ?? [];
  if (items.length === 0) return `<p class="note">The client kept no exemplar in this run.</p>${query}`;
  const byGroup = new Map<string, Exemplar[]>();
  for (const e of items) byGroup.set(e.routeGroup, [...(byGroup.get(e.routeGroup) ?? []), e]);
  const cell = (e: Exemplar) =>
    options.traceUrl
      ? `<a href="${escapeHtml(traceLink(options.traceUrl, e.traceId))}">${escapeHtml(e.traceId)}</a>`
      : `<code>${escapeHtml(e.traceId)}</code> <span class="note">X-Ray ${escapeHtml(xrayTraceId(e.traceId))}</span>`;
  const tables = [...byGroup.entries()].map(([group, list]) => {
    const rows = list
      .sort((a, b) => Number(b.reason === 'failed') - Number(a.reason === 'failed') || b.latencyMs - a.latencyMs)
      .slice(0, (options.perGroup ?? 10) * 2)
      .map(
        (e) =>
          `<tr><td>${((e.sentAt - options.origin) / 1000).toFixed(1)} s</td><td>${escapeHtml(`${e.method} ${e.path}`)}</td><td>${e.status === 0 ? 'no response' : e.status}</td><td>${ms(e.latencyMs)}</td><td>${escapeHtml(e.reason)}</td><td>${cell(e)}</td></tr>`,
      );
    return `<h3>${escapeHtml(group)}</h3><table><tr><th>sent</th><th>request</th><th>status</th><th>latency</th><th>why kept</th><th>trace</th></tr>${rows.join('')}</table>`;
  });
  const how = options.traceUrl
    ? ''
    : '<p class="note">Give <code>--trace-url</code> to link each trace to your backend (Jaeger <code>http://HOST:16686/trace/{traceId}</code>, Tempo, or X-Ray with <code>{xrayTraceId}</code>).</p>';
  return `${how}${tables.join('')}${query}`;
}

/** The section; undefined when there is nothing to show (no capture, no exemplar). */
export function requestsSection(options: RequestsSectionOptions): ReportSection | undefined {
  const perGroup = options.perGroup ?? 10;
  if (options.capture) {
    const { html, chart } = capturedHtml(options.capture, perGroup, options.origin);
    return { title: REQUESTS_SECTION_TITLE, html, ...(chart ? { charts: [chart] } : {}) };
  }
  if (!options.exemplars && !options.traceUrl) return undefined;
  return { title: REQUESTS_SECTION_TITLE, html: linkedHtml(options.exemplars, options) };
}

/** Per second from `origin`, the element id of that second's slowest kept trace (links for another latency chart). */
export function slowestTraceLinks(
  capture: CaptureResult | undefined,
  origin: number,
  xs: readonly number[],
): (string | null)[] {
  if (!capture) return xs.map(() => null);
  const { perSecond } = pickTraces(capture.traces, 0, origin);
  return xs.map((x) => {
    const t = perSecond.get(Math.floor(x));
    return t ? traceElementId(t.traceId) : null;
  });
}
