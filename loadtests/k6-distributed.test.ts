/**
 * The k6 side of a distributed run, checked as data: the execution segments of `--instances`,
 * the k6-operator manifest against the TestRun CRD's schema, the VUs pre-allocated for the
 * journeys' length, and handleSummary's reading of both of k6's summary shapes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JOURNEYS } from './shared/journeys.ts';
import { PROFILE_NAMES, PROFILES, peakRate } from './shared/profiles.ts';
import { executionSegments, expectedJourneyS, k6Scenario, settingsFromEnv, vusFor } from './k6/options.ts';
import {
  isMachineReadableSummary,
  resultFromK6Summary,
  toLegacySummary,
  type K6MachineReadableSummary,
  type K6SummaryData,
} from './k6/summary.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./k6/fixtures/${name}`, import.meta.url), 'utf8'));

/** `a/b` or `0` or `1` as a number. */
function fraction(text: string): number {
  const [n, d = '1'] = text.split('/');
  return Number(n) / Number(d);
}

describe('execution segments for --instances', () => {
  it.each([1, 2, 3, 4, 7])('%i runners cover 0..1 exactly once, in order, with one shared sequence', (count) => {
    const segments = executionSegments(count);
    expect(segments).toHaveLength(count);
    let cursor = 0;
    for (const { segment, sequence } of segments) {
      const [from, to] = segment.split(':').map(fraction) as [number, number];
      expect(from).toBeCloseTo(cursor, 12);
      expect(to).toBeGreaterThan(from);
      cursor = to;
      expect(sequence).toBe(segments[0]!.sequence);
    }
    expect(cursor).toBe(1);
    const points = segments[0]!.sequence.split(',').map(fraction);
    expect(points[0]).toBe(0);
    expect(points.at(-1)).toBe(1);
    expect(points).toEqual([...points].sort((a, b) => a - b));
  });

  it('refuses a count that is not a whole number of at least one', () => {
    expect(() => executionSegments(0)).toThrow(/instances/);
    expect(() => executionSegments(1.5)).toThrow(/instances/);
  });
});

interface Schema {
  type?: string;
  required?: string[];
  enum?: unknown[];
  knownProperties?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
  'x-kubernetes-int-or-string'?: boolean;
}

/** The structural checks the API server applies to a custom resource (types, enums, required and unknown fields). */
function validate(value: unknown, schema: Schema, at: string, problems: string[]): void {
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && !Number.isInteger(value)) problems.push(`${at}: not an int or a string`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${at}: ${String(value)} not one of ${schema.enum}`);
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return void problems.push(`${at}: not an object`);
      const record = value as Record<string, unknown>;
      for (const key of schema.required ?? []) if (!(key in record)) problems.push(`${at}.${key}: required`);
      for (const [key, child] of Object.entries(record)) {
        if (schema.knownProperties) {
          if (!schema.knownProperties.includes(key)) problems.push(`${at}.${key}: not a field of the CRD`);
          else if (schema.properties?.[key]) validate(child, schema.properties[key], `${at}.${key}`, problems);
          else problems.push(`${at}.${key}: schema fixture pruned too far`);
        } else if (schema.additionalProperties) validate(child, schema.additionalProperties, `${at}.${key}`, problems);
      }
      return;
    }
    case 'array':
      if (!Array.isArray(value)) return void problems.push(`${at}: not an array`);
      value.forEach((item, i) => schema.items && validate(item, schema.items, `${at}[${i}]`, problems));
      return;
    case 'string':
      if (typeof value !== 'string') problems.push(`${at}: not a string`);
      return;
    case 'integer':
      if (!Number.isInteger(value)) problems.push(`${at}: not an integer`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${at}: not a boolean`);
  }
}

describe('the k6-operator TestRun (loadtests/k6/testrun.yaml)', () => {
  const manifest = parse(readFileSync(new URL('./k6/testrun.yaml', import.meta.url), 'utf8')) as {
    apiVersion: string;
    kind: string;
    spec: {
      parallelism: number;
      args: string[];
      script: { configMap: { name: string; file: string } };
      runner: { image: string; env: { name: string; value?: string }[] };
    };
  };
  const { schema } = fixture('testrun-crd-v1.6.0.schema.json') as { schema: Schema };

  it("parses as the TestRun CRD's schema (k6-operator 1.6)", () => {
    expect(manifest.apiVersion).toBe('k6.io/v1alpha1');
    expect(manifest.kind).toBe('TestRun');
    const problems: string[] = [];
    validate(manifest, schema, 'TestRun', problems);
    expect(problems).toEqual([]);
  });

  it('runs k6 v2 pinned by version on several runners, streaming to Prometheus with native histograms', () => {
    const { spec } = manifest;
    expect(spec.parallelism).toBeGreaterThan(1);
    expect(spec.runner.image).toMatch(/^grafana\/k6:2\.\d+\.\d+$/);
    expect(spec.script.configMap.name).toBeTruthy();
    const argv = spec.args.join(' ');
    expect(argv).toContain('-o experimental-prometheus-rw');
    const env = Object.fromEntries(spec.runner.env.map((e) => [e.name, e.value]));
    expect(env.K6_PROMETHEUS_RW_SERVER_URL).toMatch(/\/api\/v1\/write$/);
    expect(env.K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM).toBe('true');
    // Every runner its own series (Kubernetes expands $(POD_NAME) from the runner's env).
    expect(spec.args).toContain('instance=$(POD_NAME)');
    expect(spec.runner.env.some((e) => e.name === 'POD_NAME')).toBe(true);
    // The testid the verdict looks for is the script's run id.
    const testid = /testid=([\w.-]+)/.exec(argv)?.[1];
    const runId = /COFFEE_RUN_ID=([\w.-]+)/.exec(argv)?.[1];
    expect(testid).toBeDefined();
    expect(testid).toBe(runId);
  });
});

describe('pre-allocated VUs', () => {
  it.each(PROFILE_NAMES)('%s: above the peak rate times the mean journey length, within maxVUs', (name) => {
    const profile = PROFILES[name];
    const { preAllocatedVUs, maxVUs } = vusFor(profile);
    const weights = JOURNEYS.reduce((n, j) => n + j.weight, 0);
    const meanS = JOURNEYS.reduce((n, j) => n + j.weight * expectedJourneyS(j, profile.thinkTimeScale), 0) / weights;
    // Little's law: the journeys in flight at the peak, on average; the headroom covers the long ones.
    expect(preAllocatedVUs).toBeGreaterThan(peakRate(profile) * meanS);
    expect(maxVUs).toBeGreaterThanOrEqual(preAllocatedVUs);
    expect(k6Scenario(profile)).toMatchObject({ preAllocatedVUs, maxVUs });
  });

  it('sizes the average profile above the 20 that dropped iterations', () => {
    expect(vusFor(PROFILES.average).preAllocatedVUs).toBeGreaterThan(20);
  });
});

describe("handleSummary reads both of k6's summary shapes", () => {
  const settings = settingsFromEnv({ COFFEE_PROFILE: 'smoke', COFFEE_RUN_ID: 'fixture-run' });
  const legacyFixture = fixture('handle-summary-data-v1.3.0.json') as K6SummaryData;
  const machine = fixture('machine-readable-summary.json') as K6MachineReadableSummary;
  // The fixture run's script had no observation thresholds: add the sub-metrics ours make k6 keep.
  const legacy: K6SummaryData = {
    ...legacyFixture,
    metrics: {
      ...legacyFixture.metrics,
      'http_reqs{route_group:menu-read}': { type: 'counter', contains: 'default', values: { count: 16, rate: 5.3 } },
      'http_reqs{route_group:menu-read,status:200}': {
        type: 'counter',
        contains: 'default',
        values: { count: 16, rate: 5.3 },
      },
      'http_req_failed{route_group:menu-read}': {
        type: 'rate',
        contains: 'default',
        values: { rate: 0, passes: 0, fails: 16 },
      },
    },
  };

  it('tells the shapes apart', () => {
    expect(isMachineReadableSummary(machine)).toBe(true);
    expect(isMachineReadableSummary(legacy)).toBe(false);
    expect(toLegacySummary(legacy, [])).toBe(legacy);
  });

  it('makes the same result.json from the legacy data of k6 v1.3.0 and the machine-readable summary', () => {
    const ended = new Date('2026-11-20T10:00:03.002Z');
    const fromLegacy = resultFromK6Summary(legacy, settings, ended);
    const fromMachine = resultFromK6Summary(toLegacySummary(machine, ['avg', 'p(95)']), settings, ended);
    expect(fromLegacy.durationMs).toBeCloseTo(3002.686339, 3);
    expect(fromMachine.durationMs).toBeCloseTo(fromLegacy.durationMs, 3);
    const group = (r: typeof fromLegacy) => r.routeGroups['menu-read']!;
    expect(group(fromLegacy).requests).toBe(16);
    expect(group(fromMachine)).toMatchObject({
      requests: group(fromLegacy).requests,
      failures: group(fromLegacy).failures,
      statusCodes: group(fromLegacy).statusCodes,
    });
    expect(group(fromMachine).latencyMs?.p95).toBe(group(fromLegacy).latencyMs?.p95);
    expect(group(fromMachine).latencyMs?.max).toBe(group(fromLegacy).latencyMs?.max);
    expect(fromMachine.totals.checks).toMatchObject({ passes: 16, fails: 0, rate: 1 });
    expect(fromMachine.checks).toEqual([{ name: 'menu listed', passes: 16, fails: 0 }]);
  });

  it("reads rates as matches of a total: k6's http_req_failed matches are the failed requests", () => {
    const failing = structuredClone(machine);
    const rate = failing.results.metrics.find((m) => m.name === 'http_req_failed{route_group:menu-read}')!;
    rate.values = { matches: 4, rate: 0.25, total: 16 };
    const result = resultFromK6Summary(toLegacySummary(failing, []), settings, new Date());
    expect(result.routeGroups['menu-read']!.failures).toBe(4);
    expect(result.thresholds.find((t) => t.id === 'menu-read-availability')!.pass).toBe(false);
  });
});
