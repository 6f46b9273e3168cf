/**
 * Starts Prometheus (Debian's `prometheus` package, or any build on PATH) for a rehearsal:
 * remote-write receiver and native histograms on, data in a temporary directory, a free
 * loopback port; `stop()` ends it and removes the data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PROMETHEUS_MISSING_MESSAGE =
  'prometheus is not on PATH: install it ("apt-get install prometheus" on Debian/Ubuntu, "brew install prometheus", ' +
  'or a release from https://prometheus.io/download/) or pass --prometheus URL of one started with ' +
  '--web.enable-remote-write-receiver --enable-feature=native-histograms';

export interface PrometheusProcess {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  binary?: string;
  /** Leave the remote-write receiver off (to test what happens without it). */
  receiver?: boolean;
  startTimeoutMs?: number;
}

export async function findExecutable(name: string, envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with code ${child.exitCode}: ${log()}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus at ${url} was not ready after ${timeoutMs} ms: ${log()}`);
}

export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<PrometheusProcess> {
  const binary = options.binary ?? (await findExecutable('prometheus'));
  if (!binary) throw new Error(PROMETHEUS_MISSING_MESSAGE);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'coffee-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--enable-feature=native-histograms',
    ...(options.receiver === false ? [] : ['--web.enable-remote-write-receiver']),
  ];
  // An empty configuration: nothing is scraped, everything arrives by remote write.
  await writeFile(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, options.startTimeoutMs ?? 15_000, () => stderr.trim().split('\n').at(-1) ?? '');
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
