/**
 * The main thread's share beside a telemetry ratio: the service's request path runs on its
 * main thread, and the span export thread's work is the rest of the process. For each
 * pair, a figure of its own from the same rounds as the CPU figure: the main thread's CPU
 * per request of `under` over `over`, with both sides' µs and the traced side's extra µs
 * in its details. It carries the pair's budget when the pair is judged on its main thread
 * (`Pair.judge`), and is information otherwise.
 */
import { cpuFigureSuffix, type ComparisonResult, type Pair } from './compare.ts';
import type { FigureInput } from './figure.ts';

const us = (n: number) => Math.round(n * 10) / 10;

/** `result`'s figures, each pair's main-thread figure right after its CPU figure. */
export function withMainThreadFigures(result: ComparisonResult, pairs: readonly Pair[]): FigureInput[] {
  const figures = [...result.figures];
  for (const pair of pairs) {
    const index = figures.findIndex((f) => f.name === `${pair.name}, ${cpuFigureSuffix(pair)}`);
    if (index < 0) continue;
    const figure = figures[index]!;
    const detail = (key: string) => Number(figure.details?.[key] ?? 0);
    const [over, under] = [detail(`${pair.over}MainCpuUs`), detail(`${pair.under}MainCpuUs`)];
    const judged = pair.judge === 'mainThread' && pair.budget !== undefined;
    figures.splice(index + 1, 0, {
      name: `${pair.name}, main-thread CPU per request${judged ? '' : ' (information)'}`,
      kind: judged ? 'primary' : 'info',
      ...(judged ? { budget: pair.budget } : {}),
      measure: `main-thread CPU per request (user + system) of ${pair.under} / ${pair.over}, at ${result.rate} req/s, in the same rounds`,
      unit: 'ratio',
      comparator: '>=',
      rounds: (figure.rounds ?? []).map((round) => {
        const sides = round.sides ?? {};
        return {
          ...round,
          value: (sides[pair.under]?.mainCpuUs ?? 0) / (sides[pair.over]?.mainCpuUs ?? 1),
        };
      }),
      details: {
        rate: result.rate,
        [`${pair.over}MainCpuUs`]: over,
        [`${pair.under}MainCpuUs`]: under,
        mainExtraUs: us(over - under),
      },
    });
  }
  return figures;
}
