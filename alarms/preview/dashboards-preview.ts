/**
 * The CloudWatch dashboards drawn with a run's own data, as report sections: every widget
 * of every body `buildCloudWatchDashboards` makes, at its place in the 24-column grid.
 * Metric widgets are evaluated over the run's EMF series (`metric-widget.ts`) with the
 * dashboards' periods scaled to the run (`time-scale.ts`); the alarm status widget shows the
 * run's alarm evaluation; Logs Insights widgets run over the captured log lines
 * (`logs-insights.ts`); what needs AWS says so.
 */
import { escapeHtml, type ChartBand, type ChartLine, type ReportChart, type ReportSection } from '../../cli/index.ts';
import { buildCloudWatchDashboards, type CloudWatchDashboard, type CloudWatchWidget } from '../../dashboards/index.ts';
import { buildAlarmDefinitions } from '../definitions.ts';
import { evaluateAlarms, type AlarmEvaluation, type MetricSeries } from '../evaluate.ts';
import { logRecord, type LogRecord } from './logs-insights.ts';
import { evaluateMetricWidget, RunSeries } from './metric-widget.ts';
import { alarmsHtml, barsHtml, logsHtml, markdownHtml, singleValuesHtml, type AlarmStatus } from './tiles.ts';
import { describePeriod, timeScaleFor, type TimeScale } from './time-scale.ts';

/** An account id for the preview's bodies: with one, the alarm status widgets are real `alarm` widgets. */
const PREVIEW_ACCOUNT_ID = '000000000000';
/** Pixels per grid row of a widget, as the page lays it out. */
const ROW_PX = 36;

export interface DashboardsPreviewInput {
  /** The run's metrics, e.g. `seriesFromEmf(lines)`. */
  series: readonly MetricSeries[];
  /** The service's log lines; absent when none were captured (log widgets say so). */
  logLines?: readonly string[];
  /** The run's alarm states; default: `evaluateAlarms` over `series`. */
  alarms?: readonly AlarmStatus[];
  /** The run's span, epoch ms; by default from one EMF interval before the first observation to the last. */
  span?: { startMs?: number; endMs?: number };
  /** Default 1,000 ms (what the toolkit's local stacks use). */
  emfIntervalMs?: number;
  /** Shaded on every time series, in seconds since the span's start (fault windows). */
  bands?: readonly ChartBand[];
  /** Default: `buildCloudWatchDashboards` with a placeholder account id. */
  dashboards?: readonly CloudWatchDashboard[];
}

export const TileOutcomes = {
  Drawn: 'drawn',
  NoData: 'no-data',
  AwsOnly: 'aws-only',
  CloudWatchOnly: 'cloudwatch-only',
  Text: 'text',
} as const;
export type TileOutcome = (typeof TileOutcomes)[keyof typeof TileOutcomes];

export interface DashboardsPreview {
  sections: ReportSection[];
  scale: TimeScale;
  /** Per dashboard, how many widgets ended how. */
  dashboards: { name: string; widgets: number; outcomes: Record<TileOutcome, number> }[];
}

/** Alarm states from `evaluateAlarms`' result, relative to the run's start. */
export function alarmStatuses(evaluations: readonly AlarmEvaluation[], startMs: number): AlarmStatus[] {
  return evaluations
    .filter((e) => e.evaluable)
    .map((e) => {
      const fired = e.transitions.find((t) => t.to === 'ALARM');
      return { name: e.name, state: e.state, ...(fired ? { firedAtS: (fired.timestamp - startMs) / 1000 } : {}) };
    });
}

interface Tile {
  html: string;
  outcome: TileOutcome;
  chart?: ReportChart;
  /** A metric widget naming a metric the run's EMF has. */
  emitted?: boolean;
}

/** Builds one dashboard's tiles; a class so each widget kind is one small method. */
class DashboardPainter {
  constructor(
    private readonly dashboardIndex: number,
    private readonly data: RunSeries,
    private readonly scale: TimeScale,
    private readonly records: readonly LogRecord[] | undefined,
    private readonly statuses: ReadonlyMap<string, AlarmStatus>,
    private readonly bands: readonly ChartBand[],
  ) {}

  tile(widget: CloudWatchWidget, index: number): Tile {
    const p = widget.properties;
    switch (widget.type) {
      case 'text':
        return { html: markdownHtml(String(p.markdown ?? '')), outcome: TileOutcomes.Text };
      case 'alarm': {
        const { html, known } = alarmsHtml((p.alarms ?? []) as string[], this.statuses);
        return { html, outcome: known > 0 ? TileOutcomes.Drawn : TileOutcomes.NoData };
      }
      case 'log': {
        const { html, rows, cloudWatchOnly } = logsHtml(String(p.query ?? ''), this.records);
        return {
          html,
          outcome: cloudWatchOnly ? TileOutcomes.CloudWatchOnly : rows > 0 ? TileOutcomes.Drawn : TileOutcomes.NoData,
        };
      }
      case 'metric':
        return this.metric(widget, index);
    }
    return {
      html: `<p class="cw-only">In CloudWatch only: widget type ${escapeHtml(widget.type)}.</p>`,
      outcome: TileOutcomes.CloudWatchOnly,
    };
  }

  private metric(widget: CloudWatchWidget, index: number): Tile {
    const p = widget.properties;
    const view = String(p.view ?? 'timeSeries');
    const wholeRun = view !== 'timeSeries';
    const evaluated = evaluateMetricWidget(p, this.data, this.scale, { wholeRun });
    const emitted = evaluated.namesEmitted;
    if (evaluated.awsOnly)
      return {
        emitted,
        html: `<p class="cw-only">In AWS only: ${escapeHtml(awsMetricNames(p).join(', '))} ${awsMetricNames(p).length > 1 ? 'are' : 'is'} published by AWS, not by the service.</p>`,
        outcome: TileOutcomes.AwsOnly,
      };
    const drawn = evaluated.series.filter((s) => s.values.some((v) => v !== null));
    const notes = evaluated.notes.length ? `<p class="cw-label">${evaluated.notes.map(escapeHtml).join('; ')}</p>` : '';
    const period = `<p class="cw-label">${escapeHtml(wholeRun ? 'over the whole run' : describePeriod(this.scale, evaluated.periodS))}</p>`;
    const outcome = drawn.length ? TileOutcomes.Drawn : TileOutcomes.NoData;
    if (wholeRun) {
      const body = view === 'bar' ? barsHtml(evaluated.series) : singleValuesHtml(evaluated.series);
      return { html: `${body}${period}${notes}`, outcome, emitted };
    }
    const id = `dash-${this.dashboardIndex}-${index}`;
    const chart: ReportChart = {
      id,
      title: String(p.title ?? ''),
      unit: String(((p.yAxis as { left?: { label?: string } })?.left?.label ?? '') || ''),
      xs: evaluated.xs,
      series: evaluated.series,
      bands: [...this.bands],
      lines: horizontalAnnotations(p),
      placed: true,
      height: Math.max(90, widget.height * ROW_PX - 96),
    };
    return { html: `<div id="chart-${id}" class="plot"></div>${period}${notes}`, outcome, chart, emitted };
  }
}

function awsMetricNames(properties: Record<string, unknown>): string[] {
  const rows = (properties.metrics ?? []) as unknown[][];
  const names = rows.map((row) =>
    typeof row[0] === 'string'
      ? `${row[0]} ${String(row[1])}`
      : String((/\{([^,}]+)/.exec(String((row[0] as { expression?: string }).expression)) ?? [])[1] ?? 'SEARCH'),
  );
  return [...new Set(names)];
}

function horizontalAnnotations(properties: Record<string, unknown>): ChartLine[] {
  const annotations = (properties.annotations as { horizontal?: { value?: unknown; label?: unknown }[] })?.horizontal;
  return (annotations ?? [])
    .filter((a) => typeof a.value === 'number')
    .map((a) => ({ label: String(a.label ?? ''), value: a.value as number }));
}

function tileHtml(widget: CloudWatchWidget, tile: Tile): string {
  const style = `grid-column:${widget.x + 1} / span ${widget.width};grid-row:${widget.y + 1} / span ${widget.height}`;
  const title =
    widget.type === 'text' ? '' : `<div class="cw-title">${escapeHtml(String(widget.properties.title ?? ''))}</div>`;
  return `<div class="cw-tile cw-${escapeHtml(widget.type)}" data-kind="${escapeHtml(widget.type)}" data-outcome="${tile.outcome}" data-emitted="${tile.emitted === true}" style="${style}">${title}${tile.html}</div>`;
}

/** The span of the data when none is given: one EMF interval before the first observation to the last. */
function spanOf(data: RunSeries, intervalMs: number): { startMs: number; endMs: number } {
  const bounds = data.bounds();
  if (!bounds) throw new Error('the run has no metric data to draw the dashboards with');
  return { startMs: bounds[0] - intervalMs, endMs: bounds[1] };
}

const INTRO = (scale: TimeScale, logs: string) =>
  `<p class="note">The CloudWatch dashboards of <code>coffee dashboards build</code>, every widget at its place, drawn from this run's own EMF. Time is scaled to the run: ${escapeHtml(describePeriod(scale, scale.basePeriodS))}; every other period shrinks alike (x: seconds since the run's start, each point at the end of its period). Single values and bars cover the whole run. Metric math runs with the alarms' evaluator; percentiles come from the EMF histograms' bucket values, as CloudWatch computes them. ${escapeHtml(logs)} Widgets on AWS-vended metrics are marked “in AWS only”.</p>`;

/**
 * The report sections of the dashboards preview: an introduction, then one section per
 * dashboard with its widgets in a 24-column grid.
 *
 * @example
 * const { sections } = dashboardsPreview({ series: seriesFromEmf(lines) });
 * await writeReportPage('out/preview', { title: 'Dashboards', headline: '<h1>Dashboards</h1>', sections });
 */
export function dashboardsPreview(input: DashboardsPreviewInput): DashboardsPreview {
  const data = new RunSeries(input.series);
  const intervalMs = input.emfIntervalMs ?? 1_000;
  const span = { ...spanOf(data, intervalMs), ...input.span };
  const scale = timeScaleFor({ ...span, emfIntervalMs: intervalMs });
  const records = input.logLines?.map(logRecord).filter((r): r is LogRecord => r !== undefined);
  const alarms = input.alarms ?? alarmStatuses(evaluateAlarms(buildAlarmDefinitions(), input.series), span.startMs);
  const statuses = new Map(alarms.map((a) => [a.name, a]));
  const dashboards = input.dashboards ?? buildCloudWatchDashboards({ accountId: PREVIEW_ACCOUNT_ID });
  const summary: DashboardsPreview['dashboards'] = [];
  const sections: ReportSection[] = dashboards.map((dashboard, d) => {
    const painter = new DashboardPainter(d, data, scale, records, statuses, input.bands ?? []);
    const outcomes = Object.fromEntries(Object.values(TileOutcomes).map((o) => [o, 0])) as Record<TileOutcome, number>;
    const charts: ReportChart[] = [];
    const tiles = dashboard.body.widgets.map((widget, w) => {
      const tile = painter.tile(widget, w);
      outcomes[tile.outcome]++;
      if (tile.chart) charts.push(tile.chart);
      return tileHtml(widget, tile);
    });
    summary.push({ name: dashboard.name, widgets: dashboard.body.widgets.length, outcomes });
    return {
      title: `Dashboard ${dashboard.name}`,
      html: `<div class="cw-grid" data-dashboard="${escapeHtml(dashboard.name)}" data-widgets="${dashboard.body.widgets.length}" style="grid-auto-rows:${ROW_PX}px">${tiles.join('')}</div>`,
      charts,
    };
  });
  const logs = records
    ? `Logs Insights widgets run over the ${records.length} captured log lines (fields, filter, stats, sort, limit).`
    : 'No log lines were captured, so the Logs Insights widgets run in CloudWatch only.';
  return { sections: [{ title: 'Dashboards', html: INTRO(scale, logs) }, ...sections], scale, dashboards: summary };
}
