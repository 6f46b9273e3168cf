/**
 * `--remote-write URL` of the Node engine: a `RemoteWriter` fed by the run's bucket
 * reports, closed (final push) after the run.
 */
import { UsageError } from '../../cli/index.ts';
import type { LoadCommandOptions } from '../cli.ts';
import type { RunLoadOptions } from '../run-load.ts';
import { RemoteWriter } from './remote-write.ts';

export interface Streaming {
  runOptions: Pick<RunLoadOptions, 'bucketSink' | 'share'>;
  close(): Promise<void>;
}

/** Parses `i/n` (instance i of n, from 0) into a share of the arrivals. */
export function parseShare(text: string): { index: number; count: number } | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return count >= 1 && index < count ? { index, count } : undefined;
}

export function startStreaming(options: {
  url: string;
  runId: string;
  profile: string;
  instance: string;
  flushMs?: number;
}): Streaming {
  const writer = new RemoteWriter({
    url: options.url,
    runId: options.runId,
    profile: options.profile,
    instance: options.instance,
    ...(options.flushMs !== undefined ? { flushMs: options.flushMs } : {}),
    onError: (message) => process.stderr.write(`coffee load: ${message}\n`),
  });
  writer.start();
  return {
    runOptions: { bucketSink: (report) => writer.bucket(report) },
    close: () => writer.close(),
  };
}

/** `--remote-write URL` and `--instance i/n` of `coffee load` as runLoad options. */
export function streamingFor(options: LoadCommandOptions, runId: string, profile: string): Streaming {
  const share = options.instance === undefined ? undefined : parseShare(options.instance);
  if (options.instance !== undefined && !share)
    throw new UsageError(`--instance takes i/n with 0 <= i < n, e.g. 0/2, got "${options.instance}"`);
  if (options.engine === 'k6')
    throw new UsageError(
      '--remote-write and --instance are for the autocannon engine; k6 takes -o experimental-prometheus-rw',
    );
  const streaming = options.remoteWrite
    ? startStreaming({ url: options.remoteWrite, runId, profile, instance: String(share?.index ?? 0) })
    : { runOptions: {}, close: async () => {} };
  return { runOptions: { ...streaming.runOptions, ...(share ? { share } : {}) }, close: streaming.close };
}
