/**
 * Renders dashboard definitions to CloudWatch dashboard bodies (the JSON `PutDashboard`
 * and `AWS::CloudWatch::Dashboard` take), following "Dashboard Body Structure and Syntax":
 * a 24-column grid of `metric`, `text`, `log` and `alarm` widgets.
 */
import { searchExpression } from './metric-factory.ts';
import type { DashboardDefinition, GraphWidget, Query, ResolvedOptions, Widget } from './model.ts';

export const GRID_COLUMNS = 24;
const DEFAULT_HEIGHT = 6;

export interface CloudWatchWidget {
  type: 'metric' | 'text' | 'log' | 'alarm';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

export interface DashboardBody {
  start?: string;
  periodOverride?: 'auto' | 'inherit';
  widgets: CloudWatchWidget[];
}

export interface CloudWatchDashboard {
  name: string;
  body: DashboardBody;
}

/** One entry of a metric widget's `metrics` array. */
export type MetricArrayEntry = (string | Record<string, unknown>)[];

function omitUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** A query as an entry of the `metrics` array. */
export function metricEntry(query: Query): MetricArrayEntry {
  const visible = query.visible === false ? false : undefined;
  switch (query.kind) {
    case 'metric': {
      const dims = Object.entries(query.dimensions).flat();
      const rendering = omitUndefined({
        id: query.id,
        stat: query.stat,
        period: query.period,
        label: query.label,
        visible,
      });
      return [query.namespace, query.metricName, ...dims, rendering];
    }
    case 'search':
      return [omitUndefined({ expression: searchExpression(query), id: query.id, label: query.label, visible })];
    case 'expression':
      return [
        omitUndefined({
          expression: query.expression,
          id: query.id,
          label: query.label,
          period: query.period,
          visible,
        }),
      ];
  }
}

/** `aws`, `aws-cn` or `aws-us-gov`, from the region. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function alarmArn(region: string, accountId: string, alarmName: string): string {
  return `arn:${partitionOf(region)}:cloudwatch:${region}:${accountId}:alarm:${alarmName}`;
}

const UNIT_LABELS: Record<string, string> = {
  count: 'Count',
  'per-second': 'Per second',
  ms: 'Milliseconds',
  percent: 'Percent',
  eur: 'EUR',
  usd: 'USD',
  bytes: 'Bytes',
  ratio: 'x',
};

function graphProperties(widget: GraphWidget, region: string): Record<string, unknown> {
  const queries = widget.signals.flatMap((s) => s.queries);
  const firstPeriod = queries.find((q) => q.kind !== 'expression')?.period;
  const left = omitUndefined({
    min: widget.yMin,
    max: widget.yMax,
    label: widget.unit ? UNIT_LABELS[widget.unit] : undefined,
    showUnits: widget.unit ? false : undefined,
  });
  return omitUndefined({
    title: widget.title,
    view: widget.view ?? 'timeSeries',
    stacked: widget.stacked ?? false,
    region,
    period: firstPeriod,
    metrics: queries.map(metricEntry),
    yAxis: Object.keys(left).length ? { left } : undefined,
    annotations: widget.annotations?.length
      ? { horizontal: widget.annotations.map((a) => omitUndefined({ value: a.value, label: a.label, color: a.color })) }
      : undefined,
    setPeriodToTimeRange: widget.setPeriodToTimeRange,
    start: widget.start,
  });
}

function widgetContent(widget: Widget, options: ResolvedOptions): Pick<CloudWatchWidget, 'type' | 'properties'> {
  switch (widget.type) {
    case 'graph':
      return { type: 'metric', properties: graphProperties(widget, options.region) };
    case 'text':
      return { type: 'text', properties: { markdown: widget.markdown } };
    case 'logs': {
      const sources = widget.logGroupNames.map((g) => `SOURCE '${g}'`).join(' | ');
      return {
        type: 'log',
        properties: {
          title: widget.title,
          region: options.region,
          view: widget.view ?? 'table',
          query: `${sources} | ${widget.query}`,
        },
      };
    }
    case 'alarms':
      if (!options.accountId) {
        // Alarm widgets need ARNs, and ARNs need the account: say so instead of guessing.
        return {
          type: 'text',
          properties: {
            markdown: `**${widget.title}**: build with an account id (\`--account-id\`, or the CDK construct) to show the state of ${widget.alarmNames.length} alarms here.`,
          },
        };
      }
      return {
        type: 'alarm',
        properties: {
          title: widget.title,
          alarms: widget.alarmNames.map((name) => alarmArn(options.region, options.accountId!, name)),
          sortBy: 'stateUpdatedTimestamp',
        },
      };
  }
}

/** Lays rows out on the 24-column grid: a title line, then widgets left to right, wrapping. */
export function renderDashboardBody(definition: DashboardDefinition, options: ResolvedOptions): DashboardBody {
  const widgets: CloudWatchWidget[] = [];
  let y = 0;
  for (const row of definition.rows) {
    if (row.title) {
      widgets.push({
        type: 'text',
        x: 0,
        y,
        width: GRID_COLUMNS,
        height: 1,
        properties: { markdown: `## ${row.title}` },
      });
      y += 1;
    }
    const defaultWidth = Math.floor(GRID_COLUMNS / Math.min(Math.max(row.widgets.length, 1), 4));
    let x = 0;
    let lineHeight = 0;
    for (const widget of row.widgets) {
      const width = widget.width ?? defaultWidth;
      const height = widget.height ?? DEFAULT_HEIGHT;
      if (x + width > GRID_COLUMNS) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      const { type, properties } = widgetContent(widget, options);
      widgets.push({ type, x, y, width, height, properties });
      x += width;
      lineHeight = Math.max(lineHeight, height);
    }
    y += lineHeight;
  }
  return omitUndefined({ start: definition.start, periodOverride: 'inherit', widgets }) as unknown as DashboardBody;
}
