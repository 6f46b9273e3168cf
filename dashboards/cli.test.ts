import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/coffee.js', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI with no AWS credentials anywhere (and no instance metadata lookups). */
function coffee(args: string[], dir: string): Promise<Result> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, cwd: dir, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('coffee dashboards / alarms (the real CLI)', () => {
  let dir: string;
  let results: Record<'dashboards' | 'alarms' | 'diff' | 'prefix', Result>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-cli-'));
    const [dashboards, alarms, diff, prefix] = await Promise.all([
      coffee(
        ['dashboards', 'build', '--out', join(dir, 'd'), '--account-id', '123456789012', '--region', 'eu-west-1'],
        dir,
      ),
      coffee(
        ['alarms', 'build', '--out', join(dir, 'a'), '--page-topic-arn', 'arn:aws:sns:eu-west-1:123456789012:page'],
        dir,
      ),
      coffee(['dashboards', 'diff', '--region', 'eu-west-1'], dir),
      coffee(['alarms', 'lint', '--prefix', 'bad prefix'], dir),
    ]);
    results = { dashboards: dashboards!, alarms: alarms!, diff: diff!, prefix: prefix! };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('build writes the CloudWatch bodies and the Grafana dashboards', async () => {
    expect(results.dashboards.code).toBe(0);
    const names = [
      'coffee-cloud-business.json',
      'coffee-cloud-cost.json',
      'coffee-cloud-slo.json',
      'coffee-cloud-technical-health.json',
    ];
    expect((await readdir(join(dir, 'd', 'cloudwatch'))).sort()).toEqual(names);
    expect((await readdir(join(dir, 'd', 'grafana'))).sort()).toEqual(names);
    expect(results.dashboards.stdout.trim().split('\n')).toHaveLength(8);
  });

  it('alarms build writes the alarm inputs and the Prometheus rules', async () => {
    expect(results.alarms.code).toBe(0);
    expect(await readdir(join(dir, 'a', 'cloudwatch'))).toEqual(['alarms.json']);
    expect(await readdir(join(dir, 'a', 'prometheus'))).toEqual(['coffee-slo.rules.yml']);
    expect(results.alarms.stderr).toMatch(/^\d+ metric alarms and \d+ composite alarms\n$/);
  });

  it('diff without credentials explains in one line and exits 2', () => {
    expect(results.diff.code).toBe(2);
    expect(results.diff.stderr.trim().split('\n')).toEqual([
      'comparing 4 dashboards with eu-west-1...',
      'coffee: no AWS credentials for CloudWatch GetDashboard: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (region eu-west-1)',
    ]);
  });

  it('a bad option is a usage error (exit 2)', () => {
    expect(results.prefix.code).toBe(2);
    expect(results.prefix.stderr).toBe(
      'coffee: --prefix may only contain A-Z, a-z, 0-9, "-" and "_", got "bad prefix"\n',
    );
  });
});
