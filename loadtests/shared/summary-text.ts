/**
 * The end-of-run summary as plain text: one table of route groups, the thresholds with
 * their verdict, failed checks and the baseline comparison. Pure, so k6's `handleSummary`
 * prints the same table as the Node engine.
 */
import type { LoadResult, RequestStats } from './result.ts';

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function ms(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.001 ? 3 : 2)}%`;
}

function row(name: string, s: RequestStats): string[] {
  const l = s.latencyMs;
  return [
    name,
    String(s.requests),
    s.throughputRps.toFixed(1),
    percent(s.errorRate),
    ms(l?.p50),
    ms(l?.p95),
    ms(l?.p99),
    ms(l?.p999),
    ms(l?.max),
  ];
}

function table(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => pad(c, widths[i] ?? 0, i > 0)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export function formatSummary(result: LoadResult): string {
  const lines: string[] = [];
  const t = result.totals;
  lines.push(
    `coffee load ${result.profile} on ${result.engine}: run ${result.runId}, seed ${result.seed}, target ${result.target}`,
  );
  lines.push(
    `${(result.durationMs / 1000).toFixed(1)} s, ${t.requests} requests (${t.throughputRps.toFixed(1)}/s), ${t.iterations.started} journeys started, ` +
      `${t.iterations.completed} completed, ${t.iterations.failed} failed, ${t.iterations.dropped} dropped, ${t.iterations.interrupted} interrupted, ${t.retries} retries`,
  );
  if (result.aborted) lines.push(`stopped early: ${result.aborted}`);
  lines.push('');
  const groups = Object.entries(result.routeGroups).filter(([, s]) => s.requests > 0);
  lines.push(
    ...table(
      ['route group', 'requests', 'req/s', 'errors', 'p50 ms', 'p95 ms', 'p99 ms', 'p99.9 ms', 'max ms'],
      [...groups.map(([g, s]) => row(g, s)), row('all', t)],
    ),
  );
  const statuses = Object.entries(t.statusCodes).sort(([a], [b]) => Number(a) - Number(b));
  lines.push(
    '',
    `status codes: ${statuses.map(([code, n]) => `${code === '0' ? 'network error' : code} x${n}`).join(', ') || 'none'}`,
  );
  lines.push(`checks: ${t.checks.passes} passed, ${t.checks.fails} failed (${percent(t.checks.rate)})`);
  const failedChecks = result.checks.filter((c) => c.fails > 0);
  for (const c of failedChecks) lines.push(`  x ${c.name}: ${c.fails} of ${c.passes + c.fails} failed`);
  lines.push('', 'thresholds:');
  for (const th of result.thresholds) {
    const observed = th.observed === null ? 'nothing measured' : `observed ${Math.round(th.observed * 1000) / 1000}`;
    lines.push(
      `  ${th.pass ? 'ok  ' : 'FAIL'} ${th.id}${th.routeGroup ? ` (${th.routeGroup})` : ''}: ${th.expression}, ${observed}`,
    );
  }
  if (result.baseline) {
    const b = result.baseline;
    lines.push(
      '',
      `baseline ${b.baselineRunId} (tolerance p95 +${percent(b.tolerance.p95)}, throughput -${percent(b.tolerance.throughput)}):`,
    );
    for (const note of b.notes) lines.push(`  note: ${note}`);
    for (const f of b.findings) {
      const unit = f.metric === 'p95' ? ' ms' : '/s';
      lines.push(
        `  ${f.regression ? 'REGRESSION' : 'ok        '} ${f.scope} ${f.metric}: ${f.baseline.toFixed(2)}${unit} -> ${f.current.toFixed(2)}${unit} (${f.change >= 0 ? '+' : ''}${(f.change * 100).toFixed(1)}%)`,
      );
    }
  }
  for (const note of result.notes) lines.push(`note: ${note}`);
  lines.push('', `verdict: ${result.verdict.toUpperCase()}`);
  return `${lines.join('\n')}\n`;
}
