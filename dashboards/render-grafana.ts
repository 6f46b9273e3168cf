/**
 * Renders the same dashboard definitions as Grafana dashboard JSON over the Prometheus
 * metrics the service exposes. The JSON is in Grafana's export format: the data source is
 * an import input (`${DS_PROMETHEUS}`, chosen in Grafana's import dialog), so no data
 * source UID is written into it. Widgets without a Prometheus equivalent (AWS-vended
 * metrics, Logs Insights) are left out; alarm status becomes an alert list.
 *
 * The dashboard's own `uid` is its name, so importing a newer build replaces the older
 * dashboard instead of adding a copy.
 */
import type { DashboardDefinition, DisplayUnit, GraphWidget, Widget } from './model.ts';

export const DATASOURCE_INPUT = 'DS_PROMETHEUS';
const DATASOURCE = { type: 'prometheus', uid: `\${${DATASOURCE_INPUT}}` } as const;
const GRID_COLUMNS = 24;
const DEFAULT_HEIGHT = 8;

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  [key: string]: unknown;
}

/** A panel before it is placed on the grid. */
type PanelContent = { type: string; title: string; [key: string]: unknown };

export interface GrafanaDashboardJson {
  __inputs: Record<string, string>[];
  __requires: Record<string, string>[];
  title: string;
  uid: string;
  description: string;
  tags: string[];
  time: { from: string; to: string };
  panels: GrafanaPanel[];
  [key: string]: unknown;
}

export interface GrafanaDashboard {
  name: string;
  json: GrafanaDashboardJson;
}

const UNITS: Record<DisplayUnit, string> = {
  count: 'short',
  'per-second': 'reqps',
  ms: 'ms',
  percent: 'percent',
  eur: 'currencyEUR',
  usd: 'currencyUSD',
  bytes: 'bytes',
  ratio: 'none',
};

/** `-PT6H` → `6h`, `-P14D` → `14d` (the subset of ISO 8601 durations the dashboards use). */
export function grafanaDuration(iso: string): string {
  const match = /^-?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(iso);
  if (!match) throw new Error(`unsupported duration ${iso}`);
  const [, d, h, m] = match;
  if (d && !h && !m) return `${d}d`;
  const minutes = Number(d ?? 0) * 1440 + Number(h ?? 0) * 60 + Number(m ?? 0);
  return minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
}

function graphPanel(widget: GraphWidget): PanelContent | undefined {
  const signals = widget.signals.filter((s) => s.promql !== undefined);
  if (signals.length === 0) return undefined;
  const single = widget.view === 'singleValue' || widget.view === 'gauge';
  const type =
    widget.view === 'bar'
      ? 'bargauge'
      : widget.view === 'pie'
        ? 'piechart'
        : single
          ? widget.view === 'gauge'
            ? 'gauge'
            : 'stat'
          : 'timeseries';
  const instant = single || widget.view === 'bar' || widget.view === 'pie';
  const targets = signals.map((s, i) => ({
    refId: String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : ''),
    datasource: { ...DATASOURCE },
    expr: s.promql,
    legendFormat: s.legend ?? s.label,
    ...(instant ? { instant: true, range: false } : { range: true }),
  }));
  const thresholds = widget.annotations?.length
    ? {
        mode: 'absolute',
        steps: [
          { color: 'green', value: null },
          ...[...widget.annotations]
            .sort((a, b) => a.value - b.value)
            .map((a) => ({ color: a.color ?? 'red', value: a.value })),
        ],
      }
    : undefined;
  const defaults: Record<string, unknown> = {
    unit: widget.unit ? UNITS[widget.unit] : 'short',
    ...(widget.yMin === undefined ? {} : { min: widget.yMin }),
    ...(widget.yMax === undefined ? {} : { max: widget.yMax }),
    ...(thresholds ? { thresholds } : {}),
  };
  if (type === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: widget.stacked ? 30 : 0,
      stacking: { mode: widget.stacked ? 'normal' : 'none', group: 'A' },
      ...(thresholds ? { thresholdsStyle: { mode: 'line' } } : {}),
    };
  }
  return {
    type,
    title: widget.title,
    datasource: { ...DATASOURCE },
    targets,
    fieldConfig: { defaults, overrides: [] },
    options:
      type === 'timeseries'
        ? {
            legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
            tooltip: { mode: 'multi', sort: 'desc' },
          }
        : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: 'auto' },
    ...(widget.start ? { timeFrom: grafanaDuration(widget.start) } : {}),
  };
}

function panelContent(widget: Widget): PanelContent | undefined {
  switch (widget.type) {
    case 'graph':
      return graphPanel(widget);
    case 'text':
      return { type: 'text', title: '', options: { mode: 'markdown', content: widget.markdown } };
    case 'logs':
      return undefined;
    case 'alarms':
      return {
        type: 'alertlist',
        title: widget.title,
        options: {
          viewMode: 'list',
          groupMode: 'default',
          maxItems: 50,
          sortOrder: 1,
          dashboardAlerts: false,
          alertName: '',
          alertInstanceLabelFilter: '',
          stateFilter: { firing: true, pending: true, noData: false, normal: false, error: true },
        },
      };
  }
}

export function renderGrafanaDashboard(definition: DashboardDefinition): GrafanaDashboard {
  const panels: GrafanaPanel[] = [];
  let id = 1;
  let y = 0;
  for (const row of definition.rows) {
    const contents = row.widgets
      .map((widget) => ({ widget, content: panelContent(widget) }))
      .filter((entry): entry is { widget: Widget; content: PanelContent } => entry.content !== undefined);
    if (contents.length === 0) continue;
    if (row.title) {
      panels.push({
        id: id++,
        type: 'row',
        title: row.title,
        collapsed: false,
        panels: [],
        gridPos: { x: 0, y, w: GRID_COLUMNS, h: 1 },
      });
      y += 1;
    }
    const defaultWidth = Math.floor(GRID_COLUMNS / Math.min(contents.length, 4));
    let x = 0;
    let lineHeight = 0;
    for (const { widget, content } of contents) {
      const w = widget.width ?? defaultWidth;
      const h = widget.height === undefined ? DEFAULT_HEIGHT : Math.max(2, Math.round((widget.height * 4) / 3));
      if (x + w > GRID_COLUMNS) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      panels.push({ ...content, id: id++, gridPos: { x, y, w, h } });
      x += w;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  const panelTypes = [...new Set(panels.map((p) => p.type).filter((t) => t !== 'row'))].sort();
  return {
    name: definition.name,
    json: {
      __inputs: [
        {
          name: DATASOURCE_INPUT,
          label: 'Prometheus',
          description: 'The Prometheus that scrapes the service (GET /metrics)',
          type: 'datasource',
          pluginId: 'prometheus',
          pluginName: 'Prometheus',
        },
      ],
      __requires: [
        { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
        { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
        ...panelTypes.map((t) => ({ type: 'panel', id: t, name: t, version: '' })),
      ],
      annotations: { list: [] },
      description: definition.description,
      editable: true,
      graphTooltip: 1,
      links: [],
      panels,
      refresh: '1m',
      schemaVersion: 39,
      tags: ['coffee-cloud'],
      templating: { list: [] },
      time: { from: `now-${grafanaDuration(definition.start ?? '-PT6H')}`, to: 'now' },
      timepicker: {},
      timezone: '',
      title: definition.title,
      uid: definition.name.slice(0, 40),
      version: 1,
    },
  };
}
