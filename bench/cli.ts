/** `coffee bench`: the performance budgets, measured in interleaved rounds and judged with their spread. */
import type { Command } from 'commander';
import { parseIntOption, UsageError } from '../cli/index.ts';

function parseShare(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new UsageError(`--load-share must be a number between 0 and 1, got "${value}"`);
  return n;
}

/** `menu=1500,orders=300` -> { menu: 1500, orders: 300 } */
export function parseRates(value: string): Record<string, number> {
  return Object.fromEntries(
    value.split(',').map((pair) => {
      const [id, rate] = pair.split('=').map((s) => s.trim());
      const n = Number(rate);
      if (!id || !(n > 0)) throw new UsageError(`--rates takes ID=REQ_PER_S pairs such as menu=1500, got "${pair}"`);
      return [id, n];
    }),
  );
}

interface BenchCliOptions {
  duration: number;
  rounds: number;
  warmup: number;
  saturationDuration: number;
  saturationRounds: number;
  loadShare: number;
  rates?: Record<string, number>;
  connections: number;
  out: string;
  only?: string;
}

export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description(
      'Measure the performance budgets: CPU per request at a fixed arrival rate in interleaved rounds, judged as met, inconclusive or missed (about 35 minutes with the defaults on a shared 2-core VM)',
    )
    .option(
      '--duration <s>',
      "seconds of each pair's measurement in a CPU round (both sides at once; the load generators' rounds last three times as long)",
      parseIntOption('--duration', 1, 120),
      3,
    )
    .option('--rounds <n>', 'kept rounds per comparison', parseIntOption('--rounds', 1, 50), 9)
    .option('--warmup <n>', 'rounds discarded first', parseIntOption('--warmup', 0, 10), 1)
    .option(
      '--saturation-duration <s>',
      'seconds of each side flat out',
      parseIntOption('--saturation-duration', 1, 120),
      2,
    )
    .option(
      '--saturation-rounds <n>',
      'rounds of the throughput figures',
      parseIntOption('--saturation-rounds', 1, 20),
      2,
    )
    .option(
      '--load-share <x>',
      "the fixed rate as a share of the slower side's throughput (both sides of a figure take it at once)",
      parseShare,
      0.25,
    )
    .option(
      '--rates <id=n,...>',
      'fixed arrival rates instead of the share, e.g. menu=1500,orders=300,load-engine=2000',
      parseRates,
    )
    .option('--connections <n>', 'load generator sockets', parseIntOption('--connections', 1, 1000), 32)
    .option('--only <ids>', 'comma-separated figure modules (menu, orders, cold-start, load-engine, ...)')
    .option('--out <dir>', 'where bench.json goes', 'out/bench')
    .action(async (options: BenchCliOptions) => {
      const { runBench, formatBench } = await import('./run.ts');
      const bench = await runBench({
        durationS: options.duration,
        rounds: options.rounds,
        warmup: options.warmup,
        saturationS: options.saturationDuration,
        saturationRounds: options.saturationRounds,
        loadShare: options.loadShare,
        ...(options.rates ? { rates: options.rates } : {}),
        connections: options.connections,
        file: `${options.out}/bench.json`,
        ...(options.only ? { only: options.only.split(',').map((s) => s.trim()) } : {}),
        log: (l) => process.stderr.write(`${l}\n`),
      }).catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith('unknown bench figure'))
          throw new UsageError(error.message);
        throw error;
      });
      process.stdout.write(`\n${formatBench(bench)}\n\nwritten to ${options.out}/bench.json\n`);
      // Only a clear miss fails the run; an inconclusive figure is for a quieter machine to settle.
      if (bench.verdict.missed > 0) process.exitCode = 1;
    });
}
