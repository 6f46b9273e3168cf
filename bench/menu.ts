/**
 * GET /menu: the service with telemetry off against the raw comparators, and the
 * telemetry configurations against telemetry off, in one comparison (each pair on two
 * processes of its own); with one SDK span's least cost against what the tracing budget
 * leaves per request.
 */
import { availableParallelism } from 'node:os';
import { compareSides, type Pair } from './compare.ts';
import type { BenchContext } from './context.ts';
import type { FigureInput } from './figure.ts';
import { withMainThreadFigures } from './main-thread.ts';
import { allowanceMicros, leanSpanCost, spanFloorMicros } from './span-floor.ts';
import type { BenchTarget, RawTargetKind, ServiceKind } from './start-targets.ts';

const SIDES = {
  raw: 'raw-menu',
  bare: 'raw-menu-bare',
  off: 'off',
  traced: 'traced',
  logged: 'traced+access',
  metrics: 'metrics',
  unsampled: 'unsampled',
} as const;

/** The pairs whose over side traces: their main-thread µs are shown beside the ratio. */
const TRACING = ['traced', 'logged', 'unsampled'];

const PAIRS: Pair[] = [
  {
    name: 'GET /menu: service (telemetry off) vs raw node:http sending the same answer',
    over: 'off',
    under: 'raw',
    budget: 0.8,
    newProcessesEachRound: true,
  },
  { name: 'GET /menu: service (telemetry off) vs raw node:http with only a content type', over: 'off', under: 'bare' },
  {
    name: 'GET /menu: tracing 100% + metrics vs telemetry off',
    over: 'traced',
    under: 'off',
    budget: 0.9,
    judge: 'mainThread',
  },
  {
    name: 'GET /menu: tracing 100% + metrics + an access line per request vs telemetry off',
    over: 'logged',
    under: 'off',
  },
  { name: 'GET /menu: metrics alone (EMF) vs telemetry off', over: 'metrics', under: 'off' },
  {
    name: 'GET /menu: tracing at 0% sampling + metrics vs telemetry off (the instrumentation, no span recorded)',
    over: 'unsampled',
    under: 'off',
    budget: 0.97,
    judge: 'mainThread',
  },
];

function start(ctx: BenchContext, label: string): Promise<BenchTarget> {
  const kind = SIDES[label as keyof typeof SIDES];
  return kind.startsWith('raw') ? ctx.startRaw(kind as RawTargetKind) : ctx.startService(kind as ServiceKind);
}

/**
 * One SDK span's least cost (span-floor.ts) against what the GET /menu tracing budget
 * leaves per request (information). The allowance is read from the untraced service's
 * main-thread CPU per request at the fixed rate, and, in the details, from the whole
 * machine's CPU per request at its throughput.
 */
/** µs as the figures' details show them. */
const us = (n: number) => Number(n.toFixed(2));

function spanFloorFigure(untracedMainCpuUs: number, untracedRps: number): FigureInput {
  const floor = spanFloorMicros();
  const allowance = allowanceMicros(untracedMainCpuUs, 0.9);
  const machineAllowance = allowanceMicros((availableParallelism() * 1e6) / untracedRps, 0.9);
  return {
    name: "GET /menu: one SDK span's start, end and OTLP serialisation (tight loop, no send) vs the main-thread CPU per request the 0.90 budget leaves (information; above 1 out of reach)",
    kind: 'info',
    unit: 'ratio',
    comparator: '<=',
    value: floor / allowance,
    details: {
      spanFloorUs: us(floor),
      untracedMainCpuUs: us(untracedMainCpuUs),
      allowanceUs: us(allowance),
      wholeMachineAllowanceUs: us(machineAllowance),
      vsWholeMachine: us(floor / machineAllowance),
    },
  };
}

/**
 * The server's own span (service/telemetry/lean-tracer.ts) on the main thread, phase by
 * phase, in a tight loop, against what the GET /menu tracing budget leaves (information).
 */
async function leanSpanFigure(untracedMainCpuUs: number): Promise<FigureInput> {
  const cost = await leanSpanCost();
  const recorded = cost.start + cost.attributes + cost.end + cost.handOff + cost.context;
  const allowance = allowanceMicros(untracedMainCpuUs, 0.9);
  return {
    name: "GET /menu: the server's span on the main thread (start, attributes, end, hand-off, context; tight loop) vs the main-thread CPU per request the 0.90 budget leaves (information)",
    kind: 'info',
    unit: 'ratio',
    comparator: '<=',
    value: recorded / allowance,
    details: {
      spanUs: us(recorded),
      startUs: us(cost.start),
      attributesUs: us(cost.attributes),
      endUs: us(cost.end),
      handOffUs: us(cost.handOff),
      contextUs: us(cost.context),
      unsampledUs: us(cost.unsampled),
      allowanceUs: us(allowance),
    },
  };
}

export async function menuFigures(ctx: BenchContext): Promise<FigureInput[]> {
  ctx.options.log('GET /menu: raw node:http (same answer, bare answer), the service with telemetry off and on');
  const result = await compareSides(ctx, {
    route: 'menu',
    labels: Object.keys(SIDES),
    start: (label) => start(ctx, label),
    pairs: PAIRS,
  });
  const offRps = result.okAnswers.off ?? 0;
  const throughput = offRps / ((ctx.options.saturationRounds + 1) * ctx.options.saturationS);
  const figures = withMainThreadFigures(
    result,
    PAIRS.filter((p) => TRACING.includes(p.over)),
  );
  return [...figures, spanFloorFigure(result.mainCpuUs.off!, throughput), await leanSpanFigure(result.mainCpuUs.off!)];
}
