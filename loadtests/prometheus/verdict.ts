/**
 * One verdict over every runner of a run, from what they remote-wrote to Prometheus:
 * latency percentiles by `histogram_quantile` over the summed native histograms, error
 * rates from the request counters, per route group and in total; time series for the
 * report's charts from `query_range`. The result has the schema of a local run's
 * result.json, so the same writers make result.json, junit.xml and report.html.
 */
import { bucketMsFor } from '../engine/aggregator.ts';
import {
  isProfileName,
  phasesOf,
  PROFILES,
  profileConfig,
  rateAt,
  scaleProfile,
  type Profile,
  type ProfileName,
} from '../shared/profiles.ts';
import {
  finishStats,
  isFailure,
  PERCENTILE_KEYS,
  RESULT_SCHEMA_VERSION,
  verdictOf,
  type JourneyStats,
  type LatencySummary,
  type LoadResult,
  type RequestStats,
  type TimeBucket,
} from '../shared/result.ts';
import { evaluateThresholds, thresholdsFromSlos, type Observations } from '../shared/thresholds.ts';
import { QUANTILE_RELATIVE_ERROR } from './native-histogram.ts';
import { RwLabels, RwMetrics, SETUP_ROUTE_GROUP } from './names.ts';
import { PrometheusClient, PrometheusProblem, type MatrixSeries } from './prometheus-client.ts';

export interface VerdictOptions {
  prometheus: string;
  runId: string;
  /** The profile that ran (default: the `profile` label the runners wrote). */
  profile?: ProfileName;
  thresholdOverrides?: Record<string, number>;
  /** How far back to look for the run (default 24 h). */
  lookbackS?: number;
}

/** The total over every route group, as a scope next to the groups. */
const TOTAL = '';

interface Scope {
  requests: number;
  failures: number;
  statusCodes: Record<string, number>;
  quantiles: Map<number, number>;
  count: number;
  sum: number;
}

function emptyScope(): Scope {
  return { requests: 0, failures: 0, statusCodes: {}, quantiles: new Map(), count: 0, sum: 0 };
}

const num = (text: string): number => Number(text);

export class PrometheusVerdict {
  private readonly client: PrometheusClient;
  private readonly selector: string;
  private readonly scopes = new Map<string, Scope>();
  private startS = 0;
  private endS = 0;

  constructor(private readonly options: VerdictOptions) {
    this.client = new PrometheusClient(options.prometheus);
    const id = options.runId.replace(/["\\]/g, '\\$&');
    this.selector = `${RwLabels.TestId}="${id}",${RwLabels.RouteGroup}!="${SETUP_ROUTE_GROUP}"`;
  }

  private scope(group: string): Scope {
    let scope = this.scopes.get(group);
    if (!scope) this.scopes.set(group, (scope = emptyScope()));
    return scope;
  }

  /** The run's first and last sample, or exit 2 when there is none. */
  async findRun(): Promise<void> {
    const lookbackS = this.options.lookbackS ?? 86_400;
    await this.client.checkReceiver();
    const series = await this.client.rawSamples(
      `${RwMetrics.HttpReqs}{${RwLabels.TestId}="${this.options.runId}"}[${lookbackS}s]`,
      Date.now() / 1000,
    );
    const times = series.flatMap((s) => s.values.map(([t]) => t));
    if (times.length === 0) {
      throw new PrometheusProblem(
        `no samples for run id "${this.options.runId}" in Prometheus at ${this.client.url} over the last ` +
          `${Math.round(lookbackS / 3600)} h: check the run id, and that every runner remote-writes to ` +
          `${this.client.url}/api/v1/write with the tag testid=${this.options.runId}`,
      );
    }
    this.startS = Math.min(...times);
    this.endS = Math.max(...times);
  }

  private async vector(expr: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const result = await this.client.query(expr, this.endS);
    return result.map((r) => ({ metric: r.metric, value: num(r.value[1]) })).filter((r) => Number.isFinite(r.value));
  }

  /** Request and failure counts per route group and status, from the counters' last values. */
  async readCounts(): Promise<void> {
    const rows = await this.vector(`sum by (route_group, status) (${RwMetrics.HttpReqs}{${this.selector}})`);
    for (const { metric, value } of rows) {
      for (const scope of [this.scope(metric.route_group ?? 'unknown'), this.scope(TOTAL)]) {
        const status = metric.status ?? '0';
        scope.requests += value;
        if (isFailure(Number(status))) scope.failures += value;
        scope.statusCodes[status] = (scope.statusCodes[status] ?? 0) + value;
      }
    }
  }

  /** Quantiles, count and sum of the summed native histograms, per route group and in total. */
  async readLatency(percentiles: readonly number[]): Promise<void> {
    const summed = (by: string) => `sum ${by} (${RwMetrics.HttpReqDuration}{${this.selector}})`;
    for (const [by, scopeOf] of [
      ['by (route_group)', (m: Record<string, string>) => m.route_group ?? 'unknown'],
      ['', () => TOTAL],
    ] as const) {
      for (const percentile of percentiles) {
        for (const { metric, value } of await this.vector(`histogram_quantile(${percentile / 100}, ${summed(by)})`))
          this.scope(scopeOf(metric)).quantiles.set(percentile, value * 1000);
      }
      for (const { metric, value } of await this.vector(`histogram_count(${summed(by)})`))
        this.scope(scopeOf(metric)).count = value;
      for (const { metric, value } of await this.vector(`histogram_sum(${summed(by)})`))
        this.scope(scopeOf(metric)).sum = value * 1000;
    }
  }

  private observations(checkRate: number | null): Observations {
    return {
      latencyPercentile: (group, percentile) => this.scopes.get(group)?.quantiles.get(percentile) ?? null,
      errorRate: (group) => {
        const scope = this.scopes.get(group);
        return scope && scope.requests > 0 ? scope.failures / scope.requests : null;
      },
      checkRate: () => checkRate,
    };
  }

  private stats(scope: Scope, durationMs: number): RequestStats {
    const q = (p: number) => scope.quantiles.get(p) ?? 0;
    const latencyMs: LatencySummary | null =
      scope.count > 0
        ? {
            count: scope.count,
            min: q(0),
            mean: scope.sum / scope.count,
            p50: q(50),
            p90: q(90),
            p95: q(95),
            p99: q(99),
            p999: q(99.9),
            max: q(100),
          }
        : null;
    return finishStats(
      { requests: scope.requests, failures: scope.failures, statusCodes: scope.statusCodes, latencyMs },
      durationMs,
    );
  }

  /** Per-interval deltas of a cumulative query, one number per bucket and series key. */
  private deltas(series: MatrixSeries[], keyOf: (m: Record<string, string>) => string, times: number[]) {
    const out = new Map<string, number[]>();
    for (const s of series) {
      const byTime = new Map(s.values.map(([t, v]) => [Math.round(t * 1000), num(v)]));
      const cumulative = times.map((t) => byTime.get(Math.round(t * 1000)) ?? 0);
      const row = out.get(keyOf(s.metric)) ?? new Array<number>(times.length - 1).fill(0);
      for (let i = 1; i < times.length; i++)
        row[i - 1]! += (cumulative[i] as number) - (i === 1 ? 0 : (cumulative[i - 1] as number));
      out.set(keyOf(s.metric), row);
    }
    return out;
  }

  /** The charts' buckets: counts by differencing the counters, percentiles from the histograms' rate. */
  async timeline(profile: Profile, durationMs: number): Promise<LoadResult['timeline']> {
    const bucketMs = Math.max(1000, bucketMsFor(durationMs));
    const stepS = bucketMs / 1000;
    const n = Math.floor(durationMs / bucketMs) + 1;
    const times = Array.from({ length: n + 1 }, (_, i) => this.startS + i * stepS);
    const range = (expr: string) => this.client.queryRange(expr, this.startS, times.at(-1) as number, stepS);
    const counts = this.deltas(
      await range(`sum by (route_group, status) (${RwMetrics.HttpReqs}{${this.selector}})`),
      (m) => `${m.route_group}\u0000${m.status}`,
      times,
    );
    const journeys = this.deltas(
      await range(`sum by (outcome) (${RwMetrics.Journeys}{${RwLabels.TestId}="${this.options.runId}"})`),
      (m) => m.outcome ?? '',
      times,
    );
    const dropped = this.deltas(
      await range(`sum(${RwMetrics.DroppedIterations}{${RwLabels.TestId}="${this.options.runId}"})`),
      () => 'dropped',
      times,
    );
    const windowS = Math.max(2 * stepS, 10);
    const quantiles = new Map<string, number>();
    for (const p of [50, 90, 99]) {
      const rows = await range(
        `histogram_quantile(${p / 100}, sum by (route_group) (rate(${RwMetrics.HttpReqDuration}{${this.selector}}[${windowS}s])))`,
      );
      for (const s of rows)
        for (const [t, v] of s.values)
          quantiles.set(
            `${s.metric.route_group}\u0000${p}\u0000${Math.round((t - this.startS) / stepS) - 1}`,
            num(v) * 1000,
          );
    }
    const buckets: TimeBucket[] = [];
    for (let i = 0; i < n; i++) {
      const bucket: TimeBucket = {
        startMs: i * bucketMs,
        requests: 0,
        failures: 0,
        statusCodes: {},
        targetRate: rateAt(profile, i * bucketMs),
        iterationsStarted: journeys.get('started')?.[i] ?? 0,
        iterationsDropped: dropped.get('dropped')?.[i] ?? 0,
        routeGroups: {},
      };
      for (const [key, row] of counts) {
        const [group, status] = key.split('\u0000') as [string, string];
        const value = row[i] ?? 0;
        if (value === 0) continue;
        const failed = isFailure(Number(status)) ? value : 0;
        const g = (bucket.routeGroups[group] ??= {
          requests: 0,
          failures: 0,
          p50: null,
          p90: null,
          p99: null,
          max: null,
        });
        g.requests += value;
        g.failures += failed;
        bucket.requests += value;
        bucket.failures += failed;
        bucket.statusCodes[status] = (bucket.statusCodes[status] ?? 0) + value;
      }
      for (const [group, g] of Object.entries(bucket.routeGroups)) {
        const at = (p: number) => {
          const v = quantiles.get(`${group}\u0000${p}\u0000${i}`);
          return v === undefined || !Number.isFinite(v) ? null : v;
        };
        g.p50 = at(50);
        g.p90 = at(90);
        g.p99 = at(99);
      }
      buckets.push(bucket);
    }
    return { bucketMs, buckets };
  }

  private async profileOf(): Promise<Profile> {
    let name = this.options.profile;
    if (!name) {
      const rows = await this.vector(`count by (profile) (${RwMetrics.HttpReqs}{${this.selector}})`);
      const label = rows.map((r) => r.metric.profile).find((p) => p !== undefined && isProfileName(p));
      if (!label) throw new PrometheusProblem('the run wrote no profile label: pass --profile');
      name = label as ProfileName;
    }
    // The profile stretched to the run's length, so phases land where they ran.
    return scaleProfile(PROFILES[name], { durationS: Math.max(1, Math.round(this.endS - this.startS)) });
  }

  async run(): Promise<LoadResult> {
    await this.findRun();
    const definitions = thresholdsFromSlos(
      this.options.thresholdOverrides ? { overrides: this.options.thresholdOverrides } : {},
    );
    const percentiles = [
      ...new Set([0, 100, ...PERCENTILE_KEYS.map(([p]) => p), ...definitions.flatMap((d) => d.percentile ?? [])]),
    ];
    await this.readCounts();
    await this.readLatency(percentiles);
    const [checks] = await this.vector(`avg(${RwMetrics.Checks}{${RwLabels.TestId}="${this.options.runId}"})`);
    const journeyRows = await this.vector(
      `sum by (journey, outcome) (${RwMetrics.Journeys}{${RwLabels.TestId}="${this.options.runId}"})`,
    );
    const [droppedRow] = await this.vector(
      `sum(${RwMetrics.DroppedIterations}{${RwLabels.TestId}="${this.options.runId}"})`,
    );
    const [k6] = await this.vector(`count(${RwMetrics.Vus}{${RwLabels.TestId}="${this.options.runId}"})`);
    const profile = await this.profileOf();
    const durationMs = Math.max(1, Math.round((this.endS - this.startS) * 1000));

    const journeys: Record<string, JourneyStats> = {};
    for (const { metric, value } of journeyRows) {
      const j = (journeys[metric.journey ?? 'unknown'] ??= { started: 0, completed: 0, failed: 0, interrupted: 0 });
      if (metric.outcome === 'started' || metric.outcome === 'completed' || metric.outcome === 'failed')
        j[metric.outcome] += value;
    }
    for (const j of Object.values(journeys)) j.interrupted = Math.max(0, j.started - j.completed - j.failed);
    const sumOf = (key: keyof JourneyStats) => Object.values(journeys).reduce((n, j) => n + j[key], 0);
    const checkRate = checks ? checks.value : null;
    const thresholds = evaluateThresholds(definitions, this.observations(checkRate));
    const groups = [...this.scopes.keys()].filter((g) => g !== TOTAL).sort();
    const result: LoadResult = {
      schemaVersion: RESULT_SCHEMA_VERSION,
      runId: this.options.runId,
      engine: k6 && k6.value > 0 ? 'k6' : 'autocannon',
      profile: profile.name,
      seed: 0,
      target: this.client.url,
      startedAt: new Date(this.startS * 1000).toISOString(),
      endedAt: new Date(this.endS * 1000).toISOString(),
      durationMs,
      config: profileConfig(profile),
      phases: phasesOf(profile),
      totals: {
        ...this.stats(this.scope(TOTAL), durationMs),
        iterations: {
          started: sumOf('started'),
          completed: sumOf('completed'),
          failed: sumOf('failed'),
          interrupted: sumOf('interrupted'),
          dropped: droppedRow?.value ?? 0,
        },
        checks: { passes: 0, fails: 0, rate: checkRate ?? 1 },
        retries: 0,
      },
      routeGroups: Object.fromEntries(groups.map((g) => [g, this.stats(this.scope(g), durationMs)])),
      journeys,
      checks: [],
      timeline: await this.timeline(profile, durationMs),
      thresholds,
      verdict: verdictOf(thresholds),
      notes: [
        `judged from Prometheus at ${this.client.url} over every runner that wrote testid=${this.options.runId}`,
        `latency percentiles are histogram_quantile over native histograms of schema 3: within ${(QUANTILE_RELATIVE_ERROR * 100).toFixed(1)}% of the exact value`,
        "error rates come from the request counters (5xx and network errors over all requests); the check rate is the mean of the runners' per-check rates (k6 writes checks as rates, not counts)",
        'min and max are the bounds of the lowest and highest native histogram buckets; the seed and the target are not in Prometheus',
      ],
    };
    return result;
  }
}

export async function verdictFromPrometheus(options: VerdictOptions): Promise<LoadResult> {
  return new PrometheusVerdict(options).run();
}
