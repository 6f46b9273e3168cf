/**
 * How the long-running service's V8 heaps grow. After a full collection V8 lets a heap
 * grow to up to four times what survived before it collects again (its factor on a machine
 * with much memory). The service's live heap is small but it allocates fast, and much of
 * what it allocates lives just long enough to be promoted (SDK requests in flight, spans
 * waiting for export), so the old generation fills with garbage. Growing by at most 60%
 * keeps the local stack within its memory budget (docs/performance.md, "Resident memory").
 *
 * The flag is read at each collection, so setting it at start-up works; it is process-wide,
 * so it covers the embedded store's thread as well. A value given on node's command line
 * wins (NODE_OPTIONS cannot carry this flag: node refuses it there).
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 60;

/** The V8 flags the service sets for itself, given what the process was started with. */
export function heapFlags(execArgv: readonly string[]): string[] {
  const given = execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg));
  return given ? [] : [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`];
}

export function tuneHeapForService(): void {
  for (const flag of heapFlags(process.execArgv)) setFlagsFromString(flag);
}
