/**
 * Lints Grafana dashboard JSON: every PromQL series and label is one the service's
 * Prometheus exposition has (catalog metrics through `prometheusName`, catalog labels
 * through `prometheusLabel`), and data sources are import inputs, never fixed UIDs.
 */
import {
  ALL_METRICS,
  Dimensions,
  prometheusLabel,
  prometheusName,
  type DimensionName,
} from '../service/catalog/index.ts';
import type { LintProblem } from './lint.ts';
import { DATASOURCE_INPUT, type GrafanaDashboardJson } from './render-grafana.ts';

/** Every series name the OpenTelemetry Prometheus exporter writes for the catalog. */
export function knownSeries(): Set<string> {
  const names = new Set<string>();
  for (const m of ALL_METRICS) {
    const base = prometheusName(m);
    if (m.kind === 'histogram') for (const part of ['bucket', 'sum', 'count']) names.add(`${base}_${part}`);
    else names.add(base);
  }
  return names;
}

/** Labels a series can carry: the catalog's point dimensions, plus `le` on buckets. */
export function knownLabels(): Set<string> {
  const labels = new Set<string>(['le']);
  for (const [name, d] of Object.entries(Dimensions))
    if (d.source === 'point') labels.add(prometheusLabel(name as DimensionName));
  return labels;
}

const FUNCTIONS_AND_KEYWORDS = new Set([
  'sum',
  'rate',
  'increase',
  'histogram_quantile',
  'by',
  'without',
  'or',
  'and',
  'unless',
  'vector',
  'max',
  'min',
  'avg',
  'count',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'abs',
  'clamp_min',
  'clamp_max',
  'label_replace',
  'topk',
  'bottomk',
]);

/** Problems with one PromQL expression's series and labels. */
export function lintPromql(expr: string, where: string, series = knownSeries(), labels = knownLabels()): LintProblem[] {
  const problems: LintProblem[] = [];
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of withoutStrings.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b/g)) {
    const word = m[1]!;
    const before = withoutStrings.slice(0, m.index);
    const after = withoutStrings.slice(m.index! + word.length);
    if (FUNCTIONS_AND_KEYWORDS.has(word) || /^\d/.test(word)) continue;
    if (/^\s*=~?|^\s*!=/.test(after)) continue; // a label name in a matcher: checked below
    if (/\[\s*$/.test(before) || /^[smhdwy]\b/.test(word)) continue; // a duration
    if (/\(\s*[\w\s,]*$/.test(before) && /\b(by|without)\s*\([\w\s,]*$/.test(before)) continue; // a grouping label: checked below
    if (word.startsWith('$') || word.startsWith('__')) continue;
    if (!series.has(word) && !word.includes(':'))
      problems.push({ where, message: `series ${word} is not in the service's Prometheus exposition` });
  }
  for (const m of withoutStrings.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*""/g)) {
    if (!labels.has(m[1]!)) problems.push({ where, message: `label ${m[1]} is not a label of the service's series` });
  }
  for (const m of withoutStrings.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const label of m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (!labels.has(label))
        problems.push({ where, message: `grouping label ${label} is not a label of the service's series` });
    }
  }
  return problems;
}

export function lintGrafanaDashboard(name: string, json: GrafanaDashboardJson): LintProblem[] {
  const problems: LintProblem[] = [];
  const at = `grafana ${name}`;
  const inputs = json.__inputs ?? [];
  if (!inputs.some((i) => i.name === DATASOURCE_INPUT && i.type === 'datasource' && i.pluginId === 'prometheus')) {
    problems.push({ where: at, message: `no ${DATASOURCE_INPUT} datasource input for Grafana's import` });
  }
  const series = knownSeries();
  const labels = knownLabels();
  const wanted = `\${${DATASOURCE_INPUT}}`;
  for (const panel of json.panels ?? []) {
    const where = `${at} / ${panel.title || panel.type}`;
    const check = (datasource: unknown) => {
      if (datasource === undefined) return;
      const uid = (datasource as { uid?: unknown }).uid;
      if (uid !== wanted)
        problems.push({ where, message: `data source uid ${JSON.stringify(uid)} is not the import input ${wanted}` });
    };
    check(panel.datasource);
    for (const target of (panel.targets ?? []) as { expr?: unknown; datasource?: unknown }[]) {
      check(target.datasource);
      if (typeof target.expr !== 'string') problems.push({ where, message: 'a target has no expr' });
      else problems.push(...lintPromql(target.expr, where, series, labels));
    }
    const { x, y, w, h } = panel.gridPos ?? { x: -1, y: -1, w: 0, h: 0 };
    if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > 24)
      problems.push({ where, message: `gridPos ${JSON.stringify(panel.gridPos)} is off the 24-column grid` });
  }
  return problems;
}
