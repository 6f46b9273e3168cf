/**
 * The part of the CloudWatch Logs Insights query language the dashboards' log widgets use,
 * run over captured JSON log lines: `fields`, `filter` (=, !=, <, >, <=, >=, `like` with a
 * string or /regex/, `ispresent()`, `not`, `and`, `or`), `stats` (count(*), count, sum,
 * avg, min, max, pct by fields and `bin()`), `sort` and `limit`. Anything else is refused
 * with `UnsupportedQueryError`, and the widget says it runs in CloudWatch only.
 */

export class UnsupportedQueryError extends Error {
  override readonly name = 'UnsupportedQueryError';
}

export type LogRecord = Readonly<Record<string, unknown>>;

export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** A log line as Logs Insights sees it: its JSON fields, `@timestamp` (epoch ms) and `@message`. */
export function logRecord(line: string): LogRecord | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const fields = JSON.parse(text) as Record<string, unknown>;
    const time = typeof fields.time === 'string' ? Date.parse(fields.time) : Number(fields.time);
    return { ...fields, '@message': text, ...(Number.isFinite(time) ? { '@timestamp': time } : {}) };
  } catch {
    return undefined;
  }
}

/** Splits on `|` outside quotes and regexes. */
function commands(query: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  let escaped = false;
  for (const c of query) {
    if (quote) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '/') quote = c;
    else if (c === '|') {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  out.push(current.trim());
  return out.filter((c) => c !== '');
}

/** Splits on commas outside parentheses. */
function list(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function field(record: LogRecord, name: string): unknown {
  if (name in record) return record[name];
  let value: unknown = record;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

// --- filter ----------------------------------------------------------------------------

type Predicate = (record: LogRecord) => boolean;

function literal(text: string): unknown {
  const t = text.trim();
  if (/^'.*'$|^".*"$/s.test(t)) return t.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  throw new UnsupportedQueryError(`filter value ${t} is not a string or a number`);
}

function compare(op: string, left: unknown, right: unknown): boolean {
  if (left === undefined || left === null) return op === '!=';
  const [a, b] = typeof right === 'number' ? [Number(left), right] : [String(left), String(right)];
  switch (op) {
    case '=':
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
  }
  throw new UnsupportedQueryError(`filter operator ${op}`);
}

function condition(text: string): Predicate {
  const t = text.trim();
  if (/^\(.*\)$/s.test(t)) return disjunction(t.slice(1, -1));
  const not = /^not\s+(.*)$/is.exec(t);
  if (not) {
    const inner = condition(not[1]!);
    return (r) => !inner(r);
  }
  const present = /^ispresent\(\s*([\w.@]+)\s*\)$/i.exec(t);
  if (present) return (r) => field(r, present[1]!) !== undefined && field(r, present[1]!) !== null;
  const like = /^([\w.@]+)\s+(not\s+)?like\s+(\/.*\/|'.*'|".*")$/is.exec(t);
  if (like) {
    const pattern = like[3]!;
    const re = pattern.startsWith('/')
      ? new RegExp(pattern.slice(1, -1))
      : new RegExp(pattern.slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const negate = Boolean(like[2]);
    return (r) => {
      const v = field(r, like[1]!);
      return (v !== undefined && re.test(String(v))) !== negate;
    };
  }
  const cmp = /^([\w.@]+)\s*(==|!=|<=|>=|=|<|>)\s*(.+)$/s.exec(t);
  if (cmp) {
    const value = literal(cmp[3]!);
    return (r) => compare(cmp[2]!, field(r, cmp[1]!), value);
  }
  throw new UnsupportedQueryError(`filter condition "${t}"`);
}

/** Splits on a keyword outside quotes and parentheses. */
function splitOn(text: string, keyword: 'and' | 'or'): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '/') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && new RegExp(`^\\s${keyword}\\s`, 'i').test(text.slice(i, i + keyword.length + 2))) {
      parts.push(text.slice(start, i));
      start = i + keyword.length + 2;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function disjunction(text: string): Predicate {
  const anyOf = splitOn(text, 'or').map((part) => {
    const allOf = splitOn(part, 'and').map(condition);
    return (r: LogRecord) => allOf.every((p) => p(r));
  });
  return (r) => anyOf.some((p) => p(r));
}

// --- stats -----------------------------------------------------------------------------

interface Aggregate {
  name: string;
  fn: string;
  field?: string;
  percentile?: number;
}

function aggregate(text: string): Aggregate {
  const m = /^(\w+)\(\s*([^,)]*?)\s*(?:,\s*([\d.]+)\s*)?\)(?:\s+as\s+(\w+))?$/i.exec(text.trim());
  if (!m) throw new UnsupportedQueryError(`stats expression "${text}"`);
  const fn = m[1]!.toLowerCase();
  if (!['count', 'sum', 'avg', 'min', 'max', 'pct'].includes(fn))
    throw new UnsupportedQueryError(`stats function ${fn}`);
  if (fn === 'pct' && m[3] === undefined) throw new UnsupportedQueryError(`pct needs a percentile: "${text}"`);
  return {
    name: m[4] ?? text.trim(),
    fn,
    ...(m[2] && m[2] !== '*' ? { field: m[2] } : {}),
    ...(m[3] !== undefined ? { percentile: Number(m[3]) } : {}),
  };
}

const BIN_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

function groupKey(text: string): { name: string; of: (r: LogRecord) => unknown } {
  const t = text.trim();
  const bin = /^bin\(\s*(\d+)\s*(ms|s|m|min|h|d)\s*\)(?:\s+as\s+(\w+))?$/i.exec(t);
  if (bin) {
    const width = Number(bin[1]) * BIN_UNITS_MS[bin[2]!.toLowerCase()]!;
    return {
      name: bin[3] ?? t,
      of: (r) => {
        const time = Number(r['@timestamp']);
        return Number.isFinite(time) ? Math.floor(time / width) * width : undefined;
      },
    };
  }
  if (!/^[\w.@]+$/.test(t)) throw new UnsupportedQueryError(`stats group "${t}"`);
  return { name: t, of: (r) => field(r, t) };
}

function compute(agg: Aggregate, records: readonly LogRecord[]): number | undefined {
  if (agg.fn === 'count')
    return agg.field ? records.filter((r) => field(r, agg.field!) !== undefined).length : records.length;
  const values = records
    .map((r) => Number(field(r, agg.field ?? '')))
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  switch (agg.fn) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'min':
      return values[0];
    case 'max':
      return values.at(-1);
  }
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil((agg.percentile! / 100) * values.length) - 1))];
}

function stats(text: string, records: readonly LogRecord[]): { columns: string[]; records: LogRecord[] } {
  const [what, by] = text.split(/\s+by\s+/i);
  const aggregates = list(what!).map(aggregate);
  const keys = by ? list(by).map(groupKey) : [];
  const groups = new Map<string, { key: unknown[]; records: LogRecord[] }>();
  for (const record of records) {
    const key = keys.map((k) => k.of(record));
    const id = JSON.stringify(key);
    const group = groups.get(id) ?? { key, records: [] };
    group.records.push(record);
    groups.set(id, group);
  }
  const columns = [...keys.map((k) => k.name), ...aggregates.map((a) => a.name)];
  const out = [...groups.values()].map((g) =>
    Object.fromEntries(
      columns.map((c, i) => [c, i < keys.length ? g.key[i] : compute(aggregates[i - keys.length]!, g.records)]),
    ),
  );
  return { columns, records: out };
}

// --- the pipeline ----------------------------------------------------------------------

function sortBy(text: string, records: LogRecord[]): LogRecord[] {
  const m = /^([\w.@]+)(?:\s+(asc|desc))?$/i.exec(text.trim());
  if (!m) throw new UnsupportedQueryError(`sort "${text}"`);
  const sign = (m[2] ?? 'asc').toLowerCase() === 'desc' ? -1 : 1;
  const value = (r: LogRecord) => field(r, m[1]!);
  return [...records].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    const byNumber = typeof x === 'number' && typeof y === 'number';
    return sign * (byNumber ? x - y : String(x).localeCompare(String(y)));
  });
}

/**
 * Runs a query over records (a leading `SOURCE ...` is skipped: the records are the source).
 * Without `fields` or `stats`, the columns are `@timestamp` and `@message`, as in the console.
 *
 * @example runLogsQuery("filter status >= 500 | stats count(*) as n by route", records)
 */
export function runLogsQuery(query: string, input: readonly LogRecord[]): QueryResult {
  let records: LogRecord[] = [...input];
  let columns: string[] | undefined;
  for (const command of commands(query)) {
    const [, verb = '', rest = ''] = /^(\w+)\s*(.*)$/s.exec(command) ?? [];
    switch (verb.toLowerCase()) {
      case 'source':
        break;
      case 'fields':
        columns = list(rest).map((f) => {
          if (!/^[\w.@]+$/.test(f)) throw new UnsupportedQueryError(`fields expression "${f}"`);
          return f;
        });
        break;
      case 'filter': {
        const predicate = disjunction(rest);
        records = records.filter(predicate);
        break;
      }
      case 'stats': {
        const result = stats(rest, records);
        records = result.records;
        columns = result.columns;
        break;
      }
      case 'sort':
        records = sortBy(rest, records);
        break;
      case 'limit': {
        const n = Number(rest.trim());
        if (!Number.isInteger(n) || n < 0) throw new UnsupportedQueryError(`limit "${rest}"`);
        records = records.slice(0, n);
        break;
      }
      default:
        throw new UnsupportedQueryError(`the command "${verb}"`);
    }
  }
  const shown = columns ?? ['@timestamp', '@message'];
  return { columns: shown, rows: records.map((r) => shown.map((c) => field(r, c))) };
}
