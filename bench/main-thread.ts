/**
 * The main thread's CPU per request of both sides beside a telemetry ratio: the service's
 * request path runs on its main thread, and the export thread's share is the rest of the
 * process. Added to the ratio figure's details, and as a figure of its own (information)
 * so that the printed table shows the µs next to the ratio.
 */
import type { ComparisonResult, Pair } from './compare.ts';
import type { FigureInput } from './figure.ts';

const us = (n: number | undefined) => Math.round((n ?? 0) * 10) / 10;

/** `result`'s figures, the main-thread µs of `pairs` in their CPU figures' details, and a µs figure per pair. */
export function withMainThreadMicros(result: ComparisonResult, pairs: readonly Pair[]): FigureInput[] {
  const figures = [...result.figures];
  for (const pair of pairs) {
    const [over, under] = [us(result.mainCpuUs[pair.over]), us(result.mainCpuUs[pair.under])];
    const details = {
      [`${pair.over}MainCpuUs`]: over,
      [`${pair.under}MainCpuUs`]: under,
      mainExtraUs: us(over - under),
    };
    const index = figures.findIndex((f) => f.name === `${pair.name}, CPU per request`);
    if (index < 0) continue;
    const figure = figures[index]!;
    figures[index] = { ...figure, details: { ...figure.details, ...details } };
    figures.splice(index + 1, 0, {
      name: `${pair.name}, main-thread CPU per request of ${pair.over} (µs; information)`,
      kind: 'info',
      measure: `median main-thread CPU per request (user + system) of ${pair.over}, at ${result.rate} req/s; ${pair.under} in the details`,
      unit: 'µs',
      comparator: '<=',
      value: over,
      details: { ...details, [`${pair.over}ProcessCpuUs`]: us(result.cpuUs[pair.over]), rate: result.rate },
    });
  }
  return figures;
}
