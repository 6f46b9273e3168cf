/**
 * autocannon against the bench's targets, one at a time with the same connections and
 * duration, A/B/A/B interleaved so drift hits every side alike; each target's resident
 * memory and main-thread CPU read from /proc (Linux) while it runs.
 */
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import type { BenchTarget } from './start-targets.ts';

export interface DriveOptions {
  durationS: number;
  connections: number;
  rounds: number;
  log: (line: string) => void;
}

export type Route = 'menu' | 'orders';

interface Drive {
  rps: number;
  p99: number;
  errors: number;
  ok: number;
  peakRssMb: number;
  mainCpuUs: number;
}

export interface Comparison {
  /** Mean request rate of each side over the rounds, in the order the sides were listed. */
  rps: number[];
  /** Mean main-thread CPU per request of each side, in µs. */
  mainCpuUs: number[];
  errors: number;
  /** Peak resident memory of each side, warm-up included. */
  peakRssMb: number[];
  /** 2xx answers of each side, warm-up included. */
  ok: number[];
}

/** Resident memory of a process, from /proc (Linux), in MB. */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU time of a process's main thread so far, in µs (Linux: /proc, in ticks of 1/100 s). */
async function mainThreadCpuMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10_000;
}

let orderCounter = 0;
const ORDER_BODY = JSON.stringify({
  items: [
    { productId: 'latte', quantity: 2 },
    { productId: 'croissant', quantity: 1 },
  ],
});

function requestsOf(route: Route, target: BenchTarget): autocannon.Request[] {
  if (route === 'menu') return [{ method: 'GET', path: '/menu' }];
  return [
    {
      method: 'POST',
      path: '/orders',
      body: ORDER_BODY,
      setupRequest: (request: autocannon.Request) => ({
        ...request,
        headers: {
          'content-type': 'application/json',
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
          'idempotency-key': `bench-${process.pid}-${++orderCounter}`,
        },
      }),
    },
  ];
}

async function drive(target: BenchTarget, route: Route, { durationS, connections }: DriveOptions): Promise<Drive> {
  let peak = 0;
  const cpuBefore = await mainThreadCpuMicros(target.pid);
  const sampler = setInterval(() => {
    void rssMb(target.pid).then((mb) => (peak = Math.max(peak, mb)));
  }, 250);
  const result = await autocannon({
    url: target.url,
    connections,
    duration: durationS,
    requests: requestsOf(route, target),
  });
  clearInterval(sampler);
  const mainCpuUs = ((await mainThreadCpuMicros(target.pid)) - cpuBefore) / Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    ok: result['2xx'],
    peakRssMb: peak,
    mainCpuUs,
  };
}

/**
 * Runs the targets in turn, `rounds` times over (A B C A B C ...), after a warm-up of each
 * as long as a round.
 */
export async function compare(
  route: Route,
  sides: Record<string, BenchTarget>,
  options: DriveOptions,
): Promise<Comparison> {
  const targets = Object.entries(sides).map(([label, target]) => ({ label, target }));
  const rates = targets.map(() => [] as number[]);
  const cpu = targets.map(() => [] as number[]);
  const peakRssMb = targets.map(() => 0);
  const ok = targets.map(() => 0);
  let errors = 0;
  const record = (i: number, r: Drive) => {
    peakRssMb[i] = Math.max(peakRssMb[i]!, r.peakRssMb);
    ok[i]! += r.ok;
  };
  // The warm-up: the JIT, connection pools and caches, and V8's young generation, which
  // starts small and grows.
  for (const [i, { target }] of targets.entries()) record(i, await drive(target, route, options));
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, { label, target }] of targets.entries()) {
      const r = await drive(target, route, options);
      rates[i]!.push(r.rps);
      cpu[i]!.push(r.mainCpuUs);
      errors += r.errors;
      record(i, r);
      options.log(
        `  ${route} ${label} round ${round + 1}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.errors} errors, ${Math.round(r.peakRssMb)} MB resident`,
      );
    }
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { rps: rates.map(mean), mainCpuUs: cpu.map(mean), errors, peakRssMb, ok };
}
