/**
 * Progress while a run goes: on a terminal one line rewritten in place; elsewhere (CI
 * logs, pipes) a plain line every few seconds.
 */
import type { LiveStatus } from './engine/aggregator.ts';

export interface ProgressUpdate extends LiveStatus {
  totalMs: number;
  phase: string;
  /** Arrival rate the profile asks for now, journeys per second. */
  targetRate: number;
  errorRate: number;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

export function formatProgress(p: ProgressUpdate): string {
  const p99 = p.p99Ms === null ? '-' : `${p.p99Ms.toFixed(1)} ms`;
  return (
    `${seconds(p.elapsedMs)}/${seconds(p.totalMs)} ${p.phase}: target ${p.targetRate.toFixed(1)} journeys/s, ` +
    `${p.currentRps.toFixed(1)} req/s, ${p.requests} requests, errors ${p.failures} (${(p.errorRate * 100).toFixed(2)}%), p99 ${p99}` +
    (p.iterationsDropped > 0 ? `, ${p.iterationsDropped} dropped` : '')
  );
}

/** A progress printer for a stream: in place on a TTY, one line every `plainEveryMs` otherwise. */
export function progressPrinter(
  stream: NodeJS.WriteStream,
  plainEveryMs = 5_000,
): { update(p: ProgressUpdate): void; done(): void } {
  const tty = stream.isTTY === true;
  let lastPlain = -Infinity;
  let wrote = false;
  return {
    update(p) {
      const line = formatProgress(p);
      if (tty) {
        const width = stream.columns ?? 120;
        stream.write(`\r${line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length))}\x1b[K`);
        wrote = true;
      } else if (p.elapsedMs - lastPlain >= plainEveryMs) {
        stream.write(`${line}\n`);
        lastPlain = p.elapsedMs;
      }
    },
    done() {
      if (tty && wrote) stream.write('\n');
    },
  };
}
