/**
 * Lints rendered alarm inputs: catalog references (through the dashboards' checker),
 * statistics, query ids, and CloudWatch's alarm limits (from the PutMetricAlarm and
 * PutCompositeAlarm API references and "CloudWatch service quotas"):
 * - an alarm name is 1 to 255 characters without ASCII control characters; a description
 *   at most 1,024;
 * - at most 5 actions per state;
 * - period × evaluation periods at most one day (86,400 s); datapoints to alarm at most the
 *   evaluation periods;
 * - a metric-math alarm uses at most 10 metrics and returns exactly one series (an anomaly
 *   alarm: the metric and its band); SEARCH is not allowed in alarms;
 * - a composite rule names at most 100 alarms, each of which must exist (here or already
 *   in the account), without cycles.
 */
import {
  checkReference,
  expressionIds,
  isValidPeriod,
  isValidStatistic,
  type LintProblem,
  renderAlarmRule,
  ruleChildren,
  ruleTextChildren,
  type AlarmDefinitions,
} from '../dashboards/index.ts';
import { referencesInAlarm } from './signals.ts';
import { orderForCreation, type CloudWatchAlarmInput } from './render-cloudwatch.ts';

export const AlarmLimits = {
  nameLength: 255,
  descriptionLength: 1024,
  actionsPerState: 5,
  evaluationSeconds: 86_400,
  metricsPerMathAlarm: 10,
  childrenPerComposite: 100,
} as const;

const QUERY_ID = /^[a-z][a-zA-Z0-9_]*$/;

export function lintAlarmInputs(
  inputs: readonly CloudWatchAlarmInput[],
  options: { serviceName?: string } = {},
): LintProblem[] {
  const problems: LintProblem[] = [];
  const names = new Set<string>();
  for (const { kind, input } of inputs) {
    const name = input.AlarmName ?? '';
    const where = `alarm ${name}`;
    const problem = (message: string) => problems.push({ where, message });
    if (name.length < 1 || name.length > AlarmLimits.nameLength)
      problem(`the name has ${name.length} characters (1 to ${AlarmLimits.nameLength})`);
    if (/[\u0000-\u001f\u007f]/.test(name)) problem('the name contains an ASCII control character');
    if (names.has(name)) problem('the name is used twice');
    names.add(name);
    if ((input.AlarmDescription ?? '').length > AlarmLimits.descriptionLength)
      problem(`the description is longer than ${AlarmLimits.descriptionLength} characters`);
    for (const key of ['AlarmActions', 'OKActions', 'InsufficientDataActions'] as const) {
      if ((input[key]?.length ?? 0) > AlarmLimits.actionsPerState)
        problem(`${key} has more than ${AlarmLimits.actionsPerState} actions`);
    }
    if (kind === 'composite') {
      const children = ruleTextChildren(input.AlarmRule ?? '');
      if (children.length === 0) problem('the composite rule names no alarm');
      if (new Set(children).size > AlarmLimits.childrenPerComposite)
        problem(`the rule names more than ${AlarmLimits.childrenPerComposite} alarms`);
      continue;
    }
    const evaluationPeriods = input.EvaluationPeriods ?? 0;
    const datapoints = input.DatapointsToAlarm ?? evaluationPeriods;
    if (evaluationPeriods < 1) problem('EvaluationPeriods must be at least 1');
    if (datapoints < 1 || datapoints > evaluationPeriods)
      problem(`DatapointsToAlarm ${datapoints} must be between 1 and EvaluationPeriods ${evaluationPeriods}`);
    const periods = input.Metrics
      ? input.Metrics.flatMap((q) => (q.MetricStat?.Period === undefined ? [] : [q.MetricStat.Period]))
      : input.Period === undefined
        ? []
        : [input.Period];
    if (periods.length === 0) problem('no metric with a period');
    for (const period of periods) {
      if (!isValidPeriod(period)) problem(`period ${period} s is not 10, 30 or a multiple of 60`);
      if (period * evaluationPeriods > AlarmLimits.evaluationSeconds) {
        problem(
          `period ${period} s × ${evaluationPeriods} evaluation periods is over one day (${AlarmLimits.evaluationSeconds} s)`,
        );
      }
    }
    if (new Set(periods).size > 1) problem(`its metrics use different periods (${[...new Set(periods)].join(', ')})`);
    if (input.Metrics) {
      const metricCount = input.Metrics.filter((q) => q.MetricStat).length;
      if (metricCount > AlarmLimits.metricsPerMathAlarm)
        problem(`${metricCount} metrics, over the metric-math alarm limit of ${AlarmLimits.metricsPerMathAlarm}`);
      const ids = new Set(input.Metrics.map((q) => q.Id ?? ''));
      if (ids.size !== input.Metrics.length) problem('two queries share an id');
      for (const q of input.Metrics) {
        if (!QUERY_ID.test(q.Id ?? '')) problem(`query id "${q.Id}" must match ${QUERY_ID}`);
        if (q.Expression) {
          if (/SEARCH\s*\(/.test(q.Expression)) problem(`query ${q.Id}: alarms cannot use SEARCH`);
          for (const ref of expressionIds(q.Expression))
            if (!ids.has(ref)) problem(`expression "${q.Expression}" uses "${ref}", which no query defines`);
        }
      }
      const returned = input.Metrics.filter((q) => q.ReturnData);
      const expected = input.ThresholdMetricId ? 2 : 1;
      if (returned.length !== expected)
        problem(`${returned.length} queries return data; the alarm needs exactly ${expected}`);
      if (input.ThresholdMetricId && !ids.has(input.ThresholdMetricId))
        problem(`ThresholdMetricId ${input.ThresholdMetricId} is not a query id`);
      if (!input.ThresholdMetricId && input.Threshold === undefined)
        problem('a static-threshold alarm needs a Threshold');
    } else {
      const stat = input.Statistic ?? input.ExtendedStatistic;
      if ((input.Statistic === undefined) === (input.ExtendedStatistic === undefined))
        problem('exactly one of Statistic and ExtendedStatistic');
      if (stat !== undefined && !isValidStatistic(stat)) problem(`"${stat}" is not a CloudWatch statistic`);
      if (input.EvaluateLowSampleCountPercentile && !/^p\d/.test(stat ?? ''))
        problem('EvaluateLowSampleCountPercentile only applies to percentile statistics');
      if (input.Threshold === undefined) problem('a static-threshold alarm needs a Threshold');
    }
    for (const ref of referencesInAlarm(input)) problems.push(...checkReference(ref, options));
  }
  // Composite children must exist in this set (or in the account: a warning-level fact we
  // cannot check offline, so a missing child is reported) and must not form a cycle.
  for (const { kind, input } of inputs) {
    if (kind !== 'composite') continue;
    for (const child of ruleTextChildren(input.AlarmRule ?? '')) {
      if (!names.has(child))
        problems.push({
          where: `alarm ${input.AlarmName}`,
          message: `the rule names ${child}, which is not defined here`,
        });
    }
  }
  try {
    orderForCreation(
      inputs.map((i) => ({
        name: i.input.AlarmName ?? '',
        rule: i.kind === 'composite' ? (i.input.AlarmRule ?? '') : '',
      })),
      (a) => ruleTextChildren(a.rule),
    );
  } catch (error) {
    problems.push({ where: 'alarms', message: (error as Error).message });
  }
  return problems;
}

/** Lints the definitions themselves: what the rendered inputs no longer show. */
export function lintAlarmDefinitions(definitions: AlarmDefinitions): LintProblem[] {
  const problems: LintProblem[] = [];
  const ids = new Set<string>();
  for (const alarm of definitions.alarms) {
    const where = `alarm ${alarm.name}`;
    if (ids.has(alarm.id)) problems.push({ where, message: `id ${alarm.id} is used twice` });
    ids.add(alarm.id);
    if (!alarm.name.startsWith(`${definitions.prefix}-`))
      problems.push({ where, message: `the name does not start with the prefix ${definitions.prefix}-` });
    if (alarm.kind === 'composite') {
      if (!alarm.severity) problems.push({ where, message: 'a composite alarm without a severity notifies nobody' });
      if (ruleChildren(alarm.rule).length === 0)
        problems.push({ where, message: `rule ${renderAlarmRule(alarm.rule)} names no alarm` });
      continue;
    }
    if (!alarm.treatMissingDataReason.trim())
      problems.push({ where, message: 'the missing-data treatment has no reason' });
    if (alarm.kind !== 'metric' && !alarm.queries.some((q) => q.id === alarm.returnId)) {
      problems.push({ where, message: `returnId ${alarm.returnId} is not one of its queries` });
    }
  }
  const childNames = new Set(definitions.alarms.flatMap((a) => (a.kind === 'composite' ? ruleChildren(a.rule) : [])));
  for (const alarm of definitions.alarms) {
    if (!alarm.severity && !childNames.has(alarm.name)) {
      problems.push({
        where: `alarm ${alarm.name}`,
        message: 'it has no severity and no composite alarm uses it: nobody would hear of it',
      });
    }
  }
  return problems;
}
