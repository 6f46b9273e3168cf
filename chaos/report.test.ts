/**
 * The run's report: the verdict first, every section of the journal (hypothesis and
 * probes, invariants, alarm timeline, fault windows, steps and rollbacks), every value
 * escaped, the fault windows shaded on the charts, and the load test's sections after the
 * experiment's when its engine drove the load. How the page draws charts is proven with
 * the writer (loadtests/report).
 */
import { describe, expect, it } from 'vitest';
import { RESULT_SCHEMA_VERSION, type LoadResult } from '../loadtests/index.ts';
import { renderReportPage, type ReportSection } from '../cli/index.ts';
import { EXPERIMENTS } from './experiments/index.ts';
import type { Journal } from './journal.ts';
import { reportPage } from './report.ts';
import type { RecordedResponse } from './responses.ts';
import { bucketise } from './timeline.ts';

const T0 = 1_700_000_000_000;
const response = (over: Partial<RecordedResponse>): RecordedResponse => ({
  source: 'load',
  method: 'GET',
  route: 'GET /menu',
  at: T0,
  latencyMs: 10,
  status: 200,
  ...over,
});
const probe = (holds: boolean) => ({
  name: 'menu answers',
  route: 'GET /menu',
  holds,
  samples: 5,
  statuses: { 200: 5 },
  p50Ms: 3,
  p99Ms: 9,
  thresholdMs: 300,
  withinThreshold: 5,
  reasons: holds ? [] : ['p99 above 300 ms'],
});

const journal = {
  schema: 'coffee-chaos-journal/v1',
  experiment: {
    name: 'x',
    title: 'X <b>',
    description: 'd',
    hypothesis: 'Orders survive <throttling>',
    definition: EXPERIMENTS[0]!,
  },
  run: {
    id: 'r',
    seed: 1,
    timeScale: 1,
    startedAt: T0 - 1_000,
    endedAt: T0 + 5_000,
    target: { kind: 'embedded', url: 'http://127.0.0.1:1' },
    loadEngine: 'none',
  },
  verdict: 'failed',
  summary: 'FAILED. Broken invariants: error-contract.',
  steps: [{ at: T0 - 1_000, name: 'target started', status: 'ok' }],
  steadyState: { before: { holds: true, results: [probe(true)] }, after: { holds: false, results: [probe(false)] } },
  faultWindows: [
    {
      label: 'w',
      action: { layer: 'dynamodb', rules: [] },
      plannedStartMs: 1_000,
      plannedEndMs: 2_000,
      startedAt: T0 + 1_000,
      endedAt: T0 + 2_000,
      injected: { 'throttle-writes': 4 },
    },
  ],
  load: { from: T0, to: T0 + 3_000, responses: 1, bySource: { load: 1 }, errors: { 'GET /menu 500 internal': 1 } },
  orders: { intents: 0, acknowledged: 0, rejected: 0, gaveUp: 0, attempts: 0, replays: 0 },
  invariants: [
    {
      id: 'error-contract',
      title: 'Every error response followed the contract',
      status: 'violated',
      summary: 's',
      checked: 1,
      violationCount: 1,
      violations: ['GET /menu -> 500: the body leaks internals: <script>alert(1)</script>'],
    },
  ],
  alarms: {
    status: 'evaluated',
    note: 'evaluated every 60 s',
    periodSeconds: 60,
    alarms: [
      {
        name: 'coffee-5xx-rate',
        kind: 'metric',
        severity: 'critical',
        transitions: [{ at: T0 + 1_500, state: 'ALARM' }],
        firedAt: T0 + 1_500,
      },
    ],
    withoutData: [],
  },
  rollbacks: [{ at: T0 + 4_000, name: 'proxy rules cleared', status: 'ok' }],
  timeline: bucketise([response({ at: T0 + 1_500, status: 500 }), response({ at: T0 + 500 })], {
    from: T0,
    to: T0 + 3_000,
  }),
} as unknown as Journal;

const section = (sections: readonly ReportSection[], title: string) => {
  const found = sections.find((s) => s.title === title);
  if (!found) throw new Error(`no section "${title}" in ${sections.map((s) => s.title).join(', ')}`);
  return found;
};

describe('the run report', () => {
  it('shows the verdict first, then the hypothesis, invariants, alarms, fault windows and steps', () => {
    const page = reportPage(journal);
    expect(page.headline).toContain('FAILED. Broken invariants');
    expect(page.headline).toMatch(/<span class="badge bad">failed<\/span>/);
    expect(page.sections.map((s) => s.title)).toEqual([
      'Traffic and errors',
      'Steady-state hypothesis',
      'Invariants',
      'Alarm timeline',
      'Fault windows',
      'Steps',
    ]);
    const hypothesis = section(page.sections, 'Steady-state hypothesis').html;
    expect(hypothesis).toContain('Orders survive &lt;throttling&gt;');
    expect(hypothesis).toMatch(/<td>before<\/td><td>menu answers<\/td>.*held/);
    expect(hypothesis).toMatch(/<td>after<\/td><td>menu answers<\/td>.*violated.*p99 above 300 ms/);
    expect(section(page.sections, 'Invariants').html).toMatch(/Every error response followed the contract.*violated/);
    expect(section(page.sections, 'Invariants').html).toContain('GET /menu 500 internal');
    expect(section(page.sections, 'Alarm timeline').html).toMatch(
      /coffee-5xx-rate<\/td><td>critical<\/td><td><span class="badge bad">fired at 1\.5 s<\/span>/,
    );
    expect(section(page.sections, 'Fault windows').html).toMatch(
      /<td>w<\/td><td>dynamodb<\/td><td>1\.0–2\.0 s<\/td><td>1\.0 s–2\.0 s<\/td><td>throttle-writes: 4/,
    );
    expect(section(page.sections, 'Steps').html).toMatch(/target started.*rollback: proxy rules cleared/s);
  });

  it('shades the applied fault windows on the throughput, errors and p99 charts, with the order-write objective', () => {
    const charts = section(reportPage(journal).sections, 'Traffic and errors').charts ?? [];
    expect(charts.map((c) => c.id)).toEqual(['chaos-traffic', 'chaos-p99']);
    for (const chart of charts) expect(chart.bands).toEqual([{ kind: 'fault', label: 'w', start: 1, end: 2 }]);
    const [traffic, p99] = charts;
    expect(traffic!.xs).toEqual([0.5, 1.5, 2.5]);
    expect(traffic!.series.map((s) => [s.label, s.values])).toEqual([
      ['requests', [1, 1, 0]],
      ['5xx', [0, 1, 0]],
      ['no response', [0, 0, 0]],
      ['4xx', [0, 0, 0]],
    ]);
    expect(p99!.series.map((s) => s.values)).toEqual([[10, 10, null]]);
    expect(p99!.lines?.map((l) => l.label)).toEqual([expect.stringMatching(/^order-write objective \d+ ms$/)]);
  });

  it('escapes everything it shows', async () => {
    const html = await renderReportPage(reportPage(journal));
    expect(html).toContain('X &lt;b&gt;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
  });

  it("follows with the load test's sections, the same fault windows shaded on its charts", () => {
    const startedAt = new Date(T0 - 200).toISOString();
    const stats = {
      requests: 2,
      failures: 1,
      errorRate: 0.5,
      throughputRps: 1,
      statusCodes: { 200: 1, 500: 1 },
      latencyMs: null,
    };
    const loadResult = {
      schemaVersion: RESULT_SCHEMA_VERSION,
      runId: 'load-1',
      engine: 'autocannon',
      profile: 'smoke',
      seed: 1,
      target: 'http://127.0.0.1:1',
      startedAt,
      endedAt: new Date(T0 + 3_000).toISOString(),
      durationMs: 3_200,
      config: { startRate: 1, stages: [], preAllocatedVUs: 1, maxVUs: 1, thinkTimeScale: 1, gracefulStopS: 1 },
      phases: [{ name: 'steady', startMs: 0, endMs: 3_000, fromRate: 1, toRate: 1 }],
      totals: {
        ...stats,
        iterations: { started: 1, completed: 1, failed: 0, interrupted: 0, dropped: 0 },
        checks: { passes: 1, fails: 0, rate: 1 },
        retries: 0,
      },
      routeGroups: { 'menu-read': stats },
      journeys: {},
      checks: [],
      timeline: {
        bucketMs: 1_000,
        buckets: [
          {
            startMs: 0,
            requests: 2,
            failures: 1,
            statusCodes: { 200: 1, 500: 1 },
            targetRate: 1,
            iterationsStarted: 1,
            iterationsDropped: 0,
            routeGroups: {},
          },
        ],
      },
      thresholds: [],
      verdict: 'fail',
      notes: [],
    } as unknown as LoadResult;

    const page = reportPage(journal, loadResult);
    const titles = page.sections.map((s) => s.title);
    expect(titles.slice(0, 7)).toEqual([
      'Traffic and errors',
      'Steady-state hypothesis',
      'Invariants',
      'Alarm timeline',
      'Fault windows',
      'Steps',
      'Load test: smoke',
    ]);
    expect(titles).toContain('Thresholds');
    expect(section(page.sections, 'Load test: smoke').html).toContain('FAIL');
    const throughput = section(page.sections, 'Charts').charts?.find((c) => c.id === 'throughput');
    // The load started 200 ms before the experiment's load window: its charts count from there.
    expect(throughput?.bands?.find((b) => b.kind === 'fault')).toEqual({
      kind: 'fault',
      label: 'w',
      start: 1.2,
      end: 2.2,
    });
    expect(reportPage(journal, { something: 'else' }).sections).toHaveLength(6);
  });
});
