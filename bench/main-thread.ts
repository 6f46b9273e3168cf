/**
 * The main thread's CPU per request beside a telemetry ratio: the service's request path
 * runs on its main thread, and the span export thread's share is the rest of the process.
 * The pair's medians are in the CPU figure's details (compare.ts); this adds the main
 * thread's extra µs there, and a figure of its own (information) so that the printed
 * table shows the µs next to the ratio.
 */
import type { ComparisonResult, Pair } from './compare.ts';
import type { FigureInput } from './figure.ts';

const us = (n: number | undefined) => Math.round((n ?? 0) * 10) / 10;

/** `result`'s figures, with the main-thread µs of `pairs` beside their CPU figures. */
export function withMainThreadMicros(result: ComparisonResult, pairs: readonly Pair[]): FigureInput[] {
  const figures = [...result.figures];
  for (const pair of pairs) {
    const index = figures.findIndex((f) => f.name === `${pair.name}, CPU per request`);
    if (index < 0) continue;
    const figure = figures[index]!;
    const detail = (key: string) => Number(figure.details?.[key] ?? 0);
    const [over, under] = [detail(`${pair.over}MainCpuUs`), detail(`${pair.under}MainCpuUs`)];
    const details = {
      [`${pair.over}MainCpuUs`]: over,
      [`${pair.under}MainCpuUs`]: under,
      mainExtraUs: us(over - under),
    };
    figures[index] = { ...figure, details: { ...figure.details, ...details } };
    figures.splice(index + 1, 0, {
      name: `${pair.name}, main-thread CPU per request of ${pair.over} (µs; information)`,
      kind: 'info',
      measure: `median main-thread CPU per request (user + system) of ${pair.over}, at ${result.rate} req/s; ${pair.under} in the details`,
      unit: 'µs',
      comparator: '<=',
      value: over,
      details: { ...details, [`${pair.over}ProcessCpuUs`]: detail(`${pair.over}CpuUs`), rate: result.rate },
    });
  }
  return figures;
}
