/**
 * A local, pure model of how CloudWatch evaluates the alarms, for the chaos experiments:
 * feed it the metric data a run produced and it tells which alarms would have gone to
 * ALARM, and when. It implements
 * - statistics over a period (Sum, SampleCount, Average, Minimum, Maximum, pNN, PR(n:m))
 *   from EMF-style observations;
 * - the metric math the alarms use (arithmetic, comparisons, FILL, IF, PERIOD);
 * - "M out of N" datapoints to alarm with the four missing-data treatments;
 * - composite alarm rules.
 *
 * Simplifications, said plainly: alarms are evaluated every `stepMs` (default one minute)
 * over periods that end at the evaluation time; when some of the last N periods have no
 * datapoint, CloudWatch looks back over a somewhat longer "evaluation range" whose exact
 * length it does not document: this model uses N + 2 periods, takes the most recent N real
 * datapoints there for `missing` and `ignore`, and applies the treatment when the whole
 * range is empty. Anomaly detection alarms need CloudWatch's trained model and are
 * reported as not evaluable locally.
 */
import {
  type MetricQuery,
  type Query,
  ruleChildren,
  type AlarmDefinition,
  type AlarmDefinitions,
  type AlarmRule,
  type CompositeAlarmDefinition,
} from '../dashboards/index.ts';

/** One observation of a metric at a time, as an EMF document carries it. */
export interface Observation {
  /** Epoch milliseconds. */
  readonly timestamp: number;
  /** The values; a counter or gauge written as one number is `[value]`. */
  readonly values: readonly number[];
  /** How often each value occurred (EMF `Counts`); 1 each when absent. */
  readonly counts?: readonly number[];
  /**
   * Exact statistics when the writer knew them (EMF histograms carry Sum, Count, Min and
   * Max beside bucketed values); they win over values for those statistics.
   */
  readonly statistics?: { readonly sum: number; readonly count: number; readonly min: number; readonly max: number };
}

/**
 * The data points of one metric (namespace, name and exact dimension set, as CloudWatch
 * keys a metric) over time. `seriesFromEmf` builds these from EMF output.
 */
export interface MetricSeries {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly observations: readonly Observation[];
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmTransition {
  /** Epoch milliseconds of the evaluation that changed the state. */
  readonly timestamp: number;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
}

export interface AlarmEvaluation {
  readonly name: string;
  readonly kind: AlarmDefinition['kind'];
  readonly severity?: AlarmDefinition['severity'];
  /** False for alarms this model cannot evaluate (anomaly detection); see `reason`. */
  readonly evaluable: boolean;
  readonly reason?: string;
  /** Every state change, in time order (the first leaves INSUFFICIENT_DATA). */
  readonly transitions: readonly AlarmTransition[];
  /** The state after the last evaluation. */
  readonly state: AlarmState;
}

export interface EvaluateOptions {
  /** First evaluation time (epoch ms). Default: the first observation, rounded up to a step. */
  from?: number;
  /** Last evaluation time. Default: the last observation plus one step. */
  to?: number;
  /** Time between evaluations. Default 60,000 ms (CloudWatch evaluates every minute). */
  stepMs?: number;
  /**
   * The evaluation times instead of `from`/`to`/`stepMs`, ascending: predictions over a day
   * evaluate every minute at first and coarser later, never per second over days.
   */
  times?: readonly number[];
}

function seriesKey(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>): string {
  const dims = Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${namespace}|${metricName}|${dims}`;
}

/** A CloudWatch statistic over a set of observations; undefined when there is no data. */
export function statistic(stat: string, observations: readonly Observation[]): number | undefined {
  if (observations.length === 0) return undefined;
  const pairs: [number, number][] = [];
  let sum = 0;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const o of observations) {
    let oSum = 0;
    let oCount = 0;
    o.values.forEach((v, i) => {
      const c = o.counts?.[i] ?? 1;
      if (c <= 0) return;
      pairs.push([v, c]);
      oSum += v * c;
      oCount += c;
      min = Math.min(min, v);
      max = Math.max(max, v);
    });
    if (o.statistics) {
      sum += o.statistics.sum;
      count += o.statistics.count;
      min = Math.min(min, o.statistics.min);
      max = Math.max(max, o.statistics.max);
    } else {
      sum += oSum;
      count += oCount;
    }
  }
  if (count === 0) return undefined;
  switch (stat) {
    case 'Sum':
      return sum;
    case 'SampleCount':
      return count;
    case 'Average':
      return sum / count;
    case 'Minimum':
      return min;
    case 'Maximum':
      return max;
  }
  const percentile = /^p(\d+(?:\.\d+)?)$/.exec(stat);
  const rank = /^PR\((-?\d*(?:\.\d+)?):(-?\d*(?:\.\d+)?)\)$/.exec(stat);
  const total = pairs.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return undefined;
  if (percentile) {
    const target = (Number(percentile[1]) / 100) * total;
    pairs.sort((a, b) => a[0] - b[0]);
    let seen = 0;
    for (const [v, c] of pairs) {
      seen += c;
      if (seen >= target) return v;
    }
    return pairs.at(-1)?.[0];
  }
  if (rank) {
    const low = rank[1] === '' ? -Infinity : Number(rank[1]);
    const high = rank[2] === '' ? Infinity : Number(rank[2]);
    const inRange = pairs.filter(([v]) => v > low && v <= high).reduce((n, [, c]) => n + c, 0);
    return (100 * inRange) / total;
  }
  throw new Error(`statistic ${stat} is not supported by the local evaluator`);
}

// --- metric math -----------------------------------------------------------------------

type Token =
  | { type: 'num'; value: number }
  | { type: 'id'; value: string }
  | { type: 'fn'; value: string }
  | { type: 'op'; value: string };

const tokenCache = new Map<string, Token[]>();

function tokenize(expression: string): Token[] {
  const cached = tokenCache.get(expression);
  if (cached) return cached;
  const tokens: Token[] = [];
  const re =
    /\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|([A-Z_][A-Z0-9_]*)(?=\s*\()|([a-z][a-zA-Z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>]))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    re.lastIndex = index;
    const m = re.exec(expression);
    if (!m) throw new Error(`cannot read expression "${expression}" at "${expression.slice(index)}"`);
    if (m[1] !== undefined) tokens.push({ type: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ type: 'fn', value: m[2] });
    else if (m[3] !== undefined) tokens.push({ type: 'id', value: m[3] });
    else tokens.push({ type: 'op', value: m[4]! });
    index = re.lastIndex;
  }
  tokenCache.set(expression, tokens);
  return tokens;
}

type Scalar = number | undefined;
/** Resolves an id to its value at the evaluation time, and its period. */
interface MathScope {
  value(id: string): Scalar;
  period(id: string): number;
}

/** Evaluates a metric math expression for one datapoint (missing operands give missing). */
export function evaluateExpression(expression: string, scope: MathScope): Scalar {
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (value?: string): Token => {
    const t = tokens[pos++];
    if (!t || (value !== undefined && t.value !== value))
      throw new Error(`expression "${expression}": expected ${value ?? 'more'}`);
    return t;
  };
  const arith = (a: Scalar, b: Scalar, op: string): Scalar => {
    if (a === undefined || b === undefined) return undefined;
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        return b === 0 ? undefined : a / b;
      case '>':
        return Number(a > b);
      case '<':
        return Number(a < b);
      case '>=':
        return Number(a >= b);
      case '<=':
        return Number(a <= b);
      case '==':
        return Number(a === b);
      case '!=':
        return Number(a !== b);
    }
    throw new Error(`operator ${op}`);
  };
  const comparison = (): Scalar => {
    let left = additive();
    while (peek()?.type === 'op' && ['>', '<', '>=', '<=', '==', '!='].includes(peek()!.value as string)) {
      const op = take().value as string;
      left = arith(left, additive(), op);
    }
    return left;
  };
  const additive = (): Scalar => {
    let left = term();
    while (peek()?.type === 'op' && (peek()!.value === '+' || peek()!.value === '-')) {
      const op = take().value as string;
      left = arith(left, term(), op);
    }
    return left;
  };
  const term = (): Scalar => {
    let left = unary();
    while (peek()?.type === 'op' && (peek()!.value === '*' || peek()!.value === '/')) {
      const op = take().value as string;
      left = arith(left, unary(), op);
    }
    return left;
  };
  const unary = (): Scalar => {
    if (peek()?.type === 'op' && peek()!.value === '-') {
      take();
      const v = unary();
      return v === undefined ? undefined : -v;
    }
    return primary();
  };
  const primary = (): Scalar => {
    const t = take();
    if (t.type === 'num') return t.value;
    if (t.type === 'id') return scope.value(t.value);
    if (t.type === 'op' && t.value === '(') {
      const v = comparison();
      take(')');
      return v;
    }
    if (t.type === 'fn') {
      take('(');
      const name = t.value;
      if (name === 'PERIOD') {
        const id = take();
        take(')');
        return scope.period(String(id.value));
      }
      const values: Scalar[] = [comparison()];
      while (peek()?.value === ',') {
        take(',');
        values.push(comparison());
      }
      take(')');
      switch (name) {
        case 'FILL':
          return values[0] ?? values[1];
        case 'IF':
          if (values[0] === undefined) return undefined;
          return values[0] !== 0 ? values[1] : values[2];
        case 'ABS':
          return values[0] === undefined ? undefined : Math.abs(values[0]);
        case 'MIN':
        case 'MAX': {
          const present = values.filter((v): v is number => v !== undefined);
          if (present.length === 0) return undefined;
          return name === 'MIN' ? Math.min(...present) : Math.max(...present);
        }
      }
      throw new Error(`function ${name} is not supported by the local evaluator`);
    }
    throw new Error(`expression "${expression}": unexpected ${String(t.value)}`);
  };
  const result = comparison();
  if (pos !== tokens.length) throw new Error(`expression "${expression}": unexpected ${String(tokens[pos]?.value)}`);
  return result === undefined || !Number.isFinite(result) ? undefined : result;
}

// --- alarm evaluation ------------------------------------------------------------------

/** The prefix sums of one statistic over a series: `value` and the `count` it is taken over. */
interface Prefix {
  readonly value: Float64Array;
  readonly count: Float64Array;
}

/** Per observation: [value, count] of a statistic that adds up over observations. */
function additive(stat: string, o: Observation): [number, number] | undefined {
  const rank = /^PR\((-?\d*(?:\.\d+)?):(-?\d*(?:\.\d+)?)\)$/.exec(stat);
  if (stat !== 'Sum' && stat !== 'SampleCount' && !rank) return undefined;
  let sum = 0;
  let count = 0;
  let inRange = 0;
  const low = rank && rank[1] !== '' ? Number(rank[1]) : -Infinity;
  const high = rank && rank[2] !== '' ? Number(rank[2]) : Infinity;
  o.values.forEach((v, i) => {
    const c = o.counts?.[i] ?? 1;
    if (c <= 0) return;
    sum += v * c;
    count += c;
    if (v > low && v <= high) inRange += c;
  });
  if (rank) return [inRange, count];
  if (o.statistics)
    return stat === 'Sum' ? [o.statistics.sum, o.statistics.count] : [o.statistics.count, o.statistics.count];
  return stat === 'Sum' ? [sum, count] : [count, count];
}

const seriesKeys = new WeakMap<MetricQuery, string>();

class SeriesIndex {
  readonly #byKey = new Map<string, Observation[]>();
  readonly #prefixes = new Map<string, Prefix>();
  readonly #memo = new Map<string, Scalar>();
  /** Datapoints per alarm and period end, shared by the evaluations that look at them. */
  readonly datapoints = new Map<object, Map<number, Scalar>>();
  constructor(series: readonly MetricSeries[]) {
    for (const s of series) {
      const key = seriesKey(s.namespace, s.metricName, s.dimensions);
      const list = this.#byKey.get(key) ?? [];
      list.push(...s.observations);
      this.#byKey.set(key, list);
    }
    for (const list of this.#byKey.values()) list.sort((a, b) => a.timestamp - b.timestamp);
  }

  #key(query: MetricQuery): string {
    let key = seriesKeys.get(query);
    if (key === undefined) {
      key = seriesKey(query.namespace, query.metricName, query.dimensions);
      seriesKeys.set(query, key);
    }
    return key;
  }

  /** Index of the first observation at or after `time`. */
  #lowerBound(list: readonly Observation[], time: number): number {
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (list[mid]!.timestamp < time) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Observations of a metric in [start, end). */
  window(query: MetricQuery, start: number, end: number): Observation[] {
    const list = this.#byKey.get(this.#key(query)) ?? [];
    return list.slice(this.#lowerBound(list, start), this.#lowerBound(list, end));
  }

  /**
   * The query's statistic over [start, end). Sums, sample counts and percentile ranks come
   * from prefix sums, so a day-long window over a day of history costs two binary searches.
   */
  statistic(query: MetricQuery, start: number, end: number): Scalar {
    const key = this.#key(query);
    const list = this.#byKey.get(key) ?? [];
    const from = this.#lowerBound(list, start);
    const to = this.#lowerBound(list, end);
    if (to === from) return undefined;
    const prefix = this.#prefix(key, query.stat, list);
    if (!prefix) {
      // Percentiles are not additive: memoised per window, which the next evaluations ask for again.
      const memoKey = `${key}#${query.stat}#${from}#${to}`;
      if (!this.#memo.has(memoKey)) this.#memo.set(memoKey, statistic(query.stat, list.slice(from, to)));
      return this.#memo.get(memoKey);
    }
    const count = prefix.count[to]! - prefix.count[from]!;
    if (count <= 0) return undefined;
    const value = prefix.value[to]! - prefix.value[from]!;
    return query.stat.startsWith('PR(') ? (100 * value) / count : value;
  }

  #prefix(key: string, stat: string, list: readonly Observation[]): Prefix | undefined {
    const cacheKey = `${key}#${stat}`;
    const cached = this.#prefixes.get(cacheKey);
    if (cached) return cached;
    if (list.length === 0 || !additive(stat, list[0]!)) return undefined;
    const value = new Float64Array(list.length + 1);
    const count = new Float64Array(list.length + 1);
    list.forEach((o, i) => {
      const [v, c] = additive(stat, o)!;
      value[i + 1] = value[i]! + v;
      count[i + 1] = count[i]! + c;
    });
    const prefix = { value, count };
    this.#prefixes.set(cacheKey, prefix);
    return prefix;
  }

  bounds(): [number, number] | undefined {
    let min = Infinity;
    let max = -Infinity;
    for (const list of this.#byKey.values()) {
      if (list.length === 0) continue;
      min = Math.min(min, list[0]!.timestamp);
      max = Math.max(max, list.at(-1)!.timestamp);
    }
    return Number.isFinite(min) ? [min, max] : undefined;
  }
}

const singleQueries = new WeakMap<MetricQuery, readonly Query[]>();
function metricQueries(metric: MetricQuery): readonly Query[] {
  let queries = singleQueries.get(metric);
  if (!queries) singleQueries.set(metric, (queries = [metric]));
  return queries;
}

const queriesById = new WeakMap<readonly Query[], Map<string, Query>>();

/** The value of `returnId` for the period ending at `end`. */
function datapoint(
  queries: readonly Query[],
  returnId: string,
  period: number,
  end: number,
  index: SeriesIndex,
): Scalar {
  let byId = queriesById.get(queries);
  if (!byId) {
    byId = new Map(queries.map((q) => [q.id, q]));
    queriesById.set(queries, byId);
  }
  const cache = new Map<string, Scalar>();
  const resolve = (id: string, depth = 0): Scalar => {
    if (cache.has(id)) return cache.get(id);
    const query = byId.get(id);
    if (!query) throw new Error(`query ${id} is not defined`);
    if (depth > 20) throw new Error(`queries refer to each other in a cycle through ${id}`);
    let value: Scalar;
    if (query.kind === 'metric') {
      value = index.statistic(query, end - query.period * 1000, end);
    } else if (query.kind === 'expression') {
      value = evaluateExpression(query.expression, {
        value: (ref) => resolve(ref, depth + 1),
        period: (ref) => {
          const q = byId.get(ref);
          return q && q.kind !== 'expression' ? q.period : period;
        },
      });
    } else {
      throw new Error(`query ${id}: SEARCH is not evaluable in alarms`);
    }
    cache.set(id, value);
    return value;
  };
  return resolve(returnId);
}

function breaches(value: number, comparison: string, threshold: number): boolean {
  switch (comparison) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
  throw new Error(`comparison ${comparison}`);
}

type Evaluable = Extract<AlarmDefinition, { kind: 'metric' | 'math' }>;

/** Extra periods CloudWatch looks back over when some of the last N have no datapoint. */
export const EXTRA_EVALUATION_PERIODS = 2;

function nextState(
  alarm: Evaluable,
  current: AlarmState,
  end: number,
  index: SeriesIndex,
): { state: AlarmState; reason: string } {
  const queries: readonly Query[] = alarm.kind === 'metric' ? metricQueries(alarm.metric) : alarm.queries;
  const returnId = alarm.kind === 'metric' ? alarm.metric.id : alarm.returnId;
  const period = alarm.kind === 'metric' ? alarm.metric.period : alarm.period;
  const n = alarm.evaluationPeriods;
  // A datapoint is the same at every evaluation that looks at its period: computed once.
  let memo = index.datapoints.get(alarm);
  if (!memo) index.datapoints.set(alarm, (memo = new Map()));
  const point = (periodEnd: number): Scalar => {
    if (!memo.has(periodEnd)) memo.set(periodEnd, datapoint(queries, returnId, period, periodEnd, index));
    return memo.get(periodEnd);
  };
  // The evaluation range: the last N periods, and a little more only when some of them are missing.
  const range: Scalar[] = [];
  for (let k = 0; k < n; k++) range.push(point(end - k * period * 1000));
  if (range.some((p) => p === undefined))
    for (let k = n; k < n + EXTRA_EVALUATION_PERIODS; k++) range.push(point(end - k * period * 1000));
  const shown = range
    .slice(0, n)
    .map((p) => (p === undefined ? '-' : Number(p.toPrecision(4))))
    .join(', ');
  if (range.every((p) => p === undefined)) {
    switch (alarm.treatMissingData) {
      case 'missing':
        return { state: 'INSUFFICIENT_DATA', reason: `no datapoint in the last ${range.length} periods` };
      case 'ignore':
        return { state: current, reason: 'no datapoint; state kept (ignore)' };
      case 'breaching':
        return { state: 'ALARM', reason: `no datapoint in the last ${range.length} periods, treated as breaching` };
      case 'notBreaching':
        return { state: 'OK', reason: `no datapoint in the last ${range.length} periods, treated as not breaching` };
    }
  }
  let breaching: number;
  if (alarm.treatMissingData === 'breaching' || alarm.treatMissingData === 'notBreaching') {
    // Missing datapoints among the last N take the treatment's side.
    const recent = range.slice(0, n);
    breaching = recent.filter((v) =>
      v === undefined ? alarm.treatMissingData === 'breaching' : breaches(v, alarm.comparison, alarm.threshold),
    ).length;
  } else {
    // missing / ignore: the most recent N real datapoints of the evaluation range.
    const real = range.filter((v): v is number => v !== undefined).slice(0, n);
    breaching = real.filter((v) => breaches(v, alarm.comparison, alarm.threshold)).length;
  }
  const state: AlarmState = breaching >= alarm.datapointsToAlarm ? 'ALARM' : 'OK';
  return {
    state,
    reason: `${breaching} of ${n} datapoints ${alarm.comparison} ${alarm.threshold} (need ${alarm.datapointsToAlarm}) [${shown}]`,
  };
}

function ruleValue(rule: AlarmRule, states: ReadonlyMap<string, AlarmState>): boolean {
  switch (rule.op) {
    case 'state':
      return (states.get(rule.alarm) ?? 'INSUFFICIENT_DATA') === rule.state;
    case 'not':
      return !ruleValue(rule.rule, states);
    case 'and':
      return rule.rules.every((r) => ruleValue(r, states));
    case 'or':
      return rule.rules.some((r) => ruleValue(r, states));
  }
}

function compositeState(
  alarm: CompositeAlarmDefinition,
  states: ReadonlyMap<string, AlarmState>,
): { state: AlarmState; reason: string } {
  if (ruleValue(alarm.rule, states)) {
    const firing = ruleChildren(alarm.rule).filter((c) => states.get(c) === 'ALARM');
    return { state: 'ALARM', reason: `rule true (in ALARM: ${firing.join(', ')})` };
  }
  const children = ruleChildren(alarm.rule);
  if (children.every((c) => (states.get(c) ?? 'INSUFFICIENT_DATA') === 'INSUFFICIENT_DATA')) {
    return { state: 'INSUFFICIENT_DATA', reason: 'every child alarm has insufficient data' };
  }
  return { state: 'OK', reason: 'rule false' };
}

/**
 * Replays the alarms over the series and returns every alarm's state transitions.
 *
 * @param definitions `buildAlarmDefinitions(...)` or a list of alarm definitions.
 * @param series the metric data, e.g. `seriesFromEmf(lines)`; a metric is matched by
 *   namespace, name and exact dimension set, as in CloudWatch.
 * @example
 * const result = evaluateAlarms(buildAlarmDefinitions(), seriesFromEmf(emfLines), { stepMs: 60_000 });
 * result.filter((a) => a.transitions.some((t) => t.to === 'ALARM'));
 */
export function evaluateAlarms(
  definitions: AlarmDefinitions | readonly AlarmDefinition[],
  series: readonly MetricSeries[],
  options: EvaluateOptions = {},
): AlarmEvaluation[] {
  const alarms: readonly AlarmDefinition[] = 'alarms' in definitions ? definitions.alarms : definitions;
  const index = new SeriesIndex(series);
  const stepMs = options.stepMs ?? 60_000;
  const bounds = index.bounds();
  const from = options.from ?? (bounds ? Math.ceil(bounds[0] / stepMs) * stepMs : 0);
  const to = options.to ?? (bounds ? Math.ceil(bounds[1] / stepMs) * stepMs + stepMs : from);

  const states = new Map<string, AlarmState>(alarms.map((a) => [a.name, 'INSUFFICIENT_DATA']));
  const transitions = new Map<string, AlarmTransition[]>(alarms.map((a) => [a.name, []]));
  const evaluable = alarms.filter((a): a is Evaluable => a.kind === 'metric' || a.kind === 'math');
  const composites = alarms.filter((a): a is CompositeAlarmDefinition => a.kind === 'composite');
  // Composites may name composites: evaluate them children first.
  const compositeNames = new Set(composites.map((c) => c.name));
  const ordered: CompositeAlarmDefinition[] = [];
  const visit = (c: CompositeAlarmDefinition, seen: Set<string>): void => {
    if (ordered.includes(c)) return;
    if (seen.has(c.name)) throw new Error(`composite alarms form a cycle through ${c.name}`);
    seen.add(c.name);
    for (const child of ruleChildren(c.rule))
      if (compositeNames.has(child))
        visit(
          composites.find((x) => x.name === child)!,
          seen,
        );
    ordered.push(c);
  };
  composites.forEach((c) => visit(c, new Set()));

  const record = (name: string, timestamp: number, next: { state: AlarmState; reason: string }): void => {
    const current = states.get(name)!;
    if (next.state === current) return;
    transitions.get(name)!.push({ timestamp, from: current, to: next.state, reason: next.reason });
    states.set(name, next.state);
  };
  const times =
    options.times ??
    Array.from({ length: Math.max(0, Math.floor((to - from) / stepMs) + 1) }, (_, i) => from + i * stepMs);
  for (const t of times) {
    for (const alarm of evaluable) record(alarm.name, t, nextState(alarm, states.get(alarm.name)!, t, index));
    for (const composite of ordered) record(composite.name, t, compositeState(composite, states));
  }

  return alarms.map((alarm) => {
    const base = { name: alarm.name, kind: alarm.kind, ...(alarm.severity ? { severity: alarm.severity } : {}) };
    if (alarm.kind === 'anomaly') {
      return {
        ...base,
        evaluable: false,
        reason: 'not evaluable locally: anomaly detection needs the model CloudWatch trains on two weeks of data',
        transitions: [],
        state: 'INSUFFICIENT_DATA' as const,
      };
    }
    return { ...base, evaluable: true, transitions: transitions.get(alarm.name)!, state: states.get(alarm.name)! };
  });
}
