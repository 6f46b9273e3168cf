/** `coffee bench`: the performance budgets, as ratios measured in one run. */
import type { Command } from 'commander';
import { parseIntOption } from '../cli/index.ts';

export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description(
      'Measure the performance budgets as ratios in one run, the load engine against plain autocannon included (takes about 7 minutes)',
    )
    .option('--duration <s>', 'seconds per measurement', parseIntOption('--duration', 1, 120), 4)
    .option('--connections <n>', 'autocannon connections', parseIntOption('--connections', 1, 1000), 32)
    .option('--rounds <n>', 'A/B rounds per comparison', parseIntOption('--rounds', 1, 10), 2)
    .option('--out <dir>', 'where bench.json goes', 'out/bench')
    .action(async (options: { duration: number; connections: number; rounds: number; out: string }) => {
      const { runBench, formatFigures } = await import('./run.ts');
      const { withinBudget } = await import('./figure.ts');
      const figures = await runBench({
        durationS: options.duration,
        connections: options.connections,
        rounds: options.rounds,
        out: options.out,
        log: (l) => process.stderr.write(`${l}\n`),
      });
      process.stdout.write(`\n${formatFigures(figures)}\n`);
      if (!figures.every(withinBudget)) process.exitCode = 1;
    });
}
