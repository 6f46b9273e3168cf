/** `coffee infra cost`: what the deployed stacks cost at rest and per number of orders. */
import type { Command } from 'commander';
import { parseIntOption } from '../cli/index.ts';

export function registerInfraCommands(program: Command): void {
  const infra = program.command('infra').description('The CDK app (deploy with `npx cdk deploy --all`): cost estimate');
  infra
    .command('cost')
    .description('Estimate the monthly cost at rest and the cost of N orders, from the dashboards price table')
    .option('--orders <n>', 'number of orders to price', parseIntOption('--orders', 1, 1e12), 1_000_000)
    .option(
      '--lambda-memory-mb <mb>',
      'function memory (the -c memoryMb of the deployment)',
      parseIntOption('--lambda-memory-mb', 128, 10_240),
      512,
    )
    .option(
      '--ms-per-request <ms>',
      'average billed Lambda duration per request (measure it on the cost dashboard)',
      parseIntOption('--ms-per-request', 1, 900_000),
    )
    .option('--json', 'print the estimate as JSON')
    .action(async (flags: { orders: number; lambdaMemoryMb: number; msPerRequest?: number; json?: boolean }) => {
      const { costReport, formatCostReport, DEFAULT_ORDER_USAGE } = await import('./cost.ts');
      const usage =
        flags.msPerRequest === undefined
          ? DEFAULT_ORDER_USAGE
          : { ...DEFAULT_ORDER_USAGE, lambdaMsPerRequest: flags.msPerRequest };
      const report = costReport({ orders: flags.orders, lambdaMemoryMb: flags.lambdaMemoryMb, usage });
      process.stdout.write(
        flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatCostReport(report).join('\n')}\n`,
      );
    });
}
