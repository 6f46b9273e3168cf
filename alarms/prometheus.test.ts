import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SLOS, type SloDefinition } from '../service/catalog/index.ts';
import { requireOnPath } from '../service/testing/index.ts';
import { budgetOf } from '../dashboards/index.ts';
import { buildPrometheusRules, renderPrometheusRules, SLO_ALERT_NAMES } from './prometheus.ts';

const run = promisify(execFile);

const availability = SLOS.find((s) => s.kind === 'availability')!;
const latency = SLOS.find((s) => s.kind === 'latency')!;

let dir: string;
let rulesFile: string;
/** The same rules for the two SLOs under test only: promtool evaluates every rule at every step. */
let testedRulesFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffee-rules-'));
  rulesFile = join(dir, 'coffee-slo.rules.yml');
  testedRulesFile = join(dir, 'tested-slo.rules.yml');
  await writeFile(rulesFile, renderPrometheusRules(buildPrometheusRules()));
  await writeFile(testedRulesFile, renderPrometheusRules(buildPrometheusRules({ slos: [availability, latency] })));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A counter in promtool's expanding notation from per-minute increments:
 * `[{ perMinute: 10, minutes: 60 }, ...]` → `0+10x59 610+20x59 ...` (one sample a minute,
 * or one per `stepMinutes`).
 */
function counter(segments: readonly { perMinute: number; minutes: number }[], stepMinutes = 1): string {
  const parts: string[] = [];
  let last: number | undefined;
  for (const { perMinute, minutes } of segments) {
    const inc = perMinute * stepMinutes;
    const samples = minutes / stepMinutes;
    if (last === undefined) {
      parts.push(`0+${inc}x${samples}`);
      last = inc * samples;
    } else {
      const start = last + inc;
      parts.push(`${start}+${inc}x${samples - 1}`);
      last = start + inc * (samples - 1);
    }
  }
  return parts.join(' ');
}

const REQUESTS_PER_MINUTE = 1000;

/** Input series for one SLO where the share of bad requests follows `phases` (ratio per minute). */
function seriesFor(slo: SloDefinition, phases: readonly { badRatio: number; minutes: number }[], stepMinutes: number) {
  const group = `coffee_route_group="${slo.routeGroup}"`;
  const total = counter(
    phases.map((p) => ({ perMinute: REQUESTS_PER_MINUTE, minutes: p.minutes })),
    stepMinutes,
  );
  if (slo.kind === 'availability') {
    // 5xx requests and the rest, as separate series like the exporter writes them.
    return [
      {
        series: `coffee_http_server_duration_count{${group},coffee_status_class="5xx"}`,
        values: counter(
          phases.map((p) => ({ perMinute: REQUESTS_PER_MINUTE * p.badRatio, minutes: p.minutes })),
          stepMinutes,
        ),
      },
      {
        series: `coffee_http_server_duration_count{${group},coffee_status_class="2xx"}`,
        values: counter(
          phases.map((p) => ({ perMinute: REQUESTS_PER_MINUTE * (1 - p.badRatio), minutes: p.minutes })),
          stepMinutes,
        ),
      },
    ];
  }
  return [
    { series: `coffee_http_server_duration_count{${group},coffee_status_class="2xx"}`, values: total },
    {
      series: `coffee_http_server_duration_bucket{${group},coffee_status_class="2xx",le="${slo.thresholdMs}"}`,
      values: counter(
        phases.map((p) => ({ perMinute: REQUESTS_PER_MINUTE * (1 - p.badRatio), minutes: p.minutes })),
        stepMinutes,
      ),
    },
  ];
}

function alert(slo: SloDefinition, tier: 'fast' | 'slow' | 'ticket') {
  return {
    exp_labels: {
      severity: tier === 'ticket' ? 'ticket' : 'page',
      tier,
      slo: slo.id,
      route_group: slo.routeGroup,
      slo_kind: slo.kind,
    },
  };
}

/** A burn rate as a bad-request ratio for an SLO. */
const burn = (slo: SloDefinition, rate: number) => rate * budgetOf(slo);

function pageTests(slo: SloDefinition) {
  const healthy = { badRatio: burn(slo, 0.5), minutes: 300 };
  const scenario = (
    name: string,
    phases: { badRatio: number; minutes: number }[],
    expect: Partial<Record<'fast' | 'slow', boolean>>,
  ) => {
    const minutes = phases.reduce((n, p) => n + p.minutes, 0);
    return {
      name: `${slo.id}: ${name}`,
      interval: '1m',
      input_series: seriesFor(slo, phases, 1),
      alert_rule_test: (['fast', 'slow'] as const).map((tier) => ({
        eval_time: `${minutes}m`,
        alertname: SLO_ALERT_NAMES[tier],
        exp_alerts: expect[tier] ? [{ ...alert(slo, tier), exp_annotations: annotations(slo, tier) }] : [],
      })),
    };
  };
  return [
    scenario('healthy at 0.5x: no page', [{ ...healthy, minutes: 420 }], {}),
    // 20x for an hour: the fast tier (14.4x over 1h and 5m) pages; over 6h it is 3.75x, under 6x.
    scenario('20x for an hour pages through the fast tier', [healthy, { badRatio: burn(slo, 20), minutes: 60 }], {
      fast: true,
    }),
    // 13x for an hour stays under 14.4x.
    scenario('13x for an hour stays under the fast threshold', [healthy, { badRatio: burn(slo, 13), minutes: 60 }], {}),
    // 10x for 6 hours: slow tier (6x over 6h and 30m) pages; under the fast tier's 14.4x.
    scenario(
      '10x for six hours pages through the slow tier',
      [
        { badRatio: burn(slo, 0.5), minutes: 60 },
        { badRatio: burn(slo, 10), minutes: 360 },
      ],
      { slow: true },
    ),
    // The burn stopped 10 minutes ago: the 1h window is still over 14.4x, the 5m window is not.
    scenario(
      'the short window silences the page once the burn stops',
      [healthy, { badRatio: burn(slo, 20), minutes: 60 }, { badRatio: 0, minutes: 10 }],
      {},
    ),
  ];
}

function ticketTests(slo: SloDefinition) {
  const days3 = 3 * 24 * 60;
  const scenario = (name: string, phases: { badRatio: number; minutes: number }[], fires: boolean) => {
    const minutes = phases.reduce((n, p) => n + p.minutes, 0);
    return {
      name: `${slo.id}: ${name}`,
      interval: '15m',
      input_series: seriesFor(slo, phases, 15),
      alert_rule_test: [
        {
          eval_time: `${minutes}m`,
          alertname: SLO_ALERT_NAMES.ticket,
          exp_alerts: fires ? [{ ...alert(slo, 'ticket'), exp_annotations: annotations(slo, 'ticket') }] : [],
        },
        // A 2x burn never pages.
        { eval_time: `${minutes}m`, alertname: SLO_ALERT_NAMES.slow, exp_alerts: [] },
      ],
    };
  };
  return [
    scenario('2x for three days files a ticket', [{ badRatio: burn(slo, 2), minutes: days3 + 360 }], true),
    scenario('0.5x for three days files nothing', [{ badRatio: burn(slo, 0.5), minutes: days3 + 360 }], false),
    // 3x for the last 6 hours only: the 6h window is over 1x, the 3-day one is not (0.7x).
    scenario(
      'a 6-hour burst does not move the 3-day window enough',
      [
        { badRatio: burn(slo, 0.5), minutes: days3 - 360 },
        { badRatio: burn(slo, 3), minutes: 720 },
      ],
      false,
    ),
  ];
}

function annotations(slo: SloDefinition, tier: 'fast' | 'slow' | 'ticket'): Record<string, string> {
  const rule = buildPrometheusRules()
    .groups.flatMap((g) => g.rules)
    .find((r) => 'alert' in r && r.alert === SLO_ALERT_NAMES[tier] && r.labels?.slo === slo.id);
  return (rule as { annotations: Record<string, string> }).annotations;
}

async function promtoolTest(name: string, evaluationInterval: string, tests: unknown[]): Promise<string> {
  const file = join(dir, `${name}.test.yml`);
  await writeFile(
    file,
    stringify({ rule_files: [testedRulesFile], evaluation_interval: evaluationInterval, tests }, { lineWidth: 0 }),
  );
  try {
    const { stdout } = await run(requireOnPath('promtool'), ['test', 'rules', file], { timeout: 60_000 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool test rules failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

describe('Prometheus SLO rules', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run(requireOnPath('promtool'), ['check', 'rules', rulesFile]);
    const rules = buildPrometheusRules().groups.flatMap((g) => g.rules);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    // 5 windows × (ratio + burn rate) recording rules and 3 alerts per SLO.
    expect(rules).toHaveLength(SLOS.length * (10 + 3));
  });

  it('page when the 1h/5m or 6h/30m burn rates cross 14.4x or 6x, and stay quiet otherwise', async () => {
    const out = await promtoolTest('page', '5m', [...pageTests(availability), ...pageTests(latency)]);
    expect(out).toContain('SUCCESS');
  });

  it('file a ticket when the 3d and 6h burn rates cross 1x, and stay quiet otherwise', async () => {
    const out = await promtoolTest('ticket', '30m', [...ticketTests(availability), ...ticketTests(latency)]);
    expect(out).toContain('SUCCESS');
  });

  it('catch a wrong expectation (the harness can fail)', async () => {
    const [healthy] = pageTests(availability);
    const wrong = {
      ...healthy!,
      alert_rule_test: [{ ...healthy!.alert_rule_test[0]!, exp_alerts: [alert(availability, 'fast')] }],
    };
    await expect(promtoolTest('wrong', '5m', [wrong])).rejects.toThrow(/promtool test rules failed/);
  });
});
