/**
 * `coffee load` end to end, as a CI job runs it: real child processes of the CLI, the
 * embedded service started by the command itself, files on disk, exit codes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../service/catalog/index.ts';
import type { LoadResult } from './shared/result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COFFEE = path.join(ROOT, 'bin', 'coffee.js');

function coffee(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [COFFEE, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'coffee-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('coffee load', () => {
  it('runs a smoke profile against the embedded service and passes, writing result.json, junit.xml and report.html', async () => {
    const out = path.join(dir, 'smoke');
    // Latency limits are loosened: on a shared 2-core CI machine the first requests of a
    // fresh process (JIT, module loading) can exceed the SLOs. This test is about the
    // plumbing and the verdict; the impossible-threshold test below proves a limit bites.
    const loose = ['menu-read-latency', 'order-read-latency', 'order-write-latency'].flatMap((id) => [
      '--threshold',
      `${id}=10000`,
    ]);
    const run = await coffee([
      'load',
      'smoke',
      '--duration',
      '2',
      '--rate',
      '6',
      '--seed',
      '7',
      '--run-id',
      'smoke-test',
      '--out',
      out,
      ...loose,
    ]);
    expect(run.stderr).toMatch(/starting the embedded service/);
    expect(run.stdout).toMatch(/run id smoke-test/);
    expect(run.stdout).toMatch(/verdict: PASS/);
    expect(run.code).toBe(0);

    const result = JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8')) as LoadResult;
    expect(result).toMatchObject({
      schemaVersion: 1,
      runId: 'smoke-test',
      engine: 'autocannon',
      profile: 'smoke',
      seed: 7,
      verdict: 'pass',
    });
    expect(result.totals.iterations.started).toBe(12);
    expect(result.totals.requests).toBeGreaterThan(12);
    expect(result.totals.failures).toBe(0);
    expect(result.totals.checks.fails).toBe(0);
    for (const [group, stats] of Object.entries(result.routeGroups)) {
      expect(Object.values(ROUTES)).toContain(group);
      expect(stats.requests).toBeGreaterThan(0);
      expect(Object.values(stats.statusCodes).reduce((a, b) => a + b, 0)).toBe(stats.requests);
      expect(stats.latencyMs!.p50).toBeLessThanOrEqual(stats.latencyMs!.p99);
      expect(stats.latencyMs!.p99).toBeLessThanOrEqual(stats.latencyMs!.max);
    }
    for (const route of Object.keys(result.routes ?? {})) expect(Object.keys(ROUTES)).toContain(route);
    expect(result.routeGroups['order-write']?.statusCodes['201']).toBeGreaterThan(0);
    expect(result.timeline.buckets.reduce((n, b) => n + b.requests, 0)).toBe(result.totals.requests);
    expect(result.thresholds.length).toBeGreaterThan(0);
    expect(result.thresholds.every((t) => t.pass)).toBe(true);

    const junit = await readFile(path.join(out, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(result.thresholds.length);
    expect(junit).toContain('failures="0"');
    const report = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(report).toContain('smoke-test');
    expect(report).not.toMatch(/<script[^>]+src=/);
  });

  it('exits 1 when a threshold cannot be met, and says which', async () => {
    const out = path.join(dir, 'impossible');
    const run = await coffee([
      'load',
      'smoke',
      '--duration',
      '1',
      '--threshold',
      'menu-read-latency=0',
      '--out',
      out,
      '--no-progress',
    ]);
    expect(run.stdout).toMatch(/FAIL menu-read-latency/);
    expect(run.stdout).toMatch(/verdict: FAIL/);
    expect(run.code).toBe(1);
    const junit = await readFile(path.join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(
      /<testcase classname="coffee.load.smoke" name="menu-read-latency: p\(99\) &lt;= 0 ms" time="0">\s*<failure/,
    );
  });

  it('exits 2 with a one-line reason when the target is unreachable', async () => {
    const run = await coffee([
      'load',
      'smoke',
      '--target',
      'http://127.0.0.1:1',
      '--out',
      path.join(dir, 'unreachable'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/^coffee: target http:\/\/127\.0\.0\.1:1 is unreachable: ECONNREFUSED$/m);
  });

  it('exits 2 on usage errors: an unknown profile, a bad option, an unknown threshold', async () => {
    // Independent runs, started together: each is a process start more than work.
    const [unknown, bad, threshold] = await Promise.all([
      coffee(['load', 'lunch-rush', '--target', 'http://127.0.0.1:1']),
      coffee(['load', 'smoke', '--rate', 'fast']),
      coffee(['load', 'smoke', '--threshold', 'speed=1', '--target', 'http://127.0.0.1:1']),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown profile "lunch-rush"; choose one of smoke, average/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rate must be a positive number/);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toMatch(/unknown threshold "speed"/);
  });

  it('exits 2 on a --tokens file that is missing or malformed, or given without --target, naming what is wrong', async () => {
    const missingFile = path.join(dir, 'missing-tokens.json');
    const malformedFile = path.join(dir, 'malformed-tokens.json');
    const expiringFile = path.join(dir, 'expiring-tokens.json');
    await writeFile(malformedFile, JSON.stringify({ customers: ['eyJhbGciOi.e30.sig'], baristas: [42] }));
    const expiring = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'c1', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')}.c2ln`;
    await writeFile(expiringFile, JSON.stringify({ customers: [expiring], baristas: [expiring] }));
    // Independent runs, started together: each is a process start more than work.
    const [missing, malformed, expired, local] = await Promise.all([
      coffee(['load', 'smoke', '--tokens', missingFile, '--target', 'http://127.0.0.1:1']),
      coffee(['load', 'smoke', '--tokens', malformedFile, '--target', 'http://127.0.0.1:1']),
      // The smoke profile lasts 30 s, soak more than an hour: the tokens expire within a minute.
      coffee(['load', 'soak', '--tokens', expiringFile, '--target', 'http://127.0.0.1:1']),
      coffee(['load', 'smoke', '--tokens', expiringFile]),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--tokens ${missingFile}: no such file`);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(`--tokens ${malformedFile}: baristas[0] is not a bearer token`);
    expect(expired.stderr).toMatch(/--tokens .*: the tokens expire at .*, before the run ends at .*: mint new ones/);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--tokens needs --target/);
  });

  it('with --engine k6 and no k6 on PATH, says how to install it and exits 2', async () => {
    const run = await coffee(['load', 'smoke', '--engine', 'k6', '--target', 'http://127.0.0.1:1'], {
      PATH: path.dirname(process.execPath),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/k6 is not on PATH\. Install k6 v1\.0 or newer/);
    expect(run.stderr).toMatch(/--engine autocannon/);
  });
});
