/**
 * The HTML report of a run (`DIR/report.html`), self-contained (no script, no network):
 * the verdict and its one-line summary, the hypothesis, charts of throughput, errors and
 * p99 latency per route group with the fault windows shaded, the steady-state probes,
 * the invariant table, the alarm timeline, the fault windows, the steps and rollbacks.
 *
 * When the load-test engine brings its own report writer, the run's sections are handed
 * to it (`extraSections`) so one report shows the load charts with the fault windows and
 * the chaos findings; otherwise this module renders the whole page.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RouteGroups, type RouteGroup } from '../service/catalog/index.ts';
import type { Journal } from './journal.ts';
import { latencyThresholds } from './routes.ts';

export interface ReportSection {
  title: string;
  /** Trusted HTML (built by this module, every value escaped). */
  html: string;
}

export interface FaultWindowMark {
  label: string;
  /** Epoch ms. */
  start: number;
  end: number;
}

/**
 * A load engine's report writer: writes `out/report.html` with `headline` (trusted HTML: the
 * experiment's title, verdict and summary) first, and returns its path.
 */
export type LoadReportHook = (loadResult: unknown, options: { out: string; faultWindows: FaultWindowMark[]; headline: string; extraSections: ReportSection[] }) => Promise<string>;

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STATUS_CLASS = { held: 'ok', passed: 'ok', ok: 'ok', violated: 'bad', failed: 'bad', aborted: 'bad', skipped: 'skip' } as const;
const badge = (status: keyof typeof STATUS_CLASS) => `<span class="badge ${STATUS_CLASS[status]}">${escapeHtml(status)}</span>`;
const time = (epochMs: number, origin: number) => `${((epochMs - origin) / 1000).toFixed(1)} s`;

interface Line {
  label: string;
  color: string;
  points: { x: number; y: number }[];
}

/** A small SVG line chart; x in seconds from the load start, shaded fault windows. */
function chart({ title, unit, lines, windows, xMax, threshold }: { title: string; unit: string; lines: Line[]; windows: { start: number; end: number; label: string }[]; xMax: number; threshold?: { value: number; label: string } }): string {
  const width = 760;
  const height = 220;
  const pad = { left: 56, right: 12, top: 24, bottom: 28 };
  const yMaxData = Math.max(1, ...lines.flatMap((l) => l.points.map((p) => p.y)), threshold?.value ?? 0);
  const yMax = yMaxData * 1.1;
  const x = (v: number) => pad.left + (v / Math.max(1, xMax)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - (v / yMax) * (height - pad.top - pad.bottom);
  const shaded = windows
    .map((w) => `<rect x="${x(w.start).toFixed(1)}" y="${pad.top}" width="${Math.max(1, x(w.end) - x(w.start)).toFixed(1)}" height="${height - pad.top - pad.bottom}" fill="#f9c74f" opacity="0.3"><title>${escapeHtml(w.label)}</title></rect>`)
    .join('');
  const paths = lines
    .filter((l) => l.points.length > 0)
    .map((l) => `<polyline fill="none" stroke="${l.color}" stroke-width="1.5" points="${l.points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ')}"><title>${escapeHtml(l.label)}</title></polyline>`)
    .join('');
  const ticks = [0, 0.5, 1].map((f) => `<text x="${pad.left - 6}" y="${y(yMax * f * 0.9) + 4}" text-anchor="end">${escapeHtml(Math.round(yMax * f * 0.9))}</text>`).join('');
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${x(xMax * f)}" y="${height - 8}" text-anchor="middle">${Math.round(xMax * f)} s</text>`).join('');
  const limit = threshold
    ? `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(threshold.value)}" y2="${y(threshold.value)}" stroke="#d62828" stroke-dasharray="4 3"/><text x="${width - pad.right}" y="${y(threshold.value) - 4}" text-anchor="end" fill="#d62828">${escapeHtml(threshold.label)}</text>`
    : '';
  const legend = lines.map((l) => `<span><i style="background:${l.color}"></i>${escapeHtml(l.label)}</span>`).join(' ');
  return `<figure><figcaption>${escapeHtml(title)} <small>(${escapeHtml(unit)}; shaded: fault windows)</small></figcaption>
<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}">${shaded}<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#999"/><line x1="${pad.left}" x2="${width - pad.right}" y1="${height - pad.bottom}" y2="${height - pad.bottom}" stroke="#999"/>${ticks}${xTicks}${limit}${paths}</svg>
<div class="legend">${legend}</div></figure>`;
}

const GROUP_COLORS: Record<RouteGroup, string> = {
  'menu-read': '#277da1',
  'menu-write': '#577590',
  'order-write': '#f3722c',
  'order-read': '#43aa8b',
  account: '#90be6d',
  ops: '#999999',
};

/** The fault windows as applied, in epoch ms. */
export function faultWindowMarks(journal: Journal): FaultWindowMark[] {
  return journal.faultWindows
    .filter((w) => w.startedAt !== undefined)
    .map((w) => ({ label: w.label, start: w.startedAt as number, end: w.endedAt ?? journal.load.to }));
}

/** The run's sections: charts, probes, invariants, alarms, windows, steps. */
export function reportSections(journal: Journal): ReportSection[] {
  const origin = journal.load.from;
  const xMax = journal.timeline.length;
  const windows = faultWindowMarks(journal).map((w) => ({ label: w.label, start: (w.start - origin) / 1000, end: (w.end - origin) / 1000 }));
  const series = (pick: (b: Journal['timeline'][number]) => number | undefined) =>
    journal.timeline.flatMap((b, i) => {
      const v = pick(b);
      return v === undefined ? [] : [{ x: i + 0.5, y: v }];
    });
  const groups = [...new Set(journal.timeline.flatMap((b) => Object.keys(b.groups)))] as RouteGroup[];
  const thresholds = latencyThresholds();
  const orderWriteThreshold = thresholds.get(RouteGroups.OrderWrite);
  const sections: ReportSection[] = [];

  sections.push({
    title: 'Traffic and errors',
    html:
      chart({
        title: 'Requests, server errors and requests without a response, per second',
        unit: 'requests/s',
        xMax,
        windows,
        lines: [
          { label: 'requests', color: '#277da1', points: series((b) => b.all.requests) },
          { label: '5xx', color: '#d62828', points: series((b) => b.all.serverErrors - b.all.noResponse) },
          { label: 'no response', color: '#6a040f', points: series((b) => b.all.noResponse) },
          { label: '4xx', color: '#f9844a', points: series((b) => b.all.clientErrors) },
        ],
      }) +
      chart({
        title: 'p99 latency per route group, per second',
        unit: 'ms',
        xMax,
        windows,
        lines: groups.map((g) => ({ label: `${g}${thresholds.has(g) ? ` (objective ${thresholds.get(g)} ms)` : ''}`, color: GROUP_COLORS[g] ?? '#333', points: series((b) => b.groups[g]?.p99Ms) })),
        ...(orderWriteThreshold !== undefined ? { threshold: { value: orderWriteThreshold, label: `order-write objective ${orderWriteThreshold} ms` } } : {}),
      }),
  });

  const probeRows = (['before', 'after'] as const).flatMap((phase) =>
    (journal.steadyState[phase]?.results ?? []).map(
      (r) =>
        `<tr><td>${phase}</td><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.route)}</td><td>${badge(r.holds ? 'held' : 'violated')}</td><td>${escapeHtml(Object.entries(r.statuses).map(([s, n]) => `${n}x${s}`).join(', '))}</td><td>${r.p50Ms} / ${r.p99Ms} ms${r.thresholdMs !== undefined ? ` (objective ${r.thresholdMs} ms)` : ''}</td><td>${escapeHtml(r.reasons.join('; '))}</td></tr>`,
    ),
  );
  sections.push({
    title: 'Steady-state hypothesis',
    html: `<p>${escapeHtml(journal.experiment.hypothesis)}</p><table><tr><th>when</th><th>probe</th><th>route</th><th>result</th><th>answers</th><th>p50 / p99</th><th>why not</th></tr>${probeRows.join('') || '<tr><td colspan="7">no probe ran</td></tr>'}</table>`,
  });

  const invariantRows = journal.invariants.map(
    (i) =>
      `<tr><td>${escapeHtml(i.title)}<br><code>${escapeHtml(i.id)}</code></td><td>${badge(i.status)}</td><td>${escapeHtml(i.summary)}</td><td>${
        i.violations.length ? `<ul>${i.violations.map((v) => `<li>${escapeHtml(v)}</li>`).join('')}</ul>${i.violationCount > i.violations.length ? `<p>and ${i.violationCount - i.violations.length} more</p>` : ''}` : ''
      }</td></tr>`,
  );
  const errorRows = Object.entries(journal.load.errors ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `<tr><td><code>${escapeHtml(what)}</code></td><td>${n}</td></tr>`);
  sections.push({
    title: 'Invariants',
    html: `<table><tr><th>invariant</th><th>result</th><th>what was found</th><th>violations</th></tr>${invariantRows.join('')}</table>${
      errorRows.length ? `<details><summary>Error responses by route, status and code</summary><table><tr><th>route status code</th><th>count</th></tr>${errorRows.join('')}</table></details>` : ''
    }`,
  });

  const alarmRow = (a: Journal['alarms']['alarms'][number]) =>
    `<tr><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.severity ?? '')}</td><td>${a.firedAt !== undefined ? `<span class="badge bad">fired at ${time(a.firedAt, origin)}</span>` : 'did not fire'}</td><td>${escapeHtml(a.transitions.map((t) => `${time(t.at, origin)} ${t.state}`).join(' → '))}</td></tr>`;
  const alarmHead = '<tr><th>alarm</th><th>severity</th><th>fired</th><th>state changes (time from load start)</th></tr>';
  const firedAlarms = journal.alarms.alarms.filter((a) => a.firedAt !== undefined).sort((a, b) => (a.firedAt as number) - (b.firedAt as number));
  const quietAlarms = journal.alarms.alarms.filter((a) => a.firedAt === undefined);
  sections.push({
    title: 'Alarm timeline',
    html: `<p>${escapeHtml(journal.alarms.note)}</p>${firedAlarms.length ? `<table>${alarmHead}${firedAlarms.map(alarmRow).join('')}</table>` : '<p>No alarm would have fired.</p>'}${
      quietAlarms.length ? `<details><summary>${quietAlarms.length} alarms that did not fire</summary><table>${alarmHead}${quietAlarms.map(alarmRow).join('')}</table></details>` : ''
    }${journal.alarms.withoutData.length ? `<details><summary>${journal.alarms.withoutData.length} alarms without data here</summary><p>${journal.alarms.withoutData.map(escapeHtml).join(', ')}</p></details>` : ''}`,
  });

  const windowRows = journal.faultWindows.map(
    (w) =>
      `<tr><td>${escapeHtml(w.label)}</td><td>${escapeHtml(w.action.layer)}</td><td>${(w.plannedStartMs / 1000).toFixed(1)}–${(w.plannedEndMs / 1000).toFixed(1)} s</td><td>${w.startedAt !== undefined ? `${time(w.startedAt, origin)}–${w.endedAt !== undefined ? time(w.endedAt, origin) : '?'}` : 'not applied'}</td><td>${escapeHtml(w.injected ? Object.entries(w.injected).map(([k, n]) => `${k}: ${n}`).join(', ') : '')}${w.error ? ` <span class="badge bad">${escapeHtml(w.error)}</span>` : ''}</td><td><code>${escapeHtml(JSON.stringify(w.action))}</code></td></tr>`,
  );
  sections.push({ title: 'Fault windows', html: `<table><tr><th>window</th><th>layer</th><th>planned</th><th>applied</th><th>injected</th><th>action</th></tr>${windowRows.join('')}</table>` });

  const stepRows = [...journal.steps, ...journal.rollbacks.map((r) => ({ ...r, name: `rollback: ${r.name}` }))]
    .sort((a, b) => a.at - b.at)
    .map((s) => `<tr><td>${time(s.at, journal.run.startedAt)}</td><td>${badge(s.status)}</td><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.detail ?? '')}</td></tr>`);
  sections.push({
    title: 'Steps',
    html: `<p>Orders: ${journal.orders.intents} placed by the audited workload, ${journal.orders.acknowledged} acknowledged, ${journal.orders.rejected} rejected, ${journal.orders.gaveUp} given up; ${journal.orders.attempts} attempts and ${journal.orders.replays} deliberate resends.${journal.proxy ? ` DynamoDB proxy: ${journal.proxy.requests} calls, ${journal.proxy.forwarded} forwarded, highest SDK attempt seen ${journal.proxy.maxAttemptSeen}.` : ''}</p><table><tr><th>time (from run start)</th><th>result</th><th>step</th><th>detail</th></tr>${stepRows.join('')}</table>`,
  });
  return sections;
}

/** The badge and headline styles, also injected into the load report. */
const STYLE_BADGES = `.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:12px;font-weight:600}
.ok{background:#d8f3dc;color:#1b4332}.bad{background:#ffd6d6;color:#7a0000}.skip{background:#eee;color:#555}
.chaos-headline{border-bottom:2px solid #ddd;margin-bottom:1rem}.chaos-headline .chaos-summary{font-size:1.1rem}`;

const STYLE = `${STYLE_BADGES}
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222}h1{margin-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}
figure{margin:0 0 1.2rem}svg{width:100%;height:auto;font-size:11px;fill:#555}.legend span{margin-right:1rem}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
code{font-size:12px;word-break:break-all}`;

/** The experiment's title, verdict, summary and run facts: the top of either report. */
export function reportHeadline(journal: Journal, { standalone = true }: { standalone?: boolean } = {}): string {
  return `${standalone ? '' : `<style>${STYLE_BADGES}</style>`}<header class="chaos-headline">
<h1>${escapeHtml(journal.experiment.title)} ${badge(journal.verdict)}</h1>
<p class="chaos-summary">${escapeHtml(journal.summary)}</p>
<p>${escapeHtml(journal.experiment.description)}</p>
<p><small>Run ${escapeHtml(journal.run.id)}, seed ${journal.run.seed}, time scale ${journal.run.timeScale}, target ${escapeHtml(journal.run.target.kind)} ${escapeHtml(journal.run.target.url)}, load engine ${escapeHtml(journal.run.loadEngine)}${journal.run.unsafe ? `, <strong>broken variant ${escapeHtml(JSON.stringify(journal.run.unsafe))}</strong>` : ''}. ${journal.abort ? `<strong>Aborted: ${escapeHtml(journal.abort.reason)}</strong>` : ''}</small></p>
${standalone ? '' : '<p><small>Below: the load test\'s own view of the run. Its thresholds judge the whole run, fault windows included, so a fault is expected to fail some of them; the experiment\'s verdict is the one above.</small></p>'}
</header>`;
}

export function renderReport(journal: Journal, sections: readonly ReportSection[] = reportSections(journal)): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(journal.experiment.title)}: ${escapeHtml(journal.verdict)}</title><style>${STYLE}</style></head><body>
${reportHeadline(journal)}
${sections.map((s) => `<section><h2>${escapeHtml(s.title)}</h2>${s.html}</section>`).join('\n')}
</body></html>\n`;
}

/** Writes `out/report.html`: through the load engine's writer when there is one, else standalone. */
export async function writeReport(journal: Journal, { out, loadResult, loadReport }: { out: string; loadResult?: unknown; loadReport?: LoadReportHook }): Promise<string> {
  await mkdir(out, { recursive: true });
  if (loadReport && loadResult !== undefined) {
    return loadReport(loadResult, { out, faultWindows: faultWindowMarks(journal), headline: reportHeadline(journal, { standalone: false }), extraSections: reportSections(journal) });
  }
  const file = join(out, 'report.html');
  await writeFile(file, renderReport(journal));
  return file;
}
