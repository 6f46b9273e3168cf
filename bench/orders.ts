/**
 * POST /orders: the service with telemetry off against a minimal node:http PutItem handler,
 * and the telemetry configurations against telemetry off. Every side stores each order it
 * takes, and a service's cost per order moves with the orders it holds: compare.ts gives
 * every pair two processes of its own that take the same orders. The resident memory
 * budget is the median peak of three new traced services, each taking a fixed number of
 * orders flat out (memory.ts), beside three with telemetry off.
 */
import { compareSides, type Pair } from './compare.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { withMainThreadFigures } from './main-thread.ts';
import { peakRssUnderLoad, type MemoryUnderLoad } from './memory.ts';
import type { MeasuredRound } from './rounds.ts';
import type { BenchTarget } from './start-targets.ts';

const PAIRS: Pair[] = [
  {
    name: 'POST /orders: service vs minimal node:http PutItem handler',
    over: 'off',
    under: 'raw',
    budget: 0.8,
    newProcessesEachRound: true,
  },
  {
    name: 'POST /orders: tracing 100% + metrics vs telemetry off',
    over: 'traced',
    under: 'off',
    budget: 0.9,
    judge: 'mainThread',
  },
  { name: 'POST /orders: metrics alone (EMF) vs telemetry off', over: 'metrics', under: 'off' },
  { name: 'POST /orders: tracing at 0% sampling + metrics vs telemetry off', over: 'unsampled', under: 'off' },
];

const LABELS = ['raw', 'off', 'traced', 'metrics', 'unsampled'] as const;
/**
 * Measurements three times `--duration` long, at the run's share of the slower side's
 * saturation (`--load-share`, a quarter; pin it with `--rates orders=N` to compare runs).
 * The stores run on the generator's CPU, so the measured CPU holds the two sides only:
 * - With the stores on the measured CPU, two services and two stores filled it at 100
 *   req/s and the sides fell behind their arrivals; at 50 req/s a 9-second window holds
 *   450 orders, and a side's processes, new every round for the service against raw
 *   PutItem, were still compiling: V8's other threads took about 1,000 µs of a 3,500 µs
 *   order, more or less from round to round.
 * - With the stores on the generator's CPU, one pair of processes (raw PutItem against
 *   the service) measured for six 9-second rounds after one unmeasured: at 150 req/s the
 *   rounds read 0.898 to 0.923 and V8's other threads took 30 to 100 µs of an order after
 *   the first round; at 50 req/s the same rounds read 0.846 to 0.945. In a whole
 *   `--only orders --rates orders=150` run (new processes every round, steal up to 9%)
 *   the other threads took about 400 µs of 2,600, and the rounds 0.848 to 0.934.
 */
const ORDERS_DURATION_FACTOR = 3;
/** Orders each memory reading's service takes (about as many as a throughput round stored). */
const MEMORY_ORDERS = 4_000;
/** New services whose peaks the memory figures are the medians of. */
const MEMORY_PROCESSES = 3;

/**
 * A side of the CPU and throughput rounds: its store in a process of its own, not measured.
 * On its embedded store (a thread of the same process) half of an order's CPU was the
 * store's, dynalite's, which is DynamoDB's in AWS and not the service's: a whole-process
 * ratio was then half made of the test double (the service against raw PutItem read about
 * 0.95; with the stores apart, 0.89 to 0.94 in seven runs). The memory budget still reads
 * the service with its embedded store, as users run it.
 */
function start(ctx: BenchContext, label: string, storeApart = true): Promise<BenchTarget> {
  if (label === 'raw') return ctx.startRaw('raw-put', { storeApart });
  return ctx.startService(label as 'off' | 'traced' | 'metrics' | 'unsampled', { storeApart });
}

export async function orderFigures(ctx: BenchContext): Promise<FigureInput[]> {
  ctx.options.log(
    'POST /orders: raw PutItem handler, the service with telemetry off and on; two processes per pair, each on a store process of its own',
  );
  const result = await compareSides(ctx, {
    route: 'orders',
    labels: LABELS,
    start: (label) => start(ctx, label),
    pairs: PAIRS,
    durationFactor: ORDERS_DURATION_FACTOR,
    measureNote: "each side's store in a process of its own, not measured",
  });
  const memory = await memoryRounds(ctx);
  const details = (label: 'traced' | 'off'): FigureInput['details'] => ({
    ordersStored: Math.min(...memory.map((r) => r.result[label].ok)),
    ordersSent: MEMORY_ORDERS,
    connections: ctx.options.connections,
    processes: memory.length,
  });
  const rounds = (label: 'traced' | 'off') =>
    memory.map((r) => ({ value: Math.round(r.result[label].peakMb), stealPct: r.stealPct, load1: r.load1 }));
  return [
    ...withMainThreadFigures(
      result,
      PAIRS.filter((p) => p.over === 'traced' || p.over === 'unsampled'),
    ),
    {
      name: 'Resident memory, coffee serve (tracing + metrics) + embedded store under POST /orders load',
      unit: 'MB',
      comparator: '<=',
      budget: 250,
      margin: 10,
      rounds: rounds('traced'),
      details: details('traced'),
    },
    {
      name: 'Resident memory, coffee serve (telemetry off) under POST /orders load (information)',
      unit: 'MB',
      comparator: '<=',
      rounds: rounds('off'),
      details: details('off'),
    },
  ];
}

/**
 * Each round a new traced and a new untraced service, one after the other (the order
 * alternated), each taking `MEMORY_ORDERS` orders flat out: the figures are the medians of
 * `MEMORY_PROCESSES` processes. Read from one process, the traced peak ranged from 206 to
 * 213 MB over four runs of the same code.
 */
async function memoryRounds(ctx: BenchContext): Promise<MeasuredRound<Record<'traced' | 'off', MemoryUnderLoad>>[]> {
  ctx.options.log(`  orders: resident memory of new services under ${MEMORY_ORDERS} orders each`);
  return ctx.rounds(
    'orders memory',
    async (_, reversed) => {
      const result: Partial<Record<'traced' | 'off', MemoryUnderLoad>> = {};
      for (const label of reversed ? (['off', 'traced'] as const) : (['traced', 'off'] as const))
        result[label] = await memoryOf(ctx, label);
      return result as Record<'traced' | 'off', MemoryUnderLoad>;
    },
    { rounds: MEMORY_PROCESSES, warmup: 0 },
  );
}

async function memoryOf(ctx: BenchContext, label: 'traced' | 'off'): Promise<MemoryUnderLoad> {
  const target = await start(ctx, label, false);
  try {
    return await peakRssUnderLoad(target, 'orders', MEMORY_ORDERS, ctx.options.connections);
  } finally {
    await target.stop();
  }
}
