import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { requireOnPath } from '../service/testing/index.ts';
import { buildGrafanaDashboards } from './build.ts';
import { lintGrafanaDashboard } from './lint-grafana.ts';

const run = promisify(execFile);
const dashboards = buildGrafanaDashboards();
const targets = dashboards.flatMap((d) =>
  d.json.panels.flatMap((p) =>
    ((p.targets ?? []) as { expr: string }[]).map((t) => ({ dashboard: d.name, panel: p.title, expr: t.expr })),
  ),
);

/** Every `uid` anywhere in a JSON value. */
function uids(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => uids(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'uid') out.push(String(v));
      uids(v, out);
    }
  }
  return out;
}

describe('Grafana dashboards', () => {
  it('are importable: a Prometheus datasource input and no data source UID written in', () => {
    expect(dashboards.map((d) => d.name)).toEqual([
      'coffee-cloud-business',
      'coffee-cloud-technical-health',
      'coffee-cloud-cost',
      'coffee-cloud-slo',
    ]);
    for (const { name, json } of dashboards) {
      expect(json.__inputs).toEqual([
        expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
      ]);
      // The dashboard's own uid is its name; every other uid is the import input.
      for (const uid of uids(json.panels)) expect(uid).toBe('${DS_PROMETHEUS}');
      expect(json.uid).toBe(name);
      expect(lintGrafanaDashboard(name, json)).toEqual([]);
      expect(json.__requires.filter((r) => r.type === 'panel').map((r) => r.id)).toEqual(
        [...new Set(json.panels.map((p) => p.type).filter((t) => t !== 'row'))].sort(),
      );
    }
  });

  it('show the same signals as the CloudWatch dashboards where Prometheus has them', () => {
    expect(targets.length).toBeGreaterThan(60);
    const text = targets.map((t) => t.expr).join('\n');
    for (const series of [
      'coffee_orders_placed_total',
      'coffee_orders_value_sum',
      'coffee_http_server_duration_bucket',
      'coffee_dynamodb_retries_total',
      'coffee_cache_hits_total',
      'coffee_nodejs_event_loop_delay_p99',
      'coffee_errors_total',
    ]) {
      expect(text).toContain(series);
    }
    // The cost dashboard is AWS billing metrics only: Grafana keeps its header, no metric panel.
    expect(
      dashboards.find((d) => d.name.endsWith('cost'))!.json.panels.every((p) => p.type === 'text' || p.type === 'row'),
    ).toBe(true);
  });

  it('hold PromQL that promtool parses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coffee-grafana-'));
    try {
      // Grafana's interval variables are not PromQL: give them the values Grafana would.
      const rules = targets.map((t, i) => ({
        record: `coffee:grafana_check_${i}`,
        expr: t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1h'),
      }));
      const file = join(dir, 'panels.yml');
      await writeFile(file, stringify({ groups: [{ name: 'panels', rules }] }, { lineWidth: 0 }));
      const { stdout } = await run(requireOnPath('promtool'), ['check', 'rules', file]);
      expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lint catches a fixed data source UID and a series the service does not expose', () => {
    const json = structuredClone(dashboards[0]!.json);
    const panel = json.panels.find((p) => Array.isArray(p.targets))!;
    (panel.targets as { expr: string; datasource: { uid: string } }[])[0]!.datasource.uid = 'P1809F7CD0C75ACF3';
    (panel.targets as { expr: string }[])[0]!.expr = 'sum(rate(coffee_orders_cancelled_total[5m]))';
    expect(lintGrafanaDashboard('x', json).map((p) => p.message)).toEqual([
      'data source uid "P1809F7CD0C75ACF3" is not the import input ${DS_PROMETHEUS}',
      "series coffee_orders_cancelled_total is not in the service's Prometheus exposition",
    ]);
  });
});
