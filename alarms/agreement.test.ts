/**
 * The CloudWatch model and the Prometheus rules agree: the same synthetic series (a healthy
 * history, a blip, sustained burns around 6x and 14.4x) go to the local CloudWatch
 * evaluator and, as counters, to `promtool test rules` with the rendered rules; promtool is
 * told to expect exactly the page decisions the model made, so any disagreement fails it.
 *
 * The ticket tier is left out on purpose: CloudWatch evaluates its long window over one day
 * (the most an alarm can look back), Prometheus over the full three days.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SLOS } from '../service/catalog/index.ts';
import { requireOnPath } from '../service/testing/index.ts';
import { budgetOf, type MetricQuery } from '../dashboards/index.ts';
import { buildAlarmDefinitions } from './definitions.ts';
import { evaluateAlarms, type MetricSeries } from './evaluate.ts';
import { buildPrometheusRules, renderPrometheusRules, SLO_ALERT_NAMES } from './prometheus.ts';

const run = promisify(execFile);
const slo = SLOS.find((s) => s.kind === 'availability')!;
const REQUESTS_PER_MINUTE = 1000;
const MINUTE = 60_000;

interface Phase {
  burn: number;
  minutes: number;
}
interface Scenario {
  name: string;
  phases: Phase[];
  /** Minutes from the start at which both evaluate. */
  evalAt: number[];
}

const healthy = (minutes: number): Phase => ({ burn: 0.5, minutes });
const SCENARIOS: Scenario[] = [
  { name: 'a healthy history', phases: [healthy(420)], evalAt: [60, 420] },
  // One minute at 32% errors (320x): the 5-minute window crosses 14.4x, the hour does not.
  { name: 'a blip', phases: [healthy(360), { burn: 320, minutes: 1 }, healthy(10)], evalAt: [361, 363, 371] },
  { name: 'a sustained burn at 15x', phases: [healthy(360), { burn: 15, minutes: 70 }], evalAt: [365, 390, 420, 430] },
  { name: 'a sustained burn at 13x', phases: [healthy(360), { burn: 13, minutes: 70 }], evalAt: [420, 430] },
  { name: 'a sustained burn at 6.5x', phases: [healthy(60), { burn: 6.5, minutes: 380 }], evalAt: [240, 420, 440] },
  { name: 'a sustained burn at 5.5x', phases: [healthy(60), { burn: 5.5, minutes: 380 }], evalAt: [420, 440] },
];

const perMinute = (phases: Phase[], share: (burn: number) => number): number[] =>
  phases.flatMap((p) => Array.from({ length: p.minutes }, () => REQUESTS_PER_MINUTE * share(p.burn)));
const badShare = (burn: number) => burn * budgetOf(slo);

/** The model's series: minute i's requests as one observation in the middle of that minute. */
function cloudWatchSeries(phases: Phase[]): MetricSeries[] {
  const alarm = buildAlarmDefinitions().alarms.find((a) => a.name.includes(`slo-${slo.id}-burn-5m-fast`));
  if (alarm?.kind !== 'math') throw new Error('the 5m burn alarm of the availability SLO is missing');
  const query = (suffix: string) => alarm.queries.find((q) => q.id.endsWith(suffix)) as MetricQuery;
  const series = (q: MetricQuery, counts: number[]): MetricSeries => ({
    namespace: q.namespace,
    metricName: q.metricName,
    dimensions: q.dimensions,
    observations: counts.map((c, i) => ({ timestamp: i * MINUTE + MINUTE / 2, values: [0], counts: [c] })),
  });
  return [
    series(
      query('_total'),
      perMinute(phases, () => 1),
    ),
    series(query('_bad'), perMinute(phases, badShare)),
  ];
}

/** The page tiers the model fires at `minute`: both windows of a tier in ALARM. */
function modelDecisions(phases: Phase[], minute: number): { fast: boolean; slow: boolean } {
  const alarms = buildAlarmDefinitions().alarms.filter((a) => a.name.includes(`-slo-${slo.id}-`));
  const at = minute * MINUTE;
  const states = new Map(
    evaluateAlarms(alarms, cloudWatchSeries(phases), { times: [at] }).map((e) => [e.name, e.state]),
  );
  const inAlarm = (window: string) =>
    [...states].some(([name, state]) => name.endsWith(`-burn-${window}`) && state === 'ALARM');
  return { fast: inAlarm('1h-fast') && inAlarm('5m-fast'), slow: inAlarm('6h-slow') && inAlarm('30m-slow') };
}

/** A counter sample per minute in promtool's notation, from per-minute increments. */
function counterValues(increments: number[]): string {
  let total = 0;
  return ['0', ...increments.map((inc) => String((total += inc)))].join(' ');
}

let dir: string;
let rulesFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffee-agreement-'));
  rulesFile = join(dir, 'rules.yml');
  await writeFile(rulesFile, renderPrometheusRules(buildPrometheusRules({ slos: [slo] })));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function annotations(tier: 'fast' | 'slow'): Record<string, string> {
  const rule = buildPrometheusRules({ slos: [slo] })
    .groups.flatMap((g) => g.rules)
    .find((r) => 'alert' in r && r.alert === SLO_ALERT_NAMES[tier]);
  return (rule as { annotations: Record<string, string> }).annotations;
}

function promtoolTest(scenario: Scenario, decisions: { fast: boolean; slow: boolean }[]) {
  const group = `coffee_route_group="${slo.routeGroup}"`;
  const labels = (tier: 'fast' | 'slow') => ({
    severity: 'page',
    tier,
    slo: slo.id,
    route_group: slo.routeGroup,
    slo_kind: slo.kind,
  });
  return {
    name: scenario.name,
    interval: '1m',
    input_series: [
      {
        series: `coffee_http_server_duration_count{${group},coffee_status_class="5xx"}`,
        values: counterValues(perMinute(scenario.phases, badShare)),
      },
      {
        series: `coffee_http_server_duration_count{${group},coffee_status_class="2xx"}`,
        values: counterValues(perMinute(scenario.phases, (burn) => 1 - badShare(burn))),
      },
    ],
    alert_rule_test: scenario.evalAt.flatMap((minute, i) =>
      (['fast', 'slow'] as const).map((tier) => ({
        eval_time: `${minute}m`,
        alertname: SLO_ALERT_NAMES[tier],
        exp_alerts: decisions[i]![tier] ? [{ exp_labels: labels(tier), exp_annotations: annotations(tier) }] : [],
      })),
    ),
  };
}

async function promtool(name: string, tests: unknown[]): Promise<string> {
  const file = join(dir, `${name}.test.yml`);
  await writeFile(file, stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests }, { lineWidth: 0 }));
  try {
    return (await run(requireOnPath('promtool'), ['test', 'rules', file], { timeout: 60_000 })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool disagrees with the CloudWatch model:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

describe('the CloudWatch model and the Prometheus rules', () => {
  const decided = SCENARIOS.map((s) => ({ scenario: s, decisions: s.evalAt.map((m) => modelDecisions(s.phases, m)) }));

  it('make the page decisions one expects of each scenario', () => {
    const fired = Object.fromEntries(
      decided.map(({ scenario, decisions }) => [
        scenario.name,
        decisions.map((d) => (d.fast ? 'fast' : '') + (d.slow ? 'slow' : '') || '-'),
      ]),
    );
    expect(fired).toEqual({
      'a healthy history': ['-', '-'],
      'a blip': ['-', '-', '-'],
      // The hour reaches 15x once the burn has lasted most of it (14.4 / 15 of an hour).
      'a sustained burn at 15x': ['-', '-', 'fast', 'fast'],
      'a sustained burn at 13x': ['-', '-'],
      // 6.5x over six hours (and thirty minutes) pages through the slow tier once six hours are in.
      'a sustained burn at 6.5x': ['-', 'slow', 'slow'],
      'a sustained burn at 5.5x': ['-', '-'],
    });
  });

  it('agree: promtool finds exactly the alerts the model fired', async () => {
    const out = await promtool(
      'agree',
      decided.map(({ scenario, decisions }) => promtoolTest(scenario, decisions)),
    );
    expect(out).toContain('SUCCESS');
  });

  it('would be caught disagreeing (a flipped decision fails promtool)', async () => {
    const { scenario, decisions } = decided.find((d) => d.scenario.name === 'a sustained burn at 15x')!;
    const flipped = decisions.map((d) => ({ ...d, fast: !d.fast }));
    await expect(promtool('flipped', [promtoolTest(scenario, flipped)])).rejects.toThrow(/disagrees/);
  });
});
