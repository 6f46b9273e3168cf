/**
 * POST /orders: the service with telemetry off against a minimal node:http PutItem handler,
 * and the telemetry configurations against telemetry off. Every side stores each order it
 * takes, and a service's cost per order moves with the orders it holds, so each CPU round
 * runs new processes of every side. The resident memory budget is read during the
 * throughput rounds, on the traced service.
 */
import { compareSides, type Pair } from './compare.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { withMainThreadMicros } from './main-thread.ts';
import type { BenchTarget } from './start-targets.ts';

const PAIRS: Pair[] = [
  { name: 'POST /orders: service vs minimal node:http PutItem handler', over: 'off', under: 'raw', budget: 0.8 },
  { name: 'POST /orders: tracing 100% + metrics vs telemetry off', over: 'traced', under: 'off', budget: 0.9 },
  { name: 'POST /orders: metrics alone (EMF) vs telemetry off', over: 'metrics', under: 'off' },
  { name: 'POST /orders: tracing at 0% sampling + metrics vs telemetry off', over: 'unsampled', under: 'off' },
];

const LABELS = ['raw', 'off', 'traced', 'metrics', 'unsampled'] as const;

function start(ctx: BenchContext, label: string): Promise<BenchTarget> {
  if (label === 'raw') return ctx.startRaw('raw-put');
  return ctx.startService(label as 'off' | 'traced' | 'metrics' | 'unsampled');
}

export async function orderFigures(ctx: BenchContext): Promise<FigureInput[]> {
  ctx.options.log('POST /orders: raw PutItem handler, the service with telemetry off and on; fresh processes');
  const result = await compareSides(ctx, {
    route: 'orders',
    labels: LABELS,
    start: (label) => start(ctx, label),
    fresh: true,
    pairs: PAIRS,
  });
  const memory = (label: string): FigureInput['details'] => ({ ordersStored: result.okAnswers[label] ?? 0 });
  return [
    ...withMainThreadMicros(
      result,
      PAIRS.filter((p) => p.over === 'traced' || p.over === 'unsampled'),
    ),
    {
      name: 'Resident memory, coffee serve (tracing + metrics) + embedded store under POST /orders load',
      unit: 'MB',
      comparator: '<=',
      budget: 250,
      margin: 10,
      value: Math.round(result.peakRssMb.traced ?? 0),
      details: memory('traced'),
    },
    {
      name: 'Resident memory, coffee serve (telemetry off) under POST /orders load (information)',
      unit: 'MB',
      comparator: '<=',
      value: Math.round(result.peakRssMb.off ?? 0),
      details: memory('off'),
    },
  ];
}
