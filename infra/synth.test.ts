/**
 * `npm run synth` (the aws-cdk CLI) synthesizes the app offline: no AWS credentials or
 * configuration (a bare HOME), instance metadata disabled, telemetry, notices and the
 * version check off. A finding of cdk-nag would make it fail.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm run synth', () => {
  it('writes the four stacks to the output directory with no AWS credentials or configuration', async () => {
    const home = await mkdtemp(join(tmpdir(), 'coffee-synth-home-'));
    const out = await mkdtemp(join(tmpdir(), 'coffee-synth-out-'));
    dirs.push(home, out);
    // Only what a clean CI shell has: no AWS_* variable, no ~/.aws, no proxy.
    const env = { PATH: process.env.PATH ?? '', HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'synth', '--', '--output', out], {
      cwd: root,
      env,
      timeout: 120_000,
    });
    expect(`${stdout}${stderr}`).toContain('Successfully synthesized');
    const files = await readdir(out);
    for (const stack of ['CoffeeData', 'CoffeeService', 'CoffeeObservability', 'CoffeeFaultInjection']) {
      expect(files).toContain(`${stack}.template.json`);
    }
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
    expect(manifest.missing ?? []).toEqual([]);
    // The function asset is the built bundle: an ESM file with its source map.
    const assetDir = files.find((f) => f.startsWith('asset.'));
    expect(assetDir).toBeDefined();
    expect((await readdir(join(out, assetDir as string))).sort()).toEqual(['index.mjs', 'index.mjs.map']);
  });
});
