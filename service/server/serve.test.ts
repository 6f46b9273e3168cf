/**
 * `coffee serve` as users start it: the real CLI in a child process, compiled on start (no
 * TypeScript loader, see bin/compiled.js), on its embedded store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { heapFlags } from './heap.ts';

const COFFEE = fileURLToPath(new URL('../../bin/coffee.js', import.meta.url));
const QUIET = { COFFEE_METRICS_EXPORTER: 'none', COFFEE_LOG_LEVEL: 'silent', OTEL_SDK_DISABLED: 'true' };

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function coffee(args: string[]): {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [COFFEE, ...args], {
    env: { ...process.env, ...QUIET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function listening(run: ReturnType<typeof coffee>): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const url = /listening on (\S+)/.exec(run.stdout())?.[1];
    if (url) return url;
    if (run.child.exitCode !== null) throw new Error(`coffee serve exited ${run.child.exitCode}: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`coffee serve did not start: ${run.stderr()}`);
}

describe('coffee serve', () => {
  it('prints its address, answers, and exits 0 on SIGTERM', async () => {
    const run = coffee(['serve', '--port', '0']);
    const url = await listening(run);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const menu = await fetch(`${url}/menu`);
    expect(menu.status).toBe(200);
    expect(((await menu.json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(12);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });

  it('removes the compiled files of starts that were killed early, once they are a minute old', async () => {
    const { removeStale } = await import('../../bin/compiled.js');
    const dir = await mkdtemp(join(tmpdir(), 'coffee-compiled-'));
    try {
      const uuid = '0b6f3a1e-7c1d-4f2a-9e55-2f8d6c3b1a90';
      const names = [
        `service-server-serve-main-${uuid}.mjs`,
        `embedded-worker.mjs.tmp-${uuid}`,
        'embedded-worker.mjs',
        `service-server-serve-main-${uuid.replace('0b', '1c')}.mjs`,
      ];
      for (const name of names) await writeFile(join(dir, name), '');
      const old = new Date(Date.now() - 5 * 60_000);
      for (const name of names.slice(0, 3)) await utimes(join(dir, name), old, old);
      // A build's directory (its worker files named by their content) is cleaned the same way.
      const build = join(dir, 'build-0123456789abcdef');
      await mkdir(build);
      for (const name of [names[0]!, 'span-export-worker.mjs']) {
        await writeFile(join(build, name), '');
        await utimes(join(build, name), old, old);
      }
      await removeStale(dir);
      // The worker files are kept; a fresh compiled file may be another start's.
      expect((await readdir(dir)).sort()).toEqual(['build-0123456789abcdef', 'embedded-worker.mjs', names[3]!].sort());
      expect(await readdir(build)).toEqual(['span-export-worker.mjs']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes the worker files of old versions, keeping the current and the three last started', async () => {
    const { pruneBuilds } = await import('../../bin/compiled.js');
    const dir = await mkdtemp(join(tmpdir(), 'coffee-compiled-'));
    try {
      const day = 24 * 60 * 60_000;
      // Last started 1, 2, 8, 9, 10 and 11 days ago; the current one (this start's) 30 days ago.
      const ages = { a: 1, b: 2, c: 8, d: 9, e: 10, f: 11, current: 30 };
      for (const [name, days] of Object.entries(ages)) {
        const build = join(dir, `build-${name}`);
        await mkdir(build);
        await writeFile(join(build, 'span-export-worker.mjs'), '');
        const at = new Date(Date.now() - days * day);
        await utimes(build, at, at);
      }
      await writeFile(join(dir, 'build-file'), '');
      await pruneBuilds(dir, join(dir, 'build-current'));
      // d, e, f are more than a week unused and have three newer; c is as old but among the
      // three newest; a file is no build.
      expect((await readdir(dir)).sort()).toEqual(['build-a', 'build-b', 'build-c', 'build-current', 'build-file']);
      expect(await readdir(join(dir, 'build-current'))).toEqual(['span-export-worker.mjs']);

      // Three new versions started: b is now the fifth newest of the others but two days
      // old, and stays (a server started from it may not have loaded its workers yet); c
      // and the month-old one, no longer current, go.
      for (const name of ['g', 'h', 'i']) await mkdir(join(dir, `build-${name}`));
      await pruneBuilds(dir, join(dir, 'build-i'));
      expect((await readdir(dir)).sort()).toEqual([
        'build-a',
        'build-b',
        'build-file',
        'build-g',
        'build-h',
        'build-i',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers a bad option with exit code 2 and a message naming it', async () => {
    const run = coffee(['serve', '--port', 'http']);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain('--port must be an integer between 0 and 65535, got "http"');
  });

  it('has --help', async () => {
    const run = coffee(['serve', '--help']);
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toContain('Usage: coffee serve [options]');
    expect(run.stdout()).toContain('--data-dir <dir>');
  });
});

describe('the service heap settings', () => {
  it('lets the old generation grow by 60% between full collections', () => {
    expect(heapFlags([])).toEqual(['--heap-growing-percent=60']);
    expect(heapFlags(['--max-old-space-size=512', '--heap-growing-percent-x'])).toEqual(['--heap-growing-percent=60']);
  });

  it("leaves a value given on node's command line alone", () => {
    expect(heapFlags(['--heap-growing-percent=20'])).toEqual([]);
    expect(heapFlags(['--max-old-space-size=512', '--heap_growing_percent=30'])).toEqual([]);
  });
});
