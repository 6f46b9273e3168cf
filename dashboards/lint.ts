/**
 * Lints rendered CloudWatch dashboard bodies: every metric against the catalogs (the
 * service's and the AWS-vended one), statistics, query ids, the grid, and CloudWatch's
 * limits. It reads the rendered JSON, so it also catches a hand-edited body file.
 *
 * Limits, from "Dashboard Body Structure and Syntax", the PutDashboard API reference and
 * "CloudWatch service quotas":
 * - a body holds 0 to 500 widgets; a widget at most 500 metrics and a dashboard 2,500
 *   (metrics an expression uses count);
 * - a dashboard name is 1 to 255 characters of A-Z, a-z, 0-9, "-" and "_";
 * - CloudWatch documents no size limit for a body; deployed through CloudFormation the
 *   body is part of a template, whose limit is 1 MB, so 1 MB is the budget checked here.
 */
import { metricByName, NAMESPACE, Dimensions } from '../service/catalog/index.ts';
import { awsMetric } from './aws-metrics.ts';
import { SECURITY_NAMESPACE, securityMetricFilters } from './parts/security.ts';

const SECURITY_METRIC_NAMES = new Set(
  securityMetricFilters({ tableName: 'any', functionName: 'any' }).map((f) => f.metricName),
);
import { statisticAllowed } from './metric-factory.ts';
import { GRID_COLUMNS, type DashboardBody } from './render-cloudwatch.ts';
import { referencesInDashboard, type MetricReference } from './signals.ts';

export const DashboardLimits = {
  widgetsPerDashboard: 500,
  metricsPerWidget: 500,
  metricsPerDashboard: 2500,
  nameLength: 255,
  bodyBytes: 1_000_000,
} as const;

export interface LintProblem {
  readonly where: string;
  readonly message: string;
}

const STATISTIC =
  /^(Sum|SampleCount|Average|Minimum|Maximum|IQM|p\d{1,2}(\.\d+)?|(tm|tc|ts|wm)\d{1,2}(\.\d+)?|PR\(\d*(\.\d+)?:\d*(\.\d+)?\)|(TM|TC|TS|WM)\(\d*(\.\d+)?%?:\d*(\.\d+)?%?\))$/;
const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;

export function isValidStatistic(stat: string): boolean {
  return STATISTIC.test(stat);
}

/** Periods CloudWatch accepts: 1, 5, 10, 30 (high resolution) or a multiple of 60 seconds. */
export function isValidPeriod(period: number): boolean {
  return [1, 5, 10, 30].includes(period) || (Number.isInteger(period) && period > 0 && period % 60 === 0);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Checks one metric reference against the catalogs: the namespace is the service's or a
 * known AWS one, the metric exists there, the dimension set is one it is published with,
 * and the statistic fits its kind.
 */
export function checkReference(ref: MetricReference, { serviceName }: { serviceName?: string } = {}): LintProblem[] {
  const problems: LintProblem[] = [];
  const problem = (message: string) => problems.push({ where: ref.where, message });
  const names = Object.keys(ref.dimensions);
  if (ref.stat !== undefined && !isValidStatistic(ref.stat))
    problem(`${ref.metricName}: "${ref.stat}" is not a CloudWatch statistic`);
  if (ref.period !== undefined && !isValidPeriod(ref.period))
    problem(`${ref.metricName}: period ${ref.period} s is not 1, 5, 10, 30 or a multiple of 60`);
  if (ref.namespace === NAMESPACE) {
    const def = metricByName(ref.metricName);
    if (!def)
      return [
        ...problems,
        { where: ref.where, message: `${NAMESPACE} has no metric ${ref.metricName} in the catalog` },
      ];
    const unknown = names.filter((n) => !(n in Dimensions));
    if (unknown.length)
      problem(
        `${ref.metricName}: unknown dimension ${unknown.join(', ')} (catalog dimensions: ${Object.keys(Dimensions).join(', ')})`,
      );
    else if (!def.dimensionSets.some((set) => sameSet(set, names))) {
      problem(
        `${ref.metricName} is not published with dimensions [${names.join(', ')}]; the service emits ${def.dimensionSets.map((s) => `[${s.join(', ')}]`).join(' ')}`,
      );
    }
    if (ref.stat !== undefined && isValidStatistic(ref.stat) && !statisticAllowed(def.kind, ref.stat)) {
      problem(`${ref.metricName} is a ${def.kind}: statistic ${ref.stat} does not fit it`);
    }
    const service = ref.dimensions.Service;
    if (serviceName !== undefined && service !== undefined && service !== serviceName) {
      problem(`${ref.metricName}: Service="${service}" but the service name is "${serviceName}"`);
    }
    return problems;
  }
  if (ref.namespace.startsWith('AWS/')) {
    const def = awsMetric(ref.namespace, ref.metricName);
    if (!def)
      return [
        ...problems,
        {
          where: ref.where,
          message: `${ref.namespace} ${ref.metricName} is not in the AWS metric catalog (dashboards/aws-metrics.ts)`,
        },
      ];
    if (!def.dimensionSets.some((set) => sameSet(set, names))) {
      problem(
        `${ref.namespace} ${ref.metricName} is not published with dimensions [${names.join(', ')}]; AWS publishes ${def.dimensionSets.map((s) => `[${s.join(', ')}]`).join(' ')}`,
      );
    }
    return problems;
  }
  if (ref.namespace === SECURITY_NAMESPACE) {
    // The CloudTrail metric filters' counts: published without dimensions, summed.
    if (!SECURITY_METRIC_NAMES.has(ref.metricName))
      problem(`${SECURITY_NAMESPACE} has no metric filter for ${ref.metricName} (dashboards/parts/security.ts)`);
    if (names.length > 0) problem(`${ref.metricName}: the security metric filters publish no dimensions`);
    return problems;
  }
  problem(`namespace "${ref.namespace}" is neither ${NAMESPACE} nor a known AWS namespace (metric ${ref.metricName})`);
  return problems;
}

/** Ids an expression refers to (lower-case identifiers outside strings, not function names). */
export function expressionIds(expression: string): string[] {
  const withoutStrings = expression.replace(/'[^']*'|"[^"]*"/g, ' ');
  return [...withoutStrings.matchAll(/\b([a-z][a-zA-Z0-9_]*)\b(?!\s*\()/g)].map((m) => m[1]!);
}

/** Lints one dashboard body (as an object, or the JSON text an SRE would paste). */
export function lintDashboard(
  name: string,
  body: DashboardBody | string,
  options: { serviceName?: string } = {},
): LintProblem[] {
  const problems: LintProblem[] = [];
  const at = `dashboard ${name}`;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let parsed: DashboardBody;
  try {
    parsed = typeof body === 'string' ? (JSON.parse(body) as DashboardBody) : body;
  } catch (error) {
    return [{ where: at, message: `the body is not JSON: ${(error as Error).message}` }];
  }
  if (!/^[A-Za-z0-9_-]+$/.test(name))
    problems.push({ where: at, message: 'a dashboard name may only contain A-Z, a-z, 0-9, "-" and "_"' });
  if (name.length < 1 || name.length > DashboardLimits.nameLength)
    problems.push({
      where: at,
      message: `the name has ${name.length} characters (1 to ${DashboardLimits.nameLength})`,
    });
  const bytes = Buffer.byteLength(text);
  if (bytes > DashboardLimits.bodyBytes)
    problems.push({
      where: at,
      message: `the body is ${bytes} bytes, over the ${DashboardLimits.bodyBytes}-byte budget`,
    });
  if (!Array.isArray(parsed.widgets)) return [...problems, { where: at, message: 'the body has no widgets array' }];
  if (parsed.widgets.length > DashboardLimits.widgetsPerDashboard) {
    problems.push({
      where: at,
      message: `${parsed.widgets.length} widgets, over the limit of ${DashboardLimits.widgetsPerDashboard}`,
    });
  }

  let metricCount = 0;
  for (const widget of parsed.widgets) {
    const title = String(widget.properties?.title ?? widget.properties?.markdown ?? '')
      .split('\n')[0]!
      .slice(0, 60);
    const where = `${at} / ${title || `widget at ${widget.x},${widget.y}`}`;
    if (!['metric', 'text', 'log', 'alarm', 'explorer'].includes(widget.type))
      problems.push({ where, message: `unknown widget type "${widget.type}"` });
    for (const key of ['x', 'y', 'width', 'height'] as const) {
      if (!Number.isInteger(widget[key]) || widget[key] < 0)
        problems.push({ where, message: `${key} must be a non-negative integer` });
    }
    if (widget.width < 1 || widget.width > GRID_COLUMNS || widget.x + widget.width > GRID_COLUMNS) {
      problems.push({ where, message: `x ${widget.x} + width ${widget.width} leaves the ${GRID_COLUMNS}-column grid` });
    }
    if ((widget.type === 'metric' || widget.type === 'log') && typeof widget.properties?.region !== 'string') {
      problems.push({ where, message: 'a metric or log widget needs a region' });
    }
    if (widget.type === 'log' && !/^SOURCE '/.test(String(widget.properties?.query ?? ''))) {
      problems.push({ where, message: "a log widget query must start with SOURCE '<log group>'" });
    }
    if (widget.type === 'alarm') {
      const alarms = widget.properties?.alarms;
      if (!Array.isArray(alarms) || alarms.some((a) => typeof a !== 'string' || !a.startsWith('arn:'))) {
        problems.push({ where, message: 'an alarm widget lists alarm ARNs' });
      } else if (alarms.length > 100)
        problems.push({ where, message: `${alarms.length} alarms, over the widget's 100` });
    }
    if (widget.type !== 'metric') continue;
    const metrics = widget.properties?.metrics;
    if (!Array.isArray(metrics)) {
      problems.push({ where, message: 'a metric widget needs a metrics array' });
      continue;
    }
    metricCount += metrics.length;
    if (metrics.length > DashboardLimits.metricsPerWidget) {
      problems.push({
        where,
        message: `${metrics.length} metrics, over the widget limit of ${DashboardLimits.metricsPerWidget}`,
      });
    }
    const ids = new Set<string>();
    const expressions: string[] = [];
    for (const entry of metrics as unknown[][]) {
      const rendering = entry.at(-1);
      if (rendering === null || typeof rendering !== 'object') continue;
      const { id, expression } = rendering as { id?: unknown; expression?: unknown };
      if (typeof id === 'string') {
        if (!QUERY_ID.test(id)) problems.push({ where, message: `query id "${id}" must match ${QUERY_ID}` });
        if (ids.has(id)) problems.push({ where, message: `query id "${id}" is used twice` });
        ids.add(id);
      } else if (typeof expression === 'string') {
        problems.push({ where, message: `expression "${expression}" has no id` });
      }
      if (typeof expression === 'string') expressions.push(expression);
    }
    for (const expression of expressions) {
      for (const ref of expressionIds(expression)) {
        if (!ids.has(ref))
          problems.push({
            where,
            message: `expression "${expression}" uses "${ref}", which no query of the widget defines`,
          });
      }
    }
  }
  if (metricCount > DashboardLimits.metricsPerDashboard) {
    problems.push({
      where: at,
      message: `${metricCount} metrics, over the dashboard limit of ${DashboardLimits.metricsPerDashboard}`,
    });
  }
  for (const ref of referencesInDashboard(name, parsed)) problems.push(...checkReference(ref, options));
  return problems;
}
