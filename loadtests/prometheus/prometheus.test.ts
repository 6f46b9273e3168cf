/**
 * The distributed verdict against a real Prometheus (Debian's package) on a free loopback
 * port: two Node engine instances split one run's arrivals and remote-write to it; the
 * verdict Prometheus gives must match the HDR result over the same requests within the
 * native histogram's bucket error, for every threshold. And the three ways it exits 2.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalStack, type LocalStack } from '../../service/index.ts';
import { main } from '../../cli/main.ts';
import { Aggregator, bucketMsFor } from '../engine/aggregator.ts';
import { runLoad } from '../run-load.ts';
import { PROFILES, scaleProfile } from '../shared/profiles.ts';
import type { LoadResult } from '../shared/result.ts';
import { thresholdsFromSlos } from '../shared/thresholds.ts';
import { BUCKET_GROWTH, QUANTILE_RELATIVE_ERROR } from './native-histogram.ts';
import { startPrometheus, type PrometheusProcess } from './prometheus-process.ts';
import { RemoteWriter } from './remote-write.ts';
import { verdictFromPrometheus } from './verdict.ts';

const DURATION_S = 3;
const RATE = 8;

let prometheus: PrometheusProcess;
let stack: LocalStack;
let dir: string;

beforeAll(async () => {
  [prometheus, stack] = await Promise.all([startPrometheus(), startLocalStack({ rateLimit: false })]);
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-prom-'));
}, 30_000);

afterAll(async () => {
  await Promise.all([prometheus?.stop(), stack?.stop(), dir && rm(dir, { recursive: true, force: true })]);
});

/** Runs `coffee ...` in this process; the exit code and what it wrote on stderr. */
async function coffee(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await main(['node', 'coffee', ...args]);
    return { code, stderr };
  } finally {
    spy.mockRestore();
    out.mockRestore();
    process.exitCode = undefined;
  }
}

describe('one verdict over two instances, from Prometheus', () => {
  it('matches the HDR result over the same requests within one native bucket, for every threshold', async () => {
    const runId = `two-instances-${Date.now()}`;
    const profile = scaleProfile(PROFILES.smoke, { durationS: DURATION_S, rate: RATE });
    // What one process would have measured: every instance's bucket reports in one aggregator.
    const merged = new Aggregator(bucketMsFor(DURATION_S * 1000), profile);
    const writers = [0, 1].map(
      (index) =>
        new RemoteWriter({
          url: `${prometheus.url}/api/v1/write`,
          runId,
          profile: 'smoke',
          instance: String(index),
          flushMs: 250,
        }),
    );
    const runs = await Promise.all(
      writers.map((writer, index) => {
        writer.start();
        return runLoad({
          target: stack.url,
          profile: 'smoke',
          durationS: DURATION_S,
          rate: RATE,
          runId,
          share: { index, count: 2 },
          bucketSink: (report) => {
            writer.bucket(report);
            merged.add(report);
          },
        }).finally(() => writer.close());
      }),
    );
    expect(writers.map((w) => w.failures)).toEqual([0, 0]);
    // The two instances split the arrivals: together they ran what one process would have.
    expect(runs[0]!.totals.iterations.started).toBeGreaterThan(0);
    expect(runs[1]!.totals.iterations.started).toBeGreaterThan(0);

    const fromPrometheus = await verdictFromPrometheus({ prometheus: prometheus.url, runId, profile: 'smoke' });
    const hdr = merged.summary(DURATION_S * 1000);
    const observations = merged.observations();
    expect(fromPrometheus.totals.requests).toBe(hdr.totals.requests);
    expect(fromPrometheus.totals.failures).toBe(hdr.totals.failures);

    const definitions = thresholdsFromSlos();
    const single = merged.thresholds(definitions);
    expect(fromPrometheus.thresholds.map((t) => t.id)).toEqual(single.map((t) => t.id));
    let latencyCompared = 0;
    for (const [i, t] of fromPrometheus.thresholds.entries()) {
      const local = single[i]!;
      const definition = definitions[i]!;
      if (t.metric === 'latency' && local.observed !== null) {
        // Prometheus takes the observation of rank ceil(q*N), HDR rounds q*N: compare at Prometheus's rank.
        const n = hdr.routeGroups[definition.routeGroup!]!.latencyMs!.count;
        const rank = Math.ceil(((definition.percentile ?? 99) / 100) * n);
        const exact = observations.latencyPercentile(definition.routeGroup!, (rank / n) * 100)!;
        expect(Math.abs(t.observed! - exact), `${t.id}: ${t.observed} vs ${exact}`).toBeLessThanOrEqual(
          exact * QUANTILE_RELATIVE_ERROR,
        );
        latencyCompared++;
      } else if (t.metric === 'check-rate') {
        // k6 writes checks as per-check rates: the mean of rates equals the share only when they agree.
        if (local.observed === 1) expect(t.observed).toBe(1);
      } else {
        expect(t.observed, t.id).toBe(local.observed);
      }
      // The verdicts agree unless the limit falls inside the bucket error.
      const tight = t.observed !== null && Math.abs(t.observed - t.limit) <= t.limit * (BUCKET_GROWTH - 1);
      if (!tight) expect(t.pass, t.id).toBe(local.pass);
    }
    expect(latencyCompared).toBeGreaterThan(0);
    expect(fromPrometheus.timeline.buckets.reduce((n, b) => n + b.requests, 0)).toBe(hdr.totals.requests);

    // The same files as a local run, from the same writers.
    const out = path.join(dir, 'verdict');
    const { code } = await coffee(['load', 'verdict', '--prometheus', prometheus.url, '--run-id', runId, '--out', out]);
    expect(code).toBe(fromPrometheus.verdict === 'pass' ? 0 : 1);
    const written = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8')) as LoadResult;
    expect(written.totals.requests).toBe(hdr.totals.requests);
    expect(await readFile(path.join(out, 'junit.xml'), 'utf8')).toContain('<testsuites');
    expect(await readFile(path.join(out, 'report.html'), 'utf8')).toContain('<html');

    // An impossible latency limit fails the verdict: exit 1.
    const failing = await coffee([
      'load',
      'verdict',
      '--prometheus',
      prometheus.url,
      '--run-id',
      runId,
      '--threshold',
      'menu-read-latency=0.001',
      '--out',
      path.join(dir, 'failing'),
    ]);
    expect(failing.code).toBe(1);
  }, 40_000);
});

describe('coffee load verdict exits 2 when Prometheus cannot answer', () => {
  it('says so when Prometheus is unreachable', async () => {
    const { code, stderr } = await coffee(['load', 'verdict', '--prometheus', 'http://127.0.0.1:9', '--run-id', 'x']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Prometheus at http:\/\/127\.0\.0\.1:9 is unreachable .*--prometheus/);
  });

  it('says so when nothing was written under the run id', async () => {
    const { code, stderr } = await coffee([
      'load',
      'verdict',
      '--prometheus',
      prometheus.url,
      '--run-id',
      'never-ran',
      '--out',
      path.join(dir, 'never'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no samples for run id "never-ran" .*testid=never-ran/);
  });

  it('says so when Prometheus has no remote-write receiver', async () => {
    const closed = await startPrometheus({ receiver: false });
    try {
      const { code, stderr } = await coffee(['load', 'verdict', '--prometheus', closed.url, '--run-id', 'x']);
      expect(code).toBe(2);
      expect(stderr).toMatch(/no remote-write receiver: restart it with --web.enable-remote-write-receiver/);
    } finally {
      await closed.stop();
    }
  }, 20_000);
});
