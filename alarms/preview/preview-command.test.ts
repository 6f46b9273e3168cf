import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCloudWatchDashboards } from '../../dashboards/index.ts';

const BIN = fileURLToPath(new URL('../../bin/coffee.js', import.meta.url));

function coffee(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: cwd, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** An EMF document as the service writes it: a latency histogram of the menu reads. */
const emfLine = (timestamp: number) =>
  JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: 'CoffeeCloud',
          Dimensions: [['Service'], ['Service', 'RouteGroup']],
          Metrics: [{ Name: 'HttpRequestDuration', Unit: 'Milliseconds' }],
        },
      ],
    },
    Service: 'coffee-cloud',
    RouteGroup: 'menu-read',
    HttpRequestDuration: { Values: [4, 40], Counts: [9, 1], Sum: 76, Count: 10, Min: 3, Max: 41 },
  });

describe('coffee dashboards preview', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-preview-cli-'));
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    await writeFile(
      join(dir, 'emf.jsonl'),
      Array.from({ length: 10 }, (_, i) => emfLine(t0 + (i + 1) * 1000)).join('\n'),
    );
    await writeFile(join(dir, 'empty.jsonl'), 'no EMF here\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('draws the dashboards from an EMF file into DIR/report.html and says what it drew', async () => {
    const result = await coffee(['dashboards', 'preview', '--emf', 'emf.jsonl', '--out', 'preview'], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const health = buildCloudWatchDashboards().find((d) => d.name === 'coffee-cloud-technical-health');
    expect(result.stdout).toContain(`coffee-cloud-technical-health: ${health?.body.widgets?.length} widgets, `);
    const html = await readFile(join(dir, 'preview', 'report.html'), 'utf8');
    expect(html).toContain('data-dashboard="coffee-cloud-slo"');
  });

  it('exits 2 with a one-line reason on a missing or an EMF-less file', async () => {
    const [missing, empty] = await Promise.all([
      coffee(['dashboards', 'preview', '--emf', 'nope.jsonl'], dir),
      coffee(['dashboards', 'preview', '--emf', 'empty.jsonl'], dir),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/--emf nope\.jsonl: cannot be read \(ENOENT\)/);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--emf empty\.jsonl: no EMF document/);
  });
});
