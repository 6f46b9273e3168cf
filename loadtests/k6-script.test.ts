/**
 * The k6 script cannot run here (no k6 binary), so this proves what can be proved without
 * it: it imports only k6 modules and relative files, it type-checks against k6's types
 * alone with type-strippable syntax, the shared definitions become the right k6 options,
 * and its summary function turns k6's end-of-test data into the result.json schema.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SLOS } from '../service/catalog/index.ts';
import { buildK6Options, k6Scenario, KNOWN_STATUSES, settingsFromEnv, vusFor, type K6Settings } from './k6/options.ts';
import { resultFromK6Summary, type K6SummaryData, type K6SummaryMetric } from './k6/summary.ts';
import { PROFILES, scaleProfile } from './shared/profiles.ts';
import { k6Threshold, thresholdsFromSlos } from './shared/thresholds.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(HERE, 'k6', 'script.ts');

/** Every module the script reaches, following relative imports. */
function importGraph(entry: string): { files: string[]; bare: string[] } {
  const files: string[] = [];
  const bare = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (files.includes(file)) continue;
    files.push(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('./') || fileName.startsWith('../'))
        queue.push(path.resolve(path.dirname(file), fileName));
      else bare.add(fileName);
    }
  }
  return { files, bare: [...bare] };
}

describe('the k6 script', () => {
  it('imports only k6 modules and relative .ts files, none of which uses a Node API', () => {
    const { files, bare } = importGraph(SCRIPT);
    expect(bare.length).toBeGreaterThan(0);
    for (const specifier of bare) expect(specifier).toMatch(/^k6(\/[\w/-]+)?$/);
    for (const file of files) {
      expect(file.endsWith('.ts'), file).toBe(true);
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\bprocess\.|\bBuffer\b|\brequire\(|from 'node:/);
    }
    const relative = files.map((f) => path.relative(HERE, f));
    expect(relative).toEqual(
      expect.arrayContaining([
        'k6/script.ts',
        'shared/journeys.ts',
        'shared/profiles.ts',
        'shared/thresholds.ts',
        path.join('..', 'service', 'catalog', 'slos.ts'),
      ]),
    );
  });

  it('type-checks with k6 types only and type-strippable syntax (loadtests/k6/tsconfig.json)', () => {
    const configFile = path.join(HERE, 'k6', 'tsconfig.json');
    const parsed = ts.getParsedCommandLineOfConfigFile(configFile, undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => expect.fail(String(d.messageText)),
    })!;
    expect(parsed.options.types).toEqual(['k6']);
    expect(parsed.options.erasableSyntaxOnly).toBe(true);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });
});

const settings = (over: Partial<K6Settings> = {}): K6Settings => ({
  target: 'http://127.0.0.1:3000',
  profile: 'smoke',
  runId: 'k6-run',
  seed: 5,
  overrides: {},
  ...over,
});

describe('k6 options from the shared definitions', () => {
  it('reads the COFFEE_* environment with defaults and refuses bad values', () => {
    expect(settingsFromEnv({})).toEqual({
      target: 'http://127.0.0.1:3000',
      profile: 'smoke',
      runId: 'k6-smoke',
      seed: 1,
      overrides: {},
    });
    expect(
      settingsFromEnv({
        COFFEE_TARGET: 'http://h:1/',
        COFFEE_PROFILE: 'spike',
        COFFEE_RATE: '12',
        COFFEE_DURATION_S: '60',
        COFFEE_THRESHOLDS: '{"checks":0.5}',
        COFFEE_OUT: '/tmp/x/',
        COFFEE_TOKENS_FILE: '/tmp/tokens.json',
      }),
    ).toMatchObject({
      target: 'http://h:1',
      profile: 'spike',
      rate: 12,
      durationS: 60,
      overrides: { checks: 0.5 },
      out: '/tmp/x',
      tokensFile: '/tmp/tokens.json',
    });
    expect(() => settingsFromEnv({ COFFEE_PROFILE: 'brunch' })).toThrow(/COFFEE_PROFILE/);
    expect(() => settingsFromEnv({ COFFEE_RATE: 'lots' })).toThrow(/COFFEE_RATE/);
  });

  it('turns a flat profile into constant-arrival-rate and a shaped one into ramping-arrival-rate', () => {
    expect(buildK6Options(settings()).scenarios).toEqual({
      smoke: {
        executor: 'constant-arrival-rate',
        rate: 2,
        timeUnit: '1s',
        duration: '30000ms',
        preAllocatedVUs: 5,
        maxVUs: 50,
        gracefulStop: '5000ms',
        tags: { profile: 'smoke' },
      },
    });
    const average = buildK6Options(settings({ profile: 'average' })).scenarios.average as Record<string, unknown>;
    expect(average).toMatchObject({
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      // Sized from the arrival rate and the journeys' length (vusFor), not the profile's floor.
      ...vusFor(PROFILES.average),
      stages: PROFILES.average.stages.map((s) => ({ duration: `${s.durationS * 1000}ms`, target: s.target })),
    });
    // k6 takes whole iterations per time unit: fractional rates go per minute.
    const scaled = k6Scenario(scaleProfile(PROFILES.average, { rate: 2.5, durationS: 60 }));
    expect(scaled).toMatchObject({ timeUnit: '1m', startRate: 0 });
    expect((scaled.stages as { target: number }[]).map((s) => s.target)).toEqual([150, 150, 0]);
  });

  it('makes a k6 threshold of every SLO, aborting on failure for the breakpoint profile', () => {
    const options = buildK6Options(settings({ overrides: { 'menu-read-latency': 42 } }));
    for (const definition of thresholdsFromSlos({ overrides: { 'menu-read-latency': 42 } })) {
      const { metric, expression } = k6Threshold(definition);
      expect(options.thresholds[metric], metric).toContain(expression);
    }
    expect(options.thresholds['http_req_duration{route_group:menu-read}']).toContain('p(99)<=42');
    expect(options.thresholds['checks']).toContain('rate>=0.99');
    expect(
      Object.keys(options.thresholds).filter(
        (k) =>
          /^http_req_(duration|failed)\{route_group:/.test(k) &&
          options.thresholds[k]!.some((e) => typeof e === 'string' && /^(p\(|rate<)/.test(e)),
      ),
    ).toHaveLength(SLOS.length);
    const breakpoint = buildK6Options(settings({ profile: 'breakpoint' }));
    expect(breakpoint.thresholds['http_req_duration{route_group:order-write}']).toContainEqual({
      threshold: 'p(99)<=300',
      abortOnFail: true,
      delayAbortEval: '10s',
    });
    expect(options.summaryTrendStats).toEqual(
      expect.arrayContaining(['p(50)', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)', 'max', 'min', 'avg', 'count']),
    );
    expect(options.tags).toMatchObject({ run_id: 'k6-run' });
  });
});

// ---- a k6 end-of-test summary, shaped as k6 v1 passes it to handleSummary ----

function trend(values: Record<string, number>, thresholds?: Record<string, { ok: boolean }>): K6SummaryMetric {
  return { type: 'trend', contains: 'time', values, ...(thresholds ? { thresholds } : {}) };
}
function counter(count: number, durationS: number): K6SummaryMetric {
  return {
    type: 'counter',
    contains: 'default',
    values: { count, rate: count / durationS },
    thresholds: { 'count>=0': { ok: true } },
  };
}
function rate(
  trues: number,
  total: number,
  thresholds: Record<string, { ok: boolean }> = { 'rate>=0': { ok: true } },
): K6SummaryMetric {
  return {
    type: 'rate',
    contains: 'default',
    values: { rate: total ? trues / total : 0, passes: trues, fails: total - trues },
    thresholds,
  };
}
const latency = (p99: number) => ({
  avg: p99 / 3,
  min: 1.2,
  med: p99 / 4,
  max: p99 * 1.5,
  count: 0,
  'p(50)': p99 / 4,
  'p(90)': p99 / 2,
  'p(95)': p99 * 0.7,
  'p(99)': p99,
  'p(99.9)': p99 * 1.2,
});

function summaryData(menuP99Ok: boolean): K6SummaryData {
  const s = 30;
  return {
    root_group: {
      name: '',
      path: '',
      id: 'd41d8cd98f00b204e9800998ecf8427e',
      groups: [],
      checks: [
        { name: 'menu listed', path: '::menu listed', id: 'a', passes: 120, fails: 0 },
        { name: 'order placed', path: '::order placed', id: 'b', passes: 40, fails: 1 },
      ],
    },
    options: {
      summaryTrendStats: ['avg', 'min', 'med', 'max', 'count', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)'],
      summaryTimeUnit: '',
      noColor: false,
    },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: s * 1000 },
    metrics: {
      http_reqs: { type: 'counter', contains: 'default', values: { count: 162, rate: 162 / s } },
      'http_reqs{scenario:smoke}': counter(161, s),
      'http_req_duration{scenario:smoke}': trend({ ...latency(40), count: 161 }, { 'max>=0': { ok: true } }),
      'http_req_failed{scenario:smoke}': rate(1, 161),
      'http_reqs{route_group:menu-read}': counter(120, s),
      'http_reqs{route_group:menu-read,status:200}': counter(120, s),
      'http_req_duration{route_group:menu-read}': trend(
        { ...latency(30), count: 120 },
        { 'p(99)<=100': { ok: menuP99Ok }, 'max>=0': { ok: true } },
      ),
      'http_req_failed{route_group:menu-read}': rate(0, 120, { 'rate<=0.001': { ok: true }, 'rate>=0': { ok: true } }),
      'http_reqs{route_group:order-write}': counter(41, s),
      'http_reqs{route_group:order-write,status:201}': counter(39, s),
      'http_reqs{route_group:order-write,status:503}': counter(1, s),
      'http_req_duration{route_group:order-write}': trend(
        { ...latency(80), count: 41 },
        { 'p(99)<=300': { ok: true }, 'max>=0': { ok: true } },
      ),
      'http_req_failed{route_group:order-write}': rate(1, 41, {
        'rate<=0.001': { ok: false },
        'rate>=0': { ok: true },
      }),
      'http_reqs{route_group:order-read}': counter(0, s),
      checks: {
        type: 'rate',
        contains: 'default',
        values: { rate: 160 / 161, passes: 160, fails: 1 },
        thresholds: { 'rate>=0.99': { ok: true } },
      },
      dropped_iterations: { type: 'counter', contains: 'default', values: { count: 2, rate: 2 / s } },
      'coffee_journeys{journey:browse-menu,outcome:started}': counter(40, s),
      'coffee_journeys{journey:browse-menu,outcome:completed}': counter(40, s),
      'coffee_journeys{journey:first-order,outcome:started}': counter(20, s),
      'coffee_journeys{journey:first-order,outcome:completed}': counter(18, s),
      'coffee_journeys{journey:first-order,outcome:failed}': counter(1, s),
      coffee_retries: { type: 'counter', contains: 'default', values: { count: 1, rate: 1 / s } },
      vus: { type: 'gauge', contains: 'default', values: { value: 1, min: 1, max: 9 } },
    },
  };
}

describe('handleSummary (resultFromK6Summary)', () => {
  it('writes the result.json schema from k6 summary data', () => {
    const endedAt = new Date('2026-05-01T10:00:30.000Z');
    const result = resultFromK6Summary(summaryData(true), settings(), endedAt);
    expect(result).toMatchObject({
      schemaVersion: 1,
      engine: 'k6',
      runId: 'k6-run',
      profile: 'smoke',
      seed: 5,
      target: 'http://127.0.0.1:3000',
      durationMs: 30_000,
    });
    expect(result.startedAt).toBe('2026-05-01T10:00:00.000Z');
    expect(Object.keys(result.routeGroups).sort()).toEqual(['menu-read', 'order-write']);
    expect(result.routeGroups['menu-read']).toMatchObject({
      requests: 120,
      failures: 0,
      statusCodes: { 200: 120 },
      throughputRps: 4,
    });
    expect(result.routeGroups['menu-read']!.latencyMs).toEqual({
      count: 120,
      min: 1.2,
      mean: 10,
      p50: 7.5,
      p90: 15,
      p95: 21,
      p99: 30,
      p999: 36,
      max: 45,
    });
    expect(result.routeGroups['order-write']).toMatchObject({
      requests: 41,
      failures: 1,
      statusCodes: { 201: 39, 503: 1, other: 1 },
    });
    expect(result.totals).toMatchObject({ requests: 161, failures: 1, retries: 1, checks: { passes: 160, fails: 1 } });
    expect(result.totals.iterations).toEqual({ started: 60, completed: 58, failed: 1, interrupted: 1, dropped: 2 });
    expect(result.journeys['first-order']).toEqual({ started: 20, completed: 18, failed: 1, interrupted: 1 });
    expect(result.checks).toEqual([
      { name: 'menu listed', passes: 120, fails: 0 },
      { name: 'order placed', passes: 40, fails: 1 },
    ]);
    expect(result.phases.map((p) => p.name)).toEqual(['steady']);
    // Thresholds: the same ids as the Node engine's, judged by k6.
    expect(result.thresholds.map((t) => t.id)).toEqual(thresholdsFromSlos().map((t) => t.id));
    expect(result.thresholds.find((t) => t.id === 'menu-read-latency')).toMatchObject({ observed: 30, pass: true });
    expect(result.thresholds.find((t) => t.id === 'order-write-availability')).toMatchObject({ pass: false });
    expect(result.thresholds.find((t) => t.id === 'order-read-latency')).toMatchObject({ observed: null, pass: true });
    expect(result.verdict).toBe('fail');
    expect(result.timeline.buckets).toEqual([]);
    expect(KNOWN_STATUSES).toContain(503);
  });

  it("dates the run from setup()'s scenario start when k6 passes it in setup_data", () => {
    const data = {
      ...summaryData(true),
      setup_data: { target: 'x', startedAtMs: Date.UTC(2026, 4, 1, 10, 0, 0, 250) },
    };
    const result = resultFromK6Summary(data, settings(), new Date('2026-05-01T10:00:30.000Z'));
    expect(result.startedAt).toBe('2026-05-01T10:00:00.250Z');
  });

  it("takes k6's own threshold verdict when it failed one", () => {
    const result = resultFromK6Summary(summaryData(false), settings(), new Date());
    expect(result.thresholds.find((t) => t.id === 'menu-read-latency')).toMatchObject({ observed: 30, pass: false });
  });
});
