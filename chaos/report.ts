/**
 * The report of a run (`DIR/report.html`), composed of sections for the toolkit's one
 * report writer (loadtests): the verdict and its one-line summary first, then charts of
 * throughput, errors and p99 latency per route group with the fault windows shaded, the
 * hypothesis and steady-state probes, the invariant table, the alarm timeline, the fault
 * windows, the steps and rollbacks; when the load-test engine drove the load, its own
 * sections (thresholds, charts, route groups) follow, with the same fault windows shaded.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RouteGroups, type RouteGroup } from '../service/catalog/index.ts';
import { dashboardsPreview, seriesFromEmf, type AlarmStatus } from '../alarms/index.ts';
import {
  loadReportSections,
  loadSummarySection,
  requestsSection,
  RESULT_SCHEMA_VERSION,
  serverSideSection,
  serviceEmfFileName,
  serviceLogFileName,
  slowestTraceLinks,
  type CaptureResult,
  type ExemplarSet,
  type FaultWindow,
  type LoadResult,
} from '../loadtests/index.ts';
import {
  badge as toneBadge,
  BadgeTones,
  escapeHtml,
  writeReportPage,
  type ChartBand,
  type ReportChart,
  type ReportPage,
  type ReportSection,
} from '../cli/index.ts';
import type { Journal } from './journal.ts';
import { alarmPredictionSection, alarmsSection } from './report-alarms.ts';
import { latencyThresholds } from './routes.ts';

const STATUS_TONE = {
  held: BadgeTones.Ok,
  passed: BadgeTones.Ok,
  ok: BadgeTones.Ok,
  violated: BadgeTones.Bad,
  failed: BadgeTones.Bad,
  aborted: BadgeTones.Bad,
  skipped: BadgeTones.Skip,
} as const;
const badge = (status: keyof typeof STATUS_TONE) => toneBadge(status, STATUS_TONE[status]);
const time = (epochMs: number, origin: number) => `${((epochMs - origin) / 1000).toFixed(1)} s`;

/** The fault windows as applied, in epoch ms. */
function faultWindowMarks(journal: Journal): FaultWindow[] {
  return journal.faultWindows
    .filter((w) => w.startedAt !== undefined)
    .map((w) => ({ label: w.label, startMs: w.startedAt as number, endMs: w.endedAt ?? journal.load.to }));
}

/**
 * Requests and errors per second, and p99 per route group against the order-write objective; x in
 * seconds from the load start.
 */
function trafficCharts(journal: Journal, capture?: CaptureResult): ReportChart[] {
  const origin = journal.load.from;
  const bands: ChartBand[] = faultWindowMarks(journal).map((w) => ({
    kind: 'fault',
    label: w.label,
    start: (w.startMs - origin) / 1000,
    end: (w.endMs - origin) / 1000,
  }));
  const xs = journal.timeline.map((b) => (b.start - origin) / 1000 + 0.5);
  const series = (label: string, pick: (b: Journal['timeline'][number]) => number | undefined) => ({
    label,
    values: journal.timeline.map((b) => pick(b) ?? null),
  });
  const groups = [...new Set(journal.timeline.flatMap((b) => Object.keys(b.groups)))] as RouteGroup[];
  const thresholds = latencyThresholds();
  const orderWriteThreshold = thresholds.get(RouteGroups.OrderWrite);
  return [
    {
      id: 'chaos-traffic',
      title: 'Requests, server errors and requests without a response, per second',
      unit: 'requests/s',
      xs,
      bands,
      series: [
        series('requests', (b) => b.all.requests),
        series('5xx', (b) => b.all.serverErrors - b.all.noResponse),
        series('no response', (b) => b.all.noResponse),
        series('4xx', (b) => b.all.clientErrors),
      ],
    },
    {
      id: 'chaos-p99',
      title: 'p99 latency per route group, per second',
      unit: 'ms',
      xs,
      bands,
      series: groups.map((g) =>
        series(`${g}${thresholds.has(g) ? ` (objective ${thresholds.get(g)} ms)` : ''}`, (b) => b.groups[g]?.p99Ms),
      ),
      // A point opens that second's slowest captured trace.
      ...(capture ? { links: slowestTraceLinks(capture, origin, xs) } : {}),
      lines:
        orderWriteThreshold !== undefined
          ? [{ label: `order-write objective ${orderWriteThreshold} ms`, value: orderWriteThreshold }]
          : [],
    },
  ];
}

function hypothesisSection(journal: Journal): ReportSection {
  const probeRows = (['before', 'after'] as const).flatMap((phase) =>
    (journal.steadyState[phase]?.results ?? []).map(
      (r) =>
        `<tr><td>${phase}</td><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.route)}</td><td>${badge(r.holds ? 'held' : 'violated')}</td><td>${escapeHtml(
          Object.entries(r.statuses)
            .map(([s, n]) => `${n}x${s}`)
            .join(', '),
        )}</td><td>${r.p50Ms} / ${r.p99Ms} ms${r.thresholdMs !== undefined ? ` (objective ${r.thresholdMs} ms)` : ''}</td><td>${escapeHtml(r.reasons.join('; '))}</td></tr>`,
    ),
  );
  return {
    title: 'Steady-state hypothesis',
    html: `<p>${escapeHtml(journal.experiment.hypothesis)}</p><table><tr><th>when</th><th>probe</th><th>route</th><th>result</th><th>answers</th><th>p50 / p99</th><th>why not</th></tr>${probeRows.join('') || '<tr><td colspan="7">no probe ran</td></tr>'}</table>`,
  };
}

function invariantsSection(journal: Journal): ReportSection {
  const invariantRows = journal.invariants.map(
    (i) =>
      `<tr><td>${escapeHtml(i.title)}<br><code>${escapeHtml(i.id)}</code></td><td>${badge(i.status)}</td><td>${escapeHtml(i.summary)}</td><td>${
        i.violations.length
          ? `<ul>${i.violations.map((v) => `<li>${escapeHtml(v)}</li>`).join('')}</ul>${i.violationCount > i.violations.length ? `<p>and ${i.violationCount - i.violations.length} more</p>` : ''}`
          : ''
      }</td></tr>`,
  );
  const errorRows = Object.entries(journal.load.errors ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `<tr><td><code>${escapeHtml(what)}</code></td><td>${n}</td></tr>`);
  return {
    title: 'Invariants',
    html: `<table><tr><th>invariant</th><th>result</th><th>what was found</th><th>violations</th></tr>${invariantRows.join('')}</table>${
      errorRows.length
        ? `<details><summary>Error responses by route, status and code</summary><table><tr><th>route status code</th><th>count</th></tr>${errorRows.join('')}</table></details>`
        : ''
    }`,
  };
}

function faultWindowsSection(journal: Journal): ReportSection {
  const origin = journal.load.from;
  const windowRows = journal.faultWindows.map(
    (w) =>
      `<tr><td>${escapeHtml(w.label)}</td><td>${escapeHtml(w.action.layer)}</td><td>${(w.plannedStartMs / 1000).toFixed(1)}–${(w.plannedEndMs / 1000).toFixed(1)} s</td><td>${w.startedAt !== undefined ? `${time(w.startedAt, origin)}–${w.endedAt !== undefined ? time(w.endedAt, origin) : '?'}` : 'not applied'}</td><td>${escapeHtml(
        w.injected
          ? Object.entries(w.injected)
              .map(([k, n]) => `${k}: ${n}`)
              .join(', ')
          : '',
      )}${w.error ? ` ${toneBadge(w.error, BadgeTones.Bad)}` : ''}</td><td><code>${escapeHtml(JSON.stringify(w.action))}</code></td></tr>`,
  );
  return {
    title: 'Fault windows',
    html: `<table><tr><th>window</th><th>layer</th><th>planned</th><th>applied</th><th>injected</th><th>action</th></tr>${windowRows.join('')}</table>`,
  };
}

function stepsSection(journal: Journal): ReportSection {
  const stepRows = [...journal.steps, ...journal.rollbacks.map((r) => ({ ...r, name: `rollback: ${r.name}` }))]
    .sort((a, b) => a.at - b.at)
    .map(
      (s) =>
        `<tr><td>${time(s.at, journal.run.startedAt)}</td><td>${badge(s.status)}</td><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.detail ?? '')}</td></tr>`,
    );
  return {
    title: 'Steps',
    html: `<p>Orders: ${journal.orders.intents} placed by the audited workload, ${journal.orders.acknowledged} acknowledged, ${journal.orders.rejected} rejected, ${journal.orders.gaveUp} given up; ${journal.orders.attempts} attempts and ${journal.orders.replays} deliberate resends.${journal.proxy ? ` DynamoDB proxy: ${journal.proxy.requests} calls, ${journal.proxy.forwarded} forwarded, highest SDK attempt seen ${journal.proxy.maxAttemptSeen}.` : ''}</p><table><tr><th>time (from run start)</th><th>result</th><th>step</th><th>detail</th></tr>${stepRows.join('')}</table>`,
  };
}

/** What the run's trace capture adds to its report. */
export interface CaptureReportInput {
  capture?: CaptureResult;
  /** The service's EMF lines, for its own view of the run. */
  emfLines?: readonly string[];
  /** Links to the user's trace backend (deployed target). */
  traceUrl?: string;
}

/** The slowest and failed requests (waterfalls or links) and the server's own view, when there is something to show. */
function captureSections(journal: Journal, load: LoadResult | undefined, input: CaptureReportInput): ReportSection[] {
  const exemplars = load?.exemplars;
  const requests = requestsSection({
    runId: journal.run.id,
    origin: journal.load.from,
    ...(input.capture ? { capture: input.capture } : {}),
    ...(exemplars ? { exemplars } : {}),
    ...(input.traceUrl ? { traceUrl: input.traceUrl } : {}),
  });
  const server = load && input.emfLines ? serverSideSection(input.emfLines, load, journal.load.from) : undefined;
  return [...(requests ? [requests] : []), ...(server ? [server] : [])];
}

/** The run's sections: charts, probes, invariants, alarms, windows, steps and rollbacks. */
export function reportSections(journal: Journal, capture?: CaptureResult): ReportSection[] {
  return [
    {
      title: 'Traffic and errors',
      html: `<p class="note">Red bands: the fault windows as applied.${capture ? ' Click a point of the p99 chart to open that second\u2019s slowest captured trace.' : ''}</p>`,
      charts: trafficCharts(journal, capture),
    },
    hypothesisSection(journal),
    invariantsSection(journal),
    ...[alarmPredictionSection(journal)].filter((x): x is ReportSection => x !== undefined),
    alarmsSection(journal),
    faultWindowsSection(journal),
    stepsSection(journal),
  ];
}

/** The experiment's title, verdict, summary and run facts: the top of the page. */
export function reportHeadline(journal: Journal): string {
  return `<h1>${escapeHtml(journal.experiment.title)} ${badge(journal.verdict)}</h1>
<p class="summary">${escapeHtml(journal.summary)}</p>
<p>${escapeHtml(journal.experiment.description)}</p>
<p class="meta">Run ${escapeHtml(journal.run.id)}, seed ${journal.run.seed}, time scale ${journal.run.timeScale}, target ${escapeHtml(journal.run.target.kind)} ${escapeHtml(journal.run.target.url)}, load engine ${escapeHtml(journal.run.loadEngine)}${journal.run.unsafe ? `, <strong>broken variant ${escapeHtml(JSON.stringify(journal.run.unsafe))}</strong>` : ''}. ${journal.abort ? `<strong>Aborted: ${escapeHtml(journal.abort.reason)}</strong>` : ''}</p>`;
}

/** The load engine's result, when the load was the load-test engine's (other engines return something else). */
function asLoadResult(value: unknown): LoadResult | undefined {
  return typeof value === 'object' &&
    value !== null &&
    (value as Partial<LoadResult>).schemaVersion === RESULT_SCHEMA_VERSION
    ? (value as LoadResult)
    : undefined;
}

const LOAD_NOTE =
  '<p class="note">Below: the load test\'s own view of the run. Its thresholds judge the whole run, fault windows included, so a fault is expected to fail some of them; the experiment\'s verdict is the one at the top.</p>';

async function linesOf(file: string): Promise<string[] | undefined> {
  try {
    return (await readFile(file, 'utf8')).split('\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The alarm timeline's last state and first ALARM of each alarm, relative to the load's start. */
function alarmStatuses(journal: Journal): AlarmStatus[] | undefined {
  if (journal.alarms.status !== 'evaluated') return undefined;
  return journal.alarms.alarms.map((a) => ({
    name: a.name,
    state: a.transitions.at(-1)?.state ?? 'INSUFFICIENT_DATA',
    ...(a.firedAt !== undefined ? { firedAtS: (a.firedAt - journal.load.from) / 1000 } : {}),
  }));
}

/**
 * The CloudWatch dashboards drawn from the service's EMF (and log lines) the run captured in
 * `out`, over the load's span with the fault windows shaded; none when nothing was captured.
 */
export async function dashboardsSections(
  journal: Journal,
  out: string,
  emf: readonly string[] | undefined,
): Promise<ReportSection[]> {
  const series = emf ? seriesFromEmf([...emf]) : [];
  if (series.length === 0 || !(journal.load.to > journal.load.from)) return [];
  const origin = journal.load.from;
  const logLines = await linesOf(join(out, serviceLogFileName));
  const alarms = alarmStatuses(journal);
  return dashboardsPreview({
    series,
    span: { startMs: origin, endMs: journal.load.to },
    bands: faultWindowMarks(journal).map((w) => ({
      kind: 'fault',
      label: w.label,
      start: (w.startMs - origin) / 1000,
      end: (w.endMs - origin) / 1000,
    })),
    ...(logLines ? { logLines } : {}),
    ...(alarms ? { alarms } : {}),
  }).sections;
}

/**
 * The run's page: the experiment's sections with the captured traces and the server's view,
 * then the load test's when its engine drove the load, then the dashboards drawn from the
 * run (`dashboardsSections`).
 */
export function reportPage(
  journal: Journal,
  loadResult?: unknown,
  capture: CaptureReportInput = {},
  dashboards: ReportSection[] = [],
): ReportPage {
  const load = asLoadResult(loadResult);
  const [traffic, ...rest] = reportSections(journal, capture.capture);
  return {
    title: `${journal.experiment.title}: ${journal.verdict}`,
    headline: reportHeadline(journal),
    sections: [
      ...(traffic ? [traffic] : []),
      ...captureSections(journal, load, capture),
      ...rest,
      ...(load
        ? [
            loadSummarySection(load, LOAD_NOTE),
            ...loadReportSections(load, { faultWindows: faultWindowMarks(journal), exemplars: false }),
          ]
        : []),
      ...dashboards,
    ],
  };
}

/** Writes `out/report.html` and returns its path. */
export async function writeReport(
  journal: Journal,
  {
    out,
    loadResult,
    capture,
    emfFile,
    traceUrl,
  }: { out: string; loadResult?: unknown; capture?: CaptureResult; emfFile?: string; traceUrl?: string },
): Promise<string> {
  const emfLines = await linesOf(emfFile ?? join(out, serviceEmfFileName));
  // The dashboards are an extra: a failure to draw them must not cost the run its report.
  const dashboards = await dashboardsSections(journal, out, emfLines).catch((error: Error) => [
    { title: 'Dashboards', html: `<p class="note">Not drawn: ${escapeHtml(error.message)}</p>` },
  ]);
  return writeReportPage(
    out,
    reportPage(
      journal,
      loadResult,
      {
        ...(capture ? { capture } : {}),
        ...(emfLines ? { emfLines } : {}),
        ...(traceUrl ? { traceUrl } : {}),
      },
      dashboards,
    ),
  );
}
