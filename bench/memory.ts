/**
 * Resident memory of a process under a fixed amount of load: `amount` requests flat out
 * (autocannon), the process's resident set sampled every 100 ms, the peak kept. A fixed
 * count rather than a fixed time, so a run on a faster moment stores as many orders as a
 * run on a slower one and the peak compares between runs.
 */
import autocannon from 'autocannon';
import { cannonRequests, type Route } from './compare.ts';
import { rssMb } from './proc.ts';
import type { BenchTarget } from './start-targets.ts';

const SAMPLE_MS = 100;

export interface MemoryUnderLoad {
  peakMb: number;
  /** Answers with a 2xx status (orders stored, on POST /orders). */
  ok: number;
}

export async function peakRssUnderLoad(
  target: BenchTarget,
  route: Route,
  amount: number,
  connections: number,
): Promise<MemoryUnderLoad> {
  let peak = await rssMb(target.pid);
  const sampler = setInterval(() => void rssMb(target.pid).then((mb) => (peak = Math.max(peak, mb))), SAMPLE_MS);
  try {
    const result = await autocannon({ url: target.url, connections, amount, requests: cannonRequests(route, target) });
    peak = Math.max(peak, await rssMb(target.pid));
    return { peakMb: peak, ok: result['2xx'] };
  } finally {
    clearInterval(sampler);
  }
}
